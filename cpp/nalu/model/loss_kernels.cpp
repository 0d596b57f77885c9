// This ISA's copy of the loss kernel (compiled once per ISA, see isa/isa.hpp).
#include "loss_kernels.hpp"

namespace nalu {
namespace NALU_ISA {

// Writes dy = scale (y − t) and returns Σ (y − t)², accumulated in double over four partial sums
// (independent chains the compiler can keep in registers and vectorise).
template <class T>
double squared_error(T* dy, const T* y, const T* t, T scale, std::size_t n) {
    T* __restrict out = dy;
    const T* __restrict a = y;
    const T* __restrict b = t;
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (std::size_t j = 0; j < 4; ++j) {
            const T r = a[k + j] - b[k + j];
            acc[j] += static_cast<double>(r) * static_cast<double>(r);
            out[k + j] = scale * r;
        }
    for (; k < n; ++k) {
        const T r = a[k] - b[k];
        acc[0] += static_cast<double>(r) * static_cast<double>(r);
        out[k] = scale * r;
    }
    return (acc[0] + acc[2]) + (acc[1] + acc[3]);
}

NALU_KERNEL_TABLE(LossKernels, &squared_error<T>)
}  // namespace NALU_ISA
}  // namespace nalu
