// NAC layer: parameters W_hat, M_hat (out, in). Kernels in kernels.hpp. NacWeightCache is shared
// with the units built on the NAC's weight (NALU, iNALU).
#pragma once

#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "kernels.hpp"

namespace nalu {

// The effective weight W and its factors, recomputed from the parameters on every forward.
template <class T>
class NacWeightCache {
public:
    explicit NacWeightCache(std::size_t n) : store_(checked_mul(4, n, "the weight cache")), n_(n) {}
    NacWeights<T> view() {
        T* p = store_.data();
        return NacWeights<T>{p, p + n_, p + 2 * n_, p + 3 * n_};
    }
    void compute(const T* W_hat, const T* M_hat) { kernels<NacKernels<T>>().weights(view(), W_hat, M_hat, n_); }
    // Turns dW, the gradient of the effective weight (written in dW_hat), into those of W_hat and M_hat.
    void backward(T* dW_hat, T* dM_hat) { kernels<NacKernels<T>>().weights_backward(dW_hat, dM_hat, dW_hat, view(), n_); }

private:
    std::vector<T> store_;
    std::size_t n_;
};

template <class T>
class NacLayer : public Layer<T> {
public:
    NacLayer(std::size_t in, std::size_t out, const Options& = {})
        : Layer<T>(in, out),
          W_hat_(this->add_param("W_hat", {out, in})),
          M_hat_(this->add_param("M_hat", {out, in})),
          weights_(out * in) {}

    const char* kind() const override { return "NAC"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool /*input_unchanged*/) override {
        weights_.compute(this->params() + W_hat_, this->params() + M_hat_);
        kernels<NacKernels<T>>().forward(y, x, weights_.view().W, batch, this->in_, this->out_);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NacKernels<T>>().backward(this->grads() + W_hat_, this->grads() + M_hat_, dx, dy,
                                          this->input(), weights_.view(), batch, this->in_, this->out_);
    }

private:
    std::size_t W_hat_, M_hat_;  // offsets into the flat parameter and gradient buffers
    NacWeightCache<T> weights_;
};

}  // namespace nalu
