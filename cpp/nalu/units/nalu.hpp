// NALU (Trask et al. 2018), tied weights by default:
//   a = x W_aᵀ,  m = exp(log(|x| + ε) W_mᵀ),  g = σ(x Gᵀ [+ b]) or σ(G),  y = g ⊙ a + (1 − g) ⊙ m
// with W_m = W_a = tanh(W_hat) ⊙ σ(M_hat) in the original unit (nac_weights, units/nac.hpp), and
// the variants users ask for: separate weights for the m path, a gate bias, a scalar gate.
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
void nalu_forward(T* y, NaluCache<T> cache, bool log_x_ready, const T* x, NaluParams<T> p, T eps,
                  std::size_t B, std::size_t I, std::size_t O);

// The gradients (see NaluGrads) and dx (B, I) from dy (B, O). dx may be null (skips its
// products). Gradients are written, not accumulated.
template <class T>
void nalu_backward(NaluGrads<T> grads, T* dx, NaluScratch<T> scratch, const T* dy, const T* x,
                   NaluCache<T> cache, NaluParams<T> p, T eps, std::size_t B, std::size_t I,
                   std::size_t O);

}  // namespace NALU_ISA
}  // namespace nalu
