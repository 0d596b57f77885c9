// One SIMD register as a GCC/Clang vector type, for the kernels of every area (the products of
// gemm.hpp, the task generator of tasks/uniform.cpp): loads, stores, masked partial loads and
// stores for tails, broadcasts and lane sums, in this ISA's width. Kernel code only (isa.hpp).
#pragma once

#include <cstddef>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "isa.hpp"

namespace nalu {
namespace NALU_ISA {

// One register: 64 bytes with AVX-512, 32 with AVX, 16 (SSE2) on the baseline, where wider
// vectors would need several registers each and spill the blocked kernels' accumulators.
#if defined(__AVX512F__)
constexpr std::size_t kVectorBytes = 64;
#elif defined(__AVX__)
constexpr std::size_t kVectorBytes = 32;
#else
constexpr std::size_t kVectorBytes = 16;
#endif

// Simd<T>: one register of this ISA's width (kVectorBytes), what the products and the generator
// use; Simd<T, 32>: a 256-bit one, what the AVX2 vector math (vecmath_avx2.hpp) computes on, on
// the AVX2 and AVX-512 paths alike. The lane sums are for the default width only.
template <class T, std::size_t Bytes = kVectorBytes>
struct Simd {
    typedef T V __attribute__((vector_size(Bytes)));
    static constexpr std::size_t n = Bytes / sizeof(T);
    static V load(const T* p) {
        V v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
    static void store(T* p, V v) { std::memcpy(p, &v, sizeof v); }
    // The first count (< n) elements, zeros after: tails take the vector path too. AVX-512 and
    // AVX2 have masked loads and stores for this; elsewhere a short loop (a memcpy call would cost
    // more).
    static V load_partial(const T* p, std::size_t count) {
#if defined(__AVX512F__)
        if constexpr (Bytes == 64) {
            if constexpr (sizeof(T) == 4) return (V)_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), p);
            else return (V)_mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << count) - 1u), p);
        }
#endif
#if defined(__AVX2__)
        if constexpr (Bytes == 32) {
            if constexpr (sizeof(T) == 4)
                return (V)_mm256_maskload_ps(reinterpret_cast<const float*>(p), tail_mask(count));
            else
                return (V)_mm256_maskload_pd(reinterpret_cast<const double*>(p), tail_mask(count));
        }
#endif
        V v = V{};
        for (std::size_t j = 0; j < count; ++j) v[j] = p[j];
        return v;
    }
    static void store_partial(T* p, V v, std::size_t count) {
#if defined(__AVX512F__)
        if constexpr (Bytes == 64) {
            if constexpr (sizeof(T) == 4) _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1u), (__m512)v);
            else _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << count) - 1u), (__m512d)v);
            return;
        }
#endif
#if defined(__AVX2__)
        if constexpr (Bytes == 32) {
            if constexpr (sizeof(T) == 4) _mm256_maskstore_ps(reinterpret_cast<float*>(p), tail_mask(count), (__m256)v);
            else _mm256_maskstore_pd(reinterpret_cast<double*>(p), tail_mask(count), (__m256d)v);
            return;
        }
#endif
        for (std::size_t j = 0; j < count; ++j) p[j] = v[j];
    }
#if defined(__AVX2__)
    static __m256i tail_mask(std::size_t count) {  // all ones in the first count lanes
        alignas(32) static const long long ones_then_zeros64[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
        alignas(32) static const int ones_then_zeros32[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        if constexpr (sizeof(T) == 4)
            return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ones_then_zeros32 + 8 - count));
        else
            return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ones_then_zeros64 + 4 - count));
    }
#endif
    static V splat(T x) { return V{} + x; }  // one broadcast instruction
    // a·b + c, rounded once where the ISA has FMA, else twice (the baseline). Written out rather
    // than left to -ffp-contract=fast: Clang does not fuse a multiply and an add that end up in
    // different blocks (matmul_nt's tail step did not), GCC does, and the bits followed the compiler.
    static V fma(V a, V b, V c) {
#if defined(__FMA__)
#if defined(__AVX512F__)
        if constexpr (Bytes == 64) {
            if constexpr (sizeof(T) == 4) return (V)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
            else return (V)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
        }
#endif
        if constexpr (Bytes == 32) {
            if constexpr (sizeof(T) == 4) return (V)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
            else return (V)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
        }
#endif
        return a * b + c;
    }
    // Sum of the lanes, pairwise by halves: ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)) for 8 floats.
    static T sum(V v) {
#if defined(__AVX512F__)
        if constexpr (sizeof(T) == 4) return _mm512_reduce_add_ps((__m512)v);
        else return _mm512_reduce_add_pd((__m512d)v);
#elif defined(__AVX2__)
        if constexpr (sizeof(T) == 4) {
            const __m256 w = (__m256)v;
            __m128 x = _mm_add_ps(_mm256_castps256_ps128(w), _mm256_extractf128_ps(w, 1));
            x = _mm_add_ps(x, _mm_movehl_ps(x, x));
            return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
        } else {
            const __m256d w = (__m256d)v;
            const __m128d x = _mm_add_pd(_mm256_castpd256_pd128(w), _mm256_extractf128_pd(w, 1));
            return _mm_cvtsd_f64(_mm_add_sd(x, _mm_unpackhi_pd(x, x)));
        }
#else
        T s[n];
        std::memcpy(s, &v, sizeof v);
        for (std::size_t width = n / 2; width > 0; width /= 2)
            for (std::size_t j = 0; j < width; ++j) s[j] += s[j + width];
        return s[0];
#endif
    }
    // out[j] = the sum of v[j]'s lanes, for four vectors at once: one transposing tree of
    // horizontal additions instead of four separate reductions (a blocked product's outputs).
    static void sum4(const V (&v)[4], T (&out)[4]) {
#if defined(__AVX2__)
        if constexpr (sizeof(T) == 4) {
            __m256 y[4];
            for (int j = 0; j < 4; ++j) y[j] = half_sum(v[j]);
            const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(y[0], y[1]), _mm256_hadd_ps(y[2], y[3]));
            _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
        } else {
            __m256d y[4];
            for (int j = 0; j < 4; ++j) y[j] = half_sum(v[j]);
            const __m256d h01 = _mm256_hadd_pd(y[0], y[1]), h23 = _mm256_hadd_pd(y[2], y[3]);
            _mm256_storeu_pd(out, _mm256_add_pd(_mm256_permute2f128_pd(h01, h23, 0x20),
                                                _mm256_permute2f128_pd(h01, h23, 0x31)));
        }
#else
        for (int j = 0; j < 4; ++j) out[j] = sum(v[j]);
#endif
    }

private:
#if defined(__AVX2__)
    // A 256-bit vector whose lanes sum to v's: v itself, or its two halves added (AVX-512).
    static auto half_sum(V v) {
#if defined(__AVX512F__)
        if constexpr (sizeof(T) == 4)
            return _mm256_add_ps(_mm512_castps512_ps256((__m512)v), _mm512_extractf32x8_ps((__m512)v, 1));
        else
            return _mm256_add_pd(_mm512_castpd512_pd256((__m512d)v), _mm512_extractf64x4_pd((__m512d)v, 1));
#else
        if constexpr (sizeof(T) == 4) return (__m256)v;
        else return (__m256d)v;
#endif
    }
#endif
};

}  // namespace NALU_ISA
}  // namespace nalu
