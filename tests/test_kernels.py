"""Every C++ kernel against the NumPy reference: shapes, dtypes and edge values."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_cases import edge_inputs, run_both
from tolerances import assert_matches_reference, float32_bound

SHAPES = [  # (batch, in, out)
    (1, 1, 1), (1, 5, 3), (4, 1, 7), (3, 7, 1), (13, 17, 11), (2, 9, 8), (257, 129, 33), (5, 257, 129),
    # the narrow paths: few inputs (rows vectorised), one output with 1, 2 or 4 inputs
    (37, 2, 1), (10, 4, 1), (21, 1, 1), (9, 3, 2), (100, 2, 1), (19, 2, 3),
    # the products' register blocks: widths leaving 1 to 4 vectors of columns (of 4, 8 or 16
    # lanes) after the full blocks, with one, two and an odd number of output rows
    (33, 100, 2), (6, 57, 3), (5, 91, 2), (7, 45, 5), (3, 100, 1),
]


def compare(unit, dtype, x, dy):
    (y, dx, grads), (y_ref, dx_ref, grads_ref), amp = run_both(unit, dtype, x, dy)
    B, I = x.shape
    O = dy.shape[1]
    assert y.dtype == dx.dtype == np.dtype(dtype)
    assert_matches_reference(y, y_ref, n=I, amplification=amp, what="y")
    assert_matches_reference(dx, dx_ref, n=B + I + O, amplification=amp, what="dx")
    assert set(grads) == set(grads_ref)
    for name in grads:
        assert_matches_reference(grads[name], grads_ref[name], n=B + I + O, amplification=amp,
                                 what=name)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("unit", ["NAC", "NALU"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_kernel_matches_reference_on_edge_values(unit, dtype, shape, rng):
    B, I, O = shape
    x = edge_inputs(rng, (B, I), np.dtype(dtype))
    dy = rng.normal(size=(B, O)).astype(dtype)
    compare(unit, dtype, x, dy)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("unit", ["NAC", "NALU"])
@pytest.mark.parametrize("value", [0.0, -0.0, 1e-300, -1e-30, 1e-8, -3.0, 1e3, -1e3])
def test_kernel_matches_reference_on_constant_inputs(unit, dtype, value, rng):
    if dtype == "float32" and abs(value) < 1e-38 and value != 0.0:
        value = np.copysign(1e-30, value)  # 1e-300 is not a float32
    x = np.full((3, 4), value, dtype=dtype)
    dy = rng.normal(size=(3, 2)).astype(dtype)
    compare(unit, dtype, x, dy)


@pytest.mark.parametrize("unit", ["NAC", "NALU"])
def test_float32_error_is_far_below_bound(unit, rng):
    """The float32 bound of tolerances.py is a safe upper bound, not a fitted one: on typical data
    the error is at least 10x below it (so a kernel losing precision would show)."""
    B, I, O = 64, 100, 16
    x = rng.normal(size=(B, I)).astype(np.float32)
    dy = rng.normal(size=(B, O)).astype(np.float32)
    (y, dx, grads), (y_ref, dx_ref, grads_ref), amp = run_both(unit, "float32", x, dy)
    for got, want, n in [(y, y_ref, I), (dx, dx_ref, B + I + O)] + [
        (grads[k], grads_ref[k], B + I + O) for k in grads
    ]:
        err = np.max(np.abs(got.astype(np.float64) - want))
        assert err < 0.1 * float32_bound(want, n, amp)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_nalu_overflow_and_nan_propagate_like_ieee(dtype):
    """m = exp(...) overflows to +inf for huge |x| W: reproduced, not hidden, and NaN propagates."""
    import nalu_ext

    layer = nalu_ext.NALU(2, 1, dtype=dtype, seed=0)
    layer.params["W_hat"][...] = 20.0  # W = tanh(20) * sigmoid(M_hat) ~ sigmoid(M_hat)
    layer.params["M_hat"][...] = 20.0  # W ~ 1: m = |x1| * |x2|
    layer.params["G"][...] = -1.0      # gate leaning towards m
    big = 1e200 if dtype == "float64" else 1e30
    y = layer.forward(np.array([[big, big], [np.nan, 1.0], [np.inf, 1.0], [2.0, 3.0]], dtype=dtype))
    assert np.isposinf(y[0, 0])
    assert np.isnan(y[1, 0])
    assert not np.isfinite(y[2, 0])
    gate = 1.0 / (1.0 + np.exp(5.0))  # sigmoid(x G^T) = sigmoid(-5); a = 2 + 3, m = 2 * 3
    np.testing.assert_allclose(y[3, 0], gate * 5.0 + (1.0 - gate) * 6.0, rtol=1e-6)
    dx = layer.backward(np.ones((4, 1), dtype=dtype))
    assert np.isnan(dx[1]).all()
    assert np.isfinite(dx[3]).all()
