// NAC• (Trask et al. 2018; the multiplying baseline of Madsen & Johansen 2020, Table 1): a NAC in
// log space,
//   y = exp(log(|x| + ε) Wᵀ),   W = tanh(Ŵ) ⊙ σ(M̂)   (the NAC's weight, units/nac)
// Shapes: x (B, I), W (O, I), y (B, O). d log(|x| + ε)/dx = sign(x) / (|x| + ε) with sign(0) = 0,
// as in the NALU. Like the NALU's m path, y overflows to inf for large |x|·W and ignores the sign
// of x: reproduced, not hidden (docs/units.md#nacmul).
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<NacMulKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

template <class T>
struct NacMulKernels {
    // y (B, O) from x (B, I) and the effective weight W (O, I); log_x (B, I) receives
    // log(|x| + ε) for the backward.
    void (*forward)(T* y, T* log_x, const T* x, const T* W, T eps, std::size_t B, std::size_t I,
                    std::size_t O);
    // dW (O, I), the gradient of the effective weight, and dx (B, I) unless null, from dy (B, O),
    // the forward's y and log_x. dz (B, O) is scratch. Gradients are written, not accumulated.
    void (*backward)(T* dW, T* dx, T* dz, const T* dy, const T* x, const T* y, const T* log_x,
                     const T* W, T eps, std::size_t B, std::size_t I, std::size_t O);
};

}  // namespace nalu
