#include "kernels.hpp"

#include "../../isa/gemm.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void clamp_weights(T* Wc, const T* W, T lo, T hi, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) Wc[k] = W[k] < lo ? lo : (W[k] > hi ? hi : W[k]);  // NaN stays
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

template <class T>
void reciprocal_concat(T* z, const T* x, T eps, std::size_t B, std::size_t I) {
    for (std::size_t b = 0; b < B; ++b) {
        const T* xr = x + b * I;
        T* zr = z + b * 2 * I;
        for (std::size_t i = 0; i < I; ++i) zr[i] = xr[i];
        for (std::size_t i = 0; i < I; ++i) zr[I + i] = T(1) / (xr[i] + eps);
    }
}

template <class T>
void reciprocal_backward(T* dx, const T* dz, const T* z, std::size_t B, std::size_t I) {
    for (std::size_t b = 0; b < B; ++b) {
        const T* dzr = dz + b * 2 * I;
        const T* r = z + b * 2 * I + I;
        for (std::size_t i = 0; i < I; ++i) dx[b * I + i] = dzr[i] - dzr[I + i] * (r[i] * r[i]);
    }
}

NALU_KERNEL_TABLE(NauNmuKernels, &clamp_weights<T>, &nau_forward<T>, &nau_backward<T>,
                  &nmu_forward<T>, &nmu_backward<T>, &reciprocal_concat<T>, &reciprocal_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
