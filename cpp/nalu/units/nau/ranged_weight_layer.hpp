// A layer with one parameter W (out, weight_in) kept inside [lo, hi] and the sparsity regularizer
// of Madsen & Johansen 2020: the NAU, the NMU family (nmu/) and the division units (division/)
// are its subclasses. The clamp and the regularizer are NAU kernels (kernels.hpp).
//
// The option "constraint" (docs/units.md#nau-and-nmu; nalu_ext/units/nau.py's CONSTRAINTS names
// the numbers): 0 clamp, Madsen & Johansen's: W clamped in forward and into [lo, hi] after every
// optimizer step; 1 clip, the NPU paper's: clamped in forward only, W itself free; 2 none: W used
// as it is.
#pragma once

#include <cmath>
#include <vector>

#include "../../layer.hpp"
#include "../../options.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class RangedWeightLayer : public Layer<T> {
public:
    bool has_regularizer() const override { return true; }

    enum class Constraint { clamp = 0, clip = 1, none = 2 };

    // Clamps W into [lo, hi] (docs/units.md#nau-and-nmu: after every optimizer step), under the
    // constraint "clamp".
    void after_update() override {
        if (constraint_ != Constraint::clamp) return;
        T* W = this->params();
        kernels<NauKernels<T>>().clamp_weights(W, W, lo_, hi_, this->num_params());
    }

    Options options() const override { return Options({{"constraint", static_cast<double>(constraint_)}}); }

    // R = mean_ij min(|a|, |1 − a|) with a = |W| (NAU) or W (NMU), stable-nalu's form; adds
    // λ dR/dW to the gradient. Inside [0, 1] (always, under "clamp") that is min(a, 1 − a), and at
    // the tie a = ½ the derivative of the first argument is taken (one-sided, documented); at a = 0
    // the derivative is da/dW, as before the abs form (so clamped runs are unchanged).
    double regularize(T lambda) override {
        return kernels<NauKernels<T>>().sparsity_regularizer(this->grads(), this->params(), this->num_params(),
                                                                 lambda, symmetric_);
    }

protected:
    // weight_in: the width W multiplies, in (NAU, NMU) or 2·in (NMRU: x and its reciprocal).
    RangedWeightLayer(std::size_t in, std::size_t out, T lo, T hi, bool symmetric, const Options& given,
                std::size_t weight_in)
        : Layer<T>(in, out), lo_(lo), hi_(hi), symmetric_(symmetric),
          constraint_(static_cast<Constraint>(given.choice("constraint", {"clamp", "clip", "none"}, 0))),
          W_(this->add_param("W", {out, weight_in})), Wc_(checked_mul(out, weight_in, "W")) {}

    // The weight this forward uses: clamp(W) (the forward clamps too, docs/units.md#nau-and-nmu),
    // or W itself under "none".
    const T* clamped() {
        const T* W = this->params() + W_;
        if (constraint_ == Constraint::none) {
            for (std::size_t k = 0; k < Wc_.size(); ++k) Wc_[k] = W[k];
        } else {
            kernels<NauKernels<T>>().clamp_weights(Wc_.data(), W, lo_, hi_, Wc_.size());
        }
        return Wc_.data();
    }

    bool masked() const { return constraint_ != Constraint::none; }

    T lo_, hi_;
    bool symmetric_;
    Constraint constraint_;
    std::size_t W_;
    std::vector<T> Wc_;
};

}  // namespace nalu
