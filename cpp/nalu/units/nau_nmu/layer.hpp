// NAU and NMU layers: one parameter W (out, in) kept inside [lo, hi], with the sparsity regularizer
// of Madsen & Johansen 2020. Kernels in kernels.hpp.
#pragma once

#include <cmath>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class NauNmuLayer : public Layer<T> {
public:
    bool has_regularizer() const override { return true; }

    // Clamps W into [lo, hi] (docs/units.md#nau-and-nmu: after every optimizer step).
    void after_update() override {
        T* W = this->params();
        kernels<NauNmuKernels<T>>().clamp_weights(W, W, lo_, hi_, this->num_params());
    }

    // R = mean_ij min(a, 1 − a) with a = |W| (NAU) or W (NMU); adds λ dR/dW to the gradient. At the
    // tie a = ½ the derivative of the first argument is taken (one-sided, documented).
    double regularize(T lambda) override {
        const T* W = this->params();
        T* dW = this->grads();
        const std::size_t n = this->num_params();
        const T step = lambda / static_cast<T>(n);
        double sum = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
            const T a = symmetric_ ? std::fabs(W[k]) : W[k];
            const bool first = a <= T(1) - a;
            sum += first ? a : T(1) - a;
            const T da = symmetric_ ? (W[k] > T(0) ? T(1) : (W[k] < T(0) ? T(-1) : T(0))) : T(1);
            if (lambda != T(0)) dW[k] += step * (first ? da : -da);
        }
        return sum / static_cast<double>(n);
    }

protected:
    NauNmuLayer(std::size_t in, std::size_t out, T lo, T hi, bool symmetric)
        : Layer<T>(in, out), lo_(lo), hi_(hi), symmetric_(symmetric),
          W_(this->add_param("W", {out, in})), Wc_(out * in) {}

    // clamp(W) for this forward (the forward clamps too, docs/units.md#nau-and-nmu).
    const T* clamped() {
        kernels<NauNmuKernels<T>>().clamp_weights(Wc_.data(), this->params() + W_, lo_, hi_, Wc_.size());
        return Wc_.data();
    }

    T lo_, hi_;
    bool symmetric_;
    std::size_t W_;
    std::vector<T> Wc_;
};

template <class T>
class NauLayer : public NauNmuLayer<T> {
public:
    NauLayer(std::size_t in, std::size_t out, const Options& = {})
        : NauNmuLayer<T>(in, out, T(-1), T(1), true) {}
    const char* kind() const override { return "NAU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        kernels<NauNmuKernels<T>>().nau_forward(y, x, this->clamped(), batch, this->in_, this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NauNmuKernels<T>>().nau_backward(this->grads(), dx, dy, this->input(), this->params(),
                                  this->Wc_.data(), batch, this->in_, this->out_);
    }
};

template <class T>
class NmuLayer : public NauNmuLayer<T> {
public:
    NmuLayer(std::size_t in, std::size_t out, const Options& = {})
        : NauNmuLayer<T>(in, out, T(0), T(1), false), suffix_(in) {}
    const char* kind() const override { return "NMU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        kernels<NauNmuKernels<T>>().nmu_forward(y, x, this->clamped(), batch, this->in_, this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NauNmuKernels<T>>().nmu_backward(this->grads(), dx, suffix_.data(), dy, this->input(),
                                  this->params(), this->Wc_.data(), batch, this->in_, this->out_);
    }

private:
    std::vector<T> suffix_;
};

}  // namespace nalu
