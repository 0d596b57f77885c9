"""NRU (Mistry, Farrahi & Hare 2022): what is particular to it. The contract suite, the mode test
of test_nmru.py and the PyTorch oracle (test_torch_oracle.py) cover the rest."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark import single_module, sweeps
from nalu_ext.benchmark.tasks import SingleModuleTask
from nalu_ext.units.division import nru_backward, nru_forward
from helpers import check_against_fd


@pytest.mark.parametrize("training", [True, False])
def test_weights_of_one_and_minus_one_divide_signed_inputs_exactly(training, rng):
    layer = nalu_ext.NRU(2, 1, dtype="float64", seed=0).train(training)
    layer.params["W"][...] = [[1.0, -1.0]]  # tanh(1000)² is 1 in float64: both modes are exact
    x = rng.uniform(0.5, 2.0, size=(6, 2)) * rng.choice([-1.0, 1.0], size=(6, 2))
    np.testing.assert_allclose(layer.forward(x)[:, 0], x[:, 0] / x[:, 1], rtol=1e-15)
    layer.params["W"][...] = [[0.0, 1.0]]  # a weight of 0 leaves its input out
    np.testing.assert_allclose(layer.forward(x)[:, 0], x[:, 1], rtol=1e-15)


def test_the_modes_differ_only_through_a():
    # A(w) = tanh²(1000 w) in training, |w| in evaluation: equal at the discrete weights, apart
    # in between (w = 0.5: A = 1 against 0.5)
    layer = nalu_ext.NRU(1, 1, dtype="float64", seed=0)
    layer.params["W"][...] = [[0.5]]
    x = np.array([[4.0]])
    assert layer.forward(x)[0, 0] == pytest.approx(2.0, rel=1e-15)             # |4|^0.5 · 1 + 0
    assert layer.eval().forward(x)[0, 0] == pytest.approx(0.5 * 2.0 + 0.5, rel=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_zero_input_leaves_the_factor_sech_squared_to_full_relative_precision(dtype):
    """Where x = 0 the factor is 1 − A(w) = sech²(1000 w) alone; written as 1 − tanh² it cancelled
    to 0 in float32 for |w| > 0.009 (found by the property tests)."""
    w = np.array([0.0005, 0.005, 0.012, 0.02, 0.04])  # w > 0: 0^w = 0 (a negative w divides by 0)
    layer = nalu_ext.NRU(1, len(w), dtype=dtype, seed=0)
    layer.params["W"][...] = w[:, None]
    y = layer.forward(np.zeros((1, 1), dtype=dtype)).astype(np.float64).ravel()
    exact = 1.0 / np.cosh(1000.0 * w) ** 2  # no overflow below |1000 w| = 710
    assert np.all(exact > 0)
    np.testing.assert_allclose(y, exact, rtol=1e-5 if dtype == "float32" else 1e-13)
    np.testing.assert_allclose(nru_forward(np.zeros((1, 1)), w[:, None])[0].ravel(), exact, rtol=1e-13)


@pytest.mark.parametrize("training", [True, False])
def test_reference_gradients_match_finite_differences(training, rng):
    W = np.array([[0.4, -0.7, 0.2], [-0.3, 0.8, -0.6]])  # away from 0, where tanh(1000 w) bends
    x = rng.uniform(0.5, 2.0, size=(4, 3)) * rng.choice([-1.0, 1.0], size=(4, 3))
    check_against_fd(nru_forward, nru_backward, {"x": x, "W": W}, rng, training=training)


def test_parameters_initialisation_and_regularizer_are_the_naus():
    layer = nalu_ext.NRU(30, 20, dtype="float64", seed=0)
    nau = nalu_ext.NAU(30, 20, dtype="float64", seed=0)
    np.testing.assert_array_equal(layer.params["W"], nau.params["W"])
    layer.params["W"][...] = nau.params["W"][...] = np.linspace(-1.0, 1.0, 600).reshape(20, 30)
    assert layer.regularizer_value()[0] == nau.regularizer_value()[0] > 0
    layer.params["W"][0, 0] = -1.5
    layer.after_update()  # clamped into [-1, 1], as the NAU
    assert layer.params["W"][0, 0] == -1.0 and repr(nalu_ext.NRU(3, 2)) == "NRU(3, 2, dtype='float32')"


def test_learns_division_on_the_single_module_task():
    task = SingleModuleTask("div", (1.0, 2.0), (2.0, 6.0), seed=0)
    spec = nalu_ext.benchmark.make_run("NRU", task, seed=0, steps=50_000, recipe=single_module.recipe("NRU", "div"))
    assert spec["optimizer"]["lr"] == 1.0 and spec["network"] == ["NRU"]
    result = sweeps.execute(spec)["result"]
    assert result["selected_success"], result["selected_test_mse"]
    model = sweeps.build_model(spec)
    assert model.layers[0].params["W"].shape == (1, 2)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dx_at_an_infinite_input_is_the_references_not_nan(training, dtype):
    """dx was NaN at x = ±inf with 0 < w ≤ 1 (inf/inf in the kernel) on every ISA path, where the
    reference gives w |x|^(w−1) times the other factors: 0 for w < 1, their finite product at
    w = 1."""
    w = np.array([[0.25, 0.5], [1.0, 0.5], [0.5, 1.0]])
    x = np.array([[np.inf, 2.0], [-np.inf, 3.0], [4.0, np.inf], [1.5, -np.inf]])
    layer = nalu_ext.NRU(2, 3, dtype=dtype, seed=0).train(training)
    layer.params["W"][...] = w
    dy = np.ones((4, 3), dtype=dtype)
    with np.errstate(all="ignore"):
        layer.forward(x.astype(dtype))
        dx = layer.backward(dy)
        expected, _ = nru_backward(dy, nru_forward(x, w, training=training)[1])
    assert np.isnan(dx).sum() == np.isnan(expected).sum()
    finite = np.isfinite(expected)
    assert finite.sum() >= 4  # the w < 1 entries (0) and the other input's (w = 1: finite products)
    np.testing.assert_allclose(dx[finite], expected[finite], rtol=1e-5 if dtype == "float32" else 1e-12)
    np.testing.assert_array_equal(np.isinf(dx), np.isinf(expected))
