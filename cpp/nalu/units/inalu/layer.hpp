// iNALU layer: parameters W_hat_a, M_hat_a, W_hat_m, M_hat_m (out, in) and G (out,), or (out, in)
// with the flag input_gate; ε and ω; the flag benchmark_regularizer picks the regularizer's form.
// Kernels in kernels.hpp.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "../nac/layer.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class InaluLayer : public Layer<T> {
public:
    // Options: eps and omega (numbers), the flags input_gate and benchmark_regularizer.
    InaluLayer(std::size_t in, std::size_t out, const Options& given)
        : InaluLayer(in, out, given.number("eps"), given.number("omega"), given.flag("input_gate"),
                     given.flag("benchmark_regularizer")) {}

    const char* kind() const override { return "iNALU"; }
    Options options() const override {
        return Options({{"eps", static_cast<double>(eps_)}, {"omega", static_cast<double>(omega_)},
                        {"input_gate", input_gate_}, {"benchmark_regularizer", benchmark_regularizer_}});
    }
    InaluLayer(std::size_t in, std::size_t out, double eps, double omega, bool input_gate,
               bool benchmark_regularizer)
        : Layer<T>(in, out),
          input_gate_(input_gate),
          benchmark_regularizer_(benchmark_regularizer),
          W_hat_a_(this->add_param("W_hat_a", {out, in})),
          M_hat_a_(this->add_param("M_hat_a", {out, in})),
          W_hat_m_(this->add_param("W_hat_m", {out, in})),
          M_hat_m_(this->add_param("M_hat_m", {out, in})),
          G_(input_gate ? this->add_param("G", {out, in}) : this->add_param("G", {out})),
          eps_(narrow_to<T>(eps, "eps")),
          omega_(narrow_to<T>(omega, "omega")),
          weights_a_(out * in),
          weights_m_(out * in) {
        check_eps(eps, /*zero_allowed=*/false);
        if (!std::isfinite(omega))
            throw std::invalid_argument("omega must be a finite number, got " + std::to_string(omega));
    }

    // The saturation regularizer (docs/units.md#inalu), pushing the parameters away from 0:
    // Schlör et al.'s R = mean over Ŵ_a, M̂_a, Ŵ_m, M̂_m of max(0, 20 − |v|), or with
    // benchmark_regularizer nalm-benchmark's R = Σ over Ŵ_a, M̂_a, Ŵ_m, M̂_m and G of each array's
    // mean of max(0, 20 − |v|). Its schedule says when it applies. dR/dv = −sign(v)/n where |v| < 20,
    // n the size of the averaged span.
    bool has_regularizer() const override { return true; }
    double regularize(T lambda) override {
        const std::size_t weights = this->in_ * this->out_;  // Ŵ_a, M̂_a, Ŵ_m, M̂_m lie first, in a row
        if (!benchmark_regularizer_) return saturation(0, 4 * weights, lambda);
        double sum = 0.0;
        for (std::size_t k = 0; k < 4; ++k) sum += saturation(k * weights, weights, lambda);
        return sum + saturation(G_, input_gate_ ? weights : this->out_, lambda);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const T* p = this->params();
        weights_a_.compute(p + W_hat_a_, p + M_hat_a_);
        weights_m_.compute(p + W_hat_m_, p + M_hat_m_);
        kernels<InaluKernels<T>>().forward(y, cache(batch), x, weights_a_.view().W, weights_m_.view().W,
                                           p + G_, input_gate_, eps_, omega_, batch, this->in_, this->out_);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* scratch = ensure_size(scratch_, 4 * batch * this->out_ + batch * this->in_ + this->in_);
        T* g = this->grads();
        kernels<InaluKernels<T>>().backward(g + W_hat_a_, g + W_hat_m_, g + G_, dx, scratch, dy, this->input(),
                                            cache(batch), weights_a_.view().W, weights_m_.view().W,
                                            this->params() + G_, input_gate_, eps_, omega_, batch,
                                            this->in_, this->out_);
        weights_a_.backward(g + W_hat_a_, g + M_hat_a_);
        weights_m_.backward(g + W_hat_m_, g + M_hat_m_);
    }

private:
    static constexpr double kSaturation = 20.0;

    // mean over params [first, first + n) of max(0, 20 − |v|); adds λ times its gradient
    double saturation(std::size_t first, std::size_t n, T lambda) {
        const T* v = this->params() + first;
        T* dv = this->grads() + first;
        const T step = lambda / static_cast<T>(n), bound = T(kSaturation);
        double sum = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
            const T a = std::fabs(v[k]);
            if (!(a < bound)) continue;
            sum += bound - a;
            if (lambda != T(0)) dv[k] -= step * (v[k] > T(0) ? T(1) : (v[k] < T(0) ? T(-1) : T(0)));
        }
        return sum / static_cast<double>(n);
    }

    InaluCache<T> cache(std::size_t batch) {
        const std::size_t bo = checked_mul(batch, this->out_, "the batch");
        const std::size_t bi = checked_mul(batch, this->in_, "the batch");
        const std::size_t gates = input_gate_ ? bo : this->out_;  // g and 1 − g: per row or per output
        T* c = ensure_size(cache_, bi + 4 * bo + 2 * gates);
        return InaluCache<T>{c, c + bi, c + bi + bo, c + bi + 2 * bo, c + bi + 3 * bo,
                             c + bi + 4 * bo, c + bi + 4 * bo + gates};
    }

    bool input_gate_, benchmark_regularizer_;
    std::size_t W_hat_a_, M_hat_a_, W_hat_m_, M_hat_m_, G_;
    T eps_, omega_;
    NacWeightCache<T> weights_a_, weights_m_;
    std::vector<T> cache_, scratch_;
};

}  // namespace nalu
