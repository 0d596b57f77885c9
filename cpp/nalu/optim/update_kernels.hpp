// The element-wise update rules of the optimizers (PyTorch's formulas and operation order),
// compiled once per ISA like the unit kernels; the optimizer classes reach them through kernels<T>().
#pragma once

#include <cmath>
#include <cstddef>

#include "../kernels/isa.hpp"

namespace nalu {
namespace NALU_ISA {

// SGD: without momentum p -= lr g; with it buf = g (first step) or momentum buf + g, p -= lr buf.
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::size_t n, T lr, T momentum, bool first) {
    if (!buf) {
        for (std::size_t k = 0; k < n; ++k) p[k] -= lr * g[k];
        return;
    }
    for (std::size_t k = 0; k < n; ++k) {
        buf[k] = first ? g[k] : momentum * buf[k] + g[k];
        p[k] -= lr * buf[k];
    }
}

// Adam: m = lerp(m, g, 1 − b1); v = b2 v + (1 − b2) g²; p −= step_size m / (√v / √bc2 + eps).
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::size_t n, T step_size, T bc2_sqrt,
                 T one_minus_b1, T b2, T one_minus_b2, T eps) {
    for (std::size_t k = 0; k < n; ++k) {
        m[k] += one_minus_b1 * (g[k] - m[k]);
        v[k] = b2 * v[k] + one_minus_b2 * (g[k] * g[k]);  // addcmul order, as torch
        p[k] -= step_size * (m[k] / (std::sqrt(v[k]) / bc2_sqrt + eps));
    }
}

// RMSprop: v = alpha v + (1 − alpha) g²; p −= lr g / (√v + eps).
template <class T>
void rmsprop_update(T* p, const T* g, T* v, std::size_t n, T lr, T alpha, T one_minus_alpha, T eps) {
    for (std::size_t k = 0; k < n; ++k) {
        v[k] = alpha * v[k] + one_minus_alpha * (g[k] * g[k]);  // addcmul order, as torch
        p[k] -= lr * (g[k] / (std::sqrt(v[k]) + eps));
    }
}

}  // namespace NALU_ISA
}  // namespace nalu
