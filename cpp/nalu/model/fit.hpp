// The multi-step training loop: minibatches drawn in C++, one train_step each, losses recorded.
//
// A Fitter keeps its sampler state between calls to run(), so the Python side can run a long fit
// in chunks (for progress bars and callbacks) and get exactly the result of one long run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "../rng.hpp"
#include "sequential.hpp"

namespace nalu {

struct FitConfig {
    std::size_t batch_size;  // rows per step; equal to the number of rows means full batch
    bool shuffle;            // draw rows in a fresh random order each epoch, else in order
    std::uint64_t seed;      // of the shuffle
    Loss loss;
};

template <class T>
class Fitter {
public:
    // x (rows, in) and t (rows, out) must stay alive and unchanged while the Fitter is used.
    Fitter(Sequential<T>& model, Optimizer<T>& optimizer, const T* x, const T* t, std::size_t rows,
           FitConfig config)
        : model_(model), opt_(optimizer), x_(x), t_(t), rows_(rows), cfg_(config), rng_(config.seed) {
        if (rows == 0) throw std::invalid_argument("fit needs at least one training row, got 0");
        if (cfg_.batch_size == 0 || cfg_.batch_size > rows)
            throw std::invalid_argument("batch_size must be between 1 and the number of rows (" +
                                        std::to_string(rows) + "), got " +
                                        std::to_string(cfg_.batch_size));
        full_batch_ = cfg_.batch_size == rows && !cfg_.shuffle;
        order_.resize(rows);
        std::iota(order_.begin(), order_.end(), std::size_t{0});
        position_ = rows;  // the first batch starts a new epoch
    }

    // Runs up to `steps` training steps, writing each step's loss to losses[0..steps) and, unless
    // null, its regularizer term to regularizers[0..steps).
    FitChunk run(std::size_t steps, double* losses, double* regularizers) {
        const std::size_t in = model_.in_features(), out = model_.out_features();
        const std::size_t batch = cfg_.batch_size;
        if (full_batch_)  // written once: the first layer sees an unchanged input on later steps
            copy_rows(model_.input_buffer(batch), x_, 0, rows_, in);
        for (std::size_t s = 0; s < steps; ++s) {
            const T* tb = t_;
            if (!full_batch_) {
                T* xb = model_.input_buffer(batch);
                tb = ensure_size(t_batch_, batch * out);
                for (std::size_t r = 0; r < batch; ++r) {
                    const std::size_t row = next_row();
                    copy_rows(xb + r * in, x_, row, 1, in);
                    copy_rows(t_batch_.data() + r * out, t_, row, 1, out);
                }
            }
            const StepResult result = model_.train_step(tb, batch, cfg_.loss, opt_);
            if (result.divergence != Divergence::None) return {s, result.divergence, result.loss};
            losses[s] = result.loss;
            if (regularizers) regularizers[s] = result.regularizer;
        }
        return {steps};
    }

private:
    static void copy_rows(T* dst, const T* src, std::size_t first, std::size_t count, std::size_t width) {
        const T* from = src + first * width;
        for (std::size_t k = 0; k < count * width; ++k) dst[k] = from[k];
    }

    // The next row of the current epoch; a new epoch (reshuffled if asked) when this one is used up.
    std::size_t next_row() {
        if (position_ == rows_) {
            if (cfg_.shuffle)
                for (std::size_t i = rows_ - 1; i > 0; --i) std::swap(order_[i], order_[rng_.below(i + 1)]);
            position_ = 0;
        }
        return order_[position_++];
    }

    Sequential<T>& model_;
    Optimizer<T>& opt_;
    const T* x_;
    const T* t_;
    std::size_t rows_;
    FitConfig cfg_;
    Rng rng_;
    bool full_batch_ = false;
    std::vector<std::size_t> order_;
    std::size_t position_ = 0;
    std::vector<T> t_batch_;
};

}  // namespace nalu
