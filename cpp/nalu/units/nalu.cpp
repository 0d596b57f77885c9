#include "nalu.hpp"

#include <cmath>

#include "../kernels/gemm.hpp"
#include "../kernels/scalar.hpp"
#include "../kernels/vecmath.hpp"
#include "nac.hpp"

namespace nalu {
namespace NALU_ISA {

template <class T>
void nalu_forward(T* y, NaluCache<T> c, bool log_x_ready, const T* x, const T* W, const T* G,
                  T eps, std::size_t B, std::size_t I, std::size_t O) {
    if (!log_x_ready) vec::log_abs_plus(c.log_x, x, eps, B * I);

    // The three products share their operands: a = x Wᵀ, z_m = log_x Wᵀ, z_g = x Gᵀ.
    gemm::matmul_nt3(c.a, c.m, c.g, x, c.log_x, W, G, B, O, I);

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

template <class T>
void nalu_backward(T* dW_hat, T* dM_hat, T* dG, T* dx, NaluScratch<T> s, const T* dy, const T* x,
                   NaluCache<T> c, NacWeights<T> w, const T* G, T eps, std::size_t B,
                   std::size_t I, std::size_t O) {
    {
        T* __restrict da = s.da;
        T* __restrict dz_m = s.dz_m;
        T* __restrict dz_g = s.dz_g;
        const T* __restrict up = dy;
        const T* __restrict g = c.g;
        const T* __restrict gc = c.g_comp;
        const T* __restrict a = c.a;
        const T* __restrict m = c.m;
        for (std::size_t k = 0; k < B * O; ++k) {
            da[k] = up[k] * g[k];
            dz_m[k] = up[k] * gc[k] * m[k];                  // d exp(z) = exp(z)
            dz_g[k] = up[k] * (a[k] - m[k]) * (g[k] * gc[k]);  // d σ = σ (1 − σ)
        }
    }

    // The additive and multiplicative paths share W: dW = daᵀ x + dz_mᵀ log_x; and dG = dz_gᵀ x.
    T* dW = dW_hat;  // transformed into dW_hat in place below
    gemm::matmul_tn_fused(dW, dG, s.da, x, s.dz_m, c.log_x, s.dz_g, O, I, B);
    nac_weights_backward(dW_hat, dM_hat, dW, w, O * I);

    if (!dx) return;
    // dx = da W + dz_g G + (dz_m W) ⊙ d log(|x|+ε)/dx, with d log(|x|+ε)/dx = sign(x) / (|x|+ε).
    gemm::matmul_nn2(dx, s.dlog_x, s.da, w.W, s.dz_g, G, s.dz_m, B, I, O);
    T* __restrict out = dx;
    const T* __restrict dl = s.dlog_x;
    const T* __restrict xin = x;
    for (std::size_t k = 0; k < B * I; ++k)
        out[k] += dl[k] * (math::sign(xin[k]) / (std::fabs(xin[k]) + eps));
}

#define NALU_INSTANTIATE_NALU(T)                                                                \
    template void nalu_forward<T>(T*, NaluCache<T>, bool, const T*, const T*, const T*, T,     \
                                  std::size_t, std::size_t, std::size_t);                       \
    template void nalu_backward<T>(T*, T*, T*, T*, NaluScratch<T>, const T*, const T*,          \
                                   NaluCache<T>, NacWeights<T>, const T*, T, std::size_t,       \
                                   std::size_t, std::size_t);
NALU_INSTANTIATE_NALU(float)
NALU_INSTANTIATE_NALU(double)
#undef NALU_INSTANTIATE_NALU

}  // namespace NALU_ISA
}  // namespace nalu
