// Losses over a batch: the value (accumulated in double) and dLoss/dy in one pass.
#pragma once

#include <cstddef>

#include "loss_kernels.hpp"

namespace nalu {

enum class Loss {
    Mse,  // mean over all B·O elements of (y - t)², as torch.nn.MSELoss()
    Sse,  // sum of (y - t)², what the seed article minimised (tf.reduce_sum)
};

// Returns the loss of y against t (n elements each) and writes dy = dLoss/dy. The sum of squares
// runs in the ISA kernels (kernels<LossKernels<T>>().squared_error) and is accumulated in double.
template <class T>
double loss_and_gradient(T* dy, const T* y, const T* t, std::size_t n, Loss loss) {
    const T scale = loss == Loss::Mse ? T(2) / static_cast<T>(n) : T(2);
    const double sum = kernels<LossKernels<T>>().squared_error(dy, y, t, scale, n);
    return loss == Loss::Mse && n > 0 ? sum / static_cast<double>(n) : sum;
}

}  // namespace nalu
