// AVX-512 float log(|x| + eps), 16 lanes, without a division (included only when compiling for
// AVX-512F): the log of every fresh input row in a NALU-family protocol run.
//
// x = m 2^e with m in [√½, √2) (vgetmant/vgetexp, which also take denormals), f = m − 1, and
// log(1 + f) = f − f²/2 + f³ P(f) with Cephes' minimax polynomial P of degree 8 for logf (within
// about 1 ulp on this interval), e ln2 added in two parts. 0 → −inf, +inf → +inf, NaN → NaN (the
// argument |x| + eps is never negative).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <limits>

#include "isa.hpp"

namespace nalu {
namespace NALU_ISA {
namespace vec {

inline __m512 log_f16(__m512 a) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 m = _mm512_getmant_ps(a, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);  // [1, 2)
    __m512 e = _mm512_getexp_ps(a);
    const __mmask16 big = _mm512_cmp_ps_mask(m, _mm512_set1_ps(1.41421356f), _CMP_GT_OQ);
    m = _mm512_mask_mul_ps(m, big, m, _mm512_set1_ps(0.5f));
    e = _mm512_mask_add_ps(e, big, e, one);
    const __m512 f = _mm512_sub_ps(m, one);
    const __m512 z = _mm512_mul_ps(f, f);
    __m512 p = _mm512_set1_ps(7.0376836292e-2f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-1.1514610310e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.1676998740e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-1.2420140846e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.4249322787e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-1.6668057665e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.0000714765e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-2.4999993993e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(3.3333331174e-1f));
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, f), z);            // f³ P(f)
    y = _mm512_fmadd_ps(e, _mm512_set1_ps(-2.12194440e-4f), y);  // + e ln2_lo
    y = _mm512_fnmadd_ps(_mm512_set1_ps(0.5f), z, y);            // − f²/2
    __m512 r = _mm512_fmadd_ps(e, _mm512_set1_ps(0.693359375f), _mm512_add_ps(f, y));  // + e ln2_hi
    // Special values: the common case, every lane positive, finite and not zero, skips this.
    const __mmask16 ordinary = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ) &
                               _mm512_cmp_ps_mask(a, _mm512_set1_ps(std::numeric_limits<float>::infinity()), _CMP_LT_OQ);
    if (ordinary == 0xFFFF) return r;
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_EQ_OQ),
                           _mm512_set1_ps(-std::numeric_limits<float>::infinity()));
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ),
                           _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN()));
    const __m512 inf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(a, inf, _CMP_EQ_OQ), inf);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);  // NaN in, NaN out
}

// out[k] = log(|x[k]| + eps), the tail as a masked vector whose unused lanes hold 1 (with 0 there,
// and eps = 0, every tail would take log_f16's path for special values).
inline void log_abs_plus_f16(float* out, const float* x, float eps, std::size_t n) {
    const __m512 e = _mm512_set1_ps(eps);
    auto one = [e](__m512 v) { return log_f16(_mm512_add_ps(_mm512_abs_ps(v), e)); };
    std::size_t k = 0;
    for (; k + 16 <= n; k += 16) _mm512_storeu_ps(out + k, one(_mm512_loadu_ps(x + k)));
    if (k < n) {
        const __mmask16 tail = static_cast<__mmask16>((1u << (n - k)) - 1u);
        _mm512_mask_storeu_ps(out + k, tail, one(_mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), tail, x + k)));
    }
}

}  // namespace vec
}  // namespace NALU_ISA
}  // namespace nalu
