// NPU and RealNPU (Heim, Pevný & Šmídl 2020, "Neural Power Units").
//
//   ĝ = clip(g, 0, 1)  (I,)     r = ĝ ⊙ (|x| + ε) + (1 − ĝ)     k = π ĝ ⊙ [x < 0]     (B, I)
//   NPU:     y = exp(log(r) W_reᵀ − k W_imᵀ) ⊙ cos(log(r) W_imᵀ + k W_reᵀ)
//   RealNPU: y = exp(log(r) Wᵀ) ⊙ cos(k Wᵀ)                 (the NPU with W_im = 0)
// Shapes: x (B, I), W_re, W_im (O, I), g (I,), y (B, O); ε is the dtype's machine epsilon.
// The clip passes gradient for g inside [0, 1], edges included; ∂k/∂x = 0 (k is piecewise constant).
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<NpuKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

// What the NPU forward stores for the backward.
template <class T>
struct NpuCache {
    T* log_r;      // (B, I) log r
    T* k;          // (B, I) π ĝ [x < 0]
    T* mag;        // (B, O) exp(exponent)
    T* phase;      // (B, O) Φ
    T* cos_phase;  // (B, O) cos Φ, y's factor, kept for the backward (one libm call fewer there)
};

// NPU backward temporaries.
template <class T>
struct NpuScratch {
    T* d_mag;      // (B, O) dL/d(exponent)
    T* d_phase;    // (B, O) dL/dΦ
    T* neg_d_mag;  // (B, O) −d_mag
    T* d_log_r;    // (I) one row's dL/d(log r)
    T* d_k;        // (I) one row's dL/dk
};

template <class T>
struct NpuKernels {
    // W_im null: the RealNPU.
    void (*forward)(T* y, NpuCache<T> cache, const T* x, const T* g, const T* W_re, const T* W_im, T eps, std::size_t B, std::size_t I, std::size_t O);
    // dW_re, dW_im (O, I; dW_im only with W_im), dg (I,) and dx (B, I) unless null, from dy (B, O).
    void (*backward)(T* dW_re, T* dW_im, T* dg, T* dx, NpuScratch<T> scratch, const T* dy, const T* x, const T* g, NpuCache<T> cache, const T* W_re, const T* W_im, T eps, std::size_t B, std::size_t I, std::size_t O);
};

}  // namespace nalu
