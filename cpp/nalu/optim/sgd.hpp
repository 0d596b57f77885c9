// SGD with optional momentum, as torch.optim.SGD (dampening 0, no Nesterov, no weight decay):
//   buf = g (first step), buf = momentum * buf + g (later steps);   p -= lr * buf
#pragma once

#include "update_kernels.hpp"
#include "optimizer.hpp"

namespace nalu {

template <class T>
class Sgd : public Optimizer<T> {
public:
    Sgd(std::vector<ParamSlot<T>> slots, double lr, double momentum, ClipConfig clip)
        : Optimizer<T>(std::move(slots), lr, clip), momentum_(momentum) {
        require(std::isfinite(momentum) && momentum >= 0.0,
                "momentum must be a finite number >= 0, got " + std::to_string(momentum));
        if (momentum > 0.0) buffers_ = TwoCopyState<T>(this->make_state());
    }

    std::vector<std::pair<const char*, TwoCopyState<T>*>> state() override {
        if (buffers_.empty()) return {};
        return {{"momentum_buffer", &buffers_}};
    }

protected:
    void begin_step(long long t) override { first_ = t == 1; }

    bool update(std::size_t i, const ParamSlot<T>& s) override {
        const bool momentum = !buffers_.empty();
        return kernels<UpdateKernels<T>>().sgd_update(s.param, s.grad, momentum ? buffers_.in(i) : nullptr,
                                       momentum ? buffers_.out(i) : nullptr, s.size,
                                       static_cast<T>(this->lr()), static_cast<T>(momentum_), first_);
    }

    void commit_state() override {
        if (!buffers_.empty()) buffers_.commit();
    }

private:
    double momentum_;
    bool first_ = false;  // the current step is the first: the momentum buffer starts as g
    TwoCopyState<T> buffers_;
};

}  // namespace nalu
