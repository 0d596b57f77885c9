// The stateful side of a unit: parameters, gradients and the workspace its kernels need.
//
// Every layer keeps all its parameters in one flat buffer and all gradients in a second buffer of
// the same layout, so optimizers can update a layer with one loop. Named views into the buffers
// (ParamInfo) give the shapes users see. Workspace grows with the largest batch seen and is then
// reused: no allocation happens in a steady training loop.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "options.hpp"

namespace nalu {

// a * b, or std::length_error when the product does not fit in size_t.
inline std::size_t checked_mul(std::size_t a, std::size_t b, const char* what) {
    if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a)
        throw std::length_error(std::string(what) + " is too large to allocate");
    return a * b;
}

// A hyper-parameter given in double, in the layer's type T. std::invalid_argument when the value
// does not survive the conversion: finite but beyond T's range, or non-zero but below T's smallest
// positive value (a float32 layer asked for eps = 1e-50 would otherwise silently get eps = 0).
template <class T>
T narrow_to(double value, const char* name) {
    const T narrowed = static_cast<T>(value);
    if ((std::isfinite(value) && !std::isfinite(narrowed)) || (value != 0.0 && narrowed == T(0))) {
        std::ostringstream message;
        message << name << " = " << value << " is outside the range of "
                << (sizeof(T) == 4 ? "float32" : "float64") << " (use float64 or another value)";
        throw std::invalid_argument(message.str());
    }
    return narrowed;
}

// The rule of a unit's ε (the NALU's log(|x| + ε), the iNALU's log(max(|x|, ε))): finite, and
// >= 0, or > 0 where ε = 0 would take log(0). std::invalid_argument otherwise.
inline void check_eps(double eps, bool zero_allowed) {
    if (!(std::isfinite(eps) && (zero_allowed ? eps >= 0.0 : eps > 0.0)))
        throw std::invalid_argument(std::string("eps must be a finite number ") + (zero_allowed ? ">= 0" : "> 0") +
                                    ", got " + std::to_string(eps));
}

// Grows v to at least n elements; never shrinks, so steady-state calls do not allocate.
template <class T>
inline T* ensure_size(std::vector<T>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
}

// The weight λ(t) of a unit's regularizer at step t, in one of two shapes (docs/units.md):
//  - a linear warm-up (every = 0): λ(t) = λ̂ · max(min((t − start) / (end − start), 1), 0), zero
//    before start, λ̂ from end on (a step at start when end ≤ start); Madsen & Johansen's;
//  - geometric steps (every > 0): λ(t) = min(initial · growth^⌊t / every⌋, λ̂), the NPU papers'
//    β schedule (β_start = initial, β_end = λ̂, multiplied by growth every `every` steps).
struct RegularizerSchedule {
    double lambda_hat = 0.0;
    long long start = 0, end = 0;
    double initial = 0.0, growth = 0.0;
    long long every = 0;
    double at(long long t) const {
        if (lambda_hat == 0.0) return 0.0;
        if (every > 0) {
            const double grown = initial * std::pow(growth, static_cast<double>(t / every));
            return grown < lambda_hat ? grown : lambda_hat;
        }
        if (end <= start) return t >= start ? lambda_hat : 0.0;
        const double ramp = static_cast<double>(t - start) / static_cast<double>(end - start);
        return lambda_hat * (ramp < 0.0 ? 0.0 : (ramp > 1.0 ? 1.0 : ramp));
    }
};

struct ParamInfo {
    std::string name;
    std::vector<std::size_t> shape;
    std::size_t offset;  // into params() and grads()
    std::size_t size;
};

template <class T>
class Layer {
public:
    using Scalar = T;
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    virtual const char* kind() const = 0;
    // The options that rebuild this layer (unit_registry.hpp), with the values in effect: a
    // float32 layer reports its eps as rounded to float32.
    virtual Options options() const { return {}; }
    std::size_t in_features() const { return in_; }
    std::size_t out_features() const { return out_; }

    const std::vector<ParamInfo>& param_info() const { return info_; }
    T* params() { return params_.data(); }
    T* grads() { return grads_.data(); }
    std::size_t num_params() const { return params_.size(); }

    bool has_forward() const { return has_forward_; }
    std::size_t last_batch() const { return batch_; }

    // Training steps this layer has taken part in: the clock t of its regularizer schedule λ(t).
    // It belongs to the layer, so a schedule continues across fit() calls and models.
    long long steps() const { return steps_; }
    void count_step() { ++steps_; }
    void set_steps(long long t) { steps_ = t; }  // restoring a saved layer (t >= 0, checked by Python)

    // Training or evaluation mode, for the units whose forward differs between the two (the
    // NMRU's reciprocal, the sNMU's noise): the caller sets it (nalu_ext's train()/eval(); the
    // protocol evaluates in evaluation mode). Every other unit ignores it. A new layer is in
    // training mode.
    bool training() const { return training_; }
    void set_training(bool on) { training_ = on; }

    // Held by callers that may run on several threads at once (the bindings release the GIL).
    std::mutex& mutex() const { return mutex_; }

    // The layer's own input rows for `batch` (grown as needed, never shrunk). A caller may write x
    // here and call forward(y, batch): a Sequential has each layer write its output straight into
    // the next layer's input buffer, so no copies are made and the cache backward reads is always
    // the layer's own memory.
    // Every write to the input must go through a fresh call of input_buffer(): the layer then
    // knows its input changed, and otherwise may keep work that depends on the input alone.
    T* input_buffer(std::size_t batch) {
        input_changed_ = true;
        return ensure_size(input_, checked_mul(batch, in_, "the batch"));
    }

    // y (batch, out) from the first batch rows of input_buffer().
    void forward(T* y, std::size_t batch) {
        has_forward_ = false;  // a throwing forward leaves no stale state behind
        if (input_.size() < batch * in_)
            throw std::logic_error("Layer.forward: input_buffer() was not filled for this batch");
        do_forward(input_.data(), y, batch, !input_changed_);
        input_changed_ = false;
        batch_ = batch;
        has_forward_ = true;
    }

    // Copies x (batch, in) into the input buffer, unless the buffer already holds exactly these
    // bits for this batch: a caller passing the same data again (full-batch training from Python)
    // then keeps the input-only work of the last forward. Comparing costs less than that work.
    void write_input(const T* x, std::size_t batch) {
        const std::size_t n = checked_mul(batch, in_, "the batch");
        if (!input_changed_ && batch == batch_ && has_forward_ &&
            (n == 0 || std::memcmp(input_.data(), x, n * sizeof(T)) == 0))
            return;
        T* buffer = input_buffer(batch);
        if (n > 0) std::memcpy(buffer, x, n * sizeof(T));  // memcpy of null, 0 bytes is undefined
    }

    // y (batch, out) from x (batch, in), which is written to the input buffer first.
    void forward(const T* x, T* y, std::size_t batch) {
        write_input(x, batch);
        forward(y, batch);
    }

    // y (batch, out) from x (batch, in) read where it is, for inference: no copy of x is kept, so
    // backward() needs a forward first (and the next forward recomputes its input-only work).
    void predict(const T* x, T* y, std::size_t batch) {
        has_forward_ = false;
        input_changed_ = true;
        do_forward(x, y, batch, false);
    }

    // Writes grads() for the last forward and, unless dx is null, dx (batch, in) from dy (batch, out).
    void backward(const T* dy, T* dx, std::size_t batch) {
        if (!has_forward_)
            throw std::logic_error(std::string(kind()) +
                                   ".backward() was called before forward(): there is nothing to "
                                   "differentiate yet");
        if (batch != batch_)
            throw std::invalid_argument(std::string(kind()) + ".backward(): dy has batch " +
                                        std::to_string(batch) + " but the last forward had batch " +
                                        std::to_string(batch_));
        do_backward(dy, dx, batch);
    }

    // Called after every optimizer update of this layer's parameters (e.g. clamping into range).
    virtual void after_update() {}

    // Units with a sparsity regularizer: its schedule, and regularize(λ), which adds λ·dR/dparams
    // to grads() and returns R (unscaled). Others have neither.
    virtual bool has_regularizer() const { return false; }
    const RegularizerSchedule& regularizer() const { return schedule_; }
    void set_regularizer(const RegularizerSchedule& s) {
        if (!has_regularizer())
            throw std::invalid_argument(std::string(kind()) + " has no regularizer");
        schedule_ = s;
    }
    virtual double regularize(T /*lambda*/) { return 0.0; }

protected:
    // Sizes arrive checked (positive: nalu_ext.layers.Layer, the one place that rule lives).
    Layer(std::size_t in, std::size_t out) : in_(in), out_(out) {}

    // Declares a parameter (called from constructors, in a fixed order). Returns its offset.
    std::size_t add_param(std::string name, std::vector<std::size_t> shape) {
        std::size_t size = 1;
        for (std::size_t d : shape) size = checked_mul(size, d, "a parameter");
        const std::size_t offset = params_.size();
        info_.push_back(ParamInfo{std::move(name), std::move(shape), offset, size});
        params_.resize(offset + size, T(0));
        grads_.resize(offset + size, T(0));
        return offset;
    }

    // input_unchanged: x is the same input as in the previous forward, with the same batch.
    virtual void do_forward(const T* x, T* y, std::size_t batch, bool input_unchanged) = 0;
    virtual void do_backward(const T* dy, T* dx, std::size_t batch) = 0;

    const T* input() const { return input_.data(); }  // what the last forward read
    std::size_t in_, out_;

private:
    RegularizerSchedule schedule_;
    std::vector<ParamInfo> info_;
    std::vector<T> params_, grads_, input_;
    std::size_t batch_ = 0;
    long long steps_ = 0;
    bool has_forward_ = false;
    bool training_ = true;
    bool input_changed_ = true;
    mutable std::mutex mutex_;
};

}  // namespace nalu
