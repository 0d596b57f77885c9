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

// float: k = the hash's top 23 bits, x = lo + k·(width·2⁻²³) rounded in float: the same value as
// lo + u·width with u = k·2⁻²³ (scaling by a power of two is exact while width·2⁻²³ is a normal
// float). On [1, 2) that is every float32 value with equal probability, exactly (as a float64 draw
// rounded to float32 would give); 24 bits would round half the draws to an even mantissa there,
// making even mantissas three times as likely as odd ones. Written with vector extensions, one
// vector of lanes at a time, the last one stored partially: a row is one pass at the full vector
// width, without a scalar tail.
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
    const Floats scale = Floats{} + static_cast<float>(width) * 0x1.0p-23f;
    // the Weyl sequence c·0x9e3779b9 + k0 of columns first, first + 1, ..., kLanes at a time
    U32s weyl;
    for (std::size_t j = 0; j < kLanes; ++j) weyl[j] = (first + static_cast<std::uint32_t>(j)) * 0x9e3779b9u + k0;
    const U32s step = U32s{} + static_cast<std::uint32_t>(kLanes) * 0x9e3779b9u;
    for (std::size_t i = 0; i < n; i += kLanes, weyl += step) {
        const U32s h = fmix32(weyl ^ k1);
        // a non-negative int32 converts exactly (a vector convert exists only for signed ints)
        const Floats v = lo_v + __builtin_convertvector((I32s)(h >> 9), Floats) * scale;
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
typedef double Doubles8 __attribute__((vector_size(64)));

// The sum of x[begin, end) as row_sums defines it.
template <class T>
double lane_sum(const T* x, std::size_t begin, std::size_t end) {
    Doubles8 acc = {};
    for (std::size_t i = begin; i < end; i += 8) {
        Doubles8 v = {};  // missing lanes add +0.0, which changes no partial sum (none is −0.0)
        const std::size_t m = end - i < 8 ? end - i : 8;
        for (std::size_t j = 0; j < m; ++j) v[j] = static_cast<double>(x[i + j]);
        acc += v;
    }
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}
}  // namespace

template <class T>
void row_sums(double* s, const T* x, std::size_t rows, std::size_t n, std::size_t begin, std::size_t end) {
    for (std::size_t r = 0; r < rows; ++r) s[r] = lane_sum(x + r * n, begin, end);
}

template void uniform_row<float>(float*, std::size_t, std::uint64_t, std::size_t, double, double);
template void uniform_row<double>(double*, std::size_t, std::uint64_t, std::size_t, double, double);
template void row_sums<float>(double*, const float*, std::size_t, std::size_t, std::size_t, std::size_t);
template void row_sums<double>(double*, const double*, std::size_t, std::size_t, std::size_t, std::size_t);

}  // namespace NALU_ISA
}  // namespace nalu
