#include "kernels.hpp"

#include <cmath>

#include "../../isa/gemm.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void clamp_weights(T* Wc, const T* W, T lo, T hi, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) Wc[k] = W[k] < lo ? lo : (W[k] > hi ? hi : W[k]);  // NaN stays
}

namespace {
// a = |w| (symmetric) or w, da/dw (0 at w = 0 when symmetric), R_k = min(|a|, |1 − a|) and dR_k/da,
// as selects (this file is compiled without trapping math, so they vectorise).
template <class T>
inline T regularizer_argument(T w, bool symmetric) { return symmetric ? std::fabs(w) : w; }
template <class T>
inline T regularizer_argument_slope(T w, bool symmetric) {
    return symmetric ? (w > T(0) ? T(1) : (w < T(0) ? T(-1) : T(0))) : T(1);
}
template <class T>
inline T regularizer_term(T a) { return a < T(0) ? -a : (a > T(1) ? a - T(1) : (a <= T(1) - a ? a : T(1) - a)); }
template <class T>
inline T regularizer_slope(T a) { return a < T(0) ? T(-1) : (a > T(1) ? T(1) : (a <= T(1) - a ? T(1) : T(-1))); }

// dW += step · dR_k/da · da/dw (each product of step with ±1 or 0: exact, with or without FMA)
template <class T>
void add_regularizer_slopes(T* __restrict dW, const T* __restrict W, std::size_t n, T step, bool symmetric) {
    for (std::size_t k = 0; k < n; ++k)
        dW[k] += step * regularizer_slope(regularizer_argument(W[k], symmetric)) *
                 regularizer_argument_slope(W[k], symmetric);
}
}  // namespace

template <class T>
double sparsity_regularizer(T* dW, const T* W, std::size_t n, T lambda, bool symmetric) {
    double sum = 0.0;  // in order: one chain of additions, the same bits on every ISA
    for (std::size_t k = 0; k < n; ++k) sum += regularizer_term(regularizer_argument(W[k], symmetric));
    if (lambda != T(0)) add_regularizer_slopes(dW, W, n, lambda / static_cast<T>(n), symmetric);
    return sum / static_cast<double>(n);
}

template <class T>
void nau_forward(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O) {
    gemm::matmul_nt(y, x, Wc, B, O, I);
}

template <class T>
void nau_backward(T* dW, T* dx, const T* dy, const T* x, const T* W, const T* Wc, bool masked,
                  std::size_t B, std::size_t I, std::size_t O) {
    gemm::matmul_tn(dW, dy, x, O, I, B);
    if (masked)
        for (std::size_t k = 0; k < O * I; ++k)
            if (!(W[k] >= T(-1) && W[k] <= T(1))) dW[k] = T(0);  // outside the clamp's range
    if (dx) gemm::matmul_nn(dx, dy, Wc, B, I, O, /*accumulate=*/false);
}

NALU_KERNEL_TABLE(NauKernels, &clamp_weights<T>, &sparsity_regularizer<T>, &nau_forward<T>, &nau_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
