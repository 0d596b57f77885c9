#include "kernels.hpp"

#include "../../isa/gemm.hpp"
#include "../../isa/vecmath.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void nac_weights(NacWeights<T> w, const T* W_hat, const T* M_hat, std::size_t n) {
    vec::tanh(w.tanh_W_hat, W_hat, n);
    vec::sigmoid_pair(w.sig_M_hat, w.sig_neg_M_hat, M_hat, n);
    T* __restrict W = w.W;  // the arrays never overlap: lets the loop vectorise
    const T* __restrict t = w.tanh_W_hat;
    const T* __restrict s = w.sig_M_hat;
    for (std::size_t k = 0; k < n; ++k) W[k] = t[k] * s[k];
}

template <class T>
void nac_forward(T* y, const T* x, const T* W, std::size_t B, std::size_t I, std::size_t O) {
    gemm::matmul_nt(y, x, W, B, O, I);
}

template <class T>
void nac_weights_backward(T* dW_hat, T* dM_hat, const T* dW, NacWeights<T> w, std::size_t n) {
    // dW_hat may alias dW (element-wise in place); dM_hat, the caches and dW never overlap otherwise.
    T* __restrict dM = dM_hat;
    const T* __restrict tanh_hat = w.tanh_W_hat;
    const T* __restrict sig = w.sig_M_hat;
    const T* __restrict sig_neg = w.sig_neg_M_hat;
    for (std::size_t k = 0; k < n; ++k) {
        const T g = dW[k];
        const T t = tanh_hat[k];
        const T s = sig[k];
        dW_hat[k] = g * (T(1) - t * t) * s;  // d tanh = 1 - tanh²
        dM[k] = g * t * (s * sig_neg[k]);    // d σ = σ (1 - σ)
    }
}

template <class T>
void nac_backward(T* dW_hat, T* dM_hat, T* dx, const T* dy, const T* x, NacWeights<T> w,
                  std::size_t B, std::size_t I, std::size_t O) {
    gemm::matmul_tn(dW_hat, dy, x, O, I, B);  // dW, transformed in place
    nac_weights_backward(dW_hat, dM_hat, dW_hat, w, O * I);
    if (dx) gemm::matmul_nn(dx, dy, w.W, B, I, O, /*accumulate=*/false);
}

NALU_KERNEL_TABLE(NacKernels, &nac_weights<T>, &nac_forward<T>, &nac_weights_backward<T>,
                  &nac_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
