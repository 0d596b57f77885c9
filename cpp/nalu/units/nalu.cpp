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
    vec::exp(c.m, c.m, n);                  // m = exp(z_m)
    vec::sigmoid_pair(c.g, c.g_comp, c.g, n);  // g = σ(z_g), 1 − g = σ(−z_g)
    for (std::size_t k = 0; k < n; ++k) y[k] = c.g[k] * c.a[k] + c.g_comp[k] * c.m[k];
}

template <class T>
void nalu_backward(T* dW_hat, T* dM_hat, T* dG, T* dx, NaluScratch<T> s, const T* dy, const T* x,
                   NaluCache<T> c, NacWeights<T> w, const T* G, T eps, std::size_t B,
                   std::size_t I, std::size_t O) {
    for (std::size_t k = 0; k < B * O; ++k) {
        s.da[k] = dy[k] * c.g[k];
        s.dz_m[k] = dy[k] * c.g_comp[k] * c.m[k];                        // d exp(z) = exp(z)
        s.dz_g[k] = dy[k] * (c.a[k] - c.m[k]) * (c.g[k] * c.g_comp[k]);  // d σ = σ (1 − σ)
    }

    // The additive and multiplicative paths share W: dW = daᵀ x + dz_mᵀ log_x; and dG = dz_gᵀ x.
    T* dW = dW_hat;  // transformed into dW_hat in place below
    gemm::matmul_tn_fused(dW, dG, s.da, x, s.dz_m, c.log_x, s.dz_g, O, I, B);
    nac_weights_backward(dW_hat, dM_hat, dW, w, O * I);

    if (!dx) return;
    gemm::matmul_nn(s.dlog_x, s.dz_m, w.W, B, I, O, /*accumulate=*/false);
    gemm::matmul_nn(dx, s.da, w.W, B, I, O, /*accumulate=*/false);
    for (std::size_t k = 0; k < B * I; ++k)  // d log(|x|+ε)/dx = sign(x) / (|x|+ε)
        dx[k] += s.dlog_x[k] * (math::sign(x[k]) / (std::fabs(x[k]) + eps));
    gemm::matmul_nn(dx, s.dz_g, G, B, I, O, /*accumulate=*/true);
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
