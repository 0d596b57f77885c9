"""How closely a C++ kernel must agree with the NumPy float64 reference, and why.

float64: element-wise ``rtol = 1e-10``, with an absolute floor of ``1e-13 * max|ref|`` for elements
that cancel to nearly zero. The kernels and the reference compute the same formulas; they differ
only in summation order and in libm versus NumPy's elementary functions (each within ~1 ulp), so
agreement is ~1e-14 relative and 1e-10 leaves room only for genuine bugs.

float32: the kernel runs on the float32-rounded inputs and parameters, the reference in float64 on
the same (exactly representable) values. The bound is norm-wise over each array::

    max|Δ| <= 64 * (n + 4) * u * (1 + L) * max|ref|,     u = 2**-24 (float32 unit roundoff)

* ``n * u`` is the classic bound of an n-term float32 dot product relative to its terms
  (n = the longest reduction: in_features for forward, batch for parameter gradients, ...);
* ``(1 + L)``, with L = max|log(|x| + eps)| for NALU (0 for NAC), turns an absolute error of the
  exponent of ``m = exp(z)`` into the relative error it causes in m;
* 64 covers the few-ulp error of tanh/sigmoid/exp/log and the chain of about six roundings
  between the parameters and each output;
* an absolute floor of ``64 * (n + 4) * tiny`` (tiny = 1.2e-38, float32's smallest normal) admits
  results that float64 can represent but float32 flushes through gradual underflow (a gate
  sigmoid(-240) is 1e-105 in float64 and 0 in float32).
The measured errors are well below this bound (see test_kernels.py::test_float32_error_is_far_below_bound).
"""

from __future__ import annotations

import numpy as np

U32 = float(np.finfo(np.float32).eps) / 2.0
TINY32 = float(np.finfo(np.float32).tiny)


def finite_max_abs(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


def float32_bound(expected: np.ndarray, n: int, amplification: float = 0.0) -> float:
    scale = U32 * (1.0 + amplification) * finite_max_abs(expected) + TINY32
    return 64.0 * (n + 4) * scale


def assert_matches_reference(
    actual: np.ndarray, expected: np.ndarray, *, n: int, amplification: float = 0.0, what: str = ""
) -> None:
    """The tolerance policy of this module, with NaN and ±inf required in the same places."""
    assert actual.shape == expected.shape, what
    if actual.dtype == np.float64:
        rtol, atol = 1e-10, 1e-13 * finite_max_abs(expected)
    else:
        rtol, atol = 0.0, float32_bound(expected, n, amplification)
    np.testing.assert_allclose(
        actual.astype(np.float64), expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what
    )
