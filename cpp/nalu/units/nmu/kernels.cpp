#include "kernels.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void nmu_forward(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O) {
    if (I == 2) {  // output by output, so the loop over rows vectorises; the same products
        for (std::size_t j = 0; j < O; ++j) {
            const T w0 = Wc[2 * j], w1 = Wc[2 * j + 1];
            for (std::size_t b = 0; b < B; ++b)
                y[b * O + j] = (w0 * x[2 * b] + T(1) - w0) * (w1 * x[2 * b + 1] + T(1) - w1);
        }
        return;
    }
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < O; ++j) {
            const T* w = Wc + j * I;
            const T* xr = x + b * I;
            T p = T(1);
            for (std::size_t i = 0; i < I; ++i) p *= w[i] * xr[i] + T(1) - w[i];
            y[b * O + j] = p;
        }
}

namespace {
// Rows per block of the two-input backward: lane l of its partial sums adds rows l, l + kRowLanes, ...
// (in order), so the block's loop over l has no carried dependence and vectorises; the lanes are
// then added in order, in the same order on every ISA.
constexpr std::size_t kRowLanes = 16;

// The backward of a layer with two inputs (the last layer of a 100 -> 2 -> 1 network), where the
// general path's suffix buffer and per-row loops cost more than the arithmetic: the other factor
// of f_0 f_1 is the one factor left. Output j at a time, rows in kRowLanes independent lanes.
template <class T>
void nmu_backward_two_inputs(T* dW, T* dx, const T* dy, const T* x, const T* Wc, std::size_t B, std::size_t O) {
    for (std::size_t j = 0; j < O; ++j) {
        const T w0 = Wc[2 * j], w1 = Wc[2 * j + 1];
        T s0[kRowLanes] = {}, s1[kRowLanes] = {};
        const auto row = [&](std::size_t b, std::size_t l) {
            const T x0 = x[2 * b], x1 = x[2 * b + 1], g = dy[b * O + j];
            const T f0 = w0 * x0 + T(1) - w0, f1 = w1 * x1 + T(1) - w1;
            s0[l] += (g * f1) * (x0 - T(1));  // ∂f_i/∂Ŵ = x_i − 1
            s1[l] += (g * f0) * (x1 - T(1));
            if (dx) {  // ∂f_i/∂x_i = Ŵ; the first output writes, later ones add
                dx[2 * b] = (j ? dx[2 * b] : T(0)) + (g * f1) * w0;
                dx[2 * b + 1] = (j ? dx[2 * b + 1] : T(0)) + (g * f0) * w1;
            }
        };
        std::size_t b0 = 0;
        for (; b0 + kRowLanes <= B; b0 += kRowLanes)
            for (std::size_t l = 0; l < kRowLanes; ++l) row(b0 + l, l);
        for (std::size_t l = 0; b0 + l < B; ++l) row(b0 + l, l);
        T d0 = T(0), d1 = T(0);
        for (std::size_t l = 0; l < kRowLanes; ++l) {
            d0 += s0[l];
            d1 += s1[l];
        }
        dW[2 * j] = d0;
        dW[2 * j + 1] = d1;
    }
}

// Any number of inputs: row by row, the product of the other factors from prefix and suffix products.
template <class T>
void nmu_backward_any(T* dW, T* dx, T* suffix, const T* dy, const T* x, const T* Wc, std::size_t B, std::size_t I,
                      std::size_t O) {
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
}
}  // namespace

template <class T>
void nmu_backward(T* dW, T* dx, T* suffix, const T* dy, const T* x, const T* W, const T* Wc,
                  bool masked, std::size_t B, std::size_t I, std::size_t O) {
    if (I == 2) nmu_backward_two_inputs(dW, dx, dy, x, Wc, B, O);
    else nmu_backward_any(dW, dx, suffix, dy, x, Wc, B, I, O);
    if (masked)
        for (std::size_t k = 0; k < O * I; ++k)
            if (!(W[k] >= T(0) && W[k] <= T(1))) dW[k] = T(0);  // outside the clamp's range
}

NALU_KERNEL_TABLE(NmuKernels, &nmu_forward<T>, &nmu_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
