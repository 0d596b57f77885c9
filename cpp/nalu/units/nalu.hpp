// NALU (Trask et al. 2018) with tied weights:
//   a = x Wᵀ,  m = exp(log(|x| + ε) Wᵀ),  g = σ(x Gᵀ),  y = g ⊙ a + (1 − g) ⊙ m
// where W = tanh(W_hat) ⊙ σ(M_hat) comes from nac_weights (units/nac.hpp).
//
// Shapes: x (B, I), W, G (O, I), y (B, O).
// Failure modes of the unit itself are reproduced, not hidden: m overflows to +inf for large
// |x|·W, log(ε) explodes near x = 0, m ignores the sign of x. NaN/Inf propagate per IEEE.
// Compiled once per ISA (kernels/isa.hpp); layers reach these through kernels<T>().
#pragma once

#include <cstddef>

#include "../kernels/isa.hpp"
#include "../kernels/kernel_table.hpp"

namespace nalu {
namespace NALU_ISA {

// y (B, O) and the cache, from x (B, I), W and G (O, I). With log_x_ready the caller guarantees
// that cache.log_x already holds log(|x| + ε) for this very x (the input did not change since the
// last forward), and that work is skipped.
template <class T>
void nalu_forward(T* y, NaluCache<T> cache, bool log_x_ready, const T* x, const T* W, const T* G,
                  T eps, std::size_t B, std::size_t I, std::size_t O);

// dW_hat, dM_hat, dG (O, I) and dx (B, I) from dy (B, O). dx may be null (skips its products).
// Gradients are written, not accumulated.
template <class T>
void nalu_backward(T* dW_hat, T* dM_hat, T* dG, T* dx, NaluScratch<T> scratch, const T* dy,
                   const T* x, NaluCache<T> cache, NacWeights<T> w, const T* G, T eps,
                   std::size_t B, std::size_t I, std::size_t O);

}  // namespace NALU_ISA
}  // namespace nalu
