"""The gated NAU/NMU (docs/units.md#gatednaunmu): what is particular to it beside the contract
suite's checks: it is its two paths and the gate, its regularizer is the two paths' sum, and
both weights follow the constraint."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units import nau, nmu


def layer_with(rng, constraint="clamp", spread=0.0):
    layer = nalu_ext.GatedNAUNMU(4, 3, constraint=constraint, dtype="float64", seed=0)
    for name, (lo, hi) in (("W_add", (-1.0, 1.0)), ("W_mul", (0.0, 1.0))):
        layer.params[name][...] = rng.uniform(lo - spread, hi + spread, size=(3, 4))
    return layer


@pytest.mark.parametrize("gate, expected", [(40.0, "NAU"), (-40.0, "NMU")])
def test_a_saturated_gate_is_one_path(gate, expected, rng):
    """G x = ±40 for every row (x = 1): y is the NAU's output or the NMU's, to the gate's
    σ(−40) ≈ 4e-18."""
    layer = layer_with(rng)
    layer.params["G"][...] = gate / 4
    x = np.ones((5, 4))
    W = layer.params["W_add" if expected == "NAU" else "W_mul"]
    path = nau.nau_forward(x, W)[0] if expected == "NAU" else nmu.nmu_forward(x, W)[0]
    np.testing.assert_allclose(layer.forward(x), path, rtol=1e-15, atol=1e-15)


def test_the_regularizer_is_the_sum_of_the_naus_and_the_nmus(rng):
    layer = layer_with(rng)
    R_add, dR_add = nau.sparsity_regularizer(layer.params["W_add"], "NAU")
    R_mul, dR_mul = nau.sparsity_regularizer(layer.params["W_mul"], "NMU")
    for g in layer.grads.values():
        g[...] = 0.0
    assert layer._impl.regularize(2.0) == pytest.approx(R_add + R_mul, rel=1e-14)
    np.testing.assert_allclose(layer.grads["W_add"], 2.0 * dR_add, rtol=1e-14)
    np.testing.assert_allclose(layer.grads["W_mul"], 2.0 * dR_mul, rtol=1e-14)
    np.testing.assert_array_equal(layer.grads["G"], 0.0)  # the gate has no regularizer
    assert layer.regularizer_value()[0] == pytest.approx(R_add + R_mul, rel=1e-14)


@pytest.mark.parametrize("constraint", nau.CONSTRAINTS)
def test_both_weights_follow_the_constraint_and_the_gate_neither(constraint, rng):
    layer = layer_with(rng, constraint, spread=0.7)
    before = {k: v.copy() for k, v in layer.params.items()}
    layer.after_update()
    clamped = constraint == "clamp"
    np.testing.assert_array_equal(layer.params["W_add"], np.clip(before["W_add"], -1, 1) if clamped else before["W_add"])
    np.testing.assert_array_equal(layer.params["W_mul"], np.clip(before["W_mul"], 0, 1) if clamped else before["W_mul"])
    np.testing.assert_array_equal(layer.params["G"], before["G"])
    used = layer.effective_weights()
    if constraint == "none":
        np.testing.assert_array_equal(used[0], before["W_add"])
    else:
        np.testing.assert_array_equal(used[0], np.clip(before["W_add"], -1, 1))
        np.testing.assert_array_equal(used[1], np.clip(before["W_mul"], 0, 1))


def test_initialisation_is_the_naus_the_nmus_and_glorots():
    layer = nalu_ext.GatedNAUNMU(100, 2, dtype="float64", seed=3)
    r = min(0.5, np.sqrt(3.0) * np.sqrt(2.0 / 102))
    assert np.abs(layer.params["W_add"]).max() <= r and np.abs(layer.params["W_add"]).max() > 0.9 * r
    assert layer.params["W_mul"].min() >= 0.25 and layer.params["W_mul"].max() <= 0.75
    bound = np.sqrt(6.0 / 102)
    assert np.abs(layer.params["G"]).max() <= bound and np.abs(layer.params["G"]).max() > 0.9 * bound


def test_it_learns_a_product_from_a_sum_and_saves(tmp_path, rng):
    x = rng.uniform(1.0, 2.0, size=(128, 2))
    y = x[:, :1] * x[:, 1:]
    model = nalu_ext.Sequential(nalu_ext.GatedNAUNMU(2, 1, seed=0, dtype="float64"))
    history = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.05), x, y, steps=400)
    assert history.loss[-1] < 0.01 * history.loss[0]
    model.save(tmp_path / "gated.npz")
    again = nalu_ext.load(tmp_path / "gated.npz")
    np.testing.assert_array_equal(again.forward(x), model.forward(x))
    assert again.layers[0].constraint == "clamp"
