// NAU (Madsen & Johansen 2020, "Neural Arithmetic Units"): y = x clamp(W, −1, 1)ᵀ, W (O, I); and
// what every unit with a weight kept in a range shares (ranged_weight_layer.hpp: the NAU, the
// NMU family, the division units): the clamp and the sparsity regularizer.
// Shapes: x (B, I), W (O, I), y (B, O). The clamp passes gradient where W lies inside its range,
// edges included (the parameters are clamped into range after every optimizer step, so the
// edges are where they sit); with `masked` false (the constraint "none": Wc is W itself) every
// gradient passes.
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<NauKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

template <class T>
struct NauKernels {
    // Wc = clamp(W, lo, hi), n elements.
    void (*clamp_weights)(T* Wc, const T* W, T lo, T hi, std::size_t n);
    // The sparsity regularizer R = mean_k min(|a_k|, |1 − a_k|), a = |W| (symmetric: the NAU) or W,
    // summed in order in double; adds λ dR/dW to dW unless λ = 0 (ranged_weight_layer.hpp says
    // which derivative).
    double (*sparsity_regularizer)(T* dW, const T* W, std::size_t n, T lambda, bool symmetric);
    // y (B, O) = x (B, I) · Wc (O, I)ᵀ
    void (*nau_forward)(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O);
    // dW (O, I) = (dyᵀ x) where lo ≤ W ≤ hi or not masked, else 0; dx (B, I) = dy Wc unless dx is null.
    void (*nau_backward)(T* dW, T* dx, const T* dy, const T* x, const T* W, const T* Wc, bool masked,
                         std::size_t B, std::size_t I, std::size_t O);
};

}  // namespace nalu
