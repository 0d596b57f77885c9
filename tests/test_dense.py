"""Dense: what is particular to it (its activations); the contract suite (test_contract.py) covers
the rest with the default, sigmoid."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units.linear import ACTIVATIONS
from helpers import numeric_gradient
from tolerances import assert_matches_reference


def dense(activation, dtype="float64", seed=0, bias=True):
    layer = nalu_ext.Dense(4, 3, activation=activation, bias=bias, dtype=dtype, seed=seed)
    if bias:  # a bias of 0 would hide a forward that drops it
        layer.params["b"][...] = np.random.default_rng(seed).normal(size=3)
    return layer


def test_activations_by_formula(rng):
    x = rng.normal(size=(6, 4))
    formulas = {"identity": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
                "relu": lambda z: np.where(z > 0, z, 0.0)}
    assert set(formulas) == set(ACTIVATIONS)
    for activation, f in formulas.items():
        layer = dense(activation)
        z = x @ layer.params["W"].T + layer.params["b"]
        np.testing.assert_allclose(layer.forward(x), f(z), rtol=1e-14, atol=1e-15, err_msg=activation)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_kernels_match_the_reference(activation, dtype, rng):
    layer = dense(activation, dtype)
    x = rng.normal(size=(7, 4)).astype(dtype)
    dy = rng.normal(size=(7, 3)).astype(dtype)
    y_ref, cache = layer.reference_forward(x)
    dx_ref, grads_ref = layer.reference_backward(dy, cache)
    assert_matches_reference(layer.forward(x), y_ref, n=4, what="y")
    assert_matches_reference(layer.backward(dy), dx_ref, n=4 * 3, what="dx")
    for name, g in grads_ref.items():
        assert_matches_reference(layer.grads[name], g, n=7 * 4, what=name)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_reference_gradients_match_finite_differences(activation, rng):
    layer = dense(activation)
    x = rng.normal(size=(5, 4))
    x[np.abs(x) < 1e-3] = 0.5  # relu's kink at 0 stays out of the differences' reach
    dy = rng.normal(size=(5, 3))
    params = {k: v.copy() for k, v in layer.params.items()}

    def loss():
        return float(np.sum(layer.reference_forward(x)[0] * dy))

    _, cache = layer.reference_forward(x)
    dx, grads = layer.reference_backward(dy, cache)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    for name in params:
        np.testing.assert_allclose(grads[name], numeric_gradient(loss, layer.params[name]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_saturates_without_overflow(dtype):
    layer = nalu_ext.Dense(1, 1, dtype=dtype, seed=0)
    layer.params["W"][...] = 1.0
    layer.params["b"][...] = 0.0
    with np.errstate(all="raise"):
        y = layer.forward(np.array([[-1000.0], [1000.0], [0.0]], dtype=dtype))
    np.testing.assert_array_equal(y.ravel(), [0.0, 1.0, 0.5])
    dx = layer.backward(np.ones((3, 1), dtype=dtype))
    np.testing.assert_array_equal(dx.ravel(), [0.0, 0.0, 0.25])


def test_sigmoid_keeps_its_relative_precision_far_below_zero():
    """The reference once wrote σ(z) as (1 + tanh(z/2))/2, which cancels for z ≪ 0 (5e-10 relative
    at z = −16, found by the property tests): kernel and reference must both hold 1e-14 there."""
    z = np.linspace(-700.0, -1.0, 301)
    exact = np.exp(z) / (1.0 + np.exp(z))  # no cancellation for z < 0
    layer = nalu_ext.Dense(1, 1, dtype="float64", seed=0)
    layer.params["W"][...] = 1.0
    layer.params["b"][...] = 0.0
    np.testing.assert_allclose(layer.reference_forward(z[:, None])[0].ravel(), exact, rtol=1e-14)
    np.testing.assert_allclose(layer.forward(z[:, None]).ravel(), exact, rtol=1e-14)


def test_relu_slope_at_zero_is_zero():
    layer = nalu_ext.Dense(1, 1, activation="relu", dtype="float64", seed=0, bias=False)
    layer.params["W"][...] = 1.0
    layer.forward(np.array([[0.0], [2.0], [-1.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((3, 1))).ravel(), [0.0, 1.0, 0.0])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_survives_save_load_and_pickle(activation, tmp_path, rng):
    import pickle

    model = nalu_ext.Sequential(dense(activation, bias=False), nalu_ext.Linear(3, 1, dtype="float64", seed=1))
    path = tmp_path / "m.nalu"
    model.save(path)
    x = rng.normal(size=(5, 4))
    for again in (nalu_ext.load(path), pickle.loads(pickle.dumps(model))):
        assert again.layers[0].activation == activation and not again.layers[0].bias
        np.testing.assert_array_equal(again.forward(x), model.forward(x))


def test_bad_activation_names_the_choices():
    with pytest.raises(ValueError, match="activation must be one of .*'sigmoid'.*got 'softmax'"):
        nalu_ext.Dense(2, 2, activation="softmax")
    with pytest.raises(ValueError, match=r"option .activation. must be one of 0 \(identity\), 1 \(sigmoid\), 2 \(tanh\), 3 \(relu\), got 7"):
        nalu_ext._core.make_layer("Dense", "float64", 2, 2, {"bias": True, "activation": 7.0})


def test_repr_and_recipe():
    assert repr(nalu_ext.Dense(3, 2, activation="tanh")) == "Dense(3, 2, activation='tanh', dtype='float32')"
    assert nalu_ext.benchmark.RECIPES["Dense"].network == ("Dense", "Linear")


def test_a_sigmoid_network_fits_a_smooth_function():
    """The NPU paper's dense baseline shape (2 → h σ → h σ → out, here h = 10, one output) fits x·y
    inside its training range."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 2.1, size=(512, 2))
    model = nalu_ext.Sequential(nalu_ext.Dense(2, 10, dtype="float64", seed=0),
                                nalu_ext.Dense(10, 10, dtype="float64", seed=1),
                                nalu_ext.Dense(10, 1, activation="identity", dtype="float64", seed=2))
    history = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=1e-2), x, x[:, :1] * x[:, 1:],
                           steps=3000, batch_size=64, seed=0)
    assert history.loss[-100:].mean() < 1e-2 * np.var(x[:, 0] * x[:, 1])
