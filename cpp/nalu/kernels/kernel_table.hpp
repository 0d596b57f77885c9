// The kernels of every unit, one table per instruction set, chosen once at run time.
//
// Each ISA's copy of the kernels (namespace nalu::baseline, nalu::avx2) fills a KernelTable;
// kernels<T>() returns the table in use: AVX2+FMA when the CPU has both, else the baseline, which
// runs on any x86-64. The environment variable NALU_EXT_ISA=baseline forces the baseline (set it
// before nalu_ext is imported); set_isa() switches at run time, for tests of both paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nalu {

// What nac_weights computes from (W_hat, M_hat) and backward needs again; each array (O, I).
template <class T>
struct NacWeights {
    T* W;             // tanh(W_hat) ⊙ σ(M_hat)
    T* tanh_W_hat;    // tanh(W_hat)
    T* sig_M_hat;     // σ(M_hat)
    T* sig_neg_M_hat; // σ(−M_hat) = 1 − σ(M_hat), computed without cancellation
};

// What the NALU forward stores for the backward.
template <class T>
struct NaluCache {
    T* log_x;   // (B, I) log(|x| + ε)
    T* a;       // (B, O) additive path
    T* m;       // (B, O) multiplicative path
    T* g;       // (B, O) gate σ(x Gᵀ)
    T* g_comp;  // (B, O) 1 − g, computed as σ(−x Gᵀ) so that it keeps its precision near g = 1
};

// The NALU's weights as its kernels see them. W_m == W_a for the original tied unit; with
// scalar_gate the gate is σ(G_j), G of shape (O,), else σ(x Gᵀ + b), G (O, I), b (O,) or null.
template <class T>
struct NaluParams {
    const T* W_a;
    const T* W_m;
    const T* G;
    const T* b;
    bool scalar_gate;
};

// Gradients with respect to the effective weights (the layer turns them into Ŵ, M̂ gradients);
// dW_m null for tied weights (dW_a then holds the sum of both paths); db null without a bias.
template <class T>
struct NaluGrads {
    T* dW_a;
    T* dW_m;
    T* dG;
    T* db;
};

// NALU backward temporaries, owned by the caller so that the kernel never allocates.
template <class T>
struct NaluScratch {
    T* da;      // (B, O) dL/da
    T* dz_m;    // (B, O) dL/d(log(|x|+ε) Wᵀ)
    T* dz_g;    // (B, O) dL/d(x Gᵀ)
    T* dlog_x;  // (B, I) dL/d log(|x|+ε)
};

// What the NPU forward stores for the backward.
template <class T>
struct NpuCache {
    T* log_r;  // (B, I) log r
    T* k;      // (B, I) π ĝ [x < 0]
    T* mag;    // (B, O) exp(exponent)
    T* phase;  // (B, O) Φ
};

// NPU backward temporaries.
template <class T>
struct NpuScratch {
    T* d_mag;      // (B, O) dL/d(exponent)
    T* d_phase;    // (B, O) dL/dΦ
    T* neg_d_mag;  // (B, O) −d_mag
    T* d_log_r;    // (B, I)
    T* d_k;        // (B, I)
};

// What the iNALU forward stores for the backward.
template <class T>
struct InaluCache {
    T* log_x;   // (B, I) log(max(|x|, ε))
    T* a;       // (B, O) additive path
    T* z;       // (B, O) log_x W_mᵀ before the clip at ω
    T* m;       // (B, O) exp(min(z, ω))
    T* s;       // (B, O) sign-recovery product before its clip
    T* g;       // (O,) σ(G)
    T* g_comp;  // (O,) σ(−G)
};

template <class T>
struct KernelTable {
    const char* isa;
    // units/nac.hpp
    void (*nac_weights)(NacWeights<T> w, const T* W_hat, const T* M_hat, std::size_t n);
    void (*nac_forward)(T* y, const T* x, const T* W, std::size_t B, std::size_t I, std::size_t O);
    void (*nac_weights_backward)(T* dW_hat, T* dM_hat, const T* dW, NacWeights<T> w, std::size_t n);
    void (*nac_backward)(T* dW_hat, T* dM_hat, T* dx, const T* dy, const T* x, NacWeights<T> w,
                         std::size_t B, std::size_t I, std::size_t O);
    // units/nalu.hpp
    void (*nalu_forward)(T* y, NaluCache<T> cache, bool log_x_ready, const T* x, NaluParams<T> p,
                         T eps, std::size_t B, std::size_t I, std::size_t O);
    void (*nalu_backward)(NaluGrads<T> grads, T* dx, NaluScratch<T> scratch, const T* dy,
                          const T* x, NaluCache<T> cache, NaluParams<T> p, T eps, std::size_t B,
                          std::size_t I, std::size_t O);
    // units/nau_nmu.hpp
    void (*clamp_weights)(T* Wc, const T* W, T lo, T hi, std::size_t n);
    void (*nau_forward)(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O);
    void (*nau_backward)(T* dW, T* dx, const T* dy, const T* x, const T* W, const T* Wc,
                         std::size_t B, std::size_t I, std::size_t O);
    void (*nmu_forward)(T* y, const T* x, const T* Wc, std::size_t B, std::size_t I, std::size_t O);
    void (*nmu_backward)(T* dW, T* dx, T* scratch, const T* dy, const T* x, const T* W,
                         const T* Wc, std::size_t B, std::size_t I, std::size_t O);
    // units/npu.hpp
    void (*npu_forward)(T* y, NpuCache<T> cache, const T* x, const T* g, const T* W_re,
                        const T* W_im, T eps, std::size_t B, std::size_t I, std::size_t O);
    void (*npu_backward)(T* dW_re, T* dW_im, T* dg, T* dx, NpuScratch<T> scratch, const T* dy,
                         const T* x, const T* g, NpuCache<T> cache, const T* W_re, const T* W_im,
                         T eps, std::size_t B, std::size_t I, std::size_t O);
    // units/inalu.hpp
    void (*inalu_forward)(T* y, InaluCache<T> cache, const T* x, const T* W_a, const T* W_m,
                          const T* G, T eps, T omega, std::size_t B, std::size_t I, std::size_t O);
    void (*inalu_backward)(T* dW_a, T* dW_m, T* dG, T* dx, T* scratch, const T* dy, const T* x,
                           InaluCache<T> cache, const T* W_a, const T* W_m, T eps, T omega,
                           std::size_t B, std::size_t I, std::size_t O);
    // model/loss_kernels.hpp: Σ (y − t)² in double, and dy = scale (y − t)
    double (*squared_error)(T* dy, const T* y, const T* t, T scale, std::size_t n);
    // optim/update_kernels.hpp: one optimizer step over n parameters, state read from *_in and
    // written to *_out; true when every new value is finite (see the optimizer classes)
    bool (*sgd_update)(T* p, const T* g, const T* buf_in, T* buf_out, std::size_t n, T lr,
                       T momentum, bool first);
    bool (*adam_update)(T* p, const T* g, const T* m_in, T* m_out, const T* v_in, T* v_out,
                        std::size_t n, T step_size, T bc2_sqrt, T one_minus_b1, T b2,
                        T one_minus_b2, T eps);
    bool (*rmsprop_update)(T* p, const T* g, const T* v_in, T* v_out, std::size_t n, T lr, T alpha,
                           T one_minus_alpha, T eps);
    // tasks/uniform.hpp: one row of task inputs, the same bits on every ISA
    void (*uniform_row)(T* x, std::size_t n, std::uint64_t row_key, std::size_t first, double lo,
                        double width);
    // vecmath.hpp, for the tests of both paths
    void (*exp)(T* out, const T* in, std::size_t n);
    void (*log_abs_plus)(T* out, const T* x, T eps, std::size_t n);
    void (*tanh)(T* out, const T* in, std::size_t n);
    void (*sigmoid_pair)(T* s, T* s_neg, const T* z, std::size_t n);
};

template <class T>
const KernelTable<T>& kernels();

const char* active_isa();
std::vector<std::string> available_isas();
// Switches every later kernel call to the named ISA; throws std::invalid_argument if the name is
// unknown or this CPU cannot run it.
void set_isa(const std::string& name);

}  // namespace nalu
