// RMSprop, as torch.optim.RMSprop (not centered, no momentum, no weight decay):
//   v = alpha v + (1 - alpha) g²;   p -= lr * g / (sqrt(v) + eps)
#pragma once

#include <cmath>

#include "update_kernels.hpp"
#include "optimizer.hpp"

namespace nalu {

template <class T>
class RmsProp : public Optimizer<T> {
public:
    RmsProp(std::vector<ParamSlot<T>> slots, double lr, double alpha, double eps, ClipConfig clip)
        : Optimizer<T>(std::move(slots), lr, clip), alpha_(alpha), eps_(eps) {
        require(alpha >= 0.0 && alpha <= 1.0, "alpha must be in [0, 1], got " + std::to_string(alpha));
        require(std::isfinite(eps) && eps >= 0.0, "eps must be a finite number >= 0, got " + std::to_string(eps));
        v_ = TwoCopyState<T>(this->make_state());
    }

    std::vector<std::pair<const char*, TwoCopyState<T>*>> state() override { return {{"square_avg", &v_}}; }

protected:
    bool update(std::size_t i, const ParamSlot<T>& s) override {
        return kernels<UpdateKernels<T>>().rmsprop_update(s.param, s.grad, v_.in(i), v_.out(i), s.size,
                                           static_cast<T>(this->lr()), static_cast<T>(alpha_),
                                           static_cast<T>(1.0 - alpha_), static_cast<T>(eps_));
    }

    void commit_state() override { v_.commit(); }

private:
    double alpha_, eps_;
    TwoCopyState<T> v_;
};

}  // namespace nalu
