// NALU (Trask et al. 2018), tied weights by default:
//   a = x W_aᵀ,  m = exp(log(|x| + ε) W_mᵀ),  g = σ(x Gᵀ [+ b]) or σ(G),  y = g ⊙ a + (1 − g) ⊙ m
// with W_m = W_a = tanh(W_hat) ⊙ σ(M_hat) in the original unit (nac_weights, units/nac.hpp), and
// the variants users ask for: separate weights for the m path, a gate bias, a scalar gate.
//
// Shapes: x (B, I), W, G (O, I), y (B, O).
// Failure modes of the unit itself are reproduced, not hidden: m overflows to +inf for large
// |x|·W, log(ε) explodes near x = 0, m ignores the sign of x. NaN/Inf propagate per IEEE.
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<NaluKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

// What the NALU forward stores for the backward.
template <class T>
struct NaluCache {
    T* log_x;   // (B, I) log(|x| + ε)
    T* a;       // (B, O) additive path
    T* m;       // (B, O) multiplicative path
    T* g;       // (B, O) gate σ(x Gᵀ)
    T* g_comp;  // (B, O) 1 − g, computed as σ(−x Gᵀ) so that it keeps its precision near g = 1
};

// The NALU's weights as its kernels see them. W_m == W_a for the original tied unit; with
// scalar_gate the gate is σ(G_j), G of shape (O,), else σ(x Gᵀ + b), G (O, I), b (O,) or null.
template <class T>
struct NaluParams {
    const T* W_a;
    const T* W_m;
    const T* G;
    const T* b;
    bool scalar_gate;
};

// Gradients with respect to the effective weights (the layer turns them into Ŵ, M̂ gradients);
// dW_m null for tied weights (dW_a then holds the sum of both paths); db null without a bias.
template <class T>
struct NaluGrads {
    T* dW_a;
    T* dW_m;
    T* dG;
    T* db;
};

// NALU backward temporaries, owned by the caller so that the kernel never allocates.
template <class T>
struct NaluScratch {
    T* da;      // (B, O) dL/da
    T* dz_m;    // (B, O) dL/d(log(|x|+ε) Wᵀ)
    T* dz_g;    // (B, O) dL/d(x Gᵀ)
    T* dlog_x;  // (B, I) dL/d log(|x|+ε)
};

template <class T>
struct NaluKernels {
    // y (B, O) and the cache, from x (B, I), W and G (O, I). With log_x_ready the caller guarantees
    // that cache.log_x already holds log(|x| + ε) for this very x (the input did not change since the
    // last forward), and that work is skipped.
    void (*forward)(T* y, NaluCache<T> cache, bool log_x_ready, const T* x, NaluParams<T> p, T eps, std::size_t B, std::size_t I, std::size_t O);
    // The gradients (see NaluGrads) and dx (B, I) from dy (B, O). dx may be null (skips its
    // products). Gradients are written, not accumulated.
    void (*backward)(NaluGrads<T> grads, T* dx, NaluScratch<T> scratch, const T* dy, const T* x, NaluCache<T> cache, NaluParams<T> p, T eps, std::size_t B, std::size_t I, std::size_t O);
};

}  // namespace nalu
