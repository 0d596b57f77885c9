// NALU layer with tied weights: parameters W_hat, M_hat, G (out, in) and ε. Kernels in units/nalu.hpp.
#pragma once

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "../layer.hpp"
#include "../blas.hpp"
#include "../kernels/kernel_table.hpp"
#include "nac_layer.hpp"

namespace nalu {

template <class T>
class NaluLayer : public Layer<T> {
public:
    NaluLayer(std::size_t in, std::size_t out, T eps)
        : Layer<T>(in, out),
          W_hat_(this->add_param("W_hat", {out, in})),
          M_hat_(this->add_param("M_hat", {out, in})),
          G_(this->add_param("G", {out, in})),
          eps_(eps),
          weights_(out * in) {
        if (!(std::isfinite(eps) && eps >= T(0)))
            throw std::invalid_argument("eps must be a finite number >= 0, got " + std::to_string(eps));
    }

    const char* kind() const override { return "NALU"; }
    T eps() const { return eps_; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool input_unchanged) override {
        weights_.compute(this->params() + W_hat_, this->params() + M_hat_);
        // log(|x| + ε) depends on the input alone: an unchanged input (full-batch training) keeps it.
        const bool log_x_ready = input_unchanged && log_x_batch_ == batch;
        log_x_batch_ = 0;  // invalid until this forward has written it
        const NaluCache<T> c = cache(batch);
        const T* xk = kernel_input(x, c, batch, log_x_ready);
        kernels<T>().nalu_forward(y, c, log_x_ready, xk, weights_.view().W, this->params() + G_,
                                  eps_, batch, this->in_, this->out_);
        log_x_batch_ = batch;
    }

    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t bo = batch * this->out_, bi = batch * this->in_;
        T* s = ensure_size(scratch_, 3 * bo + bi);
        const NaluScratch<T> scratch{s, s + bo, s + 2 * bo, s + 3 * bo};
        T* g = this->grads();
        const NaluCache<T> c = cache(batch);
        kernels<T>().nalu_backward(g + W_hat_, g + M_hat_, g + G_, dx, scratch, dy,
                                   kernel_input(this->input(), c, batch, true), c,
                      weights_.view(), this->params() + G_, eps_, batch, this->in_, this->out_);
    }

private:
    // The forward cache for `batch` rows, in one buffer that only ever grows:
    // [x copy (B, I) | log_x (B, I) | a | m | g | g_comp (B, O each)].
    NaluCache<T> cache(std::size_t batch) {
        const std::size_t bo = checked_mul(batch, this->out_, "the batch");
        const std::size_t bi = checked_mul(batch, this->in_, "the batch");
        T* c = ensure_size(cache_, checked_mul(6, bo > bi ? bo : bi, "the batch")) + bi;
        return NaluCache<T>{c, c + bi, c + bi + bo, c + bi + 2 * bo, c + bi + 3 * bo};
    }

    // The x the kernels read. For products large enough for BLAS, a copy placed right before
    // log_x, so that [x; log_x] is one (2B, I) matrix and BLAS runs one product of twice the rows
    // instead of two; smaller shapes read the layer's input directly (no copy).
    const T* kernel_input(const T* x, const NaluCache<T>& c, std::size_t batch, bool copy_ready) {
        if (!blas::worth_it(batch, this->out_, this->in_)) return x;
        T* stacked = c.log_x - batch * this->in_;
        if (!copy_ready) std::memcpy(stacked, x, batch * this->in_ * sizeof(T));
        return stacked;
    }

    std::size_t W_hat_, M_hat_, G_;
    T eps_;
    NacWeightCache<T> weights_;
    std::vector<T> cache_, scratch_;
    std::size_t log_x_batch_ = 0;  // rows of cache().log_x that match the current input; 0: none
};

}  // namespace nalu
