// Optimizers over flat parameter buffers, with PyTorch's update rules and defaults.
//
// An optimizer holds slots: (parameter buffer, gradient buffer, length), one per parameter array,
// each keeping its owning layer alive. step() optionally clips the gradients in place (by value,
// then by global norm, as torch.nn.utils.clip_grad_value_ / clip_grad_norm_ would), then applies
// the subclass's update to every slot. State (moments) is allocated once, at construction.
#pragma once

#include <cmath>
#include <cstddef>
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
    const std::vector<ParamSlot<T>>& slots() const { return slots_; }

    // The optimizer's own mutex and those of every layer it updates (see LockSet).
    std::vector<std::mutex*> mutexes() const {
        std::vector<std::mutex*> all{&mutex_};
        for (const auto& s : slots_) all.push_back(&s.owner->mutex());
        return all;
    }

    void step() {
        clip_gradients();
        ++steps_;
        begin_step();
        for (std::size_t i = 0; i < slots_.size(); ++i) update(i, slots_[i]);
        // after_update is idempotent; adjacent slots of one layer share one call.
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (i == 0 || slots_[i].owner != slots_[i - 1].owner) slots_[i].owner->after_update();
    }

protected:
    // Per-step scalars (bias corrections, ...) are computed here once, not once per slot.
    virtual void begin_step() {}
    virtual void update(std::size_t index, const ParamSlot<T>& slot) = 0;

    // One state buffer per slot, zero-initialised, sized like the slot.
    std::vector<std::vector<T>> make_state() const {
        std::vector<std::vector<T>> state;
        for (const auto& s : slots_) state.emplace_back(s.size, T(0));
        return state;
    }

private:
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
    ClipConfig clip_;
    double lr_ = 0.0;
    long long steps_ = 0;
    mutable std::mutex mutex_;
};

}  // namespace nalu
