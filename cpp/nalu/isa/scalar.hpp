// Scalar helpers of the unit kernels (the array functions are in vecmath.hpp).
#pragma once

#include "isa.hpp"

namespace nalu {
namespace NALU_ISA {
namespace math {

// sign(x) with sign(0) = 0 and sign(NaN) = NaN, as numpy.sign: the derivative of |x| that the
// units' log paths use (docs/units.md#nalu), one-sided choice 0 at the kink.
template <class T>
inline T sign(T x) {
    if (x > T(0)) return T(1);
    if (x < T(0)) return T(-1);
    return x;  // +0, -0 or NaN
}

}  // namespace math
}  // namespace NALU_ISA
}  // namespace nalu
