// NAU and NMU layers: one parameter W (out, in) kept inside [lo, hi], with the sparsity regularizer
// of Madsen & Johansen 2020. Kernels in kernels.hpp.
//
// The option "constraint" (docs/units.md#nau-and-nmu; nalu_ext/units/nau_nmu.py's CONSTRAINTS
// names the numbers): 0 clamp, Madsen & Johansen's: W clamped in forward and into [lo, hi] after
// every optimizer step; 1 clip, the NPU paper's: clamped in forward only, W itself free; 2 none: W
// used as it is.
#pragma once

#include <cmath>
#include <vector>

#include "../../isa/shared_kernels.hpp"
#include "../../layer.hpp"
#include "../../options.hpp"
#include "../../tasks/generator.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class NauNmuLayer : public Layer<T> {
public:
    bool has_regularizer() const override { return true; }

    enum class Constraint { clamp = 0, clip = 1, none = 2 };

    // Clamps W into [lo, hi] (docs/units.md#nau-and-nmu: after every optimizer step), under the
    // constraint "clamp".
    void after_update() override {
        if (constraint_ != Constraint::clamp) return;
        T* W = this->params();
        kernels<NauNmuKernels<T>>().clamp_weights(W, W, lo_, hi_, this->num_params());
    }

    Options options() const override { return Options({{"constraint", static_cast<double>(constraint_)}}); }

    // R = mean_ij min(|a|, |1 − a|) with a = |W| (NAU) or W (NMU), stable-nalu's form; adds
    // λ dR/dW to the gradient. Inside [0, 1] (always, under "clamp") that is min(a, 1 − a), and at
    // the tie a = ½ the derivative of the first argument is taken (one-sided, documented); at a = 0
    // the derivative is da/dW, as before the abs form (so clamped runs are unchanged).
    double regularize(T lambda) override {
        return kernels<NauNmuKernels<T>>().sparsity_regularizer(this->grads(), this->params(), this->num_params(),
                                                                 lambda, symmetric_);
    }

protected:
    // weight_in: the width W multiplies, in (NAU, NMU) or 2·in (NMRU: x and its reciprocal).
    NauNmuLayer(std::size_t in, std::size_t out, T lo, T hi, bool symmetric, const Options& given,
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
            kernels<NauNmuKernels<T>>().clamp_weights(Wc_.data(), W, lo_, hi_, Wc_.size());
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

template <class T>
class NauLayer : public NauNmuLayer<T> {
public:
    NauLayer(std::size_t in, std::size_t out, const Options& given = {})
        : NauNmuLayer<T>(in, out, T(-1), T(1), true, given, in) {}
    const char* kind() const override { return "NAU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        kernels<NauNmuKernels<T>>().nau_forward(y, x, this->clamped(), batch, this->in_, this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NauNmuKernels<T>>().nau_backward(this->grads(), dx, dy, this->input(), this->params(),
                                                 this->Wc_.data(), this->masked(), batch, this->in_, this->out_);
    }
};

template <class T>
class NmuLayer : public NauNmuLayer<T> {
public:
    NmuLayer(std::size_t in, std::size_t out, const Options& given = {})
        : NauNmuLayer<T>(in, out, T(0), T(1), false, given, in), suffix_(in) {}
    const char* kind() const override { return "NMU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        kernels<NauNmuKernels<T>>().nmu_forward(y, x, this->clamped(), batch, this->in_, this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NauNmuKernels<T>>().nmu_backward(this->grads(), dx, suffix_.data(), dy, this->input(),
                                                 this->params(), this->Wc_.data(), this->masked(), batch,
                                                 this->in_, this->out_);
    }

private:
    std::vector<T> suffix_;
};

// NRU: Mistry, Farrahi & Hare's neural reciprocal unit (kernels.hpp): the NAU's W, range [−1, 1],
// initialisation and regularizer, a product of signed powers; A(w) by the layer's mode.
// docs/units.md#nru.
template <class T>
class NruLayer : public NauNmuLayer<T> {
public:
    NruLayer(std::size_t in, std::size_t out, const Options& given = {})
        : NauNmuLayer<T>(in, out, T(-1), T(1), true, given, in),
          scratch_(checked_mul(3, checked_mul(in, out, "W"), "W") + 4 * in) {}
    const char* kind() const override { return "NRU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        training_ = this->training();
        kernels<NauNmuKernels<T>>().nru_forward(y, x, this->clamped(), scratch_.data(), training_, batch, this->in_,
                                                this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NauNmuKernels<T>>().nru_backward(this->grads(), dx, scratch_.data(), dy, this->input(),
                                                 this->params(), this->Wc_.data(), this->masked(), training_,
                                                 batch, this->in_, this->out_);
    }

private:
    bool training_ = true;  // the mode of the last forward, which its backward differentiates
    std::vector<T> scratch_;
};

// NMRU: an NMU over z = [x, 1/(x + ε)], W (out, 2·in). In training mode ε is float32's machine
// epsilon 2⁻²³ (nalm-division's torch.finfo(torch.float).eps, whatever the dtype), in evaluation
// mode 0 (the exact reciprocal), as stable_nalu/layer/concat_reciprocal_nmu.py. With the flag
// sign_retrieval, nalm-division's SignNMRU (concat_reciprocal_nmu_sign_retrieval.py): the NMU of
// |z| times cos(π Σ_k [z_k < 0] W_jk), the sign. docs/units.md#nmru.
template <class T>
class NmruLayer : public NauNmuLayer<T> {
public:
    NmruLayer(std::size_t in, std::size_t out, const Options& given = {})
        : NauNmuLayer<T>(in, out, T(0), T(1), false, given, checked_mul(std::size_t(2), in, "in_features")),
          sign_retrieval_(given.flag("sign_retrieval")), suffix_(2 * in) {}
    const char* kind() const override { return "NMRU"; }
    Options options() const override {
        auto values = NauNmuLayer<T>::options().values();
        values["sign_retrieval"] = sign_retrieval_;
        return Options(values);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const std::size_t width = 2 * this->in_, O = this->out_;
        const auto& k = kernels<NauNmuKernels<T>>();
        T* z = ensure_size(z_, checked_mul(batch, width, "the batch"));
        const T eps = this->training() ? T(1.0 / 8388608.0) : T(0);  // 2⁻²³
        k.reciprocal_concat(z, x, eps, batch, this->in_);
        if (!sign_retrieval_) return k.nmu_forward(y, z, this->clamped(), batch, width, O);
        T* magnitude_in = ensure_size(abs_z_, batch * width);
        for (std::size_t q = 0; q < batch * width; ++q) magnitude_in[q] = std::fabs(z[q]);
        T* m = ensure_size(magnitude_, checked_mul(batch, O, "the batch"));
        T* s = ensure_size(sign_, batch * O);
        k.nmu_forward(m, magnitude_in, this->clamped(), batch, width, O);
        k.sign_phase(s, ensure_size(phase_, batch * O), z, this->params(), batch, width, O);
        for (std::size_t q = 0; q < batch * O; ++q) y[q] = m[q] * s[q];
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t width = 2 * this->in_, O = this->out_;
        const auto& k = kernels<NauNmuKernels<T>>();
        T* dz = dx ? ensure_size(dz_, batch * width) : nullptr;
        if (!sign_retrieval_) {
            k.nmu_backward(this->grads(), dz, suffix_.data(), dy, z_.data(), this->params(), this->Wc_.data(),
                           this->masked(), batch, width, O);
        } else {
            T* g = ensure_size(g_, batch * O);
            for (std::size_t q = 0; q < batch * O; ++q) g[q] = dy[q] * sign_[q];  // d/d(magnitude)
            k.nmu_backward(this->grads(), dz, suffix_.data(), g, abs_z_.data(), this->params(), this->Wc_.data(),
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
    std::vector<T> suffix_, z_, dz_, abs_z_, magnitude_, sign_, phase_, g_;
};

// sNMU, the stochastic NMU (Mistry, Farrahi & Hare, "Improving the Robustness of Neural
// Multiplication Units with Reversible Stochasticity"; bmistry4/nalm-robust-nmu
// re_regualized_linear_mnac.py with --nmu-noise): in training mode
//   y = NMU(x ⊙ n) / NMU(n),   n ~ U[noise_low, noise_high) per input value,
// and the plain NMU in evaluation mode. The noise of a forward is rows [0, batch) of stream t of
// the task generator's counter-based hash under noise_seed (tasks/generator.hpp), t the layer's
// step count: a pure function of (noise_seed, t, row, column), the same on every ISA path, kept
// across a checkpoint (the step count is saved) and the same when a forward is run again.
// docs/units.md#snmu.
template <class T>
class SnmuLayer : public NauNmuLayer<T> {
public:
    // Options: the constraint, noise_low and noise_high (0 < low ≤ high, finite) and noise_seed
    // (an integer 0 ≤ seed < 2⁵³, what a double holds exactly).
    SnmuLayer(std::size_t in, std::size_t out, const Options& given)
        : NauNmuLayer<T>(in, out, T(0), T(1), false, given, in),
          low_(given.number("noise_low")), high_(given.number("noise_high")),
          seed_(given.number("noise_seed")), suffix_(in) {
        if (!(std::isfinite(low_) && std::isfinite(high_) && low_ > 0.0 && low_ <= high_))
            throw std::invalid_argument("the noise range must satisfy 0 < noise_low <= noise_high (finite), got [" +
                                        std::to_string(low_) + ", " + std::to_string(high_) + ")");
        if (!(seed_ >= 0.0 && seed_ < 9007199254740992.0 && seed_ == std::floor(seed_)))
            throw std::invalid_argument("noise_seed must be an integer in [0, 2**53), got " + std::to_string(seed_));
    }
    const char* kind() const override { return "sNMU"; }
    Options options() const override {
        auto values = NauNmuLayer<T>::options().values();
        values["noise_low"] = low_;
        values["noise_high"] = high_;
        values["noise_seed"] = seed_;
        return Options(values);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const std::size_t I = this->in_, O = this->out_;
        const auto& k = kernels<NauNmuKernels<T>>();
        const T* Wc = this->clamped();
        noisy_ = this->training();
        if (!noisy_) return k.nmu_forward(y, x, Wc, batch, I, O);
        T* n = ensure_size(noise_, checked_mul(batch, I, "the batch"));
        T* z = ensure_size(z_, batch * I);
        T* pn = ensure_size(pn_, checked_mul(batch, O, "the batch"));
        T* kept = ensure_size(y_, batch * O);
        const std::uint64_t key = tasks::stream_key(static_cast<std::uint64_t>(seed_),
                                                    static_cast<std::uint64_t>(this->steps()));
        std::uint64_t* keys = ensure_size(row_keys_, batch);
        for (std::size_t r = 0; r < batch; ++r) keys[r] = tasks::row_key(key, r);
        shared_kernels<T>().uniform_rows(n, batch, I, keys, 0, low_, high_ - low_);
        for (std::size_t q = 0; q < batch * I; ++q) z[q] = x[q] * n[q];
        k.nmu_forward(y, z, Wc, batch, I, O);
        k.nmu_forward(pn, n, Wc, batch, I, O);
        for (std::size_t q = 0; q < batch * O; ++q) kept[q] = y[q] = y[q] / pn[q];
    }

    // y = P(z)/P(n): dy/dW = (∂P(z)/∂W)/P(n) − y (∂P(n)/∂W)/P(n), two NMU backwards; dx = dz ⊙ n.
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t I = this->in_, O = this->out_;
        const auto& k = kernels<NauNmuKernels<T>>();
        if (!noisy_)
            return k.nmu_backward(this->grads(), dx, suffix_.data(), dy, this->input(), this->params(),
                                  this->Wc_.data(), this->masked(), batch, I, O);
        T* g_z = ensure_size(g_z_, batch * O);
        T* g_n = ensure_size(g_n_, batch * O);
        for (std::size_t q = 0; q < batch * O; ++q) {
            g_z[q] = dy[q] / pn_[q];
            g_n[q] = -dy[q] * y_[q] / pn_[q];
        }
        T* dz = dx ? ensure_size(dz_, batch * I) : nullptr;
        k.nmu_backward(this->grads(), dz, suffix_.data(), g_z, z_.data(), this->params(), this->Wc_.data(),
                       this->masked(), batch, I, O);
        T* dW_n = ensure_size(dW_n_, this->num_params());
        k.nmu_backward(dW_n, nullptr, suffix_.data(), g_n, noise_.data(), this->params(), this->Wc_.data(),
                       this->masked(), batch, I, O);
        T* dW = this->grads();
        for (std::size_t q = 0; q < this->num_params(); ++q) dW[q] += dW_n[q];
        if (dx)
            for (std::size_t q = 0; q < batch * I; ++q) dx[q] = dz[q] * noise_[q];
    }

private:
    double low_, high_, seed_;
    bool noisy_ = false;
    std::vector<T> suffix_, noise_, z_, pn_, y_, g_z_, g_n_, dz_, dW_n_;
    std::vector<std::uint64_t> row_keys_;  // the noise rows' keys
};

}  // namespace nalu
