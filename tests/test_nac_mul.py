"""NACMul (NAC•): what is particular to it; the contract suite (test_contract.py) covers the rest."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext


def test_is_a_nac_in_log_space(rng):
    """With the same parameters, NACMul(x) = exp(NAC(log(|x| + eps)))."""
    mul = nalu_ext.NACMul(3, 2, eps=1e-7, dtype="float64", seed=4)
    nac = nalu_ext.NAC(3, 2, dtype="float64", seed=4)
    x = rng.uniform(-3.0, 3.0, size=(5, 3))
    np.testing.assert_allclose(mul.forward(x), np.exp(nac.forward(np.log(np.abs(x) + 1e-7))), rtol=1e-13)


def test_saturated_weights_multiply_and_lose_the_sign():
    layer = nalu_ext.NACMul(2, 1, dtype="float64", seed=0)
    layer.params["W_hat"][...] = 30.0  # tanh(30) = 1
    layer.params["M_hat"][...] = 40.0  # sigmoid(40) = 1
    np.testing.assert_allclose(layer.forward([[3.0, 4.0], [-3.0, 4.0]]), [[12.0], [12.0]], rtol=1e-6)


def test_gradient_at_zero_input_takes_sign_zero():
    layer = nalu_ext.NACMul(2, 1, dtype="float64", seed=0)
    layer.forward([[0.0, 2.0]])
    dx = layer.backward([[1.0]])
    assert dx[0, 0] == 0.0 and dx[0, 1] != 0.0


@pytest.mark.parametrize("eps, exc", [(-1.0, ValueError), (float("nan"), ValueError), ("x", TypeError)])
def test_bad_eps(eps, exc):
    with pytest.raises(exc, match="eps must be"):
        nalu_ext.NACMul(2, 2, eps=eps)


def test_learns_a_product():
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(64, 2))
    layer = nalu_ext.NACMul(2, 1, dtype="float64", seed=0)
    history = nalu_ext.fit(layer, nalu_ext.Adam([*layer.params.values()], lr=0.05), x, x[:, :1] * x[:, 1:],
                           steps=3000)
    assert history.loss[-1] < 1e-3 * history.loss[0]
    assert np.all(layer.effective_weights()[0] > 0.95)  # both inputs' exponents near 1
    np.testing.assert_allclose(layer.forward([[3.0, 5.0]]), [[15.0]], rtol=5e-2)  # extrapolates
