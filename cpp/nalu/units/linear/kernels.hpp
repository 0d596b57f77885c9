// Linear: y = x Wᵀ + b, the plain affine layer (stable-nalu's layer/basic.py with activation
// 'linear', the Linear baseline of Madsen & Johansen 2020, Table 1); Dense: y = act(x Wᵀ + b), the
// dense baseline of the NPU paper (Heim et al. 2020). Shapes: x (B, I), W (O, I), b (O,) or none,
// y (B, O). docs/units.md#linear-and-dense.
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<LinearKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

// Dense's activations; the numbers are the option "activation" (nalu_ext/units/linear.py's
// ACTIVATIONS lists the names in this order).
enum class Activation { identity = 0, sigmoid = 1, tanh = 2, relu = 3 };

template <class T>
struct LinearKernels {
    // y (B, O) = x (B, I) · W (O, I)ᵀ + b (b null: no bias)
    void (*forward)(T* y, const T* x, const T* W, const T* b, std::size_t B, std::size_t I, std::size_t O);
    // dW (O, I) = dyᵀ x; db (O,) = Σ_rows dy unless null; dx (B, I) = dy W unless null.
    // Gradients are written, not accumulated.
    void (*backward)(T* dW, T* db, T* dx, const T* dy, const T* x, const T* W, std::size_t B,
                     std::size_t I, std::size_t O);
    // a = act(a) in place, n elements.
    void (*activate)(T* a, std::size_t n, Activation act);
    // dz = dy · act'(z), from the activation's output a = act(z), n elements (relu'(0) = 0).
    void (*activation_backward)(T* dz, const T* dy, const T* a, std::size_t n, Activation act);
};

}  // namespace nalu
