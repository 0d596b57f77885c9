// The one multi-step training loop, behind both nalu_ext.fit and nalu_ext.train_task.
//
// Each step takes a batch from a BatchSource (fixed arrays here, or a task's generator:
// tasks/task_source.hpp), runs one
// all-or-nothing Sequential::train_step and records its loss and regularizer term. The loop keeps
// its step count and the source its state between calls of run(), so the Python side can run a
// long training in chunks (for progress, callbacks, logging and Ctrl-C) and get exactly the
// result of one long call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "../rng.hpp"
#include "batch_source.hpp"
#include "sequential.hpp"

namespace nalu {

// Rows of fixed arrays x (rows, in), t (rows, out), which must outlive the source unchanged:
// minibatches in order or reshuffled every epoch, or the full batch.
template <class T>
class ArraySource : public BatchSource<T> {
public:
    ArraySource(const T* x, const T* t, std::size_t rows, std::size_t in, std::size_t out,
                std::size_t batch, bool shuffle, std::uint64_t seed)
        : x_(x), t_(t), rows_(rows), in_(in), out_(out), shuffle_(shuffle), rng_(seed),
          full_batch_(batch == rows && !shuffle), order_(rows), position_(rows) {
        if (rows == 0) throw std::invalid_argument("fit needs at least one training row, got 0");
        if (batch == 0 || batch > rows)
            throw std::invalid_argument("batch_size must be between 1 and the number of rows (" +
                                        std::to_string(rows) + "), got " + std::to_string(batch));
        std::iota(order_.begin(), order_.end(), std::size_t{0});  // position_ = rows: a new epoch first
    }

    // Full batch: the rows are written once per chunk, so that the first layer sees an unchanged
    // input on later steps and keeps its input-only work (Layer::input_buffer).
    void begin_chunk(Sequential<T>& model, std::size_t batch) override {
        if (full_batch_) copy_rows(model.input_buffer(batch), x_, 0, rows_, in_);
    }

    const T* next(Sequential<T>& model, std::size_t batch, std::uint64_t) override {
        if (full_batch_) return t_;
        T* xb = model.input_buffer(batch);
        T* tb = ensure_size(t_batch_, batch * out_);
        for (std::size_t r = 0; r < batch; ++r) {
            const std::size_t row = next_row();
            copy_rows(xb + r * in_, x_, row, 1, in_);
            copy_rows(tb + r * out_, t_, row, 1, out_);
        }
        return tb;
    }

private:
    static void copy_rows(T* dst, const T* src, std::size_t first, std::size_t count, std::size_t width) {
        const T* from = src + first * width;
        for (std::size_t k = 0; k < count * width; ++k) dst[k] = from[k];
    }

    // The next row of the current epoch; a new epoch (reshuffled if asked) when this one is used up.
    std::size_t next_row() {
        if (position_ == rows_) {
            if (shuffle_)
                for (std::size_t i = rows_ - 1; i > 0; --i) std::swap(order_[i], order_[rng_.below(i + 1)]);
            position_ = 0;
        }
        return order_[position_++];
    }

    const T* x_;
    const T* t_;
    std::size_t rows_, in_, out_;
    bool shuffle_;
    Rng rng_;
    bool full_batch_;
    std::vector<std::size_t> order_;
    std::size_t position_;
    std::vector<T> t_batch_;
};

template <class T>
class TrainingLoop {
public:
    TrainingLoop(Sequential<T>& model, Optimizer<T>& optimizer, std::unique_ptr<BatchSource<T>> source,
                 std::size_t batch, Loss loss)
        : model_(model), opt_(optimizer), source_(std::move(source)), batch_(batch), loss_(loss) {
        // The batch's buffers now, so that a batch too large for memory fails here, not mid-run.
        model_.input_buffer(batch_);
    }

    // Runs up to `steps` training steps, writing each applied step's loss to losses[0..steps) and
    // its regularizer term to regularizers[0..steps); stops at the first step that is not applied
    // (Sequential::train_step: nothing of it is kept).
    FitChunk run(std::size_t steps, double* losses, double* regularizers) {
        source_->begin_chunk(model_, batch_);
        for (std::size_t s = 0; s < steps; ++s) {
            const T* t = source_->next(model_, batch_, step_);
            const StepResult r = model_.train_step(t, batch_, loss_, opt_);
            if (r.divergence != Divergence::None) return {s, r.divergence, r.loss};
            losses[s] = r.loss;
            regularizers[s] = r.regularizer;
            ++step_;
        }
        return {steps};
    }

private:
    Sequential<T>& model_;
    Optimizer<T>& opt_;
    std::unique_ptr<BatchSource<T>> source_;
    std::size_t batch_;
    Loss loss_;
    std::uint64_t step_ = 0;  // steps applied by this loop
};

}  // namespace nalu
