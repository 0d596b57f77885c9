// NALU layer: parameters W_hat, M_hat (out, in) and the gate G; ε. Variants (docs/units.md#nalu):
// separate weights for the m path (W_hat_m, M_hat_m), a scalar gate σ(G) with G (out,), a gate
// bias b (out,) for the input gate, and the G-NALU's golden-ratio base. Kernels in kernels.hpp.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../../blas.hpp"
#include "../../layer.hpp"
#include "../../options.hpp"
#include "../nac/layer.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class NaluLayer : public Layer<T> {
public:
    // Options: eps (a number), and the flags separate_weights, scalar_gate, gate_bias, golden_ratio.
    NaluLayer(std::size_t in, std::size_t out, const Options& given)
        : NaluLayer(in, out, given.number("eps"),
                    Variant{given.flag("separate_weights"), given.flag("scalar_gate"),
                            given.flag("gate_bias"), given.flag("golden_ratio")}) {}

    const char* kind() const override { return "NALU"; }
    Options options() const override {
        std::map<std::string, Options::Value> values{{"eps", static_cast<double>(eps_)},
                                                     {"separate_weights", variant_.separate_weights},
                                                     {"scalar_gate", variant_.scalar_gate},
                                                     {"gate_bias", variant_.gate_bias}};
        if (variant_.golden_ratio) values["golden_ratio"] = true;  // only when set: older files have no such option
        return Options(values);
    }

private:
    struct Variant {
        bool separate_weights, scalar_gate, gate_bias, golden_ratio;
    };

    // The G-NALU (nalm-benchmark's --nalu-gate, --nalu-mul and --nac-weight golden-ratio) takes
    // tanh, σ and exp to the base φ: tanh_φ(u) = tanh(u ln φ), σ_φ(u) = σ(u ln φ), and its m path
    // φ^(z / ln φ) = e^z is the NALU's. Every parameter sits inside one of the first two, so the
    // G-NALU at θ is the NALU at θ ln φ: the forward runs on the scaled parameters and every
    // gradient is multiplied by ln φ.
    static constexpr double kLnGoldenRatio = 0.48121182505960344;  // ln((1 + √5) / 2)

    NaluLayer(std::size_t in, std::size_t out, double eps, Variant variant)
        : Layer<T>(in, out),
          variant_(variant),
          W_hat_(this->add_param("W_hat", {out, in})),
          M_hat_(this->add_param("M_hat", {out, in})),
          W_hat_m_(variant.separate_weights ? this->add_param("W_hat_m", {out, in}) : 0),
          M_hat_m_(variant.separate_weights ? this->add_param("M_hat_m", {out, in}) : 0),
          G_(variant.scalar_gate ? this->add_param("G", {out}) : this->add_param("G", {out, in})),
          b_(variant.gate_bias ? this->add_param("b", {out}) : 0),
          eps_(narrow_to<T>(eps, "eps")),
          weights_(out * in) {
        check_eps(eps, /*zero_allowed=*/true);
        if (variant.separate_weights) weights_m_ = std::make_unique<NacWeightCache<T>>(out * in);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool input_unchanged) override {
        const T* p = used_params();
        weights_.compute(p + W_hat_, p + M_hat_);
        if (weights_m_) weights_m_->compute(p + W_hat_m_, p + M_hat_m_);
        // log(|x| + ε) depends on the input alone: an unchanged input (full-batch training) keeps it.
        const bool log_x_ready = input_unchanged && log_x_batch_ == batch;
        log_x_batch_ = 0;  // invalid until this forward has written it
        const NaluCache<T> c = cache(batch);
        const T* xk = kernel_input(x, c, batch, log_x_ready);
        kernels<NaluKernels<T>>().forward(y, c, log_x_ready, xk, params_view(), eps_, batch, this->in_, this->out_);
        log_x_batch_ = batch;
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t bo = batch * this->out_, bi = batch * this->in_;
        T* s = ensure_size(scratch_, 3 * bo + bi);
        const NaluScratch<T> scratch{s, s + bo, s + 2 * bo, s + 3 * bo};
        T* g = this->grads();
        const NaluGrads<T> grads{g + W_hat_, weights_m_ ? g + W_hat_m_ : nullptr, g + G_,
                                 variant_.gate_bias ? g + b_ : nullptr};
        const NaluCache<T> c = cache(batch);
        kernels<NaluKernels<T>>().backward(grads, dx, scratch, dy, kernel_input(this->input(), c, batch, true), c,
                        params_view(), eps_, batch, this->in_, this->out_);
        // The effective-weight gradients, turned into those of Ŵ and M̂ in place.
        weights_.backward(g + W_hat_, g + M_hat_);
        if (weights_m_) weights_m_->backward(g + W_hat_m_, g + M_hat_m_);
        if (variant_.golden_ratio)
            for (std::size_t k = 0, n = this->num_params(); k < n; ++k) g[k] *= static_cast<T>(kLnGoldenRatio);
    }

private:
    // The parameters the formulas run on: the layer's own, or the G-NALU's scaled by ln φ.
    const T* used_params() {
        if (!variant_.golden_ratio) return this->params();
        const T* p = this->params();
        T* scaled = ensure_size(scaled_, this->num_params());
        for (std::size_t k = 0, n = this->num_params(); k < n; ++k) scaled[k] = p[k] * static_cast<T>(kLnGoldenRatio);
        return scaled;
    }

    NaluParams<T> params_view() {
        const T* p = variant_.golden_ratio ? scaled_.data() : this->params();
        const T* W_a = weights_.view().W;
        return NaluParams<T>{W_a, weights_m_ ? weights_m_->view().W : W_a, p + G_,
                             variant_.gate_bias ? p + b_ : nullptr, variant_.scalar_gate};
    }

    // The forward cache for `batch` rows, in one buffer that only ever grows:
    // [x copy (B, I) | log_x (B, I) | a | m | g | g_comp (B, O each)].
    NaluCache<T> cache(std::size_t batch) {
        const std::size_t bo = checked_mul(batch, this->out_, "the batch");
        const std::size_t bi = checked_mul(batch, this->in_, "the batch");
        T* c = ensure_size(cache_, checked_mul(6, bo > bi ? bo : bi, "the batch")) + bi;
        return NaluCache<T>{c, c + bi, c + bi + bo, c + bi + 2 * bo, c + bi + 3 * bo};
    }

    // The x the kernels read. For products large enough for BLAS, a copy placed right before
    // log_x, so that [x; log_x] is one (2B, I) matrix and BLAS runs one product of twice the rows
    // instead of two; smaller shapes read the layer's input directly (no copy).
    const T* kernel_input(const T* x, const NaluCache<T>& c, std::size_t batch, bool copy_ready) {
        if (!blas::worth_it(batch, this->out_, this->in_)) return x;
        T* stacked = c.log_x - batch * this->in_;
        if (!copy_ready) std::memcpy(stacked, x, batch * this->in_ * sizeof(T));
        return stacked;
    }

    Variant variant_;
    std::size_t W_hat_, M_hat_, W_hat_m_, M_hat_m_, G_, b_;
    T eps_;
    NacWeightCache<T> weights_;
    std::unique_ptr<NacWeightCache<T>> weights_m_;  // separate weights only
    std::vector<T> cache_, scratch_, scaled_;
    std::size_t log_x_batch_ = 0;  // rows of cache().log_x that match the current input; 0: none
};

}  // namespace nalu
