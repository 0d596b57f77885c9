#include "kernels.hpp"

#include <cmath>

#include "../../isa/gemm.hpp"
#include "../../isa/scalar.hpp"
#include "../../isa/vecmath.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void nac_mul_forward(T* y, T* log_x, const T* x, const T* W, T eps, std::size_t B, std::size_t I,
                     std::size_t O) {
    vec::log_abs_plus(log_x, x, eps, B * I);
    gemm::matmul_nt(y, log_x, W, B, O, I);
    vec::exp(y, y, B * O);
}

template <class T>
void nac_mul_backward(T* dW, T* dx, T* dz, const T* dy, const T* x, const T* y, const T* log_x,
                      const T* W, T eps, std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t k = 0; k < B * O; ++k) dz[k] = dy[k] * y[k];  // d exp(z) = exp(z)
    gemm::matmul_tn(dW, dz, log_x, O, I, B);
    if (!dx) return;
    gemm::matmul_nn(dx, dz, W, B, I, O, /*accumulate=*/false);
    for (std::size_t k = 0; k < B * I; ++k) dx[k] *= math::sign(x[k]) / (std::fabs(x[k]) + eps);
}

NALU_KERNEL_TABLE(NacMulKernels, &nac_mul_forward<T>, &nac_mul_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
