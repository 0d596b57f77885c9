"""The vectorised exp, log, tanh and sigmoid, on every ISA path, against high-precision references.

Accuracy is measured in ulp of the result's dtype; the reference for float32 is float64 NumPy and
for float64 NumPy's long double (80-bit on x86-64). The bound of 4 ulp is "a few ulp of libm":
glibc's own functions are within 1-2 ulp.
"""

from __future__ import annotations

import numpy as np
import pytest

from nalu_ext import _core

MAX_ULP = 4.0
DTYPES = [np.float32, np.float64]


def reference_dtype(dtype):
    return np.float64 if dtype == np.float32 else np.longdouble


def ulp_error(got: np.ndarray, want_hi: np.ndarray, dtype) -> np.ndarray:
    want = want_hi.astype(dtype)
    spacing = np.spacing(np.abs(want).astype(dtype)).astype(reference_dtype(dtype))
    return np.abs(got.astype(reference_dtype(dtype)) - want_hi) / spacing


def check(got, want_hi, dtype, what):
    want = want_hi.astype(dtype)
    special = ~np.isfinite(want) | (want == 0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN positions")
    both = special & ~np.isnan(want)
    np.testing.assert_array_equal(got[both], want[both], err_msg=f"{what}: inf/zero values")
    finite = ~special
    err = ulp_error(got[finite], want_hi[finite], dtype)
    worst = int(np.argmax(err)) if err.size else 0
    assert err.size == 0 or err.max() <= MAX_ULP, (
        f"{what}: {err.max():.2f} ulp at x giving {got[finite][worst]!r} vs {want[finite][worst]!r}")


def inputs(dtype, low, high, rng, n=20000):
    info = np.finfo(dtype)
    x = rng.uniform(low, high, n)
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, info.tiny, -info.tiny, info.tiny / 8,
                float(info.smallest_subnormal), 1e-30 if dtype == np.float32 else 1e-300,
                1.0, -1.0, 0.5, 2.0, low, high, low / 2, high / 2]
    return np.concatenate([x, np.array(specials)]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp(dtype, rng):
    low, high = (-110.0, 95.0) if dtype == np.float32 else (-760.0, 720.0)
    x = inputs(dtype, low, high, rng)
    x = np.concatenate([x, rng.uniform(-2, 2, 5000).astype(dtype)])
    hi = reference_dtype(dtype)
    with np.errstate(over="ignore", under="ignore"):
        check(_core._vecmath("exp", x), np.exp(x.astype(hi)), dtype, "exp")


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_of_abs_plus_eps(dtype, rng):
    hi = reference_dtype(dtype)
    info = np.finfo(dtype)
    mags = 10.0 ** rng.uniform(np.log10(float(info.smallest_subnormal)) + 1, np.log10(float(info.max)) - 1, 20000)
    x = np.concatenate([mags * rng.choice([-1.0, 1.0], mags.size), [1.0, 1 + 1e-6, 1 - 1e-6, 0.70710678, 1.41421356]])
    x = inputs(dtype, -3.0, 3.0, rng).tolist() + x.tolist()
    x = np.array(x).astype(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        check(_core._vecmath("log_abs_plus", x, 0.0), np.log(np.abs(x.astype(hi))), dtype, "log|x|")
        # |x| + eps is rounded in the dtype (as the unit defines it); log is what is measured.
        eps = float(np.asarray(1e-7, dtype=dtype))
        rounded_sum = (np.abs(x) + dtype(eps)).astype(hi)
        check(_core._vecmath("log_abs_plus", x, eps), np.log(rounded_sum), dtype, "log(|x| + eps)")


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh(dtype, rng):
    hi = reference_dtype(dtype)
    x = inputs(dtype, -25.0, 25.0, rng)
    x = np.concatenate([x, rng.uniform(-1, 1, 5000).astype(dtype), (10.0 ** rng.uniform(-40, 0, 2000)).astype(dtype)])
    check(_core._vecmath("tanh", x), np.tanh(x.astype(hi)), dtype, "tanh")
    assert np.signbit(_core._vecmath("tanh", np.array([-0.0], dtype=dtype))[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_pair(dtype, rng):
    hi = reference_dtype(dtype)
    z = inputs(dtype, -120.0, 120.0, rng)
    s, s_neg = _core._vecmath("sigmoid_pair", z)
    zh = z.astype(hi)
    with np.errstate(over="ignore"):
        check(s, 1 / (1 + np.exp(-zh)), dtype, "sigmoid")
        check(s_neg, 1 / (1 + np.exp(zh)), dtype, "sigmoid(-z)")


def test_every_length_takes_the_same_path(rng):
    """Tails shorter than a vector are computed like full vectors: results do not depend on length."""
    x = rng.normal(size=37).astype(np.float32)
    full = _core._vecmath("exp", x)
    for n in range(1, 37):
        np.testing.assert_array_equal(_core._vecmath("exp", x[:n]), full[:n])
