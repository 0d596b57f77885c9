// SGD with optional momentum, as torch.optim.SGD (dampening 0, no Nesterov, no weight decay):
//   buf = g (first step), buf = momentum * buf + g (later steps);   p -= lr * buf
#pragma once

#include "optimizer.hpp"

namespace nalu {

template <class T>
class Sgd : public Optimizer<T> {
public:
    Sgd(std::vector<ParamSlot<T>> slots, double lr, double momentum, ClipConfig clip)
        : Optimizer<T>(std::move(slots), lr, clip), momentum_(momentum) {
        require(std::isfinite(momentum) && momentum >= 0.0,
                "momentum must be a finite number >= 0, got " + std::to_string(momentum));
        if (momentum > 0.0) buffers_ = this->make_state();
    }

protected:
    void update(std::size_t i, const ParamSlot<T>& s) override {
        const T lr = static_cast<T>(this->lr());
        if (momentum_ == 0.0) {
            for (std::size_t k = 0; k < s.size; ++k) s.param[k] -= lr * s.grad[k];
            return;
        }
        const T mu = static_cast<T>(momentum_);
        T* buf = buffers_[i].data();
        const bool first = this->steps() == 1;
        for (std::size_t k = 0; k < s.size; ++k) {
            buf[k] = first ? s.grad[k] : mu * buf[k] + s.grad[k];
            s.param[k] -= lr * buf[k];
        }
    }

private:
    double momentum_;
    std::vector<std::vector<T>> buffers_;
};

}  // namespace nalu
