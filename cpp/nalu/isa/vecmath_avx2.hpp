// AVX2+FMA implementations of vecmath.hpp (included only when compiling for AVX2 and FMA).
//
// exp: n = round(x / ln2), r = x − n ln2 (two-part ln2), exp(r) by its Taylor polynomial (degree 7
//      for float, 13 for double: truncation below 0.1 ulp on |r| ≤ ln2/2), scaled by 2^n as two
//      factors so that denormal results round once and overflow gives +inf.
// log: x = m 2^e with m in [√½, √2), f = m − 1, s = f / (2 + f), and
//      log(1 + f) = f − (f²/2 − s (f²/2 + R(s²))) with R the atanh series (fdlibm's arrangement);
//      denormal inputs are rescaled first; 0 → −inf, negative → NaN, +inf → +inf, NaN → NaN.
// tanh: t = expm1(2|x|) (no cancellation near 0), tanh = sign(x) t / (t + 2); saturates to ±1.
// Tails shorter than a vector are masked vectors, so every element takes the same path.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <limits>

#include "isa.hpp"
#include "simd.hpp"
#if defined(__AVX512F__)
#include "vecmath_avx512.hpp"
#endif

namespace nalu {
namespace NALU_ISA {
namespace vec {

// ---- float, 8 lanes ------------------------------------------------------------------------

inline __m256 pow2_f(__m256 n) {  // 2^n for integral n in [-126, 127]
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_castsi256_ps(bits);
}

inline __m256 exp_f(__m256 x) {
    // Clamp keeping NaN (min/max return their second operand when either is NaN).
    x = _mm256_max_ps(_mm256_set1_ps(-104.0f), _mm256_min_ps(_mm256_set1_ps(89.0f), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256 n1 = _mm256_floor_ps(_mm256_mul_ps(n, _mm256_set1_ps(0.5f)));
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2_f(n1)), pow2_f(_mm256_sub_ps(n, n1)));
}

// log of positive normal numbers (scaled) whose exponent is to be lowered by e_offset: the
// arithmetic of log_f, without its special cases.
inline __m256 log_f_normal(__m256 scaled, __m256 e_offset) {
    const __m256i bits = _mm256_castps_si256(scaled);
    __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    e = _mm256_sub_ps(e, e_offset);
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
                                                   _mm256_set1_epi32(0x3F800000)));
    const __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(1.41421356f), _CMP_GT_OQ);
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
    e = _mm256_add_ps(e, _mm256_and_ps(big, _mm256_set1_ps(1.0f)));
    const __m256 f = _mm256_sub_ps(m, _mm256_set1_ps(1.0f));
    const __m256 s = _mm256_div_ps(f, _mm256_add_ps(f, _mm256_set1_ps(2.0f)));
    const __m256 z = _mm256_mul_ps(s, s);
    __m256 R = _mm256_set1_ps(2.0f / 9.0f);
    R = _mm256_fmadd_ps(R, z, _mm256_set1_ps(2.0f / 7.0f));
    R = _mm256_fmadd_ps(R, z, _mm256_set1_ps(2.0f / 5.0f));
    R = _mm256_fmadd_ps(R, z, _mm256_set1_ps(2.0f / 3.0f));
    R = _mm256_mul_ps(R, z);
    const __m256 hfsq = _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_mul_ps(f, f));
    // e ln2_hi − ((hfsq − (s (hfsq + R) + e ln2_lo)) − f)
    const __m256 inner = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), _mm256_mul_ps(s, _mm256_add_ps(hfsq, R)));
    return _mm256_fmsub_ps(e, _mm256_set1_ps(0.693359375f), _mm256_sub_ps(_mm256_sub_ps(hfsq, inner), f));
}

inline __m256 log_f(__m256 a) {
    const __m256 tiny = _mm256_set1_ps(std::numeric_limits<float>::min());
    const __m256 zero = _mm256_setzero_ps(), inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    // The common case, every lane a positive normal number: no special value to patch (the same
    // bits as the general path below, whose blends would all keep the computed value).
    const __m256 normal = _mm256_and_ps(_mm256_cmp_ps(a, tiny, _CMP_GE_OQ), _mm256_cmp_ps(a, inf, _CMP_LT_OQ));
    if (_mm256_movemask_ps(normal) == 0xFF) return log_f_normal(a, zero);
    const __m256 denormal = _mm256_cmp_ps(a, tiny, _CMP_LT_OQ);
    const __m256 scaled = _mm256_blendv_ps(a, _mm256_mul_ps(a, _mm256_set1_ps(8388608.0f)), denormal);  // 2^23
    __m256 r = log_f_normal(scaled, _mm256_and_ps(denormal, _mm256_set1_ps(23.0f)));
    r = _mm256_blendv_ps(r, _mm256_set1_ps(-std::numeric_limits<float>::infinity()), _mm256_cmp_ps(a, zero, _CMP_EQ_OQ));
    r = _mm256_blendv_ps(r, _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN()), _mm256_cmp_ps(a, zero, _CMP_LT_OQ));
    r = _mm256_blendv_ps(r, inf, _mm256_cmp_ps(a, inf, _CMP_EQ_OQ));
    return _mm256_blendv_ps(r, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));  // NaN in, NaN out
}

inline __m256 tanh_f(__m256 x) {
    const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
    // |x| ≥ 10: tanh rounds to ±1 in float. Clamped so that 2^n below stays small.
    const __m256 u = _mm256_mul_ps(_mm256_set1_ps(2.0f),
                                   _mm256_min_ps(_mm256_set1_ps(10.0f), _mm256_andnot_ps(sign, x)));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(u, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), u);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    // expm1(r) = r + r²/2! + ... + r⁸/8!
    __m256 p = _mm256_set1_ps(1.0f / 40320.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 5040.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_mul_ps(p, r);
    const __m256 scale = pow2_f(n);  // n ≤ 29
    const __m256 t = _mm256_fmadd_ps(scale, p, _mm256_sub_ps(scale, _mm256_set1_ps(1.0f)));
    return _mm256_or_ps(_mm256_div_ps(t, _mm256_add_ps(t, _mm256_set1_ps(2.0f))), sign);
}

// ---- double, 4 lanes -----------------------------------------------------------------------

inline __m256d pow2_d(__m256d n) {  // 2^n for integral n in [-1022, 1023]
    const __m256d biased = _mm256_add_pd(n, _mm256_set1_pd(1023.0 + 6755399441055744.0));  // + 1.5·2^52
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(biased), 52));
}

inline __m256d expm1_poly_d(__m256d r, bool plus_one) {  // Taylor of exp(r) (or expm1) to degree 13
    static const double c[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                               1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0,
                               1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0};
    __m256d p = _mm256_set1_pd(c[0]);
    for (int k = 1; k < 13; ++k) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c[k]));
    return plus_one ? _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0)) : _mm256_mul_pd(p, r);
}

inline __m256d reduce_d(__m256d x, __m256d& n) {  // r = x − n ln2, n = round(x / ln2)
    n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
    return _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
}

inline __m256d exp_d(__m256d x) {
    x = _mm256_max_pd(_mm256_set1_pd(-746.0), _mm256_min_pd(_mm256_set1_pd(710.0), x));
    __m256d n;
    const __m256d p = expm1_poly_d(reduce_d(x, n), true);
    const __m256d n1 = _mm256_floor_pd(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
    return _mm256_mul_pd(_mm256_mul_pd(p, pow2_d(n1)), pow2_d(_mm256_sub_pd(n, n1)));
}

// log of positive normal numbers (scaled) whose exponent is to be lowered by e_offset (see log_f_normal).
inline __m256d log_d_normal(__m256d scaled, __m256d e_offset) {
    const __m256i bits = _mm256_castpd_si256(scaled);
    // The biased exponent as a double: OR its 11 bits into the mantissa of 2^52, then subtract 2^52.
    const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
    __m256d e = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_castpd_si256(two52))), two52);
    e = _mm256_sub_pd(e, _mm256_add_pd(_mm256_set1_pd(1023.0), e_offset));
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL)),
                                                    _mm256_set1_epi64x(0x3FF0000000000000LL)));
    const __m256d big = _mm256_cmp_pd(m, _mm256_set1_pd(1.4142135623730951), _CMP_GT_OQ);
    m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), big);
    e = _mm256_add_pd(e, _mm256_and_pd(big, _mm256_set1_pd(1.0)));
    const __m256d f = _mm256_sub_pd(m, _mm256_set1_pd(1.0));
    const __m256d s = _mm256_div_pd(f, _mm256_add_pd(f, _mm256_set1_pd(2.0)));
    const __m256d z = _mm256_mul_pd(s, s);
    __m256d R = _mm256_set1_pd(2.0 / 21.0);
    for (int k = 9; k >= 1; --k) R = _mm256_fmadd_pd(R, z, _mm256_set1_pd(2.0 / (2 * k + 1)));
    R = _mm256_mul_pd(R, z);
    const __m256d hfsq = _mm256_mul_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(f, f));
    const __m256d inner = _mm256_fmadd_pd(e, _mm256_set1_pd(1.90821492927058770002e-10), _mm256_mul_pd(s, _mm256_add_pd(hfsq, R)));
    return _mm256_fmsub_pd(e, _mm256_set1_pd(6.93147180369123816490e-01), _mm256_sub_pd(_mm256_sub_pd(hfsq, inner), f));
}

inline __m256d log_d(__m256d a) {
    const __m256d tiny = _mm256_set1_pd(std::numeric_limits<double>::min());
    const __m256d zero = _mm256_setzero_pd(), inf = _mm256_set1_pd(std::numeric_limits<double>::infinity());
    const __m256d normal = _mm256_and_pd(_mm256_cmp_pd(a, tiny, _CMP_GE_OQ), _mm256_cmp_pd(a, inf, _CMP_LT_OQ));
    if (_mm256_movemask_pd(normal) == 0xF) return log_d_normal(a, zero);  // as log_f: the common case
    const __m256d denormal = _mm256_cmp_pd(a, tiny, _CMP_LT_OQ);
    const __m256d scaled = _mm256_blendv_pd(a, _mm256_mul_pd(a, _mm256_set1_pd(18014398509481984.0)), denormal);  // 2^54
    __m256d r = log_d_normal(scaled, _mm256_and_pd(denormal, _mm256_set1_pd(54.0)));
    r = _mm256_blendv_pd(r, _mm256_set1_pd(-std::numeric_limits<double>::infinity()), _mm256_cmp_pd(a, zero, _CMP_EQ_OQ));
    r = _mm256_blendv_pd(r, _mm256_set1_pd(std::numeric_limits<double>::quiet_NaN()), _mm256_cmp_pd(a, zero, _CMP_LT_OQ));
    r = _mm256_blendv_pd(r, inf, _mm256_cmp_pd(a, inf, _CMP_EQ_OQ));
    return _mm256_blendv_pd(r, a, _mm256_cmp_pd(a, a, _CMP_UNORD_Q));
}

inline __m256d tanh_d(__m256d x) {
    const __m256d sign = _mm256_and_pd(x, _mm256_set1_pd(-0.0));
    const __m256d u = _mm256_mul_pd(_mm256_set1_pd(2.0), _mm256_min_pd(_mm256_set1_pd(20.0), _mm256_andnot_pd(sign, x)));
    __m256d n;
    const __m256d p = expm1_poly_d(reduce_d(u, n), false);
    const __m256d scale = pow2_d(n);  // n ≤ 58
    const __m256d t = _mm256_fmadd_pd(scale, p, _mm256_sub_pd(scale, _mm256_set1_pd(1.0)));
    return _mm256_or_pd(_mm256_div_pd(t, _mm256_add_pd(t, _mm256_set1_pd(2.0))), sign);
}

// ---- array loops ---------------------------------------------------------------------------

// Lanes<T>: the vector math's operations on one 256-bit register (its memory access is simd.hpp's
// Simd<T, 32>, the register type every area shares).
template <class T> struct Lanes;
template <> struct Lanes<float> {
    using V = __m256;
    static constexpr std::size_t n = 8;
    static V load(const float* p) { return (V)Simd<float, 32>::load(p); }
    static void store(float* p, V v) { Simd<float, 32>::store(p, (Simd<float, 32>::V)v); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V abs(V v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V div(V a, V b) { return _mm256_div_ps(a, b); }
    static V ge0(V v) { return _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ); }
    static V select(V mask, V yes, V no) { return _mm256_blendv_ps(no, yes, mask); }
    static V exp(V v) { return exp_f(v); }
    static V log(V v) { return log_f(v); }
    static V tanh(V v) { return tanh_f(v); }
};
template <> struct Lanes<double> {
    using V = __m256d;
    static constexpr std::size_t n = 4;
    static V load(const double* p) { return (V)Simd<double, 32>::load(p); }
    static void store(double* p, V v) { Simd<double, 32>::store(p, (Simd<double, 32>::V)v); }
    static V set1(double x) { return _mm256_set1_pd(x); }
    static V abs(V v) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v); }
    static V add(V a, V b) { return _mm256_add_pd(a, b); }
    static V div(V a, V b) { return _mm256_div_pd(a, b); }
    static V ge0(V v) { return _mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_GE_OQ); }
    static V select(V mask, V yes, V no) { return _mm256_blendv_pd(no, yes, mask); }
    static V exp(V v) { return exp_d(v); }
    static V log(V v) { return log_d(v); }
    static V tanh(V v) { return tanh_d(v); }
};

// Tails as masked 256-bit vectors (simd.hpp's Simd<T, 32>), in Lanes' register type.
template <class T>
struct Tail {
    using R = Simd<T, 32>;
    static typename Lanes<T>::V load(const T* p, std::size_t c) { return (typename Lanes<T>::V)R::load_partial(p, c); }
    static void store(T* p, typename Lanes<T>::V v, std::size_t c) { R::store_partial(p, (typename R::V)v, c); }
};

// Applies op to n elements of in (and writes out), vector by vector; the tail as a masked vector,
// so that every element goes through the same instructions.
template <class T, class Op>
inline void map(T* out, const T* in, std::size_t n, Op op) {
    using L = Lanes<T>;
    std::size_t k = 0;
    for (; k + L::n <= n; k += L::n) L::store(out + k, op(L::load(in + k)));
    if (k < n) Tail<T>::store(out + k, op(Tail<T>::load(in + k, n - k)), n - k);
}

template <class T>
inline void exp(T* out, const T* in, std::size_t n) {
    map(out, in, n, [](typename Lanes<T>::V v) { return Lanes<T>::exp(v); });
}

template <class T>
inline void log_abs_plus(T* out, const T* x, T eps, std::size_t n) {
#if defined(__AVX512F__)
    if constexpr (sizeof(T) == 4) return log_abs_plus_f16(out, x, eps, n);
#endif
    using L = Lanes<T>;
    const typename L::V e = L::set1(eps);
    map(out, x, n, [e](typename L::V v) { return L::log(L::add(L::abs(v), e)); });
}

template <class T>
inline void tanh(T* out, const T* in, std::size_t n) {
    map(out, in, n, [](typename Lanes<T>::V v) { return Lanes<T>::tanh(v); });
}

template <class T>
inline void sigmoid_pair(T* s, T* s_neg, const T* z, std::size_t n) {
    using L = Lanes<T>;
    auto pair = [](typename L::V v, typename L::V& big_side, typename L::V& small_side) {
        const typename L::V e = L::exp(L::set1(T(0)) - L::abs(v));  // e^{-|z|} ∈ (0, 1]
        const typename L::V d = L::add(L::set1(T(1)), e);
        const typename L::V big = L::div(L::set1(T(1)), d), small = L::div(e, d);
        const typename L::V pos = L::ge0(v);
        big_side = L::select(pos, big, small);
        small_side = L::select(pos, small, big);
    };
    std::size_t k = 0;
    for (; k + L::n <= n; k += L::n) {
        typename L::V a, b;
        pair(L::load(z + k), a, b);
        L::store(s + k, a);
        L::store(s_neg + k, b);
    }
    if (k < n) {
        typename L::V a, b;
        pair(Tail<T>::load(z + k, n - k), a, b);
        Tail<T>::store(s + k, a, n - k);
        Tail<T>::store(s_neg + k, b, n - k);
    }
}

}  // namespace vec
}  // namespace NALU_ISA
}  // namespace nalu
