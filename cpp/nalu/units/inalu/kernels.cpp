#include "kernels.hpp"

#include <cmath>

#include "../../isa/gemm.hpp"
#include "../../isa/scalar.hpp"
#include "../../isa/vecmath.hpp"

namespace nalu {
namespace NALU_ISA {

namespace {
// The sign-recovery factor of input i for output j, sign(x)|w| + 1 − |w|, arranged as
// 1 + |w| (sign(x) − 1): exactly 1 for positive x, so such inputs change nothing.
template <class T>
inline T sign_factor(T x, T w) {
    return T(1) + std::fabs(w) * (math::sign(x) - T(1));
}

// True when every input of the row is positive: every sign factor is then exactly 1, s = 1 and
// the sign path has no gradient, so that work can be skipped without changing a bit.
// Counted without an early exit, so that the loop vectorises (rows are short; most are positive).
template <class T>
inline bool all_positive(const T* __restrict row, std::size_t n) {
    std::size_t positive = 0;
    for (std::size_t i = 0; i < n; ++i) positive += row[i] > T(0) ? 1 : 0;  // NaN counts as not
    return positive == n;
}
}  // namespace

// g = σ(v) and 1 − g = σ(−v), each from exp(−|v|): no overflow, and the smaller of the two
// keeps its full precision (1 − σ(v) would cancel).
template <class T>
inline void sigmoid_pair(T v, T& g, T& g_comp) {
    const T e = std::exp(-std::fabs(v));
    const T big = T(1) / (T(1) + e), small = e / (T(1) + e);
    g = v >= T(0) ? big : small;
    g_comp = v >= T(0) ? small : big;
}

template <class T>
void inalu_forward(T* y, InaluCache<T> c, const T* x, const T* W_a, const T* W_m, const T* G,
                   bool input_gate, T eps, T omega, std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t k = 0; k < B * I; ++k) {
        const T ax = std::fabs(x[k]);
        c.log_x[k] = ax > eps ? ax : (ax == ax ? eps : ax);  // max(|x|, ε), NaN kept; logged below
    }
    vec::log_abs_plus(c.log_x, c.log_x, T(0), B * I);
    gemm::matmul_nt(c.a, x, W_a, B, O, I);
    gemm::matmul_nt(c.z, c.log_x, W_m, B, O, I);
    if (input_gate) {
        gemm::matmul_nt(c.g, x, G, B, O, I);  // the gate's logits x Gᵀ, then σ in place
        for (std::size_t q = 0; q < B * O; ++q) sigmoid_pair(c.g[q], c.g[q], c.g_comp[q]);
    } else {
        for (std::size_t j = 0; j < O; ++j) sigmoid_pair(G[j], c.g[j], c.g_comp[j]);
    }
    for (std::size_t b = 0; b < B; ++b) {
        const bool positive = all_positive(x + b * I, I);
        for (std::size_t j = 0; j < O; ++j) {
            const std::size_t q = b * O + j;
            const T z = c.z[q] < omega ? c.z[q] : (c.z[q] == c.z[q] ? omega : c.z[q]);
            c.m[q] = std::exp(z);
            T s = T(1);
            if (!positive)
                for (std::size_t i = 0; i < I; ++i) s *= sign_factor(x[b * I + i], W_m[j * I + i]);
            c.s[q] = s;
            const T sc = s < T(-1) ? T(-1) : (s > T(1) ? T(1) : s);
            const std::size_t gi = input_gate ? q : j;
            y[q] = c.g[gi] * c.a[q] + c.g_comp[gi] * (c.m[q] * sc);
        }
    }
}

template <class T>
void inalu_backward(T* dW_a, T* dW_m, T* dG, T* dx, T* scratch, const T* dy, const T* x,
                    InaluCache<T> c, const T* W_a, const T* W_m, const T* G, bool input_gate, T eps,
                    T omega, std::size_t B, std::size_t I, std::size_t O) {
    T* da = scratch;
    T* dz = da + B * O;
    T* ds = dz + B * O;
    T* dgate = ds + B * O;  // d loss / d the gate's logit, per row (input_gate)
    T* dlog = dgate + B * O;
    T* suffix = dlog + B * I;
    if (!input_gate)
        for (std::size_t j = 0; j < O; ++j) dG[j] = T(0);
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < O; ++j) {
            const std::size_t q = b * O + j, gi = input_gate ? q : j;
            const T s = c.s[q];
            const bool s_inside = !(s < T(-1) || s > T(1));  // NaN passes (and propagates)
            const T sc = s < T(-1) ? T(-1) : (s > T(1) ? T(1) : s);
            da[q] = dy[q] * c.g[gi];
            dz[q] = !(c.z[q] > omega) ? dy[q] * c.g_comp[gi] * sc * c.m[q] : T(0);
            ds[q] = s_inside ? dy[q] * c.g_comp[gi] * c.m[q] : T(0);
            const T dlogit = dy[q] * (c.a[q] - c.m[q] * sc) * (c.g[gi] * c.g_comp[gi]);
            if (input_gate) dgate[q] = dlogit;
            else dG[j] += dlogit;
        }
    if (input_gate) gemm::matmul_tn(dG, dgate, x, O, I, B);
    gemm::matmul_tn(dW_a, da, x, O, I, B);
    gemm::matmul_tn(dW_m, dz, c.log_x, O, I, B);
    // The sign path: ∂s_j/∂W_ji = Π_{k≠i} f_jk · (sign(x_i) − 1) sign(W_ji), by prefix/suffix products.
    for (std::size_t b = 0; b < B; ++b) {
        const T* xr = x + b * I;
        if (all_positive(xr, I)) continue;  // sign(x) − 1 = 0 for every input of the row
        for (std::size_t j = 0; j < O; ++j) {
            const T g = ds[b * O + j];
            if (g == T(0)) continue;
            const T* w = W_m + j * I;
            T acc = T(1);
            for (std::size_t i = I; i-- > 0;) {
                suffix[i] = acc;
                acc *= sign_factor(xr[i], w[i]);
            }
            T prefix = T(1);
            for (std::size_t i = 0; i < I; ++i) {
                dW_m[j * I + i] += g * (prefix * suffix[i]) * (math::sign(xr[i]) - T(1)) * math::sign(w[i]);
                prefix *= sign_factor(xr[i], w[i]);
            }
        }
    }
    if (!dx) return;
    gemm::matmul_nn(dx, da, W_a, B, I, O, false);
    if (input_gate) gemm::matmul_nn(dx, dgate, G, B, I, O, /*accumulate=*/true);
    gemm::matmul_nn(dlog, dz, W_m, B, I, O, false);
    for (std::size_t k = 0; k < B * I; ++k) {  // d log(max(|x|, ε))/dx = sign(x)/|x| where |x| > ε
        const T ax = std::fabs(x[k]);
        if (ax > eps) dx[k] += dlog[k] * (math::sign(x[k]) / ax);
        else if (!(ax == ax)) dx[k] = ax;  // NaN in, NaN out
    }
}

NALU_KERNEL_TABLE(InaluKernels, &inalu_forward<T>, &inalu_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
