#include "kernels.hpp"

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

NALU_KERNEL_TABLE(LinearKernels, &linear_forward<T>, &linear_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
