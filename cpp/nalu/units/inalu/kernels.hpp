// iNALU (Schlör, Ring & Hotho 2020, "iNALU: Improved Neural Arithmetic Logic Unit").
//
//   a = x W_aᵀ,   m = exp(min(log(max(|x|, ε)) W_mᵀ, ω)),
//   s_j = Π_i (sign(x_i) |W_m,ji| + 1 − |W_m,ji|)          sign recovery, clipped to [−1, 1]
//   g = σ(G), G (O,)                                        input-independent gate (default), or
//   g = σ(x Gᵀ), G (O, I)                                   input-dependent (input_gate)
//   y = g ⊙ a + (1 − g) ⊙ m ⊙ clip(s, −1, 1)
// with W_a, W_m = tanh(Ŵ) ⊙ σ(M̂) from nac_weights. Shapes: x (B, I), W_a, W_m (O, I), y (B, O).
// One-sided choices at the kinks (documented, tested): min(·, ω) and clip(s) pass gradient at
// equality; max(|x|, ε) passes it only where |x| > ε; d|W|/dW = sign(W) with sign(0) = 0; the
// sign path gives no gradient to x (sign is piecewise constant).
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

// What the iNALU forward stores for the backward.
template <class T>
struct InaluCache {
    T* log_x;   // (B, I) log(max(|x|, ε))
    T* a;       // (B, O) additive path
    T* z;       // (B, O) log_x W_mᵀ before the clip at ω
    T* m;       // (B, O) exp(min(z, ω))
    T* s;       // (B, O) sign-recovery product before its clip
    T* g;       // (O,) σ(G), or (B, O) σ(x Gᵀ) with input_gate
    T* g_comp;  // the same shape, 1 − g computed as σ(−·)
};

template <class T>
struct InaluKernels {
    void (*forward)(T* y, InaluCache<T> cache, const T* x, const T* W_a, const T* W_m, const T* G,
                    bool input_gate, T eps, T omega, std::size_t B, std::size_t I, std::size_t O);
    // dW_a, dW_m (O, I): gradients with respect to the effective weights (the layer turns them into
    // Ŵ and M̂ gradients); dG (O,) or (O, I); dx (B, I) unless null. scratch: 4·B·O + B·I + I elements.
    void (*backward)(T* dW_a, T* dW_m, T* dG, T* dx, T* scratch, const T* dy, const T* x,
                     InaluCache<T> cache, const T* W_a, const T* W_m, const T* G, bool input_gate,
                     T eps, T omega, std::size_t B, std::size_t I, std::size_t O);
};

}  // namespace nalu
