// A stack of layers with its own workspace: forward, backward, and one fused training step.
//
// Activations and gradients between layers live in buffers that grow to the largest batch seen
// and are then reused. A training step is all or nothing: one whose loss is not finite, or whose
// update would make a parameter non-finite, changes no parameter, optimizer state or step count.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "../layer.hpp"
#include "../optim/optimizer.hpp"
#include "loss.hpp"

namespace nalu {

// Why a training step was not applied.
enum class Divergence {
    None,    // applied
    Loss,    // the loss was not finite (nothing was computed after it)
    Update,  // the loss was finite, but the update would have made a parameter or state non-finite
};

struct StepResult {
    double loss;
    Divergence divergence = Divergence::None;
    double regularizer = 0.0;  // Σ over layers of λ(t) R, added to the loss this step optimised
};

// What the multi-step loop (model/training_loop.hpp) reports for one chunk of steps.
struct FitChunk {
    std::size_t steps;                          // steps applied (each with a finite loss and update)
    Divergence divergence = Divergence::None;   // why the step after them was not applied
    double loss = 0.0;                          // that step's loss, when it was not applied
};

template <class T>
class Sequential {
public:
    explicit Sequential(std::vector<std::shared_ptr<Layer<T>>> layers) : layers_(std::move(layers)) {
        if (layers_.empty()) throw std::invalid_argument("Sequential needs at least one layer");
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j)
                if (layers_[i] == layers_[j])
                    throw std::invalid_argument(
                        "Sequential: layer " + std::to_string(j) + " appears again at position " +
                        std::to_string(i) + "; a layer keeps one forward cache, so use separate layers");
            if (i > 0 && layers_[i - 1]->out_features() != layers_[i]->in_features())
                throw std::invalid_argument(
                    "Sequential: layer " + std::to_string(i - 1) + " (" + layers_[i - 1]->kind() +
                    ") has out_features " + std::to_string(layers_[i - 1]->out_features()) +
                    " but layer " + std::to_string(i) + " (" + layers_[i]->kind() +
                    ") has in_features " + std::to_string(layers_[i]->in_features()));
        }
    }

    std::size_t in_features() const { return layers_.front()->in_features(); }
    std::size_t out_features() const { return layers_.back()->out_features(); }
    const std::vector<std::shared_ptr<Layer<T>>>& layers() const { return layers_; }
    long long steps() const { return steps_; }
    void set_steps(long long t) { steps_ = t; }  // restoring a saved model (t >= 0, checked by Python)

    std::vector<std::mutex*> mutexes() const {
        std::vector<std::mutex*> all;
        for (const auto& l : layers_) all.push_back(&l->mutex());
        return all;
    }

    // The rows the next forward(batch) reads: the first layer's own input buffer.
    T* input_buffer(std::size_t batch) { return layers_.front()->input_buffer(batch); }

    // Output (batch, out) of the stack on the rows in input_buffer(batch), in the model's workspace.
    // Each layer writes its output straight into the next layer's input buffer.
    const T* forward(std::size_t batch) {
        has_forward_ = false;
        T* out = nullptr;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            out = destination(i, batch);
            layers_[i]->forward(out, batch);
        }
        batch_ = batch;
        has_forward_ = true;
        return out;
    }

    // Writes x (batch, in) as the first layer's input (see Layer::write_input).
    void write_input(const T* x, std::size_t batch) { layers_.front()->write_input(x, batch); }

    // forward on x (batch, in).
    const T* forward(const T* x, std::size_t batch) {
        write_input(x, batch);
        return forward(batch);
    }

    // Output (batch, out) of the stack on x (batch, in), for inference: the first layer reads x
    // where it is (Layer::predict), so evaluating a large set costs no copy of it; backward()
    // then needs a forward first.
    const T* predict(const T* x, std::size_t batch) {
        has_forward_ = false;
        T* out = destination(0, batch);
        layers_[0]->predict(x, out, batch);
        for (std::size_t i = 1; i < layers_.size(); ++i) {
            out = destination(i, batch);
            layers_[i]->forward(out, batch);
        }
        return out;
    }

    // Writes every layer's gradients from dy (batch, out) and, unless null, dx (batch, in).
    // The first layer's dx is skipped when nobody asks for it.
    void backward(const T* dy, T* dx, std::size_t batch) {
        if (!has_forward_)
            throw std::logic_error("Sequential.backward() was called before forward(): there is nothing "
                                   "to differentiate yet");
        if (batch != batch_)
            throw std::invalid_argument("Sequential.backward(): dy has batch " + std::to_string(batch) +
                                        " but the last forward had batch " + std::to_string(batch_));
        const T* upstream = dy;
        for (std::size_t i = layers_.size(); i-- > 0;) {
            T* downstream = dx;
            if (i > 0) {
                std::vector<T>& buf = (i % 2) ? grad_a_ : grad_b_;  // ping-pong between layers
                downstream = ensure_size(buf, batch * layers_[i]->in_features());
            }
            layers_[i]->backward(upstream, downstream, batch);
            upstream = downstream;
        }
    }

    // Forward on the rows in input_buffer(batch), loss against t, backward and optimizer update.
    // All or nothing: a non-finite loss stops before backward, and an update that would make a
    // value non-finite is not applied (Optimizer::step); either way the parameters, the
    // optimizer's state and every step count stay as they were.
    StepResult train_step(const T* t, std::size_t batch, Loss loss, Optimizer<T>& opt) {
        const T* y = forward(batch);
        const std::size_t n = batch * out_features();
        const double value = loss_and_gradient(ensure_size(dy_, n), y, t, n, loss);
        if (!std::isfinite(value)) return {value, Divergence::Loss};
        backward(dy_.data(), nullptr, batch);
        const double reg = regularize();
        if (!opt.step()) return {value, Divergence::Update, reg};
        for (const auto& l : layers_) l->count_step();
        ++steps_;
        return {value, Divergence::None, reg};
    }

    // True when every layer the optimizer updates belongs to this model.
    bool owns_all(const Optimizer<T>& opt) const {
        for (const auto& slot : opt.slots())
            if (std::find(layers_.begin(), layers_.end(), slot.owner) == layers_.end()) return false;
        return true;
    }

private:
    // Where layer i writes its output (batch, out): the next layer's input buffer, or the model's
    // output after the last layer.
    T* destination(std::size_t i, std::size_t batch) {
        return i + 1 < layers_.size() ? layers_[i + 1]->input_buffer(batch)
                                      : ensure_size(output_, checked_mul(batch, out_features(), "the batch"));
    }

    // Adds each regularized layer's λ(t) dR/dparams to its gradients (t = the number of training
    // steps that layer has taken, its own clock) and returns Σ λ(t) R.
    double regularize() {
        double total = 0.0;
        for (const auto& l : layers_) {
            if (!l->has_regularizer()) continue;
            const double lambda = l->regularizer().at(l->steps());
            if (lambda != 0.0) total += lambda * l->regularize(static_cast<T>(lambda));
        }
        return total;
    }

    std::vector<std::shared_ptr<Layer<T>>> layers_;
    std::vector<T> output_, grad_a_, grad_b_, dy_;
    std::size_t batch_ = 0;
    bool has_forward_ = false;
    long long steps_ = 0;
};

}  // namespace nalu
