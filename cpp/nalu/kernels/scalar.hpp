// Scalar element-wise functions of the unit kernels (the vectorised array versions: vecmath.hpp).
//
// Written for accuracy first: each is within a few ulp of the exact value over the whole range
// and propagates NaN/Inf as IEEE 754 says. The NumPy reference (python/nalu_ext/reference.py)
// computes the same quantities the same way, so the two agree to rounding.
#pragma once

#include "isa.hpp"

#include <cmath>

namespace nalu {
namespace NALU_ISA {
namespace math {

// Logistic sigmoid 1 / (1 + e^-z), without overflow for large |z|: the branch keeps the
// exponent non-positive, so e^.. never overflows and the result never loses its small tail.
template <class T>
inline T sigmoid(T z) {
    if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
    const T e = std::exp(z);  // also reached by NaN, which propagates through e
    return e / (T(1) + e);
}

// sign(x) with sign(0) = 0 and sign(NaN) = NaN, as numpy.sign.
template <class T>
inline T sign(T x) {
    if (x > T(0)) return T(1);
    if (x < T(0)) return T(-1);
    return x;  // +0, -0 or NaN
}

}  // namespace math
}  // namespace NALU_ISA
}  // namespace nalu
