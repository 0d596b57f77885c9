// NAC (Trask et al. 2018): W = tanh(W_hat) ⊙ σ(M_hat),  y = x Wᵀ.
//
// Shapes: x (B, I), W_hat, M_hat, W (O, I), y (B, O).
// The effective weight W is recomputed from W_hat and M_hat on every forward (never cached across
// parameter updates), so that gradients reach W_hat and M_hat through W.
// Compiled once per ISA (kernels/isa.hpp); layers reach these through kernels<T>().
#pragma once

#include <cstddef>

#include "../kernels/isa.hpp"
#include "../kernels/kernel_table.hpp"

namespace nalu {
namespace NALU_ISA {

// w (O, I) from W_hat, M_hat (O, I); n = O * I.
template <class T>
void nac_weights(NacWeights<T> w, const T* W_hat, const T* M_hat, std::size_t n);

// y (B, O) = x (B, I) · W (O, I)ᵀ
template <class T>
void nac_forward(T* y, const T* x, const T* W, std::size_t B, std::size_t I, std::size_t O);

// Turns dW (O, I), the gradient with respect to the effective weight, into the gradients of
// W_hat and M_hat. dW_hat may alias dW (it is read before it is written, element by element).
template <class T>
void nac_weights_backward(T* dW_hat, T* dM_hat, const T* dW, NacWeights<T> w, std::size_t n);

// dW_hat, dM_hat (O, I) and dx (B, I) from dy (B, O). dx may be null (skips that product).
// Gradients are written, not accumulated.
template <class T>
void nac_backward(T* dW_hat, T* dM_hat, T* dx, const T* dy, const T* x, NacWeights<T> w,
                  std::size_t B, std::size_t I, std::size_t O);

}  // namespace NALU_ISA
}  // namespace nalu
