// The NAU layer: y = x clamp(W, −1, 1)ᵀ (kernels.hpp), W kept in [−1, 1], the symmetric regularizer.
// docs/units.md#nau-and-nmu.
#pragma once

#include "kernels.hpp"
#include "ranged_weight_layer.hpp"

namespace nalu {

template <class T>
class NauLayer : public RangedWeightLayer<T> {
public:
    NauLayer(std::size_t in, std::size_t out, const Options& given = {})
        : RangedWeightLayer<T>(in, out, T(-1), T(1), true, given, in) {}
    const char* kind() const override { return "NAU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        kernels<NauKernels<T>>().nau_forward(y, x, this->clamped(), batch, this->in_, this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NauKernels<T>>().nau_backward(this->grads(), dx, dy, this->input(), this->params(),
                                                 this->Wc_.data(), this->masked(), batch, this->in_, this->out_);
    }
};

}  // namespace nalu
