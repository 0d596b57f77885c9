// NPU (parameters W_re, W_im (out, in), g (in,)) and RealNPU (W (out, in), g (in,)) layers, and
// their naive forms without the relevance gate, NaiveNPU and RealNaiveNPU (NeuralArithmetic.jl's
// NaiveNPU: the NPU's formula at g = 1, g no parameter). Kernels in kernels.hpp; ε is the dtype's
// machine epsilon. Regularizer: the L1 norm of every parameter, as the NPU papers train them
// (docs/units.md#npu-and-realnpu).
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class NpuLayer : public Layer<T> {
public:
    // Options: the flags real, for the RealNPU (no imaginary weights), and naive (no gate: g = 1).
    NpuLayer(std::size_t in, std::size_t out, const Options& given)
        : NpuLayer(in, out, given.flag("real"), given.flag("naive")) {}
    NpuLayer(std::size_t in, std::size_t out, bool real, bool naive)
        : Layer<T>(in, out),
          real_(real),
          naive_(naive),
          W_re_(this->add_param(real ? "W" : "W_re", {out, in})),
          W_im_(real ? 0 : this->add_param("W_im", {out, in})),
          g_(naive ? 0 : this->add_param("g", {in})),
          ones_(naive ? in : 0, T(1)),
          dg_unused_(naive ? in : 0) {}

    const char* kind() const override {
        return naive_ ? (real_ ? "RealNaiveNPU" : "NaiveNPU") : (real_ ? "RealNPU" : "NPU");
    }
    Options options() const override { return Options({{"real", real_}, {"naive", naive_}}); }

    // R = Σ |p| over every parameter (torch.norm(p, 1) summed, as bmistry4/nalm-benchmark's
    // functional/regualizer.py l1); adds λ sign(p) to the gradient (0 at p = 0, torch's sign).
    bool has_regularizer() const override { return true; }
    double regularize(T lambda) override {
        const T* p = this->params();
        T* grad = this->grads();
        double sum = 0.0;
        for (std::size_t k = 0, n = this->num_params(); k < n; ++k) {
            sum += std::fabs(p[k]);
            grad[k] += lambda * static_cast<T>((p[k] > T(0)) - (p[k] < T(0)));
        }
        return sum;
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const T* p = this->params();
        kernels<NpuKernels<T>>().forward(y, cache(batch), x, gate(), p + W_re_, real_ ? nullptr : p + W_im_,
                                 kEps, batch, this->in_, this->out_);
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t bo = batch * this->out_, in = this->in_;
        T* s = ensure_size(scratch_, 3 * bo + 2 * in);
        const NpuScratch<T> scratch{s, s + bo, s + 2 * bo, s + 3 * bo, s + 3 * bo + in};
        const T* p = this->params();
        T* gr = this->grads();
        // the naive forms' gate is the constant 1: its gradient is computed and dropped
        kernels<NpuKernels<T>>().backward(gr + W_re_, real_ ? nullptr : gr + W_im_,
                                  naive_ ? dg_unused_.data() : gr + g_, dx, scratch, dy,
                                  this->input(), gate(), cache(batch), p + W_re_,
                                  real_ ? nullptr : p + W_im_, kEps, batch, this->in_, this->out_);
    }

private:
    static constexpr T kEps = std::numeric_limits<T>::epsilon();

    const T* gate() { return naive_ ? ones_.data() : this->params() + g_; }

    NpuCache<T> cache(std::size_t batch) {
        const std::size_t bo = checked_mul(batch, this->out_, "the batch");
        const std::size_t bi = checked_mul(batch, this->in_, "the batch");
        T* c = ensure_size(cache_, checked_mul(5, bo > bi ? bo : bi, "the batch"));
        return NpuCache<T>{c, c + bi, c + 2 * bi, c + 2 * bi + bo, c + 2 * bi + 2 * bo};
    }

    bool real_, naive_;
    std::size_t W_re_, W_im_, g_;
    std::vector<T> ones_, dg_unused_;  // the naive forms' gate, and where its gradient goes
    std::vector<T> cache_, scratch_;
};

}  // namespace nalu
