"""NMRU (Mistry, Farrahi & Hare 2022): what is particular to it, its two modes; and the training /
evaluation mode every layer carries. The contract suite (test_contract.py) covers the rest."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark import protocol
from nalu_ext.units.division import NMRU_EPS, nmru_backward, nmru_forward, sign_nmru_backward, sign_nmru_forward
from helpers import check_against_fd
from tolerances import assert_matches_reference


def divider(dtype="float64"):
    """An NMRU set by hand to x0 / x1: weight 1 on x0 and on 1/x1, 0 elsewhere."""
    layer = nalu_ext.NMRU(2, 1, dtype=dtype, seed=0)
    layer.params["W"][...] = [[1.0, 0.0, 0.0, 1.0]]
    return layer


def test_evaluation_mode_divides_exactly_and_training_mode_adds_eps(rng):
    layer = divider()
    x = rng.uniform(0.5, 2.0, size=(6, 2))
    assert layer.training
    np.testing.assert_allclose(layer.forward(x)[:, 0], x[:, 0] / (x[:, 1] + 2.0 ** -23), rtol=1e-15)
    np.testing.assert_allclose(layer.eval().forward(x)[:, 0], x[:, 0] / x[:, 1], rtol=1e-15)
    assert not layer.training and layer.train().training


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("unit", ["NMRU", "SignNMRU", "sNMU", "NRU"])  # the units that read the mode
def test_kernels_match_the_reference_in_both_modes(unit, dtype, training, rng):
    if unit == "SignNMRU":
        layer = nalu_ext.NMRU(5, 3, sign_retrieval=True, dtype=dtype, seed=1).train(training)
    else:
        layer = nalu_ext.UNITS[unit](5, 3, dtype=dtype, seed=1).train(training)
    x = (rng.uniform(0.5, 2.0, size=(7, 5)) * rng.choice([-1.0, 1.0], size=(7, 5))).astype(dtype)
    dy = rng.normal(size=(7, 3)).astype(dtype)
    y_ref, cache = layer.reference_forward(x)
    dx_ref, grads = layer.reference_backward(dy, cache)
    assert_matches_reference(layer.forward(x), y_ref, n=10, what="y")
    assert_matches_reference(layer.backward(dy), dx_ref, n=10 * 3, what="dx")
    assert_matches_reference(layer.grads["W"], grads["W"], n=7 * 10, what="dW")


@pytest.mark.parametrize("training", [True, False])
def test_reference_gradients_match_finite_differences(training, rng):
    W = nalu_ext.NMRU(3, 2, dtype="float64", seed=2).params["W"].copy()
    x = rng.uniform(0.5, 2.0, size=(4, 3)) * rng.choice([-1.0, 1.0], size=(4, 3))
    check_against_fd(nmru_forward, nmru_backward, {"x": x, "W": W}, rng, training=training)


def test_learns_division():
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(256, 2))
    layer = nalu_ext.NMRU(2, 1, dtype="float64", seed=0)
    nalu_ext.fit(layer, nalu_ext.Adam(layer.parameters(), lr=1e-2), x, x[:, :1] / x[:, 1:], steps=3000,
                 batch_size=64, seed=0)
    np.testing.assert_allclose(layer.params["W"], [[1.0, 0.0, 0.0, 1.0]], atol=2e-3)
    far = rng.uniform(3.0, 9.0, size=(100, 2))
    np.testing.assert_allclose(layer.eval().forward(far)[:, 0], far[:, 0] / far[:, 1], rtol=1e-2)


def test_the_protocol_evaluates_in_evaluation_mode_and_restores_the_mode(rng):
    model = nalu_ext.Sequential(divider())
    x = rng.uniform(0.5, 2.0, size=(50, 2))
    t = (x[:, :1] / x[:, 1:])
    assert protocol._mse(model, x, t) < 1e-28  # exact division: evaluation mode
    assert model.training
    model.eval()
    protocol._mse(model, x, t)
    assert not model.training  # restored as it was, not set to training


def test_sequential_train_and_eval_set_every_layer():
    model = nalu_ext.Sequential(nalu_ext.NAU(2, 2), nalu_ext.NMRU(2, 1))
    assert model.training and model.eval() is model and not any(l.training for l in model.layers)
    assert model.train().training


def test_a_loaded_or_unpickled_layer_starts_in_training_mode(tmp_path):
    import pickle

    model = nalu_ext.Sequential(divider()).eval()
    model.save(tmp_path / "m.nalu")
    assert nalu_ext.load(tmp_path / "m.nalu").training
    assert pickle.loads(pickle.dumps(model)).training


def test_parameters_and_initialisation():
    layer = nalu_ext.NMRU(30, 20, dtype="float64", seed=0)
    W = layer.params["W"]
    assert W.shape == (20, 60) and W.min() >= 0.25 and W.max() <= 0.75 and W.max() - W.min() > 0.45
    assert layer.init == "nalm-division" and NMRU_EPS == 2.0 ** -23
    assert repr(nalu_ext.NMRU(3, 2)) == "NMRU(3, 2, dtype='float32')"


def test_evaluating_restores_each_layers_own_mode():
    model = nalu_ext.Sequential(nalu_ext.NMRU(2, 2), nalu_ext.NMRU(2, 1).eval())
    with model.evaluating() as same:
        assert same is model and not any(layer.training for layer in model.layers)
    assert [layer.training for layer in model.layers] == [True, False]
    with pytest.raises(RuntimeError), model.evaluating():
        raise RuntimeError("an error inside the block")
    assert [layer.training for layer in model.layers] == [True, False]


@pytest.mark.parametrize("training", [True, False])
def test_sign_retrieval_divides_negative_inputs_and_its_reference_matches_finite_differences(training, rng):
    layer = nalu_ext.NMRU(2, 1, sign_retrieval=True, dtype="float64", seed=0).train(training)
    layer.params["W"][...] = [[1.0, 0.0, 0.0, 1.0]]
    x = rng.uniform(0.5, 2.0, size=(8, 2)) * rng.choice([-1.0, 1.0], size=(8, 2))
    expected = x[:, 0] / (x[:, 1] + (NMRU_EPS if training else 0.0))
    np.testing.assert_allclose(layer.forward(x)[:, 0], expected, rtol=1e-14)
    W = np.array([[0.9, 0.2, 0.1, 0.7]])  # between the discrete weights
    check_against_fd(sign_nmru_forward, sign_nmru_backward, {"x": x, "W": W}, rng, training=training)


def test_sign_retrieval_is_an_option_kept_by_save_and_checked(tmp_path):
    model = nalu_ext.Sequential(nalu_ext.NMRU(2, 1, sign_retrieval=True, seed=0))
    model.save(tmp_path / "m.nalu")
    loaded = nalu_ext.load(tmp_path / "m.nalu").layers[0]
    assert loaded.sign_retrieval and not nalu_ext.NMRU(2, 1).sign_retrieval
    assert repr(loaded) == "NMRU(2, 1, sign_retrieval=True, dtype='float32')"
    with pytest.raises(TypeError, match="sign_retrieval must be True or False, got 'yes'"):
        nalu_ext.NMRU(2, 1, sign_retrieval="yes")
