// Element-wise exp, log, tanh and sigmoid over whole arrays, the transcendental work of every unit.
//
// Compiled with AVX2+FMA (NALU_ISA = avx2) these use vecmath_avx2.hpp: 8 floats or 4 doubles at a
// time, within a few ulp of the exact result, with IEEE behaviour at NaN, ±inf, ±0 and denormals.
// Otherwise they are loops over the C library (the correct scalar baseline).
#pragma once

#include <cmath>
#include <cstddef>

#include "isa.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include "vecmath_avx2.hpp"
#endif

namespace nalu {
namespace NALU_ISA {
namespace vec {

#if !(defined(__AVX2__) && defined(__FMA__))

// out[k] = exp(in[k]); out may alias in.
template <class T>
inline void exp(T* out, const T* in, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) out[k] = std::exp(in[k]);
}

// out[k] = log(|x[k]| + eps)
template <class T>
inline void log_abs_plus(T* out, const T* x, T eps, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) out[k] = std::log(std::fabs(x[k]) + eps);
}

// out[k] = tanh(in[k])
template <class T>
inline void tanh(T* out, const T* in, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) out[k] = std::tanh(in[k]);
}

// s[k] = σ(z[k]) and s_neg[k] = σ(−z[k]) = 1 − σ(z[k]), each without cancellation.
template <class T>
inline void sigmoid_pair(T* s, T* s_neg, const T* z, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
        const T e = std::exp(-std::fabs(z[k]));  // in (0, 1]: no overflow; NaN stays NaN
        const T big = T(1) / (T(1) + e), small = e / (T(1) + e);
        const bool positive = z[k] >= T(0);
        s[k] = positive ? big : small;
        s_neg[k] = positive ? small : big;
    }
}

#endif

}  // namespace vec
}  // namespace NALU_ISA
}  // namespace nalu
