"""iNALU (Schlör, Ring & Hotho 2020), and the sign of negative inputs across the NALU family."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units import inalu
from helpers import numeric_gradient
from tolerances import assert_matches_reference

NAMES = ("W_hat_a", "M_hat_a", "W_hat_m", "M_hat_m")


@pytest.mark.parametrize("gate", ["scalar", "input"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 2), (13, 17, 11), (40, 9, 3)], ids=lambda s: "x".join(map(str, s)))
def test_kernels_match_reference(dtype, shape, gate, rng):
    B, I, O = shape
    layer = nalu_ext.iNALU(I, O, gate=gate, dtype=dtype, seed=1)
    x = rng.normal(size=(B, I)) * 2.0
    x[rng.random(size=x.shape) < 0.1] = 0.0
    x[::2] = np.abs(x[::2]) + 0.1  # all-positive rows take the kernels' shortcut; odd rows do not
    x = x.astype(dtype)
    dy = rng.normal(size=(B, O)).astype(dtype)
    y, dx = layer.forward(x), layer.backward(dy)
    p64 = {k: v.astype(np.float64) for k, v in layer.params.items()}
    y_ref, cache = inalu.inalu_forward(x.astype(np.float64), **p64, eps=float(np.asarray(1e-7, dtype)))
    dx_ref, grads_ref = inalu.inalu_backward(dy.astype(np.float64), cache)
    amp = float(np.max(np.abs(cache["log_x"])))
    assert_matches_reference(y, y_ref, n=I, amplification=amp, what="y")
    assert_matches_reference(dx, dx_ref, n=B + I + O, amplification=amp, what="dx")
    for name in layer.grads:
        assert_matches_reference(layer.grads[name], grads_ref[name], n=B + I + O, amplification=amp, what=name)


def multiplier(cls, dtype="float64"):
    """A unit set by hand to the exact product x1 * x2 on its multiplicative path."""
    layer = cls(2, 1, dtype=dtype, seed=0)
    if cls is nalu_ext.NPU:
        layer.params["W_re"][...] = 1.0
        layer.params["g"][...] = 1.0
        return layer
    for name in layer.params:
        if name.startswith("W_hat"):
            layer.params[name][...] = 30.0  # tanh(30) = 1 in float64
        elif name.startswith("M_hat"):
            layer.params[name][...] = 40.0  # sigmoid(40) = 1
    layer.params["G"][...] = -50.0          # gate on the multiplicative path
    return layer


def test_nalu_loses_the_sign_and_inalu_and_npu_recover_it():
    """Documented property of the NALU: m = exp(log|x| W) cannot be negative. iNALU's sign
    recovery and NPU's complex logarithm give the signed product."""
    x = np.array([[-2.0, 3.0], [-2.0, -3.0], [2.0, 3.0]])
    signed = [[-6.0], [6.0], [6.0]]
    # NALU's gate σ(x Gᵀ) depends on x: with G = -50 it picks the m path where x1 + x2 > 0.
    nalu = multiplier(nalu_ext.NALU)(x[[0, 2]])
    np.testing.assert_allclose(nalu, [[6.0], [6.0]], rtol=1e-6)  # |x1 x2|: the sign of -6 is lost
    for cls in (nalu_ext.iNALU, nalu_ext.NPU):
        np.testing.assert_allclose(multiplier(cls)(x), signed, rtol=1e-12, err_msg=cls.__name__)


def test_exponent_is_clipped_at_omega():
    layer = multiplier(nalu_ext.iNALU)
    assert layer.omega == 20.0
    y = layer(np.array([[1e6, 1e6]]))  # log(1e12) = 27.6 > 20
    np.testing.assert_allclose(y, [[np.exp(20.0)]], rtol=1e-12)
    layer.forward(np.array([[1e6, 1e6]]))
    layer.backward(np.ones((1, 1)))
    assert np.all(layer.grads["M_hat_m"] == 0.0)  # beyond omega the exponent gets no gradient


def test_parameters_and_initialisation():
    layer = nalu_ext.iNALU(50, 400, seed=0, dtype="float64")
    assert set(layer.params) == set(NAMES) | {"G"} and layer.params["G"].shape == (400,)
    for name, mean in (("W_hat_a", 0.88), ("M_hat_m", 0.5), ("G", 0.0)):
        assert abs(layer.params[name].mean() - mean) < 0.03 and abs(layer.params[name].std() - 0.2) < 0.03
    assert repr(nalu_ext.iNALU(2, 1)) == "iNALU(2, 1, eps=1e-07, omega=20, dtype='float32')"
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        nalu_ext.iNALU(2, 1, eps=0.0)


def test_inalu_trains_with_gradient_clipping(rng):
    x = rng.uniform(1.0, 3.0, size=(128, 2))
    layer = nalu_ext.iNALU(2, 1, seed=0, dtype="float64")
    model = nalu_ext.Sequential(layer)
    h = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.01, clip_value=0.1), x,
                     (x[:, 0] * x[:, 1])[:, None], steps=3000)
    assert h.loss[-1] < 1e-3 * h.loss[0]


def test_the_input_gate_is_sigmoid_of_x_g_per_row_and_its_gradients_match_finite_differences(rng):
    layer = nalu_ext.iNALU(3, 2, gate="input", dtype="float64", seed=0)
    assert layer.params["G"].shape == (2, 3) and layer.gate == "input"
    x = rng.uniform(0.5, 2.0, size=(5, 3)) * rng.choice([-1.0, 1.0], size=(5, 3))
    y, cache = layer.reference_forward(x)
    W_a = cache["W_a"]
    g = 1 / (1 + np.exp(-(x @ layer.params["G"].T)))
    np.testing.assert_allclose(cache["g"], g, rtol=1e-14)  # one gate per row and output
    np.testing.assert_allclose(y, g * (x @ W_a.T) + (1 - g) * cache["m"] * cache["sc"], rtol=1e-13)
    dy = rng.normal(size=(5, 2))
    dx, grads = layer.reference_backward(dy, cache)

    def loss():
        return float(np.sum(layer.reference_forward(x)[0] * dy))

    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    for name in layer.params:
        np.testing.assert_allclose(grads[name], numeric_gradient(loss, layer.params[name]), rtol=1e-6, atol=1e-8,
                                   err_msg=name)


def test_gate_option_survives_save_load_and_is_checked(tmp_path, rng):
    model = nalu_ext.Sequential(nalu_ext.iNALU(3, 2, gate="input", dtype="float64", seed=0))
    model.save(tmp_path / "m.nalu")
    again = nalu_ext.load(tmp_path / "m.nalu")
    x = rng.normal(size=(4, 3))
    assert again.layers[0].gate == "input"
    np.testing.assert_array_equal(again.forward(x), model.forward(x))
    assert repr(nalu_ext.iNALU(2, 1, gate="input")) == "iNALU(2, 1, eps=1e-07, omega=20, gate='input', dtype='float32')"
    with pytest.raises(ValueError, match="gate must be one of .*got 'vector'"):
        nalu_ext.iNALU(2, 1, gate="vector")


def test_glorot_initialisation_is_neuralarithmetic_jls():
    layer = nalu_ext.iNALU(30, 20, gate="input", init="glorot", dtype="float64", seed=0)
    r = np.sqrt(6.0 / 50.0)
    for name, p in layer.params.items():
        assert p.shape == (20, 30) and np.abs(p).max() <= r and np.abs(p).max() > 0.9 * r, name
    scalar = nalu_ext.iNALU(30, 20, init="glorot", dtype="float64", seed=0).params["G"]
    assert scalar.shape == (20,) and np.abs(scalar).max() <= np.sqrt(6.0 / 21.0)
