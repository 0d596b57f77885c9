// NMU (Madsen & Johansen 2020, "Neural Arithmetic Units"):
//   y_j = Π_i (Ŵ_ji x_i + 1 − Ŵ_ji),  Ŵ = clamp(W, 0, 1)
// Shapes: x (B, I), W (O, I), y (B, O); the clamp's gradient as nau/kernels.hpp says. The backward
// never divides by a factor (it can be exactly 0): the product of the other factors comes from
// prefix and suffix products. The sNMU and the NMRU run these kernels on their own inputs.
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<NmuKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

template <class T>
struct NmuKernels {
    // y (B, O): y_bj = Π_i (Wc_ji x_bi + 1 − Wc_ji)
    void (*nmu_forward)(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O);
    // dW (O, I) and dx (B, I) (unless null) from dy (B, O); scratch holds I elements.
    void (*nmu_backward)(T* dW, T* dx, T* scratch, const T* dy, const T* x, const T* W, const T* Wc,
                         bool masked, std::size_t B, std::size_t I, std::size_t O);
};

}  // namespace nalu
