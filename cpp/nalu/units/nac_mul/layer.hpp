// The NAC• family's layers: NACMul (W = tanh(Ŵ) ⊙ σ(M̂), the NAC's weight) and PosNACMul
// (NAC•,σ: W = σ(Ŵ)), both y = exp(log(|x| + ε) Wᵀ) through the kernels in kernels.hpp.
#pragma once

#include <cmath>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "../nac/layer.hpp"
#include "kernels.hpp"

namespace nalu {

// What both share: ε, the forward and backward in log space on an effective weight W (O, I) the
// subclass computes, and the buffers the backward needs (log(|x| + ε) and a copy of y).
template <class T>
class LogSpaceLayer : public Layer<T> {
public:
    // Option: eps (a finite number >= 0).
    LogSpaceLayer(std::size_t in, std::size_t out, const Options& given)
        : Layer<T>(in, out), eps_(narrow_to<T>(given.number("eps"), "eps")) {
        check_eps(given.number("eps"), /*zero_allowed=*/true);
    }

    Options options() const override { return Options({{"eps", static_cast<double>(eps_)}}); }

protected:
    void log_space_forward(const T* W, const T* x, T* y, std::size_t batch) {
        T* log_x = ensure_size(log_x_, checked_mul(batch, this->in_, "the batch"));
        kernels<NacMulKernels<T>>().forward(y, log_x, x, W, eps_, batch, this->in_, this->out_);
        // the backward needs y: keep a copy (the caller may hand y to the next layer to overwrite)
        T* kept = ensure_size(y_, checked_mul(batch, this->out_, "the batch"));
        for (std::size_t k = 0; k < batch * this->out_; ++k) kept[k] = y[k];
    }

    // dW, the gradient of the effective weight W, and dx (unless null) from dy
    void log_space_backward(T* dW, const T* W, const T* dy, T* dx, std::size_t batch) {
        T* dz = ensure_size(dz_, batch * this->out_);
        kernels<NacMulKernels<T>>().backward(dW, dx, dz, dy, this->input(), y_.data(), log_x_.data(), W, eps_,
                                             batch, this->in_, this->out_);
    }

private:
    T eps_;
    std::vector<T> log_x_, y_, dz_;
};

template <class T>
class NacMulLayer : public LogSpaceLayer<T> {
public:
    NacMulLayer(std::size_t in, std::size_t out, const Options& given)
        : LogSpaceLayer<T>(in, out, given),
          W_hat_(this->add_param("W_hat", {out, in})),
          M_hat_(this->add_param("M_hat", {out, in})),
          weights_(out * in) {}

    const char* kind() const override { return "NACMul"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        weights_.compute(this->params() + W_hat_, this->params() + M_hat_);
        this->log_space_forward(weights_.view().W, x, y, batch);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* g = this->grads();
        this->log_space_backward(g + W_hat_, weights_.view().W, dy, dx, batch);
        weights_.backward(g + W_hat_, g + M_hat_);
    }

private:
    std::size_t W_hat_, M_hat_;
    NacWeightCache<T> weights_;
};

// NAC•,σ (Madsen & Johansen 2020's ablation, stable-nalu layer/pos_nac.py with --nac-mul normal):
// the NAC• with W = σ(Ŵ), so every weight lies in (0, 1); parameter W_hat (out, in). dŴ = dW ⊙
// W(1 − W).
template <class T>
class PosNacMulLayer : public LogSpaceLayer<T> {
public:
    PosNacMulLayer(std::size_t in, std::size_t out, const Options& given)
        : LogSpaceLayer<T>(in, out, given), W_hat_(this->add_param("W_hat", {out, in})), W_(out * in) {}

    const char* kind() const override { return "PosNACMul"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const T* W_hat = this->params() + W_hat_;
        for (std::size_t k = 0; k < W_.size(); ++k) W_[k] = sigmoid(W_hat[k]);
        this->log_space_forward(W_.data(), x, y, batch);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* dW = this->grads() + W_hat_;
        this->log_space_backward(dW, W_.data(), dy, dx, batch);
        for (std::size_t k = 0; k < W_.size(); ++k) dW[k] *= W_[k] * (T(1) - W_[k]);
    }

private:
    // 1 / (1 + e^-z) without overflow for either sign of z
    static T sigmoid(T z) {
        if (z >= 0) return T(1) / (T(1) + std::exp(-z));
        const T e = std::exp(z);
        return e / (T(1) + e);
    }

    std::size_t W_hat_;
    std::vector<T> W_;
};

}  // namespace nalu
