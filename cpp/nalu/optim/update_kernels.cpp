// This ISA's copy of the optimizers' update kernels (compiled once per ISA, see isa/isa.hpp).
#include "update_kernels.hpp"

#include <cmath>
#include <limits>

namespace nalu {
namespace NALU_ISA {

// 1 when x is neither infinite nor NaN (NaN compares false), as an int so the loop's reduction
// is an integer AND that vectorises.
template <class T>
inline int finite_flag(T x) {
    return std::fabs(x) <= std::numeric_limits<T>::max();
}

// SGD: without momentum p -= lr g; with it buf = g (first step) or momentum buf + g, p -= lr buf.
template <class T>
bool sgd_update(T* __restrict p, const T* __restrict g, const T* __restrict buf_in,
                T* __restrict buf_out, std::size_t n, T lr, T momentum, bool first) {
    int finite = 1;
    if (!buf_out) {
        for (std::size_t k = 0; k < n; ++k) {
            p[k] -= lr * g[k];
            finite &= finite_flag(p[k]);
        }
        return finite;
    }
    for (std::size_t k = 0; k < n; ++k) {
        const T b = first ? g[k] : momentum * buf_in[k] + g[k];
        buf_out[k] = b;
        p[k] -= lr * b;
        finite &= finite_flag(p[k]) & finite_flag(b);
    }
    return finite;
}

// Adam: m = lerp(m, g, 1 − b1); v = b2 v + (1 − b2) g²; p −= step_size m / (√v / √bc2 + eps).
template <class T>
bool adam_update(T* __restrict p, const T* __restrict g, const T* __restrict m_in,
                 T* __restrict m_out, const T* __restrict v_in, T* __restrict v_out, std::size_t n,
                 T step_size, T bc2_sqrt, T one_minus_b1, T b2, T one_minus_b2, T eps) {
    int finite = 1;
    for (std::size_t k = 0; k < n; ++k) {
        const T m = m_in[k] + one_minus_b1 * (g[k] - m_in[k]);
        const T v = b2 * v_in[k] + one_minus_b2 * (g[k] * g[k]);  // addcmul order, as torch
        m_out[k] = m;
        v_out[k] = v;
        p[k] -= step_size * (m / (std::sqrt(v) / bc2_sqrt + eps));
        finite &= finite_flag(p[k]) & finite_flag(m) & finite_flag(v);
    }
    return finite;
}

// RMSprop: v = alpha v + (1 − alpha) g²; p −= lr g / (√v + eps).
template <class T>
bool rmsprop_update(T* __restrict p, const T* __restrict g, const T* __restrict v_in,
                    T* __restrict v_out, std::size_t n, T lr, T alpha, T one_minus_alpha, T eps) {
    int finite = 1;
    for (std::size_t k = 0; k < n; ++k) {
        const T v = alpha * v_in[k] + one_minus_alpha * (g[k] * g[k]);  // addcmul order, as torch
        v_out[k] = v;
        p[k] -= lr * (g[k] / (std::sqrt(v) + eps));
        finite &= finite_flag(p[k]) & finite_flag(v);
    }
    return finite;
}

NALU_KERNEL_TABLE(UpdateKernels, &sgd_update<T>, &adam_update<T>, &rmsprop_update<T>)
}  // namespace NALU_ISA
}  // namespace nalu
