// SGD with optional momentum, as torch.optim.SGD (dampening 0, no Nesterov, no weight decay):
//   buf = g (first step), buf = momentum * buf + g (later steps);   p -= lr * buf
#pragma once

#include "../kernels/kernel_table.hpp"
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
        T* buf = momentum_ > 0.0 ? buffers_[i].data() : nullptr;
        kernels<T>().sgd_update(s.param, s.grad, buf, s.size, static_cast<T>(this->lr()),
                                static_cast<T>(momentum_), this->steps() == 1);
    }

private:
    double momentum_;
    std::vector<std::vector<T>> buffers_;
};

}  // namespace nalu
