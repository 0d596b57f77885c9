// NALU (Trask et al. 2018) with tied weights:
//   a = x Wᵀ,  m = exp(log(|x| + ε) Wᵀ),  g = σ(x Gᵀ),  y = g ⊙ a + (1 − g) ⊙ m
// where W = tanh(W_hat) ⊙ σ(M_hat) comes from nac_weights (units/nac.hpp).
//
// Shapes: x (B, I), W, G (O, I), y (B, O).
// Failure modes of the unit itself are reproduced, not hidden: m overflows to +inf for large
// |x|·W, log(ε) explodes near x = 0, m ignores the sign of x. NaN/Inf propagate per IEEE.
#pragma once

#include <cstddef>

#include "nac.hpp"

namespace nalu {

// What the forward stores for the backward.
template <class T>
struct NaluCache {
    T* log_x;   // (B, I) log(|x| + ε)
    T* a;       // (B, O) additive path
    T* m;       // (B, O) multiplicative path
    T* g;       // (B, O) gate σ(x Gᵀ)
    T* g_comp;  // (B, O) 1 − g, computed as σ(−x Gᵀ) so that it keeps its precision near g = 1
};

// Backward temporaries, owned by the caller so that the kernel never allocates.
template <class T>
struct NaluScratch {
    T* da;      // (B, O) dL/da
    T* dz_m;    // (B, O) dL/d(log(|x|+ε) Wᵀ)
    T* dz_g;    // (B, O) dL/d(x Gᵀ)
    T* dlog_x;  // (B, I) dL/d log(|x|+ε)
};

// y (B, O) and the cache, from x (B, I), W and G (O, I).
template <class T>
void nalu_forward(T* y, const NaluCache<T>& cache, const T* x, const T* W, const T* G, T eps,
                  std::size_t B, std::size_t I, std::size_t O);

// dW_hat, dM_hat, dG (O, I) and dx (B, I) from dy (B, O). dx may be null (skips its products).
// Gradients are written, not accumulated.
template <class T>
void nalu_backward(T* dW_hat, T* dM_hat, T* dG, T* dx, const NaluScratch<T>& scratch, const T* dy,
                   const T* x, const NaluCache<T>& cache, const NacWeights<T>& w, const T* G, T eps,
                   std::size_t B, std::size_t I, std::size_t O);

}  // namespace nalu
