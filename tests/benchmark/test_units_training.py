"""Every unit in a Sequential, through train_step and fit, with every optimizer, in both dtypes;
the one-sided choices at the non-differentiable points; the iNALU regularizer."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units import inalu

# Every registered unit as built by default, and configurations that exercise more of the loop
# (a NALU variant, regularizers with schedules).
CONFIGS = {name: (name, {}) for name in nalu_ext.UNITS}
CONFIGS.update({
    "NALU-variant": ("NALU", {"separate_weights": True, "gate_bias": True}),
    "NAU": ("NAU", {"regularizer": 0.1, "reg_start": 5, "reg_end": 20}),
    "NMU": ("NMU", {"regularizer": 0.1}),
})


def make(config, i, o, dtype):
    name, options = CONFIGS[config]
    return nalu_ext.UNITS[name](i, o, dtype=dtype, seed=1, **options)
OPTIMIZERS = {
    "SGD": lambda ps: nalu_ext.SGD(ps, lr=0.01, momentum=0.9),
    "Adam": lambda ps: nalu_ext.Adam(ps, lr=0.01, clip_value=0.1),
    "RMSprop": lambda ps: nalu_ext.RMSprop(ps, lr=0.001, clip_norm=1.0),
}


def two_layers(unit, dtype):
    return nalu_ext.Sequential(make(unit, 3, 2, dtype), make(unit, 2, 1, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("unit", CONFIGS)
def test_every_unit_trains_with_every_optimizer(unit, optimizer, dtype, rng):
    x = rng.uniform(0.5, 2.0, size=(32, 3)).astype(dtype)
    y = (x[:, :1] + x[:, 1:2] * x[:, 2:]).astype(dtype)
    a, b = two_layers(unit, dtype), two_layers(unit, dtype)
    opt_a, opt_b = OPTIMIZERS[optimizer](a.parameters()), OPTIMIZERS[optimizer](b.parameters())
    h = nalu_ext.fit(a, opt_a, x, y, steps=40)
    losses = [b.train_step(x, y, opt_b) for _ in range(40)]
    np.testing.assert_array_equal(h.loss, losses)  # the C++ loop and the Python loop agree exactly
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    assert np.isfinite(h.loss).all() and h.regularizer.shape == (40,)
    assert all(np.isfinite(p).all() for p in a.parameters())


# The one-sided choices at the kinks, each against the documented rule -------------------------

def test_inalu_kinks():
    layer = nalu_ext.iNALU(2, 1, eps=0.5, omega=20.0, dtype="float64", seed=0)
    for name in layer.params:
        if name != "G":
            layer.params[name][...] = 30.0 if name.startswith("W") else 40.0  # W_a = W_m = 1
    # |x| <= eps: max(|x|, eps) = eps is flat in x, so the m path sends x no gradient there.
    layer.params["G"][...] = -800.0  # sigmoid(-800) = 0 exactly: all weight on the m path
    x = np.array([[0.25, 3.0]])
    layer.forward(x)
    dx = layer.backward(np.ones((1, 1)))
    assert dx[0, 0] == 0.0 and dx[0, 1] != 0.0
    # z = log(max(|x|, eps)) W_mᵀ exactly at omega: gradient passes (z ≤ ω).
    edge = np.exp(10.0)
    layer.forward(np.array([[edge, edge]]))  # z = 10 + 10 = 20 = ω up to rounding of exp/log
    layer.backward(np.ones((1, 1)))
    y_ref, cache = inalu.inalu_forward(np.array([[edge, edge]]), **layer.params, eps=0.5)
    _, grads = inalu.inalu_backward(np.ones((1, 1)), cache)
    np.testing.assert_allclose(layer.grads["W_hat_m"], grads["W_hat_m"], rtol=1e-10, atol=1e-300)


def test_npu_kinks():
    layer = nalu_ext.NPU(3, 1, dtype="float64", seed=0)
    layer.params["W_re"][...] = [[1.0, 1.0, 1.0]]
    layer.params["g"][...] = [0.0, 1.0, 1.3]  # the edges pass gradient, beyond the clip it is 0
    layer.forward(np.array([[2.0, -3.0, 0.0]]))
    dx = layer.backward(np.ones((1, 1)))
    dg = layer.grads["g"]
    assert dg[0] != 0.0 and dg[1] != 0.0 and dg[2] == 0.0
    assert dx[0, 2] == 0.0  # x = 0: sign(0) = 0


@pytest.mark.parametrize("form, gate", [("schlor", "scalar"), ("nalm-benchmark", "scalar"), ("nalm-benchmark", "input")])
def test_inalu_regularizer_matches_reference(form, gate, rng):
    layer = nalu_ext.iNALU(3, 2, regularizer=0.5, regularizer_form=form, gate=gate, dtype="float64", seed=0)
    layer.params["W_hat_a"][0, 0] = 25.0  # beyond the bound: no contribution, no gradient
    model = nalu_ext.Sequential(layer)
    x, y = rng.uniform(0.5, 2, size=(8, 3)), rng.normal(size=(8, 2))
    params = {k: v.copy() for k, v in layer.params.items()}
    h = nalu_ext.fit(model, nalu_ext.SGD(model.parameters(), lr=0.0), x, y, steps=1)
    reg, dreg = layer.regularizer_value()
    np.testing.assert_allclose(h.regularizer, [0.5 * reg], rtol=1e-12)
    pred, cache = inalu.inalu_forward(x, **params)
    _, grads = inalu.inalu_backward(2.0 * (pred - y) / pred.size, cache)
    for name in layer.params:
        np.testing.assert_allclose(layer.grads[name], grads[name] + 0.5 * dreg.get(name, 0.0), rtol=1e-10, atol=1e-15)
    assert dreg["W_hat_a"][0, 0] == 0.0
    assert ("G" in dreg) == (form == "nalm-benchmark")


def test_nalm_benchmarks_inalu_regularizer_is_the_sum_of_five_means():
    """bmistry4/nalm-benchmark inalu.py: sum over W_a_hat, M_a_hat, W_m_hat, M_m_hat, g of
    mean(max(min(v, -v) + 20, 0)), written out here on hand-set parameters."""
    layer = nalu_ext.iNALU(2, 1, regularizer_form="nalm-benchmark", dtype="float64", seed=0)
    schlor = nalu_ext.iNALU(2, 1, dtype="float64", seed=0)
    values = {"W_hat_a": [1.0, -3.0], "M_hat_a": [0.5, 30.0], "W_hat_m": [-19.0, 0.0], "M_hat_m": [2.0, 2.0],
              "G": [-4.0]}
    for name, v in values.items():
        for each in (layer, schlor):
            each.params[name][...] = np.reshape(v, each.params[name].shape)
    expected = (19 + 17) / 2 + (19.5 + 0) / 2 + (1 + 20) / 2 + (18 + 18) / 2 + 16 / 1
    assert layer.regularizer_value()[0] == pytest.approx(expected, rel=1e-15)
    assert schlor.regularizer_value()[0] == pytest.approx((19 + 17 + 19.5 + 0 + 1 + 20 + 18 + 18) / 8, rel=1e-15)
