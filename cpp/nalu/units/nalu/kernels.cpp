#include "kernels.hpp"

#include <cmath>

#include "../../isa/gemm.hpp"
#include "../../isa/scalar.hpp"
#include "../../isa/vecmath.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void nalu_forward(T* y, NaluCache<T> c, bool log_x_ready, const T* x, NaluParams<T> p, T eps,
                  std::size_t B, std::size_t I, std::size_t O) {
    if (!log_x_ready) vec::log_abs_plus(c.log_x, x, eps, B * I);

    if (p.W_m == p.W_a && !p.scalar_gate) {
        // The original unit: the three products share their operands (a = x Wᵀ, z_m = log_x Wᵀ,
        // z_g = x Gᵀ) and run fused.
        gemm::matmul_nt3(c.a, c.m, c.g, x, c.log_x, p.W_a, p.G, B, O, I);
    } else {
        gemm::matmul_nt(c.a, x, p.W_a, B, O, I);
        gemm::matmul_nt(c.m, c.log_x, p.W_m, B, O, I);
        if (p.scalar_gate)
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t j = 0; j < O; ++j) c.g[b * O + j] = p.G[j];
        else
            gemm::matmul_nt(c.g, x, p.G, B, O, I);
    }
    if (p.b)
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t j = 0; j < O; ++j) c.g[b * O + j] += p.b[j];

    const std::size_t n = B * O;
    vec::exp(c.m, c.m, n);                     // m = exp(z_m)
    vec::sigmoid_pair(c.g, c.g_comp, c.g, n);  // g = σ(z_g), 1 − g = σ(−z_g)
    // __restrict: the arrays never overlap, and saying so lets the compiler vectorise the loop.
    T* __restrict out = y;
    const T* __restrict g = c.g;
    const T* __restrict gc = c.g_comp;
    const T* __restrict a = c.a;
    const T* __restrict m = c.m;
    for (std::size_t k = 0; k < n; ++k) out[k] = g[k] * a[k] + gc[k] * m[k];
}

namespace {
// The gradients at the three pre-activations of n outputs. A function of its own: GCC vectorises
// this loop over __restrict parameters, not over __restrict locals inside nalu_backward.
template <class T>
void output_gradients(T* __restrict da, T* __restrict dz_m, T* __restrict dz_g, const T* __restrict up,
                      const T* __restrict g, const T* __restrict gc, const T* __restrict a,
                      const T* __restrict m, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
        da[k] = up[k] * g[k];
        dz_m[k] = up[k] * gc[k] * m[k];                  // d exp(z) = exp(z)
        dz_g[k] = up[k] * (a[k] - m[k]) * (g[k] * gc[k]);  // d σ = σ (1 − σ)
    }
}
}  // namespace

template <class T>
void nalu_backward(NaluGrads<T> d, T* dx, NaluScratch<T> s, const T* dy, const T* x,
                   NaluCache<T> c, NaluParams<T> p, T eps, std::size_t B, std::size_t I,
                   std::size_t O) {
    output_gradients(s.da, s.dz_m, s.dz_g, dy, c.g, c.g_comp, c.a, c.m, B * O);

    const bool tied = d.dW_m == nullptr;
    T* const no_output = nullptr;
    const T* const no_input = nullptr;
    // Tied weights: dW = daᵀ x + dz_mᵀ log_x in one pass; with an input gate dG = dz_gᵀ x joins it.
    gemm::matmul_tn_fused(d.dW_a, p.scalar_gate ? no_output : d.dG, s.da, x,
                          tied ? s.dz_m : no_input, tied ? c.log_x : no_input,
                          p.scalar_gate ? no_input : s.dz_g, O, I, B);
    if (!tied) gemm::matmul_tn(d.dW_m, s.dz_m, c.log_x, O, I, B);
    if (p.scalar_gate || d.db) {  // column sums of dz_g: the scalar gate's and the bias's gradient
        for (std::size_t j = 0; j < O; ++j) {
            T sum = T(0);
            for (std::size_t b = 0; b < B; ++b) sum += s.dz_g[b * O + j];
            if (p.scalar_gate) d.dG[j] = sum;
            if (d.db) d.db[j] = sum;
        }
    }

    if (!dx) return;
    // dx = da W_a + dz_g G + (dz_m W_m) ⊙ d log(|x|+ε)/dx, d log(|x|+ε)/dx = sign(x) / (|x|+ε).
    if (tied && !p.scalar_gate) {
        gemm::matmul_nn2(dx, s.dlog_x, s.da, p.W_a, s.dz_g, p.G, s.dz_m, B, I, O);
    } else {
        gemm::matmul_nn(dx, s.da, p.W_a, B, I, O, false);
        if (!p.scalar_gate) gemm::matmul_nn(dx, s.dz_g, p.G, B, I, O, true);
        gemm::matmul_nn(s.dlog_x, s.dz_m, p.W_m, B, I, O, false);
    }
    T* __restrict out = dx;
    const T* __restrict dl = s.dlog_x;
    const T* __restrict xin = x;
    for (std::size_t k = 0; k < B * I; ++k)
        out[k] += dl[k] * (math::sign(xin[k]) / (std::fabs(xin[k]) + eps));
}

NALU_KERNEL_TABLE(NaluKernels, &nalu_forward<T>, &nalu_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
