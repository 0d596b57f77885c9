// Losses over a batch: the value (accumulated in double) and dLoss/dy in one pass.
#pragma once

#include <cstddef>

namespace nalu {

enum class Loss {
    Mse,  // mean over all B·O elements of (y - t)², as torch.nn.MSELoss()
    Sse,  // sum of (y - t)², what the seed article minimised (tf.reduce_sum)
};

// Returns the loss of y against t (n elements each) and writes dy = dLoss/dy.
template <class T>
double loss_and_gradient(T* dy, const T* y, const T* t, std::size_t n, Loss loss) {
    double sum = 0.0;
    const T scale = loss == Loss::Mse ? T(2) / static_cast<T>(n) : T(2);
    for (std::size_t k = 0; k < n; ++k) {
        const T r = y[k] - t[k];
        sum += static_cast<double>(r) * static_cast<double>(r);
        dy[k] = scale * r;
    }
    return loss == Loss::Mse && n > 0 ? sum / static_cast<double>(n) : sum;
}

}  // namespace nalu
