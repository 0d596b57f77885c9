// Adam, as torch.optim.Adam (no AMSGrad, no weight decay):
//   m = lerp(m, g, 1 - b1);  v = b2 v + (1 - b2) g²
//   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// The bias corrections are computed in double and cast, like PyTorch's Python-float scalars.
#pragma once

#include <cmath>

#include "update_kernels.hpp"
#include "optimizer.hpp"

namespace nalu {

template <class T>
class Adam : public Optimizer<T> {
public:
    Adam(std::vector<ParamSlot<T>> slots, double lr, double beta1, double beta2, double eps,
         ClipConfig clip)
        : Optimizer<T>(std::move(slots), lr, clip), beta1_(beta1), beta2_(beta2), eps_(eps) {
        require(beta1 >= 0.0 && beta1 < 1.0, "betas[0] must be in [0, 1), got " + std::to_string(beta1));
        require(beta2 >= 0.0 && beta2 < 1.0, "betas[1] must be in [0, 1), got " + std::to_string(beta2));
        require(std::isfinite(eps) && eps >= 0.0, "eps must be a finite number >= 0, got " + std::to_string(eps));
        m_ = TwoCopyState<T>(this->make_state());
        v_ = TwoCopyState<T>(this->make_state());
    }

    std::vector<std::pair<const char*, TwoCopyState<T>*>> state() override {
        return {{"exp_avg", &m_}, {"exp_avg_sq", &v_}};
    }

protected:
    void begin_step(long long step) override {
        const double t = static_cast<double>(step);
        step_size_ = static_cast<T>(this->lr() / (1.0 - std::pow(beta1_, t)));
        bc2_sqrt_ = static_cast<T>(std::sqrt(1.0 - std::pow(beta2_, t)));
    }

    bool update(std::size_t i, const ParamSlot<T>& s) override {
        return kernels<UpdateKernels<T>>().adam_update(s.param, s.grad, m_.in(i), m_.out(i), v_.in(i), v_.out(i),
                                        s.size, step_size_, bc2_sqrt_, static_cast<T>(1.0 - beta1_),
                                        static_cast<T>(beta2_), static_cast<T>(1.0 - beta2_),
                                        static_cast<T>(eps_));
    }

    void commit_state() override {
        m_.commit();
        v_.commit();
    }

private:
    double beta1_, beta2_, eps_;
    T step_size_ = T(0), bc2_sqrt_ = T(0);  // of the current step
    TwoCopyState<T> m_, v_;
};

}  // namespace nalu
