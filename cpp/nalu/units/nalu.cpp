#include "nalu.hpp"

#include <cmath>

#include "../gemm.hpp"
#include "../math.hpp"

namespace nalu {

template <class T>
void nalu_forward(T* y, const NaluCache<T>& c, const T* x, const T* W, const T* G, T eps,
                  std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t k = 0; k < B * I; ++k) c.log_x[k] = std::log(std::fabs(x[k]) + eps);

    gemm::matmul_nt(c.a, x, W, B, O, I);
    gemm::matmul_nt(c.m, c.log_x, W, B, O, I);  // exponent, exponentiated below
    gemm::matmul_nt(c.g, x, G, B, O, I);        // gate logit, squashed below

    for (std::size_t k = 0; k < B * O; ++k) {
        const T z_g = c.g[k];
        c.m[k] = std::exp(c.m[k]);
        c.g[k] = math::sigmoid(z_g);
        c.g_comp[k] = math::sigmoid(-z_g);
        y[k] = c.g[k] * c.a[k] + c.g_comp[k] * c.m[k];
    }
}

template <class T>
void nalu_backward(T* dW_hat, T* dM_hat, T* dG, T* dx, const NaluScratch<T>& s, const T* dy,
                   const T* x, const NaluCache<T>& c, const NacWeights<T>& w, const T* G, T eps,
                   std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t k = 0; k < B * O; ++k) {
        s.da[k] = dy[k] * c.g[k];
        s.dz_m[k] = dy[k] * c.g_comp[k] * c.m[k];                    // d exp(z) = exp(z)
        s.dz_g[k] = dy[k] * (c.a[k] - c.m[k]) * (c.g[k] * c.g_comp[k]);  // d σ = σ (1 − σ)
    }

    // The additive and multiplicative paths share W: their gradients add up in dW.
    T* dW = dW_hat;  // transformed into dW_hat in place below
    gemm::matmul_tn(dW, s.da, x, O, I, B, /*accumulate=*/false);
    gemm::matmul_tn(dW, s.dz_m, c.log_x, O, I, B, /*accumulate=*/true);
    nac_weights_backward(dW_hat, dM_hat, dW, w, O * I);
    gemm::matmul_tn(dG, s.dz_g, x, O, I, B, /*accumulate=*/false);

    if (!dx) return;
    gemm::matmul_nn(s.dlog_x, s.dz_m, w.W, B, I, O, /*accumulate=*/false);
    gemm::matmul_nn(dx, s.da, w.W, B, I, O, /*accumulate=*/false);
    for (std::size_t k = 0; k < B * I; ++k)  // d log(|x|+ε)/dx = sign(x) / (|x|+ε)
        dx[k] += s.dlog_x[k] * (math::sign(x[k]) / (std::fabs(x[k]) + eps));
    gemm::matmul_nn(dx, s.dz_g, G, B, I, O, /*accumulate=*/true);
}

#define NALU_INSTANTIATE_NALU(T)                                                              \
    template void nalu_forward<T>(T*, const NaluCache<T>&, const T*, const T*, const T*, T,   \
                                  std::size_t, std::size_t, std::size_t);                     \
    template void nalu_backward<T>(T*, T*, T*, T*, const NaluScratch<T>&, const T*, const T*, \
                                   const NaluCache<T>&, const NacWeights<T>&, const T*, T,    \
                                   std::size_t, std::size_t, std::size_t);
NALU_INSTANTIATE_NALU(float)
NALU_INSTANTIATE_NALU(double)
#undef NALU_INSTANTIATE_NALU

}  // namespace nalu
