// Optimizers over flat parameter buffers, with PyTorch's update rules and defaults.
//
// An optimizer holds slots: (parameter buffer, gradient buffer, length), one per parameter array,
// each keeping its owning layer alive. step() optionally clips the gradients in place (by value,
// then by global norm, as torch.nn.utils.clip_grad_value_ / clip_grad_norm_ would), then applies
// the subclass's update to every slot. State (moments) is allocated once, at construction.
//
// A step is all or nothing: when the update would make any parameter or state value non-finite,
// the parameters, the state and the step count stay exactly as they were and step() returns
// false. The parameters are copied before the update (their buffers are shared with NumPy, so
// they are updated in place); the state is kept twice and the new copy adopted only on success.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "../layer.hpp"

namespace nalu {

template <class T>
struct ParamSlot {
    std::shared_ptr<Layer<T>> owner;  // keeps the buffers alive
    T* param;
    T* grad;
    std::size_t size;
};

struct ClipConfig {
    double value = 0.0;  // clip each gradient element to [-value, value]; 0 = off
    double norm = 0.0;   // rescale so that the global L2 norm is at most norm; 0 = off
};

inline void require(bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
}

inline void check_clip(const ClipConfig& c) {
    require(std::isfinite(c.value) && c.value >= 0.0,
            "clip_value must be a finite number > 0 (or None), got " + std::to_string(c.value));
    require(std::isfinite(c.norm) && c.norm >= 0.0,
            "clip_norm must be a finite number > 0 (or None), got " + std::to_string(c.norm));
}

// An optimizer's state (one buffer per slot) in two copies: the update reads `in` and writes `out`;
// commit() adopts `out` once the whole step is known to be finite.
template <class T>
class TwoCopyState {
public:
    TwoCopyState() = default;
    explicit TwoCopyState(std::vector<std::vector<T>> zeros) : current_(zeros), next_(std::move(zeros)) {}
    const T* in(std::size_t slot) const { return current_[slot].data(); }
    T* current(std::size_t slot) { return current_[slot].data(); }  // for restoring a saved state
    T* out(std::size_t slot) { return next_[slot].data(); }
    void commit() { current_.swap(next_); }
    bool empty() const { return current_.empty(); }

private:
    std::vector<std::vector<T>> current_, next_;
};

template <class T>
class Optimizer {
public:
    Optimizer(std::vector<ParamSlot<T>> slots, double lr, ClipConfig clip)
        : slots_(std::move(slots)), clip_(clip) {
        set_lr(lr);
        check_clip(clip);
    }
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    double lr() const { return lr_; }
    void set_lr(double lr) {
        require(std::isfinite(lr) && lr >= 0.0,
                "lr must be a finite number >= 0, got " + std::to_string(lr));
        lr_ = lr;
    }
    long long steps() const { return steps_; }
    // For restoring a saved optimizer: the step count t (Adam's bias corrections, SGD's first step).
    void set_steps(long long t) {
        require(t >= 0, "steps must be >= 0, got " + std::to_string(t));
        steps_ = t;
    }
    const std::vector<ParamSlot<T>>& slots() const { return slots_; }

    // The optimizer's state by name (torch's names: "exp_avg", "exp_avg_sq", "square_avg",
    // "momentum_buffer"), one array per parameter slot, as in effect after the last applied step.
    virtual std::vector<std::pair<const char*, TwoCopyState<T>*>> state() { return {}; }

    // The optimizer's own mutex and those of every layer it updates (see LockSet).
    std::vector<std::mutex*> mutexes() const {
        std::vector<std::mutex*> all{&mutex_};
        for (const auto& s : slots_) all.push_back(&s.owner->mutex());
        return all;
    }

    // One update from the gradients the layers hold now; false (and nothing changed but the
    // clipped gradients) when it would make a parameter or a state value non-finite.
    bool step() {
        clip_gradients();
        save_params();
        const long long t = steps_ + 1;
        begin_step(t);
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (!update(i, slots_[i])) {
                restore_params(i + 1);
                return false;
            }
        commit_state();
        steps_ = t;
        // after_update is idempotent; adjacent slots of one layer share one call.
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (i == 0 || slots_[i].owner != slots_[i - 1].owner) slots_[i].owner->after_update();
        return true;
    }

protected:
    // Per-step scalars (bias corrections, ...) are computed here once, not once per slot; t is the
    // number of this step, counted from 1.
    virtual void begin_step(long long /*t*/) {}
    // Updates slot `index` in place, writing the new state to the spare copy; false when a new
    // value is not finite.
    virtual bool update(std::size_t index, const ParamSlot<T>& slot) = 0;
    // The step succeeded: the spare state becomes the current one.
    virtual void commit_state() {}

    // One state buffer per slot, zero-initialised, sized like the slot.
    std::vector<std::vector<T>> make_state() const {
        std::vector<std::vector<T>> state;
        for (const auto& s : slots_) state.emplace_back(s.size, T(0));
        return state;
    }

private:
    void save_params() {
        std::size_t total = 0;
        for (const auto& s : slots_) total += s.size;
        T* b = ensure_size(backup_, total);
        for (const auto& s : slots_) {
            std::memcpy(b, s.param, s.size * sizeof(T));
            b += s.size;
        }
    }

    // Puts back the parameters of the first `count` slots (the ones an update touched).
    void restore_params(std::size_t count) {
        const T* b = backup_.data();
        for (std::size_t i = 0; i < count; ++i) {
            std::memcpy(slots_[i].param, b, slots_[i].size * sizeof(T));
            b += slots_[i].size;
        }
    }

    void clip_gradients() {
        if (clip_.value > 0.0) {
            const T c = static_cast<T>(clip_.value);
            for (const auto& s : slots_)
                for (std::size_t k = 0; k < s.size; ++k)
                    s.grad[k] = s.grad[k] < -c ? -c : (s.grad[k] > c ? c : s.grad[k]);
        }
        if (clip_.norm > 0.0) {
            double sum_sq = 0.0;
            for (const auto& s : slots_)
                for (std::size_t k = 0; k < s.size; ++k)
                    sum_sq += static_cast<double>(s.grad[k]) * static_cast<double>(s.grad[k]);
            // As torch: coefficient max_norm / (norm + 1e-6), applied when below 1 (a non-finite
            // norm gives 0 or NaN, which then shows in the parameters and stops training).
            const double coef = clip_.norm / (std::sqrt(sum_sq) + 1e-6);
            if (!(coef >= 1.0)) {
                const T c = static_cast<T>(coef);
                for (const auto& s : slots_)
                    for (std::size_t k = 0; k < s.size; ++k) s.grad[k] *= c;
            }
        }
    }

    std::vector<ParamSlot<T>> slots_;
    std::vector<T> backup_;  // the parameters before the current step's update
    ClipConfig clip_;
    double lr_ = 0.0;
    long long steps_ = 0;
    mutable std::mutex mutex_;
};

}  // namespace nalu
