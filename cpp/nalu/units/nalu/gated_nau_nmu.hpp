// The gated NAU/NMU of Madsen & Johansen 2020 (their NALU table, "Gated NAU/NMU"; stable-nalu's
// ReRegualizedLinearNALULayer with --nalu-two-nac --nalu-mul mnac): a NALU whose additive path is
// a NAU and whose multiplicative path is an NMU, each with its own weight,
//   y = g ⊙ a + (1 − g) ⊙ m,  a = x clamp(W_add, −1, 1)ᵀ,  m_j = Π_i (Ŵ_ji x_i + 1 − Ŵ_ji),
//   Ŵ = clamp(W_mul, 0, 1),  g = σ(x Gᵀ).
// Both weights follow the option "constraint" as the NAU's and NMU's do (stable-nalu's --oob-mode
// is the network's, not one path's); the regularizer is the sum of the two paths' (the NAU's on
// W_add, the NMU's on W_mul; the gate has none). The paths run the NAU and NMU kernels; the gate's
// product is the NAU's kernel on G unclamped. docs/units.md#gatednaunmu.
#pragma once

#include <cmath>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "../nau/kernels.hpp"
#include "../nmu/kernels.hpp"

namespace nalu {

template <class T>
class GatedNauNmuLayer : public Layer<T> {
public:
    GatedNauNmuLayer(std::size_t in, std::size_t out, const Options& given)
        : Layer<T>(in, out),
          constraint_(static_cast<int>(given.choice("constraint", {"clamp", "clip", "none"}, 0))),
          W_add_(this->add_param("W_add", {out, in})),
          W_mul_(this->add_param("W_mul", {out, in})),
          G_(this->add_param("G", {out, in})),
          Wc_add_(checked_mul(out, in, "W")), Wc_mul_(out * in), suffix_(in) {}

    const char* kind() const override { return "GatedNAUNMU"; }
    Options options() const override { return Options({{"constraint", static_cast<double>(constraint_)}}); }
    bool has_regularizer() const override { return true; }

    // Under "clamp" both weights are clamped into their ranges after every optimizer step.
    void after_update() override {
        if (constraint_ != kClamp) return;
        const auto clamp = kernels<NauKernels<T>>().clamp_weights;
        T* p = this->params();
        clamp(p + W_add_, p + W_add_, T(-1), T(1), weights());
        clamp(p + W_mul_, p + W_mul_, T(0), T(1), weights());
    }

    // R = R_NAU(W_add) + R_NMU(W_mul), each a mean over its weight (stable-nalu sums its
    // sub-layers' regularizers); adds λ dR/dW to both gradients.
    double regularize(T lambda) override {
        const auto sparsity = kernels<NauKernels<T>>().sparsity_regularizer;
        T* p = this->params();
        T* g = this->grads();
        return sparsity(g + W_add_, p + W_add_, weights(), lambda, true) +
               sparsity(g + W_mul_, p + W_mul_, weights(), lambda, false);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const auto& nau = kernels<NauKernels<T>>();
        const std::size_t bo = checked_mul(batch, this->out_, "the batch");
        // [a | m | g | 1 − g (B, O each)]; 1 − g as σ(−z), exact where g rounds to 1
        T* c = ensure_size(cache_, checked_mul(4, bo, "the batch"));
        T *a = c, *m = c + bo, *g = c + 2 * bo, *h = c + 3 * bo;
        const T* p = this->params();
        used(Wc_add_, p + W_add_, T(-1), T(1));
        used(Wc_mul_, p + W_mul_, T(0), T(1));
        nau.nau_forward(a, x, Wc_add_.data(), batch, this->in_, this->out_);
        kernels<NmuKernels<T>>().nmu_forward(m, x, Wc_mul_.data(), batch, this->in_, this->out_);
        nau.nau_forward(g, x, p + G_, batch, this->in_, this->out_);
        for (std::size_t k = 0; k < bo; ++k) {
            const T z = g[k];
            g[k] = T(1) / (T(1) + std::exp(-z));
            h[k] = T(1) / (T(1) + std::exp(z));
            y[k] = g[k] * a[k] + h[k] * m[k];
        }
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const auto& nau = kernels<NauKernels<T>>();
        const std::size_t bo = batch * this->out_, bi = batch * this->in_;
        const T *a = cache_.data(), *m = a + bo, *g = a + 2 * bo, *h = a + 3 * bo;
        // [da | dm | dz (B, O each) | dx of the multiplicative path | of the gate (B, I each)]
        T* s = ensure_size(scratch_, 3 * bo + 2 * bi);
        T *da = s, *dm = s + bo, *dz = s + 2 * bo, *dx_mul = s + 3 * bo, *dx_gate = dx_mul + bi;
        for (std::size_t k = 0; k < bo; ++k) {
            da[k] = dy[k] * g[k];
            dm[k] = dy[k] * h[k];
            dz[k] = dy[k] * (a[k] - m[k]) * (g[k] * h[k]);
        }
        const T* x = this->input();
        const T* p = this->params();
        T* grads = this->grads();
        const bool masked = constraint_ != kNone;
        nau.nau_backward(grads + W_add_, dx, da, x, p + W_add_, Wc_add_.data(), masked, batch, this->in_,
                         this->out_);
        kernels<NmuKernels<T>>().nmu_backward(grads + W_mul_, dx ? dx_mul : nullptr, suffix_.data(), dm, x,
                                              p + W_mul_, Wc_mul_.data(), masked, batch, this->in_, this->out_);
        nau.nau_backward(grads + G_, dx ? dx_gate : nullptr, dz, x, p + G_, p + G_, false, batch, this->in_,
                         this->out_);
        if (dx)
            for (std::size_t k = 0; k < bi; ++k) dx[k] += dx_mul[k] + dx_gate[k];
    }

private:
    static constexpr int kClamp = 0, kNone = 2;  // the constraint's numbers (nalu_ext/units/nau.py)

    std::size_t weights() const { return Wc_add_.size(); }

    // The weight the forward uses: clamp(W, lo, hi), or W itself under "none".
    void used(std::vector<T>& Wc, const T* W, T lo, T hi) const {
        if (constraint_ == kNone) {
            for (std::size_t k = 0; k < Wc.size(); ++k) Wc[k] = W[k];
        } else {
            kernels<NauKernels<T>>().clamp_weights(Wc.data(), W, lo, hi, Wc.size());
        }
    }

    int constraint_;
    std::size_t W_add_, W_mul_, G_;
    std::vector<T> Wc_add_, Wc_mul_, suffix_, cache_, scratch_;
};

}  // namespace nalu
