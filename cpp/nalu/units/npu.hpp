// NPU and RealNPU (Heim, Pevný & Šmídl 2020, "Neural Power Units").
//
//   ĝ = clip(g, 0, 1)  (I,)     r = ĝ ⊙ (|x| + ε) + (1 − ĝ)     k = π ĝ ⊙ [x < 0]     (B, I)
//   NPU:     y = exp(log(r) W_reᵀ − k W_imᵀ) ⊙ cos(log(r) W_imᵀ + k W_reᵀ)
//   RealNPU: y = exp(log(r) Wᵀ) ⊙ cos(k Wᵀ)                 (the NPU with W_im = 0)
// Shapes: x (B, I), W_re, W_im (O, I), g (I,), y (B, O); ε is the dtype's machine epsilon.
// The clip passes gradient for g inside [0, 1], edges included; ∂k/∂x = 0 (k is piecewise constant).
// Compiled once per ISA (kernels/isa.hpp); layers reach these through kernels<T>().
#pragma once

#include <cstddef>

#include "../kernels/isa.hpp"
#include "../kernels/kernel_table.hpp"

namespace nalu {
namespace NALU_ISA {

// W_im null: the RealNPU.
template <class T>
void npu_forward(T* y, NpuCache<T> cache, const T* x, const T* g, const T* W_re, const T* W_im,
                 T eps, std::size_t B, std::size_t I, std::size_t O);

// dW_re, dW_im (O, I; dW_im only with W_im), dg (I,) and dx (B, I) unless null, from dy (B, O).
template <class T>
void npu_backward(T* dW_re, T* dW_im, T* dg, T* dx, NpuScratch<T> scratch, const T* dy,
                  const T* x, const T* g, NpuCache<T> cache, const T* W_re, const T* W_im, T eps,
                  std::size_t B, std::size_t I, std::size_t O);

}  // namespace NALU_ISA
}  // namespace nalu
