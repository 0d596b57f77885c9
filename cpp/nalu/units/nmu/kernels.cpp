#include "kernels.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void nmu_forward(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < O; ++j) {
            const T* w = Wc + j * I;
            const T* xr = x + b * I;
            T p = T(1);
            for (std::size_t i = 0; i < I; ++i) p *= w[i] * xr[i] + T(1) - w[i];
            y[b * O + j] = p;
        }
}

template <class T>
void nmu_backward(T* dW, T* dx, T* suffix, const T* dy, const T* x, const T* W, const T* Wc,
                  bool masked, std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t k = 0; k < O * I; ++k) dW[k] = T(0);
    if (dx)
        for (std::size_t k = 0; k < B * I; ++k) dx[k] = T(0);
    for (std::size_t b = 0; b < B; ++b) {
        const T* xr = x + b * I;
        for (std::size_t j = 0; j < O; ++j) {
            const T* w = Wc + j * I;
            const T g = dy[b * O + j];
            // suffix[i] = Π_{k > i} f_k, then a running prefix Π_{k < i} f_k: no division.
            T s = T(1);
            for (std::size_t i = I; i-- > 0;) {
                suffix[i] = s;
                s *= w[i] * xr[i] + T(1) - w[i];
            }
            T prefix = T(1);
            for (std::size_t i = 0; i < I; ++i) {
                const T others = g * (prefix * suffix[i]);
                dW[j * I + i] += others * (xr[i] - T(1));  // ∂f_i/∂Ŵ = x_i − 1
                if (dx) dx[b * I + i] += others * w[i];     // ∂f_i/∂x_i = Ŵ
                prefix *= w[i] * xr[i] + T(1) - w[i];
            }
        }
    }
    if (masked)
        for (std::size_t k = 0; k < O * I; ++k)
            if (!(W[k] >= T(0) && W[k] <= T(1))) dW[k] = T(0);  // outside the clamp's range
}

NALU_KERNEL_TABLE(NmuKernels, &nmu_forward<T>, &nmu_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
