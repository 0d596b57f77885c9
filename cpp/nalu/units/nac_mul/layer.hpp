// NACMul (NAC•) layer: parameters W_hat, M_hat (out, in) as the NAC's; ε. PosNACMul (NAC•,σ) below. Kernels in kernels.hpp.
#pragma once

#include <cmath>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "../nac/layer.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class NacMulLayer : public Layer<T> {
public:
    // Option: eps (a finite number >= 0).
    NacMulLayer(std::size_t in, std::size_t out, const Options& given)
        : Layer<T>(in, out),
          W_hat_(this->add_param("W_hat", {out, in})),
          M_hat_(this->add_param("M_hat", {out, in})),
          eps_(narrow_to<T>(given.number("eps"), "eps")),
          weights_(out * in) {
        check_eps(given.number("eps"), /*zero_allowed=*/true);
    }

    const char* kind() const override { return "NACMul"; }
    Options options() const override { return Options({{"eps", static_cast<double>(eps_)}}); }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        weights_.compute(this->params() + W_hat_, this->params() + M_hat_);
        T* log_x = ensure_size(log_x_, checked_mul(batch, this->in_, "the batch"));
        kernels<NacMulKernels<T>>().forward(y, log_x, x, weights_.view().W, eps_, batch, this->in_, this->out_);
        // the backward needs y: keep a copy (the caller may hand y to the next layer to overwrite)
        T* kept = ensure_size(y_, checked_mul(batch, this->out_, "the batch"));
        for (std::size_t k = 0; k < batch * this->out_; ++k) kept[k] = y[k];
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* g = this->grads();
        T* dz = ensure_size(dz_, batch * this->out_);
        kernels<NacMulKernels<T>>().backward(g + W_hat_, dx, dz, dy, this->input(), y_.data(), log_x_.data(),
                                             weights_.view().W, eps_, batch, this->in_, this->out_);
        weights_.backward(g + W_hat_, g + M_hat_);
    }

private:
    std::size_t W_hat_, M_hat_;
    T eps_;
    NacWeightCache<T> weights_;
    std::vector<T> log_x_, y_, dz_;
};

}  // namespace nalu

namespace nalu {

// NAC•,σ (Madsen & Johansen 2020's ablation, stable-nalu layer/pos_nac.py with --nac-mul normal):
// the NAC• with W = σ(Ŵ), so every weight lies in (0, 1); parameter W_hat (out, in); ε. The
// NAC•'s kernels on that W; dŴ = dW ⊙ W(1 − W).
template <class T>
class PosNacMulLayer : public Layer<T> {
public:
    // Option: eps (a finite number >= 0).
    PosNacMulLayer(std::size_t in, std::size_t out, const Options& given)
        : Layer<T>(in, out),
          W_hat_(this->add_param("W_hat", {out, in})),
          eps_(narrow_to<T>(given.number("eps"), "eps")),
          W_(out * in) {
        check_eps(given.number("eps"), /*zero_allowed=*/true);
    }

    const char* kind() const override { return "PosNACMul"; }
    Options options() const override { return Options({{"eps", static_cast<double>(eps_)}}); }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const T* W_hat = this->params() + W_hat_;
        for (std::size_t k = 0; k < W_.size(); ++k) W_[k] = sigmoid(W_hat[k]);
        T* log_x = ensure_size(log_x_, checked_mul(batch, this->in_, "the batch"));
        kernels<NacMulKernels<T>>().forward(y, log_x, x, W_.data(), eps_, batch, this->in_, this->out_);
        T* kept = ensure_size(y_, checked_mul(batch, this->out_, "the batch"));  // (as NacMulLayer keeps it)
        for (std::size_t k = 0; k < batch * this->out_; ++k) kept[k] = y[k];
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* dW = this->grads() + W_hat_;
        T* dz = ensure_size(dz_, batch * this->out_);
        kernels<NacMulKernels<T>>().backward(dW, dx, dz, dy, this->input(), y_.data(), log_x_.data(), W_.data(),
                                             eps_, batch, this->in_, this->out_);
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
    T eps_;
    std::vector<T> W_, log_x_, y_, dz_;
};

}  // namespace nalu
