// The division units of Mistry, Farrahi & Hare 2022 ("Learning Division with Neural Arithmetic
// Logic Modules"): the NRU,
//   y_j = Π_i (sign(x_i) |x_i|^Ŵ_ji A(Ŵ_ji) + 1 − A(Ŵ_ji)),  Ŵ = clamp(W, −1, 1),
//   A(w) = tanh²(1000 w) in training, |w| in evaluation (nalm-division functional/mnac.py, mode
//   "div"): a weight of −1 divides by that input, 1 multiplies, 0 leaves it out;
// and the NMRU, an NMU (nmu/kernels.hpp) on the input and its reciprocal, z = [x, 1/(x + ε)],
// optionally with the sign retrieval of nalm-division's SignNMRU.
// Shapes: x (B, I), W (O, I), y (B, O); the clamp's gradient as nau/kernels.hpp says.
// Compiled once per ISA (isa/isa.hpp); layers reach these through kernels<DivisionKernels<T>>().
#pragma once

#include <cstddef>

#include "../../isa/isa.hpp"

namespace nalu {

template <class T>
struct DivisionKernels {
    // NRU: y (B, O) as above, A by the mode (training: tanh², evaluation: |w|), 1 − A computed on
    // its own (sech² in training); scratch holds 2·O·I + I elements. |x|^w is exp(w ln|x|), each
    // ln|x|, A(w) and 1 − A(w) computed once.
    void (*nru_forward)(T* y, const T* x, const T* Wc, T* scratch, bool training, std::size_t B, std::size_t I,
                        std::size_t O);
    // dW (O, I) and dx (B, I) (unless null) from dy (B, O); scratch holds 3·O·I + 4·I elements. The
    // power's derivatives are torch's (pow_backward): d|x|^w/dw = |x|^w ln|x| (0 where |x| = 0 and
    // w ≥ 0), d|x|^w/d|x| = w |x|^(w−1) (0 where w = 0); sign(x) passes no gradient.
    void (*nru_backward)(T* dW, T* dx, T* scratch, const T* dy, const T* x, const T* W, const T* Wc,
                         bool masked, bool training, std::size_t B, std::size_t I, std::size_t O);
    // The sign retrieval of nalm-division's SignNMRU: phase (B, O) = π Σ_k [z_bk < 0] W_jk, and
    // s = cos(phase), the sign of Π z_bk^W_jk at discrete W; z (B, K), W (O, K) unclamped.
    void (*sign_phase)(T* s, T* phase, const T* z, const T* W, std::size_t B, std::size_t K, std::size_t O);
    // dW (O, K) += Σ_b g_bj (−π sin(phase_bj)) [z_bk < 0], g = dy ⊙ (the magnitude).
    void (*sign_phase_backward)(T* dW, const T* g, const T* phase, const T* z, std::size_t B, std::size_t K,
                                std::size_t O);
    // z (B, 2I): each row [x_b, 1/(x_b + eps)].
    void (*reciprocal_concat)(T* z, const T* x, T eps, std::size_t B, std::size_t I);
    // dx (B, I) = dz[:, :I] − dz[:, I:] ⊙ r², r = z[:, I:] the reciprocals (d(1/u)/du = −1/u²).
    void (*reciprocal_backward)(T* dx, const T* dz, const T* z, std::size_t B, std::size_t I);
};

}  // namespace nalu
