#include "uniform.hpp"

#include <cmath>
#include <cstring>

#include "../isa/simd.hpp"  // Simd (registers, masked loads and stores), and this ISA's intrinsics

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
using FloatLanes = Simd<float>;  // one register of floats, with its masked partial store
constexpr std::size_t kLanes = FloatLanes::n;
using Floats = FloatLanes::V;
typedef std::uint32_t U32s __attribute__((vector_size(sizeof(Floats))));
typedef std::int32_t I32s __attribute__((vector_size(sizeof(Floats))));

// One row's keys (k0, k1) as a lane generator: the Weyl sequence c·0x9e3779b9 + k0 of columns
// first, first + 1, ..., kLanes at a time, hashed with k1 and placed in [lo, lo + width). `columns`
// holds (first + j)·0x9e3779b9 for the lanes j, the same for every row: built once, a row adds
// its k0 with one vector addition (built lane by lane per row, it cost more than a row's hashes).
struct FloatRow {
    U32s weyl;
    std::uint32_t k1;
    FloatRow(std::uint64_t key, const U32s& columns)
        : weyl(columns + static_cast<std::uint32_t>(key)), k1(static_cast<std::uint32_t>(key >> 32)) {}
    // the next kLanes hashes
    U32s next_hash() {
        const U32s h = fmix32(weyl ^ k1);
        weyl += U32s{} + static_cast<std::uint32_t>(kLanes) * 0x9e3779b9u;
        return h;
    }
    // the next kLanes values
    Floats next(const Floats& lo, const Floats& scale) {
        // a non-negative int32 converts exactly (a vector convert exists only for signed ints)
        return lo + __builtin_convertvector((I32s)(next_hash() >> 9), Floats) * scale;
    }
    // the next kLanes values on one binade [2^e, 2^(e+1)) (lo = width = 2^e), given its exponent
    // bits: lo + k·(width·2⁻²³) is then 2^e·(1 + k·2⁻²³) exactly, the float whose exponent is e's
    // and whose mantissa is k, so the convert, multiply and add of next() are one OR, same bits
    Floats next_in_binade(const U32s& exponent_bits) {
        return (Floats)((next_hash() >> 9) | exponent_bits);
    }
};

// The exponent bits of the float 2^e if [lo, lo + width) is the binade [2^e, 2^(e+1)) of normal
// floats (lo = width = 2^e), else 0.
inline std::uint32_t binade_exponent_bits(double lo, double width) {
    int e = 0;
    if (lo != width || std::frexp(lo, &e) != 0.5) return 0;  // frexp: lo = 0.5·2^e, so lo = 2^(e - 1)
    const int biased = e - 1 + 127;
    return biased >= 1 && biased <= 254 ? static_cast<std::uint32_t>(biased) << 23 : 0;
}

inline void put(float* x, std::size_t i, std::size_t n, const Floats& v) {
    if (n - i >= kLanes) FloatLanes::store(x + i, v);
    else FloatLanes::store_partial(x + i, v, n - i);
}

// Rows two at a time, so that two independent hash chains are in flight (a row of 100 values is
// only seven vectors: one row's chain leaves the vector units idle between its multiplies).
// `values(row)` gives a FloatRow's next kLanes values.
template <class NextValues>
void fill_rows(float* x, std::size_t rows, std::size_t n, const std::uint64_t* keys, const U32s& columns,
               const NextValues& values) {
    std::size_t r = 0;
    for (; r + 2 <= rows; r += 2) {
        FloatRow a(keys[r], columns), b(keys[r + 1], columns);
        float* xa = x + r * n;
        float* xb = xa + n;
        for (std::size_t i = 0; i < n; i += kLanes) {
            const Floats va = values(a), vb = values(b);
            put(xa, i, n, va);
            put(xb, i, n, vb);
        }
    }
    if (r < rows) {
        FloatRow a(keys[r], columns);
        for (std::size_t i = 0; i < n; i += kLanes) put(x + r * n, i, n, values(a));
    }
}

void fill(float* x, std::size_t rows, std::size_t n, const std::uint64_t* keys, std::uint32_t first,
          double lo, double width) {
    U32s columns;
    for (std::size_t j = 0; j < kLanes; ++j) columns[j] = (first + static_cast<std::uint32_t>(j)) * 0x9e3779b9u;
    if (const std::uint32_t exponent = binade_exponent_bits(lo, width)) {  // U[1, 2), the benchmark's training range
        const U32s exponent_v = U32s{} + exponent;
        fill_rows(x, rows, n, keys, columns, [&](FloatRow& row) { return row.next_in_binade(exponent_v); });
        return;
    }
    const Floats lo_v = Floats{} + static_cast<float>(lo);
    const Floats scale = Floats{} + static_cast<float>(width) * 0x1.0p-23f;
    fill_rows(x, rows, n, keys, columns, [&](FloatRow& row) { return row.next(lo_v, scale); });
}

// double: u = the hash's top 31 bits · 2⁻³¹, x = lo + u·width rounded in double.
void fill(double* __restrict x, std::size_t rows, std::size_t n, const std::uint64_t* keys, std::uint32_t first,
          double lo, double width) {
    for (std::size_t r = 0; r < rows; ++r) {
        const std::uint32_t k0 = static_cast<std::uint32_t>(keys[r]), k1 = static_cast<std::uint32_t>(keys[r] >> 32);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t h = column_hash(first + static_cast<std::uint32_t>(i), k0, k1);
            const double u = static_cast<double>(static_cast<std::int32_t>(h >> 1)) * 0x1.0p-31;
            x[r * n + i] = lo + u * width;
        }
    }
}
}  // namespace

template <class T>
void uniform_rows(T* x, std::size_t rows, std::size_t n, const std::uint64_t* row_keys, std::size_t first,
                  double lo, double width) {
    fill(x, rows, n, row_keys, static_cast<std::uint32_t>(first), lo, width);
}

namespace {
// Eight-double vectors pass by reference only: by value they change the calling convention
// between ISAs (Clang's -Wpsabi), where the same code is compiled once per ISA.
typedef double Doubles8 __attribute__((vector_size(64)));
typedef float Floats8 __attribute__((vector_size(32)));

// acc += eight consecutive values, as doubles.
inline void add8(Doubles8& acc, const float* p) {
#if defined(__AVX512F__)
    acc += (Doubles8)_mm512_cvtps_pd(_mm256_loadu_ps(p));  // one convert (GCC splits the generic one)
#else
    Floats8 f;
    std::memcpy(&f, p, sizeof f);
    acc += __builtin_convertvector(f, Doubles8);
#endif
}
inline void add8(Doubles8& acc, const double* p) {
    Doubles8 d;
    std::memcpy(&d, p, sizeof d);
    acc += d;
}

// acc += the first m < 8 of eight consecutive values, as doubles, zeros after: a masked load where
// the ISA has one (element by element, the vector would be rebuilt through memory, which stalls).
inline void add8_partial(Doubles8& acc, const float* p, std::size_t m) {
#if defined(__AVX512F__)
    acc += (Doubles8)_mm512_cvtps_pd(_mm256_maskz_loadu_ps(static_cast<__mmask8>((1u << m) - 1u), p));
#elif defined(__AVX2__)
    acc += __builtin_convertvector((Floats8)FloatLanes::load_partial(p, m), Doubles8);  // 8 lanes here
#else
    Doubles8 v = {};
    for (std::size_t j = 0; j < m; ++j) v[j] = static_cast<double>(p[j]);
    acc += v;
#endif
}
inline void add8_partial(Doubles8& acc, const double* p, std::size_t m) {
#if defined(__AVX512F__)
    acc += (Doubles8)_mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << m) - 1u), p);
#else
    Doubles8 v = {};
    for (std::size_t j = 0; j < m; ++j) v[j] = p[j];
    acc += v;
#endif
}

// acc[j] = the eight partial sums of row j's x[begin, end) (lane k: columns begin + k,
// begin + k + 8, ...), for R rows n apart. Several rows side by side, column block by column
// block, keep R independent accumulators in flight instead of one row's chain of dependent
// additions; each row's additions are the same, in the same order, whatever R.
template <int R, class T>
void partial_sums(Doubles8 (&acc)[R], const T* x, std::size_t n, std::size_t begin, std::size_t end) {
    for (int j = 0; j < R; ++j) acc[j] = Doubles8{};
    std::size_t i = begin;
    for (; i + 8 <= end; i += 8)
        for (int j = 0; j < R; ++j) add8(acc[j], x + j * n + i);
    // missing lanes add +0.0, which changes no partial sum (none is −0.0: they start at +0.0)
    if (i < end)
        for (int j = 0; j < R; ++j) add8_partial(acc[j], x + j * n + i, end - i);
}

// ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)) of one row's partial sums.
inline double combine(const Doubles8& s) {
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

// out[j] = combine(p[j]) for eight rows at once: the same additions, each row's in the same order,
// done lane-parallel by shuffles instead of one row at a time through scalar registers.
inline void combine8(double* out, const Doubles8 (&p)[8]) {
    Doubles8 h[4], q[2];
    for (int j = 0; j < 4; ++j)  // rows 2j, 2j + 1: (s0 + s4, s1 + s5, s2 + s6, s3 + s7) each
        h[j] = __builtin_shufflevector(p[2 * j], p[2 * j + 1], 0, 1, 2, 3, 8, 9, 10, 11) +
               __builtin_shufflevector(p[2 * j], p[2 * j + 1], 4, 5, 6, 7, 12, 13, 14, 15);
    for (int j = 0; j < 2; ++j)  // four rows: ((s0 + s4) + (s2 + s6), (s1 + s5) + (s3 + s7)) each
        q[j] = __builtin_shufflevector(h[2 * j], h[2 * j + 1], 0, 1, 4, 5, 8, 9, 12, 13) +
               __builtin_shufflevector(h[2 * j], h[2 * j + 1], 2, 3, 6, 7, 10, 11, 14, 15);
    const Doubles8 sums = __builtin_shufflevector(q[0], q[1], 0, 2, 4, 6, 8, 10, 12, 14) +
                          __builtin_shufflevector(q[0], q[1], 1, 3, 5, 7, 9, 11, 13, 15);
    std::memcpy(out, &sums, sizeof sums);
}

}  // namespace

template <class T>
void row_sums(double* s, const T* x, std::size_t rows, std::size_t n, std::size_t begin, std::size_t end) {
    std::size_t r = 0;
    Doubles8 p[8];
    for (; r + 8 <= rows; r += 8) {
        partial_sums(p, x + r * n, n, begin, end);
        combine8(s + r, p);
    }
    for (; r < rows; ++r) {
        Doubles8 one[1];
        partial_sums(one, x + r * n, n, begin, end);
        s[r] = combine(one[0]);
    }
}

template void uniform_rows<float>(float*, std::size_t, std::size_t, const std::uint64_t*, std::size_t, double,
                                  double);
template void uniform_rows<double>(double*, std::size_t, std::size_t, const std::uint64_t*, std::size_t, double,
                                   double);
template void row_sums<float>(double*, const float*, std::size_t, std::size_t, std::size_t, std::size_t);
template void row_sums<double>(double*, const double*, std::size_t, std::size_t, std::size_t, std::size_t);

NALU_KERNEL_TABLE(TaskKernels, &uniform_rows<T>, &row_sums<T>)

}  // namespace NALU_ISA
}  // namespace nalu
