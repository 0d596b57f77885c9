#include "kernels.hpp"

#include <cmath>

namespace nalu {
namespace NALU_ISA {

template <class T>
inline T sign_of(T x) {
    return static_cast<T>((x > T(0)) - (x < T(0)));
}

// |x|^w as exp(w ln|x|), from the row's logarithms computed once (pow(0, 0) = 1 kept).
template <class T>
inline T nru_power(T log_magnitude, T w) {
    return w == T(0) ? T(1) : std::exp(w * log_magnitude);
}

// a[k] = A(W_k), c[k] = 1 − A(W_k) and, unless null, slope[k] = dA/dW_k for the n weights:
// A(w) = tanh²(1000 w) in training, |w| in evaluation. The complement is computed on its own,
// sech²(1000 w) = 4e/(1 + e)² with e = exp(−2000 |w|): as 1 − tanh² it would cancel to 0 in
// float32 once |w| > 0.009 (and lose its relative precision in float64), and it is the whole
// factor where x = 0.
template <class T>
void nru_gates(T* a, T* c, T* slope, const T* W, std::size_t n, bool training) {
    for (std::size_t k = 0; k < n; ++k) {
        const T w = W[k];
        if (!training) {
            a[k] = std::fabs(w);
            c[k] = T(1) - a[k];
            if (slope) slope[k] = sign_of(w);  // torch's abs: sign(w), 0 at 0
            continue;
        }
        const T t = std::tanh(T(1000) * w), e = std::exp(T(-2000) * std::fabs(w)), denominator = T(1) + e;
        a[k] = t * t;
        c[k] = T(4) * e / (denominator * denominator);
        if (slope) slope[k] = T(2000) * t * c[k];
    }
}

template <class T>
void nru_forward(T* y, const T* x, const T* Wc, T* scratch, bool training, std::size_t B, std::size_t I,
                 std::size_t O) {
    T* a = scratch;                  // A(W), O·I
    T* c = scratch + O * I;          // 1 − A(W), O·I
    T* logs = scratch + 2 * O * I;   // ln|x| of one row, I
    nru_gates(a, c, static_cast<T*>(nullptr), Wc, O * I, training);
    for (std::size_t b = 0; b < B; ++b) {
        const T* xr = x + b * I;
        for (std::size_t i = 0; i < I; ++i) logs[i] = std::log(std::fabs(xr[i]));
        for (std::size_t j = 0; j < O; ++j) {
            T p = T(1);
            for (std::size_t i = 0; i < I; ++i) {
                p *= sign_of(xr[i]) * nru_power(logs[i], Wc[j * I + i]) * a[j * I + i] + c[j * I + i];
            }
            y[b * O + j] = p;
        }
    }
}

template <class T>
void nru_backward(T* dW, T* dx, T* scratch, const T* dy, const T* x, const T* W, const T* Wc, bool masked,
                  bool training, std::size_t B, std::size_t I, std::size_t O) {
    T* a = scratch;                      // A(W), O·I
    T* c = scratch + O * I;              // 1 − A(W), O·I
    T* slope = scratch + 2 * O * I;      // dA/dW, O·I
    T* logs = scratch + 3 * O * I;       // ln|x| of one row, I
    T* suffix = logs + I;                // Π_{k > i} f_k, I
    T* factor = suffix + I;              // f_i, I
    T* power = factor + I;               // |x_i|^w_i, I
    nru_gates(a, c, slope, Wc, O * I, training);
    for (std::size_t k = 0; k < O * I; ++k) dW[k] = T(0);
    if (dx)
        for (std::size_t k = 0; k < B * I; ++k) dx[k] = T(0);
    for (std::size_t b = 0; b < B; ++b) {
        const T* xr = x + b * I;
        for (std::size_t i = 0; i < I; ++i) logs[i] = std::log(std::fabs(xr[i]));
        for (std::size_t j = 0; j < O; ++j) {
            const T* w = Wc + j * I;
            const T g = dy[b * O + j];
            for (std::size_t i = 0; i < I; ++i) {
                power[i] = nru_power(logs[i], w[i]);
                factor[i] = sign_of(xr[i]) * power[i] * a[j * I + i] + c[j * I + i];
            }
            T s = T(1);
            for (std::size_t i = I; i-- > 0;) {
                suffix[i] = s;
                s *= factor[i];
            }
            T prefix = T(1);
            for (std::size_t i = 0; i < I; ++i) {
                const T others = g * (prefix * suffix[i]);
                const T magnitude = std::fabs(xr[i]), sign = sign_of(xr[i]), aw = a[j * I + i];
                // torch's pow_backward: d|x|^w/dw = |x|^w ln|x| (0 at |x| = 0, w ≥ 0),
                // d|x|^w/d|x| = w |x|^(w−1) (0 at w = 0)
                const T dpower_dw = (magnitude == T(0) && w[i] >= T(0)) ? T(0) : power[i] * logs[i];
                dW[j * I + i] += others * (sign * aw * dpower_dw + (sign * power[i] - T(1)) * slope[j * I + i]);
                if (dx && w[i] != T(0)) {
                    // at |x| = 0 or ∞, power/|x| is 0/0 or ∞/∞: the power itself, as the reference
                    const T dpower_dx = magnitude == T(0) || std::isinf(magnitude)
                                            ? w[i] * std::pow(magnitude, w[i] - T(1))
                                            : w[i] * power[i] / magnitude;
                    dx[b * I + i] += others * sign * aw * dpower_dx * sign;
                }
                prefix *= factor[i];
            }
        }
    }
    if (masked)
        for (std::size_t k = 0; k < O * I; ++k)
            if (!(W[k] >= T(-1) && W[k] <= T(1))) dW[k] = T(0);  // outside the clamp's range
}

constexpr double kPi = 3.14159265358979323846;

template <class T>
void sign_phase(T* s, T* phase, const T* z, const T* W, std::size_t B, std::size_t K, std::size_t O) {
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < O; ++j) {
            T sum = T(0);
            for (std::size_t k = 0; k < K; ++k)
                if (z[b * K + k] < T(0)) sum += W[j * K + k];
            phase[b * O + j] = T(kPi) * sum;
            s[b * O + j] = std::cos(phase[b * O + j]);
        }
}

template <class T>
void sign_phase_backward(T* dW, const T* g, const T* phase, const T* z, std::size_t B, std::size_t K,
                         std::size_t O) {
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < O; ++j) {
            const T d = -g[b * O + j] * T(kPi) * std::sin(phase[b * O + j]);
            for (std::size_t k = 0; k < K; ++k)
                if (z[b * K + k] < T(0)) dW[j * K + k] += d;
        }
}

template <class T>
void reciprocal_concat(T* z, const T* x, T eps, std::size_t B, std::size_t I) {
    for (std::size_t b = 0; b < B; ++b) {
        const T* xr = x + b * I;
        T* zr = z + b * 2 * I;
        for (std::size_t i = 0; i < I; ++i) zr[i] = xr[i];
        for (std::size_t i = 0; i < I; ++i) zr[I + i] = T(1) / (xr[i] + eps);
    }
}

template <class T>
void reciprocal_backward(T* dx, const T* dz, const T* z, std::size_t B, std::size_t I) {
    for (std::size_t b = 0; b < B; ++b) {
        const T* dzr = dz + b * 2 * I;
        const T* r = z + b * 2 * I + I;
        for (std::size_t i = 0; i < I; ++i) dx[b * I + i] = dzr[i] - dzr[I + i] * (r[i] * r[i]);
    }
}

NALU_KERNEL_TABLE(DivisionKernels, &nru_forward<T>, &nru_backward<T>, &sign_phase<T>, &sign_phase_backward<T>,
                  &reciprocal_concat<T>, &reciprocal_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
