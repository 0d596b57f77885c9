// Linear layer: parameters W (out, in) and, with the flag bias, b (out,). Kernels in kernels.hpp.
#pragma once

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

private:
    bool bias_;
    std::size_t W_, b_;
};

}  // namespace nalu
