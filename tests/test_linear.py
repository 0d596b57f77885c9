"""Linear: what is particular to it; the contract suite (test_contract.py) covers the rest."""

from __future__ import annotations

import numpy as np

import nalu_ext


def test_parameters_and_initialisation():
    layer = nalu_ext.Linear(30, 20, dtype="float64", seed=0)
    assert set(layer.params) == {"W", "b"}
    r = np.sqrt(6.0 / 50.0)  # xavier_uniform, gain 1
    assert np.all(np.abs(layer.params["W"]) <= r) and np.abs(layer.params["W"]).max() > 0.9 * r
    np.testing.assert_array_equal(layer.params["b"], 0.0)
    assert set(nalu_ext.Linear(3, 2, bias=False).params) == {"W"}
    assert repr(nalu_ext.Linear(3, 2, bias=False)) == "Linear(3, 2, bias=False, dtype='float32')"


def test_is_affine(rng):
    layer = nalu_ext.Linear(3, 2, dtype="float64", seed=1)
    layer.params["b"][...] = [0.5, -2.0]
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["W"].T + [0.5, -2.0], rtol=1e-14)


def test_learns_a_sum_exactly():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, size=(64, 3))
    layer = nalu_ext.Linear(3, 1, dtype="float64", seed=0)
    nalu_ext.fit(layer, nalu_ext.Adam([*layer.params.values()], lr=0.05), x, x[:, :1] + x[:, 1:2], steps=2000)
    np.testing.assert_allclose(layer.params["W"], [[1.0, 1.0, 0.0]], atol=1e-3)
    np.testing.assert_allclose(layer.params["b"], [0.0], atol=1e-3)
