#include "uniform.hpp"

#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace nalu {
namespace NALU_ISA {

namespace {
// Murmur3's 32-bit finaliser, on a number or on a vector of them.
template <class U>
inline U fmix32(U h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

// The hash of column c of a row (its key k0, k1): Murmur3's finaliser over a Weyl sequence.
inline std::uint32_t column_hash(std::uint32_t c, std::uint32_t k0, std::uint32_t k1) {
    return fmix32((c * 0x9e3779b9u + k0) ^ k1);
}

// Every operation below is an exact integer step or one IEEE rounding (FP contraction is off for
// this file), so every ISA writes the same bits.

// float: k = the hash's top 24 bits, x = lo + k·(width·2⁻²⁴) rounded in float: the same value as
// lo + u·width with u = k·2⁻²⁴ (scaling by a power of two is exact while width·2⁻²⁴ is a normal float), one multiply fewer. Written
// with vector extensions, one vector of lanes at a time, the last one stored partially: a row is
// one pass at the full vector width, without a scalar tail.
#if defined(__AVX512F__)
constexpr std::size_t kLanes = 16;
#elif defined(__AVX__)
constexpr std::size_t kLanes = 8;
#else
constexpr std::size_t kLanes = 4;
#endif
typedef std::uint32_t U32s __attribute__((vector_size(4 * kLanes)));
typedef std::int32_t I32s __attribute__((vector_size(4 * kLanes)));
typedef float Floats __attribute__((vector_size(4 * kLanes)));

void fill(float* x, std::size_t n, std::uint32_t k0, std::uint32_t k1, std::uint32_t first, double lo,
          double width) {
    const Floats lo_v = Floats{} + static_cast<float>(lo);
    const Floats scale = Floats{} + static_cast<float>(width) * 0x1.0p-24f;
    // the Weyl sequence c·0x9e3779b9 + k0 of columns first, first + 1, ..., kLanes at a time
    U32s weyl;
    for (std::size_t j = 0; j < kLanes; ++j) weyl[j] = (first + static_cast<std::uint32_t>(j)) * 0x9e3779b9u + k0;
    const U32s step = U32s{} + static_cast<std::uint32_t>(kLanes) * 0x9e3779b9u;
    for (std::size_t i = 0; i < n; i += kLanes, weyl += step) {
        const U32s h = fmix32(weyl ^ k1);
        // a non-negative int32 converts exactly (a vector convert exists only for signed ints)
        const Floats v = lo_v + __builtin_convertvector((I32s)(h >> 8), Floats) * scale;
        if (n - i >= kLanes) std::memcpy(x + i, &v, sizeof v);
#if defined(__AVX512F__)
        else _mm512_mask_storeu_ps(x + i, static_cast<__mmask16>((1u << (n - i)) - 1u), (__m512)v);
#else
        else std::memcpy(x + i, &v, (n - i) * sizeof(float));
#endif
    }
}

// double: u = the hash's top 31 bits · 2⁻³¹, x = lo + u·width rounded in double.
void fill(double* __restrict x, std::size_t n, std::uint32_t k0, std::uint32_t k1, std::uint32_t first,
          double lo, double width) {
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t h = column_hash(first + static_cast<std::uint32_t>(i), k0, k1);
        const double u = static_cast<double>(static_cast<std::int32_t>(h >> 1)) * 0x1.0p-31;
        x[i] = lo + u * width;
    }
}
}  // namespace

template <class T>
void uniform_row(T* x, std::size_t n, std::uint64_t row_key, std::size_t first, double lo,
                 double width) {
    fill(x, n, static_cast<std::uint32_t>(row_key), static_cast<std::uint32_t>(row_key >> 32),
         static_cast<std::uint32_t>(first), lo, width);
}

namespace {
// Sums of G rows side by side (G independent addition chains), in portable code.
template <std::size_t G, class T>
void sums_of_rows(double* s, const T* x, std::size_t n, std::size_t begin, std::size_t end) {
    double acc[G] = {};
    for (std::size_t i = begin; i < end; ++i)
        for (std::size_t j = 0; j < G; ++j) acc[j] += static_cast<double>(x[j * n + i]);
    for (std::size_t j = 0; j < G; ++j) s[j] = acc[j];
}
}  // namespace

template <class T>
void row_sums(double* s, const T* x, std::size_t rows, std::size_t n, std::size_t begin, std::size_t end) {
    std::size_t r = 0;
#if defined(__AVX512F__)
    // Eight rows in the eight double lanes of a vector, one column at a time (a gather of the
    // column's eight values): the additions of each row in the same order as below.
    if (rows >= 8 && 7 * n <= 0x7fffffffu) {  // the gather's indices are int32
        const __m256i stride = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                  _mm256_set1_epi32(static_cast<int>(n)));
        for (; r + 8 <= rows; r += 8) {
            const T* rows8 = x + r * n;
            __m512d acc = _mm512_setzero_pd();
            for (std::size_t i = begin; i < end; ++i) {
                if constexpr (sizeof(T) == 4)
                    acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm256_i32gather_ps(rows8 + i, stride, 4)));
                else
                    acc = _mm512_add_pd(acc, _mm512_i32gather_pd(stride, rows8 + i, 8));
            }
            _mm512_storeu_pd(s + r, acc);
        }
    }
#endif
    for (; r + 4 <= rows; r += 4) sums_of_rows<4>(s + r, x + r * n, n, begin, end);
    for (; r < rows; ++r) sums_of_rows<1>(s + r, x + r * n, n, begin, end);
}

template void uniform_row<float>(float*, std::size_t, std::uint64_t, std::size_t, double, double);
template void uniform_row<double>(double*, std::size_t, std::uint64_t, std::size_t, double, double);
template void row_sums<float>(double*, const float*, std::size_t, std::size_t, std::size_t, std::size_t);
template void row_sums<double>(double*, const double*, std::size_t, std::size_t, std::size_t, std::size_t);

}  // namespace NALU_ISA
}  // namespace nalu
