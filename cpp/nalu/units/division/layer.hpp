// The division units of Mistry, Farrahi & Hare 2022: the NRU (its own kernels, kernels.hpp) and the
// NMRU (the NMU's products, nmu/kernels.hpp, over x and its reciprocal). Both keep W in a range
// with the regularizer of ranged_weight_layer.hpp. docs/units.md#nru, #nmru.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../nau/ranged_weight_layer.hpp"
#include "../nmu/kernels.hpp"
#include "kernels.hpp"

namespace nalu {

// NRU: Mistry, Farrahi & Hare's neural reciprocal unit (kernels.hpp): the NAU's W, range [−1, 1],
// initialisation and regularizer, a product of signed powers; A(w) by the layer's mode.
// docs/units.md#nru.
template <class T>
class NruLayer : public RangedWeightLayer<T> {
public:
    NruLayer(std::size_t in, std::size_t out, const Options& given = {})
        : RangedWeightLayer<T>(in, out, T(-1), T(1), true, given, in),
          scratch_(checked_mul(3, checked_mul(in, out, "W"), "W") + 4 * in) {}
    const char* kind() const override { return "NRU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        training_ = this->training();
        kernels<DivisionKernels<T>>().nru_forward(y, x, this->clamped(), scratch_.data(), training_, batch, this->in_,
                                                this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<DivisionKernels<T>>().nru_backward(this->grads(), dx, scratch_.data(), dy, this->input(),
                                                 this->params(), this->Wc_.data(), this->masked(), training_,
                                                 batch, this->in_, this->out_);
    }

private:
    bool training_ = true;  // the mode of the last forward, which its backward differentiates
    std::vector<T> scratch_;
};

// NMRU: an NMU over z = [x, 1/(x + ε)], W (out, 2·in). In training mode ε is the option
// training_eps (the Python class passes float32's machine epsilon 2⁻²³, nalm-division's
// torch.finfo(torch.float).eps, whatever the dtype: units/division.py's NMRU_EPS), in evaluation
// mode 0 (the exact reciprocal), as stable_nalu/layer/concat_reciprocal_nmu.py. With the flag
// sign_retrieval, nalm-division's SignNMRU (concat_reciprocal_nmu_sign_retrieval.py): the NMU of
// |z| times cos(π Σ_k [z_k < 0] W_jk), the sign. docs/units.md#nmru.
template <class T>
class NmruLayer : public RangedWeightLayer<T> {
public:
    NmruLayer(std::size_t in, std::size_t out, const Options& given = {})
        : RangedWeightLayer<T>(in, out, T(0), T(1), false, given, checked_mul(std::size_t(2), in, "in_features")),
          sign_retrieval_(given.flag("sign_retrieval")), training_eps_(given.number("training_eps")),
          suffix_(2 * in) {
        if (!(std::isfinite(training_eps_) && training_eps_ >= 0.0))
            throw std::invalid_argument("training_eps must be a finite number >= 0, got " + std::to_string(training_eps_));
    }
    const char* kind() const override { return "NMRU"; }
    Options options() const override {
        auto values = RangedWeightLayer<T>::options().values();
        values["sign_retrieval"] = sign_retrieval_;
        values["training_eps"] = training_eps_;
        return Options(values);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const std::size_t width = 2 * this->in_, O = this->out_;
        const auto& k = kernels<DivisionKernels<T>>();
        const auto& nmu = kernels<NmuKernels<T>>();
        T* z = ensure_size(z_, checked_mul(batch, width, "the batch"));
        const T eps = this->training() ? T(training_eps_) : T(0);
        k.reciprocal_concat(z, x, eps, batch, this->in_);
        if (!sign_retrieval_) return nmu.nmu_forward(y, z, this->clamped(), batch, width, O);
        T* magnitude_in = ensure_size(abs_z_, batch * width);
        for (std::size_t q = 0; q < batch * width; ++q) magnitude_in[q] = std::fabs(z[q]);
        T* m = ensure_size(magnitude_, checked_mul(batch, O, "the batch"));
        T* s = ensure_size(sign_, batch * O);
        nmu.nmu_forward(m, magnitude_in, this->clamped(), batch, width, O);
        k.sign_phase(s, ensure_size(phase_, batch * O), z, this->params(), batch, width, O);
        for (std::size_t q = 0; q < batch * O; ++q) y[q] = m[q] * s[q];
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t width = 2 * this->in_, O = this->out_;
        const auto& k = kernels<DivisionKernels<T>>();
        const auto& nmu = kernels<NmuKernels<T>>();
        T* dz = dx ? ensure_size(dz_, batch * width) : nullptr;
        if (!sign_retrieval_) {
            nmu.nmu_backward(this->grads(), dz, suffix_.data(), dy, z_.data(), this->params(), this->Wc_.data(),
                           this->masked(), batch, width, O);
        } else {
            T* g = ensure_size(g_, batch * O);
            for (std::size_t q = 0; q < batch * O; ++q) g[q] = dy[q] * sign_[q];  // d/d(magnitude)
            nmu.nmu_backward(this->grads(), dz, suffix_.data(), g, abs_z_.data(), this->params(), this->Wc_.data(),
                           this->masked(), batch, width, O);
            for (std::size_t q = 0; q < batch * O; ++q) g[q] = dy[q] * magnitude_[q];  // d/d(sign)
            k.sign_phase_backward(this->grads(), g, phase_.data(), z_.data(), batch, width, O);
            if (dz)  // d|z|/dz = sign(z) (0 at 0, torch's abs); the phase passes nothing to z
                for (std::size_t q = 0; q < batch * width; ++q)
                    dz[q] *= static_cast<T>((z_[q] > T(0)) - (z_[q] < T(0)));
        }
        if (dx) k.reciprocal_backward(dx, dz, z_.data(), batch, this->in_);
    }

private:
    bool sign_retrieval_;
    double training_eps_;
    std::vector<T> suffix_, z_, dz_, abs_z_, magnitude_, sign_, phase_, g_;
};

}  // namespace nalu
