// NAC (Trask et al. 2018): W = tanh(W_hat) ⊙ σ(M_hat),  y = x Wᵀ.
//
// Shapes: x (B, I), W_hat, M_hat, W (O, I), y (B, O).
// The effective weight W is recomputed from W_hat and M_hat on every forward (never cached across
// parameter updates), so that gradients reach W_hat and M_hat through W.
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<NacKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

// What nac_weights computes from (W_hat, M_hat) and backward needs again; each array (O, I).
template <class T>
struct NacWeights {
    T* W;             // tanh(W_hat) ⊙ σ(M_hat)
    T* tanh_W_hat;    // tanh(W_hat)
    T* sig_M_hat;     // σ(M_hat)
    T* sig_neg_M_hat; // σ(−M_hat) = 1 − σ(M_hat), computed without cancellation
};

template <class T>
struct NacKernels {
    // w (O, I) from W_hat, M_hat (O, I); n = O * I.
    void (*weights)(NacWeights<T> w, const T* W_hat, const T* M_hat, std::size_t n);
    // y (B, O) = x (B, I) · W (O, I)ᵀ
    void (*forward)(T* y, const T* x, const T* W, std::size_t B, std::size_t I, std::size_t O);
    // Turns dW (O, I), the gradient with respect to the effective weight, into the gradients of
    // W_hat and M_hat. dW_hat may alias dW (it is read before it is written, element by element).
    void (*weights_backward)(T* dW_hat, T* dM_hat, const T* dW, NacWeights<T> w, std::size_t n);
    // dW_hat, dM_hat (O, I) and dx (B, I) from dy (B, O). dx may be null (skips that product).
    // Gradients are written, not accumulated.
    void (*backward)(T* dW_hat, T* dM_hat, T* dx, const T* dy, const T* x, NacWeights<T> w,
                     std::size_t B, std::size_t I, std::size_t O);
};
}  // namespace nalu
