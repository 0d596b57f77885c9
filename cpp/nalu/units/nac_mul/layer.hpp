// The NAC• family's layers: NACMul (W = tanh(Ŵ) ⊙ σ(M̂), the NAC's weight), PosNACMul (NAC•,σ:
// W = σ(Ŵ)) and NACMulNMU (NAC•,NMU: W kept in [0, 1] as the NMU's), all y = exp(log(|x| + ε) Wᵀ)
// through the kernels in kernels.hpp.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "../nac/layer.hpp"
#include "../nau/ranged_weight_layer.hpp"
#include "kernels.hpp"

namespace nalu {

// What the family shares: ε and the forward and backward in log space on an effective weight W
// (O, I) the layer computes, with the buffers the backward needs (log(|x| + ε) and a copy of y).
// A member, not a base: the NAC•,NMU is a RangedWeightLayer (its weight kept in [0, 1]).
template <class T>
class LogSpace {
public:
    // Option: eps (a finite number >= 0).
    explicit LogSpace(const Options& given) : eps_(narrow_to<T>(given.number("eps"), "eps")) {
        check_eps(given.number("eps"), /*zero_allowed=*/true);
    }

    double eps() const { return static_cast<double>(eps_); }

    void forward(const T* W, const T* x, T* y, std::size_t batch, std::size_t in, std::size_t out) {
        T* log_x = ensure_size(log_x_, checked_mul(batch, in, "the batch"));
        kernels<NacMulKernels<T>>().forward(y, log_x, x, W, eps_, batch, in, out);
        // the backward needs y: keep a copy (the caller may hand y to the next layer to overwrite)
        T* kept = ensure_size(y_, checked_mul(batch, out, "the batch"));
        for (std::size_t k = 0; k < batch * out; ++k) kept[k] = y[k];
    }

    // dW, the gradient of the effective weight W, and dx (unless null) from dy; x: the forward's input
    void backward(T* dW, const T* W, const T* dy, T* dx, const T* x, std::size_t batch, std::size_t in,
                  std::size_t out) {
        T* dz = ensure_size(dz_, batch * out);
        kernels<NacMulKernels<T>>().backward(dW, dx, dz, dy, x, y_.data(), log_x_.data(), W, eps_, batch, in, out);
    }

private:
    T eps_;
    std::vector<T> log_x_, y_, dz_;
};

// The layers whose only state beyond their weights is the log space's.
template <class T>
class LogSpaceLayer : public Layer<T> {
public:
    LogSpaceLayer(std::size_t in, std::size_t out, const Options& given) : Layer<T>(in, out), log_space_(given) {}

    Options options() const override { return Options({{"eps", log_space_.eps()}}); }

protected:
    void log_space_forward(const T* W, const T* x, T* y, std::size_t batch) {
        log_space_.forward(W, x, y, batch, this->in_, this->out_);
    }
    void log_space_backward(T* dW, const T* W, const T* dy, T* dx, std::size_t batch) {
        log_space_.backward(dW, W, dy, dx, this->input(), batch, this->in_, this->out_);
    }

private:
    LogSpace<T> log_space_;
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

// NAC•,NMU (Madsen & Johansen's stable-nalu layer/re_regualized_linear_pos_nac.py with --nac-mul
// normal): the NAC• in log space with the NMU's weight, W kept in [0, 1] by the constraint, the
// NMU's initialisation and sparsity regularizer (ranged_weight_layer.hpp). Options: constraint, eps.
template <class T>
class NacMulNmuLayer : public RangedWeightLayer<T> {
public:
    NacMulNmuLayer(std::size_t in, std::size_t out, const Options& given)
        : RangedWeightLayer<T>(in, out, T(0), T(1), false, given, in), log_space_(given) {}

    const char* kind() const override { return "NACMulNMU"; }
    Options options() const override {
        std::map<std::string, Options::Value> values = RangedWeightLayer<T>::options().values();
        values["eps"] = log_space_.eps();
        return Options(values);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        log_space_.forward(this->clamped(), x, y, batch, this->in_, this->out_);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* dW = this->grads();
        log_space_.backward(dW, this->Wc_.data(), dy, dx, this->input(), batch, this->in_, this->out_);
        if (!this->masked()) return;
        const T* W = this->params();  // the clamp passes gradient inside [0, 1], edges included
        for (std::size_t k = 0; k < this->Wc_.size(); ++k)
            if (W[k] < T(0) || W[k] > T(1)) dW[k] = T(0);
    }

private:
    LogSpace<T> log_space_;
};

}  // namespace nalu
