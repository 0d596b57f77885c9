"""sNMU (Mistry, Farrahi & Hare): its reversible noise, reproducible and off in evaluation mode.
The contract suite (test_contract.py) covers the rest; test_nmru.py checks the kernels against
the reference in both modes for both units that read the mode."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units.nmu import nmu_forward, snmu_forward
from helpers import numeric_gradient


def test_training_divides_the_noise_out_again_and_evaluation_is_the_plain_nmu(rng):
    layer = nalu_ext.sNMU(4, 3, dtype="float64", seed=0)
    W = layer.params["W"]
    x = rng.uniform(0.5, 2.0, size=(6, 4))
    n = layer.noise(6)
    assert n.shape == (6, 4) and n.min() >= 1.0 and n.max() < 5.0
    expected = nmu_forward(x * n, W)[0] / nmu_forward(n, W)[0]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-14)
    assert not np.allclose(expected, nmu_forward(x, W)[0])  # fractional W: the noise shows
    np.testing.assert_allclose(layer.eval().forward(x), nmu_forward(x, W)[0], rtol=1e-15)


def test_with_a_discrete_w_the_noise_is_fully_reversed(rng):
    layer = nalu_ext.sNMU(4, 1, dtype="float64", seed=0)
    layer.params["W"][...] = [[1.0, 0.0, 1.0, 0.0]]
    x = rng.uniform(0.5, 2.0, size=(8, 4))
    np.testing.assert_allclose(layer.forward(x)[:, 0], x[:, 0] * x[:, 2], rtol=1e-14)


def test_noise_is_reproducible_and_moves_with_the_step(rng):
    a, b = nalu_ext.sNMU(3, 2, seed=5), nalu_ext.sNMU(3, 2, seed=5)
    assert a.noise_seed == b.noise_seed and nalu_ext.sNMU(3, 2, seed=6).noise_seed != a.noise_seed
    np.testing.assert_array_equal(a.noise(4), b.noise(4))
    first = a.noise(4)
    model = nalu_ext.Sequential(a)
    model.train_step(rng.uniform(1, 2, (4, 3)), rng.normal(size=(4, 2)), nalu_ext.SGD(model.parameters(), lr=0.0))
    assert a.steps == 1 and not np.array_equal(a.noise(4), first)
    assert nalu_ext.sNMU(3, 2, noise_seed=123).noise_seed == 123


def test_reference_gradients_match_finite_differences_with_the_noise_held(rng):
    layer = nalu_ext.sNMU(3, 2, dtype="float64", seed=2)
    x = rng.uniform(0.5, 2.0, size=(4, 3))
    dy = rng.normal(size=(4, 2))
    n = layer.noise(4)

    def loss():
        return float(np.sum(snmu_forward(x, layer.params["W"], n)[0] * dy))

    dx, grads = layer.reference_backward(dy, layer.reference_forward(x)[1])
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads["W"], numeric_gradient(loss, layer.params["W"]), rtol=1e-6, atol=1e-9)


def test_a_checkpoint_resumes_the_same_noise(tmp_path, rng):
    model = nalu_ext.Sequential(nalu_ext.sNMU(3, 1, dtype="float64", seed=3, noise_low=0.5, noise_high=2.0))
    opt = nalu_ext.Adam(model.parameters(), lr=1e-2)
    x, y = rng.uniform(1, 2, (8, 3)), rng.normal(size=(8, 1))
    for _ in range(3):
        model.train_step(x, y, opt)
    model.save(tmp_path / "c.nalu", optimizer=opt)
    again, opt2 = nalu_ext.load_checkpoint(tmp_path / "c.nalu")
    assert again.layers[0].noise_range == (0.5, 2.0) and again.layers[0].steps == 3
    np.testing.assert_array_equal(again.layers[0].noise(8), model.layers[0].noise(8))
    model.train_step(x, y, opt)
    again.train_step(x, y, opt2)
    np.testing.assert_array_equal(again.layers[0].params["W"], model.layers[0].params["W"])


@pytest.mark.parametrize("kwargs, message", [
    ({"noise_low": 0.0}, "0 < noise_low <= noise_high"),
    ({"noise_low": 3.0, "noise_high": 2.0}, "0 < noise_low <= noise_high"),
    ({"noise_high": float("inf")}, "0 < noise_low <= noise_high"),
    ({"noise_seed": 2**53}, "noise_seed"),
    ({"noise_seed": -1}, "noise_seed"),
])
def test_bad_noise_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nalu_ext.sNMU(2, 1, **kwargs)


def test_repr():
    assert repr(nalu_ext.sNMU(3, 2)) == "sNMU(3, 2, dtype='float32')"
    assert repr(nalu_ext.sNMU(3, 2, noise_low=0.1, noise_high=0.5)) == \
        "sNMU(3, 2, noise_low=0.1, noise_high=0.5, dtype='float32')"
