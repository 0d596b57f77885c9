#include "kernels.hpp"

#include <cmath>

#include "../../isa/gemm.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void linear_forward(T* y, const T* x, const T* W, const T* b, std::size_t B, std::size_t I, std::size_t O) {
    gemm::matmul_nt(y, x, W, B, O, I);
    if (b)
        for (std::size_t r = 0; r < B; ++r)
            for (std::size_t j = 0; j < O; ++j) y[r * O + j] += b[j];
}

template <class T>
void linear_backward(T* dW, T* db, T* dx, const T* dy, const T* x, const T* W, std::size_t B,
                     std::size_t I, std::size_t O) {
    gemm::matmul_tn(dW, dy, x, O, I, B);
    if (db)
        for (std::size_t j = 0; j < O; ++j) {
            T sum = T(0);
            for (std::size_t r = 0; r < B; ++r) sum += dy[r * O + j];
            db[j] = sum;
        }
    if (dx) gemm::matmul_nn(dx, dy, W, B, I, O, /*accumulate=*/false);
}

template <class T>
T sigmoid(T z) {  // never exp of a large positive number: no overflow, full precision both sides
    if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
    const T e = std::exp(z);
    return e / (T(1) + e);
}

template <class T>
void activate(T* a, std::size_t n, Activation act) {
    switch (act) {
        case Activation::identity: return;
        case Activation::sigmoid: for (std::size_t k = 0; k < n; ++k) a[k] = sigmoid(a[k]); return;
        case Activation::tanh: for (std::size_t k = 0; k < n; ++k) a[k] = std::tanh(a[k]); return;
        case Activation::relu: for (std::size_t k = 0; k < n; ++k) a[k] = a[k] > T(0) ? a[k] : T(0); return;
    }
}

template <class T>
void activation_backward(T* dz, const T* dy, const T* a, std::size_t n, Activation act) {
    switch (act) {
        case Activation::identity:
            for (std::size_t k = 0; k < n; ++k) dz[k] = dy[k];
            return;
        case Activation::sigmoid:
            for (std::size_t k = 0; k < n; ++k) dz[k] = dy[k] * (a[k] * (T(1) - a[k]));
            return;
        case Activation::tanh:
            for (std::size_t k = 0; k < n; ++k) dz[k] = dy[k] * (T(1) - a[k] * a[k]);
            return;
        case Activation::relu:
            for (std::size_t k = 0; k < n; ++k) dz[k] = a[k] > T(0) ? dy[k] : T(0);
            return;
    }
}

NALU_KERNEL_TABLE(LinearKernels, &linear_forward<T>, &linear_backward<T>, &activate<T>,
                  &activation_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
