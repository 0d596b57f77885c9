// NAC layer: parameters W_hat, M_hat (out, in). Kernels in units/nac.hpp.
#pragma once

#include <vector>

#include "../layer.hpp"
#include "../kernels/kernel_table.hpp"

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
    void compute(const T* W_hat, const T* M_hat) { kernels<T>().nac_weights(view(), W_hat, M_hat, n_); }

private:
    std::vector<T> store_;
    std::size_t n_;
};

template <class T>
class NacLayer : public Layer<T> {
public:
    NacLayer(std::size_t in, std::size_t out)
        : Layer<T>(in, out),
          W_hat_(this->add_param("W_hat", {out, in})),
          M_hat_(this->add_param("M_hat", {out, in})),
          weights_(out * in) {}

    const char* kind() const override { return "NAC"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool /*input_unchanged*/) override {
        weights_.compute(this->params() + W_hat_, this->params() + M_hat_);
        kernels<T>().nac_forward(y, x, weights_.view().W, batch, this->in_, this->out_);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<T>().nac_backward(this->grads() + W_hat_, this->grads() + M_hat_, dx, dy, this->input(),
                     weights_.view(), batch, this->in_, this->out_);
    }

private:
    std::size_t W_hat_, M_hat_;  // offsets into the flat parameter and gradient buffers
    NacWeightCache<T> weights_;
};

}  // namespace nalu
