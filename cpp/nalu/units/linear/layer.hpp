// Linear and Dense layers: parameters W (out, in) and, with the flag bias, b (out,); Dense applies
// an activation after. Kernels in kernels.hpp.
#pragma once

#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class LinearLayer : public Layer<T> {
public:
    // Option: the flag bias.
    LinearLayer(std::size_t in, std::size_t out, const Options& given)
        : Layer<T>(in, out),
          bias_(given.flag("bias")),
          W_(this->add_param("W", {out, in})),
          b_(bias_ ? this->add_param("b", {out}) : 0) {}

    const char* kind() const override { return "Linear"; }
    Options options() const override { return Options({{"bias", bias_}}); }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const T* p = this->params();
        kernels<LinearKernels<T>>().forward(y, x, p + W_, bias_ ? p + b_ : nullptr, batch, this->in_, this->out_);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        T* g = this->grads();
        kernels<LinearKernels<T>>().backward(g + W_, bias_ ? g + b_ : nullptr, dx, dy, this->input(),
                                             this->params() + W_, batch, this->in_, this->out_);
    }

    bool bias_;
    std::size_t W_, b_;
};

template <class T>
class DenseLayer : public LinearLayer<T> {
public:
    // Options: the flag bias, the number activation (an Activation).
    DenseLayer(std::size_t in, std::size_t out, const Options& given)
        : LinearLayer<T>(in, out, given),
          act_(static_cast<Activation>(given.choice("activation", {"identity", "sigmoid", "tanh", "relu"}, 1))) {}

    const char* kind() const override { return "Dense"; }
    Options options() const override {
        return Options({{"bias", this->bias_}, {"activation", static_cast<double>(act_)}});
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool unchanged) override {
        LinearLayer<T>::do_forward(x, y, batch, unchanged);
        const std::size_t n = batch * this->out_;
        kernels<LinearKernels<T>>().activate(y, n, act_);
        T* kept = ensure_size(output_, n);  // backward's act'(z) comes from act(z)
        for (std::size_t k = 0; k < n; ++k) kept[k] = y[k];
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t n = batch * this->out_;
        T* dz = ensure_size(dz_, n);
        kernels<LinearKernels<T>>().activation_backward(dz, dy, output_.data(), n, act_);
        LinearLayer<T>::do_backward(dz, dx, batch);
    }

private:
    Activation act_;
    std::vector<T> output_, dz_;
};

}  // namespace nalu
