#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../../isa/gemm.hpp"
#include "../../isa/scalar.hpp"
#include "../../isa/vecmath.hpp"

namespace nalu {
namespace NALU_ISA {

namespace {
// clip(v, 0, 1) without branches (so loops over it vectorise); NaN stays NaN.
template <class T>
inline T clip01(T v) {
    const T low = v < T(0) ? T(0) : v;
    return low > T(1) ? T(1) : low;
}
template <class T>
constexpr T kPi = T(3.14159265358979323846264338327950288);

// On inputs without a negative entry (every arithmetic task but the NPU paper's signed ones) every
// k is +0, and so is each product of K with an operand that is finite: a sum of ±0 terms from a
// +0 start. Those products are skipped then, which can change only the sign of a zero result
// (v + (+0) turns −0 into +0); with a non-finite operand they are computed, for its NaN.
// (Sign bits ORed, a loop that vectorises: −0 and a NaN with its sign bit set count as negative,
// which only sends the batch down the general path.)
template <class T>
bool none_negative(const T* __restrict x, std::size_t n) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    static_assert(sizeof(Bits) == sizeof(T), "float or double");
    Bits any = 0;
    for (std::size_t i = 0; i < n; ++i) {
        Bits b;
        std::memcpy(&b, x + i, sizeof b);
        any |= b;
    }
    return (any >> (8 * sizeof(Bits) - 1)) == 0;
}
template <class T>
bool all_finite(const T* __restrict v, std::size_t n) {
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) finite &= v[i] - v[i] == T(0);  // inf − inf and NaN are NaN
    return finite;
}

// The per-element loops are functions of their own because GCC honours __restrict only on
// parameters: with it, and with selects between computed values instead of conditional
// arithmetic (which GCC will not if-convert while FP traps are honoured), each loop vectorises.

// One row of the input terms: r = ĝ(|x| + ε) + (1 − ĝ) and k = π ĝ [x < 0].
template <class T>
void input_terms(T* __restrict r, T* __restrict k, const T* __restrict x, const T* __restrict g,
                 T eps, std::size_t I) {
    for (std::size_t i = 0; i < I; ++i) {
        const T gi = clip01(g[i]), xi = x[i];
        r[i] = gi * (std::fabs(xi) + eps) + (T(1) - gi);
        const T k_neg = kPi<T> * gi;  // computed unconditionally: a select of values vectorises
        k[i] = xi < T(0) ? k_neg : T(0);
    }
}

// a + b c rounded as the general path rounds d[i] + b c with d[i] = a in memory: contracted to one
// fused multiply-add where the ISA has it. Written out because in a + b c with a = m w (a product
// in a register) the compiler may fuse either product, and the bits would follow its choice.
template <class T>
inline T add_product(T a, T b, T c) {
#if defined(__FMA__)
    return std::fma(b, c, a);
#else
    return a + b * c;
#endif
}

// One output's terms of ∂L/∂log r and ∂L/∂k at one input (see row_input_gradients).
template <class T>
inline T log_r_term(T m, T p, T w_re, T w_im) {
    return m * w_re + p * w_im;
}
template <class T>
inline T k_term(T m, T p, T w_re, T w_im) {
    return p * w_re - m * w_im;
}

// One element of the input terms' backward: dg += ∂L/∂ĝ and, when WithDx, dx = ∂L/∂x, from
// d_log_r = ∂L/∂log r and d_k = ∂L/∂k (r recomputed: cheaper than storing it).
// KTerms false: no x of the batch is negative, so the k-term is +0 and d_k is not needed.
template <bool WithDx, bool KTerms = true, class T>
inline void input_term_backward(T& dg, T& dx, T d_log_r, T d_k, T x, T g, T eps) {
    const T gi = clip01(g), ax = std::fabs(x) + eps;
    const T dr = d_log_r / (gi * ax + (T(1) - gi));
    const T dk_neg = d_k * kPi<T>;
    dg += dr * (ax - T(1)) + (KTerms && x < T(0) ? dk_neg : T(0));
    if (WithDx) dx = dr * gi * math::sign(x);
}

// One row of the input terms' backward (dx unused unless WithDx).
template <bool WithDx, class T>
void input_terms_backward(T* __restrict dg, T* __restrict dx, const T* __restrict d_log_r,
                          const T* __restrict d_k, const T* __restrict x, const T* __restrict g,
                          T eps, std::size_t I) {
    T unused = T(0);
    for (std::size_t i = 0; i < I; ++i)
        input_term_backward<WithDx>(dg[i], WithDx ? dx[i] : unused, d_log_r[i], d_k[i], x[i], g[i], eps);
}

// One row's whole backward through the input terms for a layer of one or two outputs (the
// layers of the 100→2→1 networks): the outputs' terms of d_log_r and d_k (see
// row_input_gradients) summed in registers and used at once, where the general path writes them
// to a row buffer, adds each further output's terms to it and reads it back. The same operations
// in the same order.
template <int Outputs, bool WithDx, bool Complex, bool KTerms, class T>
void row_backward_few_outputs(T* __restrict dg, T* __restrict dx, const T* dm, const T* dp,
                              const T* __restrict W_re, const T* __restrict W_im,
                              const T* __restrict x, const T* __restrict g, T eps, std::size_t I) {
    static_assert(Outputs == 1 || Outputs == 2, "one or two outputs");
    const T m0 = dm[0], p0 = dp[0], m1 = Outputs == 2 ? dm[1] : T(0), p1 = Outputs == 2 ? dp[1] : T(0);
    const T* __restrict w_re1 = W_re + I;
    const T* __restrict w_im1 = Complex ? W_im + I : nullptr;
    T unused = T(0);
    for (std::size_t i = 0; i < I; ++i) {
        T l, k = T(0);
        if (Complex) {
            l = log_r_term(m0, p0, W_re[i], W_im[i]);
            if (KTerms) k = k_term(m0, p0, W_re[i], W_im[i]);
            if (Outputs == 2) {
                l = l + log_r_term(m1, p1, w_re1[i], w_im1[i]);
                if (KTerms) k = k + k_term(m1, p1, w_re1[i], w_im1[i]);
            }
        } else {
            l = m0 * W_re[i];
            if (KTerms) k = p0 * W_re[i];
            if (Outputs == 2) {
                l = add_product(l, m1, w_re1[i]);
                if (KTerms) k = add_product(k, p1, w_re1[i]);
            }
        }
        input_term_backward<WithDx, KTerms>(dg[i], WithDx ? dx[i] : unused, l, k, x[i], g[i], eps);
    }
}

// The row's backward above for every combination of its compile-time choices (k_terms: see
// none_negative).
template <int Outputs, bool KTerms, class T>
void pick_row_backward(T* dg, T* dx, const T* dm, const T* dp, const T* W_re, const T* W_im,
                       const T* x, const T* g, T eps, std::size_t I) {
    if (W_im) {
        if (dx) row_backward_few_outputs<Outputs, true, true, KTerms>(dg, dx, dm, dp, W_re, W_im, x, g, eps, I);
        else row_backward_few_outputs<Outputs, false, true, KTerms>(dg, dx, dm, dp, W_re, W_im, x, g, eps, I);
    } else {
        if (dx) row_backward_few_outputs<Outputs, true, false, KTerms>(dg, dx, dm, dp, W_re, W_im, x, g, eps, I);
        else row_backward_few_outputs<Outputs, false, false, KTerms>(dg, dx, dm, dp, W_re, W_im, x, g, eps, I);
    }
}
template <int Outputs, class T>
void row_backward_few_outputs(bool k_terms, T* dg, T* dx, const T* dm, const T* dp, const T* W_re,
                              const T* W_im, const T* x, const T* g, T eps, std::size_t I) {
    if (k_terms) pick_row_backward<Outputs, true>(dg, dx, dm, dp, W_re, W_im, x, g, eps, I);
    else pick_row_backward<Outputs, false>(dg, dx, dm, dp, W_re, W_im, x, g, eps, I);
}

// One output's terms of one row's input gradients (see row_input_gradients), written (Add false)
// or added.
template <bool Add, class T>
void output_terms(T* __restrict d_log_r, T* __restrict d_k, T m, T p, const T* w_re, const T* w_im,
                  std::size_t I) {
    if (w_im) {
        for (std::size_t i = 0; i < I; ++i) {
            const T l = log_r_term(m, p, w_re[i], w_im[i]), k = k_term(m, p, w_re[i], w_im[i]);
            d_log_r[i] = Add ? d_log_r[i] + l : l;
            d_k[i] = Add ? d_k[i] + k : k;
        }
    } else {
        for (std::size_t i = 0; i < I; ++i) {
            d_log_r[i] = Add ? d_log_r[i] + m * w_re[i] : m * w_re[i];
            d_k[i] = Add ? d_k[i] + p * w_re[i] : p * w_re[i];
        }
    }
}

// One row's input gradients from its output gradients dm = ∂L/∂A and dp = ∂L/∂Φ (O each), for
// A = L W_reᵀ − K W_imᵀ and Φ = K W_reᵀ + L W_imᵀ:
//   d_log_r = Σ_o dm_o W_re[o] + dp_o W_im[o],   d_k = Σ_o dp_o W_re[o] − dm_o W_im[o]
// (W_im null: the RealNPU's terms only). The first output's terms are written, the others added.
template <class T>
void row_input_gradients(T* d_log_r, T* d_k, const T* dm, const T* dp, const T* W_re, const T* W_im,
                         std::size_t I, std::size_t O) {
    for (std::size_t o = 0; o < O; ++o) {
        const T* w_im = W_im ? W_im + o * I : nullptr;
        if (o == 0) output_terms<false>(d_log_r, d_k, dm[o], dp[o], W_re + o * I, w_im, I);
        else output_terms<true>(d_log_r, d_k, dm[o], dp[o], W_re + o * I, w_im, I);
    }
}
}  // namespace

template <class T>
void npu_forward(T* y, NpuCache<T> c, const T* x, const T* g, const T* W_re, const T* W_im,
                 T eps, std::size_t B, std::size_t I, std::size_t O) {
    for (std::size_t b = 0; b < B; ++b) input_terms(c.log_r + b * I, c.k + b * I, x + b * I, g, eps, I);
    // r logged in place over the whole batch (r > 0): one pass with one partial vector at the
    // end, where a pass per row would end every row (7 vectors for 100 inputs) with one
    vec::log_abs_plus(c.log_r, c.log_r, T(0), B * I);

    const std::size_t n = B * O;
    // exponent A = L W_reᵀ − K W_imᵀ (exponentiated below), phase Φ = K W_reᵀ + L W_imᵀ
    const bool k_vanishes = none_negative(x, B * I) && all_finite(W_re, O * I) && (!W_im || all_finite(W_im, O * I));
    if (k_vanishes) {  // A = L W_reᵀ − (+0), Φ = (+0) + L W_imᵀ
        gemm::matmul_nt(c.mag, c.log_r, W_re, B, O, I);
        if (W_im) gemm::matmul_nt(c.phase, c.log_r, W_im, B, O, I);
        for (std::size_t q = 0; q < n; ++q) c.phase[q] = W_im ? T(0) + c.phase[q] : T(0);
    } else if (W_im) {  // y is free until the end: the temporary for the two W_im products
        gemm::matmul_nt3(c.mag, c.phase, y, c.log_r, c.k, W_re, W_im, B, O, I);  // fused: L W_imᵀ -> y
        for (std::size_t q = 0; q < n; ++q) c.phase[q] += y[q];
        gemm::matmul_nt(y, c.k, W_im, B, O, I);
        for (std::size_t q = 0; q < n; ++q) c.mag[q] -= y[q];
    } else {
        gemm::matmul_nt(c.mag, c.log_r, W_re, B, O, I);
        gemm::matmul_nt(c.phase, c.k, W_re, B, O, I);
    }
    vec::exp(c.mag, c.mag, n);
    for (std::size_t q = 0; q < n; ++q) {
        c.cos_phase[q] = std::cos(c.phase[q]);
        y[q] = c.mag[q] * c.cos_phase[q];
    }
}

template <class T>
void npu_backward(T* dW_re, T* dW_im, T* dg, T* dx, NpuScratch<T> s, const T* dy, const T* x,
                  const T* g, NpuCache<T> c, const T* W_re, const T* W_im, T eps, std::size_t B,
                  std::size_t I, std::size_t O) {
    for (std::size_t q = 0; q < B * O; ++q) {
        const T up = dy[q] * c.mag[q];
        s.d_mag[q] = up * c.cos_phase[q];           // ∂/∂(exponent): e^A cos Φ
        s.d_phase[q] = -up * std::sin(c.phase[q]);  // ∂/∂Φ: −e^A sin Φ
        s.neg_d_mag[q] = -s.d_mag[q];
    }
    // exponent A = L W_reᵀ − K W_imᵀ, phase Φ = K W_reᵀ + L W_imᵀ
    const bool k_terms = !none_negative(x, B * I);
    if (!k_terms && all_finite(s.d_mag, B * O) && all_finite(s.d_phase, B * O)) {
        // dW_re = D_magᵀ L (+ D_Φᵀ K = +0), dW_im = D_Φᵀ L (− D_magᵀ K = +0), in one pass over L
        gemm::matmul_tn_fused(dW_re, W_im ? dW_im : static_cast<T*>(nullptr), s.d_mag, c.log_r,
                              static_cast<const T*>(nullptr), static_cast<const T*>(nullptr),
                              W_im ? s.d_phase : static_cast<const T*>(nullptr), O, I, B);
    } else {
        gemm::matmul_tn_fused(dW_re, static_cast<T*>(nullptr), s.d_mag, c.log_r, s.d_phase, c.k,
                              static_cast<const T*>(nullptr), O, I, B);
        if (W_im)
            gemm::matmul_tn_fused(dW_im, static_cast<T*>(nullptr), s.d_phase, c.log_r, s.neg_d_mag, c.k,
                                  static_cast<const T*>(nullptr), O, I, B);
    }
    // Row by row: the row's ∂L/∂log r and ∂L/∂k, in registers for one or two outputs, else in
    // s.d_log_r and s.d_k (one row, I each, kept in L1), then the input terms' backward.
    for (std::size_t i = 0; i < I; ++i) dg[i] = T(0);
    for (std::size_t b = 0; b < B; ++b) {
        const std::size_t q = b * I;
        const T *dm = s.d_mag + b * O, *dp = s.d_phase + b * O;
        T* dx_row = dx ? dx + q : nullptr;
        if (O == 1) {
            row_backward_few_outputs<1>(k_terms, dg, dx_row, dm, dp, W_re, W_im, x + q, g, eps, I);
        } else if (O == 2) {
            row_backward_few_outputs<2>(k_terms, dg, dx_row, dm, dp, W_re, W_im, x + q, g, eps, I);
        } else {
            row_input_gradients(s.d_log_r, s.d_k, dm, dp, W_re, W_im, I, O);
            if (dx) input_terms_backward<true>(dg, dx_row, s.d_log_r, s.d_k, x + q, g, eps, I);
            else input_terms_backward<false>(dg, dx_row, s.d_log_r, s.d_k, x + q, g, eps, I);
        }
    }
    for (std::size_t i = 0; i < I; ++i)
        if (!(g[i] >= T(0) && g[i] <= T(1))) dg[i] = T(0);  // outside the clip's range
}

NALU_KERNEL_TABLE(NpuKernels, &npu_forward<T>, &npu_backward<T>)

}  // namespace NALU_ISA
}  // namespace nalu
