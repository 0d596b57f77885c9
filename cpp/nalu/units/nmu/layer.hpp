// The NMU and its stochastic variant, the sNMU: W kept in [0, 1], the regularizer of
// ranged_weight_layer.hpp, the products of kernels.hpp. docs/units.md#nau-and-nmu, #snmu.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../tasks/uniform.hpp"
#include "../../rng.hpp"
#include "../nau/ranged_weight_layer.hpp"
#include "kernels.hpp"

namespace nalu {

template <class T>
class NmuLayer : public RangedWeightLayer<T> {
public:
    NmuLayer(std::size_t in, std::size_t out, const Options& given = {})
        : RangedWeightLayer<T>(in, out, T(0), T(1), false, given, in), suffix_(in) {}
    const char* kind() const override { return "NMU"; }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        kernels<NmuKernels<T>>().nmu_forward(y, x, this->clamped(), batch, this->in_, this->out_);
    }
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        kernels<NmuKernels<T>>().nmu_backward(this->grads(), dx, suffix_.data(), dy, this->input(),
                                                 this->params(), this->Wc_.data(), this->masked(), batch,
                                                 this->in_, this->out_);
    }

private:
    std::vector<T> suffix_;
};

// sNMU, the stochastic NMU (Mistry, Farrahi & Hare, "Improving the Robustness of Neural
// Multiplication Units with Reversible Stochasticity"; bmistry4/nalm-robust-nmu
// re_regualized_linear_mnac.py with --nmu-noise): in training mode
//   y = NMU(x ⊙ n) / NMU(n),   n ~ U[noise_low, noise_high) per input value,
// and the plain NMU in evaluation mode. The noise of a forward is rows [0, batch) of stream t of
// the counter-based hash of rng.hpp (the task generator's) under noise_seed, t the layer's
// step count: a pure function of (noise_seed, t, row, column), the same on every ISA path, kept
// across a checkpoint (the step count is saved) and the same when a forward is run again.
// docs/units.md#snmu.
template <class T>
class SnmuLayer : public RangedWeightLayer<T> {
public:
    // Options: the constraint, noise_low and noise_high (0 < low ≤ high, finite) and noise_seed
    // (an integer 0 ≤ seed < 2⁵³, what a double holds exactly).
    SnmuLayer(std::size_t in, std::size_t out, const Options& given)
        : RangedWeightLayer<T>(in, out, T(0), T(1), false, given, in),
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
        auto values = RangedWeightLayer<T>::options().values();
        values["noise_low"] = low_;
        values["noise_high"] = high_;
        values["noise_seed"] = seed_;
        return Options(values);
    }

protected:
    void do_forward(const T* x, T* y, std::size_t batch, bool) override {
        const std::size_t I = this->in_, O = this->out_;
        const auto& k = kernels<NmuKernels<T>>();
        const T* Wc = this->clamped();
        noisy_ = this->training();
        if (!noisy_) return k.nmu_forward(y, x, Wc, batch, I, O);
        T* n = ensure_size(noise_, checked_mul(batch, I, "the batch"));
        T* z = ensure_size(z_, batch * I);
        T* pn = ensure_size(pn_, checked_mul(batch, O, "the batch"));
        T* kept = ensure_size(y_, batch * O);
        const std::uint64_t key = stream_key(static_cast<std::uint64_t>(seed_),
                                                    static_cast<std::uint64_t>(this->steps()));
        std::uint64_t* keys = ensure_size(row_keys_, batch);
        for (std::size_t r = 0; r < batch; ++r) keys[r] = row_key(key, r);
        kernels<TaskKernels<T>>().uniform_rows(n, batch, I, keys, 0, low_, high_ - low_);
        for (std::size_t q = 0; q < batch * I; ++q) z[q] = x[q] * n[q];
        k.nmu_forward(y, z, Wc, batch, I, O);
        k.nmu_forward(pn, n, Wc, batch, I, O);
        for (std::size_t q = 0; q < batch * O; ++q) kept[q] = y[q] = y[q] / pn[q];
    }

    // y = P(z)/P(n): dy/dW = (∂P(z)/∂W)/P(n) − y (∂P(n)/∂W)/P(n), two NMU backwards; dx = dz ⊙ n.
    void do_backward(const T* dy, T* dx, std::size_t batch) override {
        const std::size_t I = this->in_, O = this->out_;
        const auto& k = kernels<NmuKernels<T>>();
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
