"""The NALU variants: separate weights for the m path, a scalar gate, a gate bias, and the G-NALU's
golden-ratio base."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units import nalu
from helpers import check_against_fd
from tolerances import assert_matches_reference

VARIANTS = [dict(separate_weights=s, gate=g, gate_bias=b)
            for s, g, b in itertools.product([False, True], ["input", "scalar"], [False, True])
            if not (g == "scalar" and b)]
VARIANTS += [dict(v, base="golden-ratio") for v in VARIANTS]  # the G-NALU of each
IDS = [f"sep={v['separate_weights']}-gate={v['gate']}-bias={v['gate_bias']}-base={v.get('base', 'e')}"
       for v in VARIANTS]


def expected_names(v):
    names = {"W_hat", "M_hat", "G"}
    if v["separate_weights"]:
        names |= {"W_hat_m", "M_hat_m"}
    if v["gate_bias"]:
        names |= {"b"}
    return names


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_parameters(variant):
    layer = nalu_ext.NALU(3, 2, seed=0, **variant)
    assert set(layer.params) == expected_names(variant)
    assert layer.params["G"].shape == ((2,) if variant["gate"] == "scalar" else (2, 3))
    if variant["gate_bias"]:
        assert layer.params["b"].shape == (2,)
        np.testing.assert_array_equal(layer.params["b"], 0.0)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_reference_matches_finite_differences(variant, rng):
    B, I, O = 4, 3, 2
    arrays = {"x": rng.uniform(0.5, 2.0, size=(B, I)) * rng.choice([-1.0, 1.0], size=(B, I)),
              "W_hat": rng.normal(size=(O, I)), "M_hat": rng.normal(size=(O, I)),
              "G": rng.normal(size=(O,) if variant["gate"] == "scalar" else (O, I))}
    if variant["separate_weights"]:
        arrays.update(W_hat_m=rng.normal(size=(O, I)), M_hat_m=rng.normal(size=(O, I)))
    if variant["gate_bias"]:
        arrays["b"] = rng.normal(size=O)
    check_against_fd(nalu.nalu_forward, nalu.nalu_backward, arrays, rng, eps=1e-7)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
@pytest.mark.parametrize("shape", [(1, 1, 1), (13, 17, 11), (37, 2, 1), (64, 100, 2)], ids=lambda s: "x".join(map(str, s)))
def test_kernels_match_reference(variant, dtype, shape, rng):
    B, I, O = shape
    layer = nalu_ext.NALU(I, O, dtype=dtype, seed=3, **variant)
    for name, p in layer.params.items():
        if p.ndim == 1:
            p[...] = rng.normal(size=p.shape)  # non-zero gate and bias
    x = (rng.normal(size=(B, I)) * 2.0).astype(dtype)
    dy = rng.normal(size=(B, O)).astype(dtype)
    y, dx = layer.forward(x), layer.backward(dy)
    y_ref, cache = layer.reference_forward(x.astype(np.float64))  # (the G-NALU's scaling included)
    dx_ref, grads_ref = layer.reference_backward(dy.astype(np.float64), cache)
    amp = float(np.max(np.abs(cache["log_x"])))
    assert_matches_reference(y, y_ref, n=I, amplification=amp, what="y")
    assert_matches_reference(dx, dx_ref, n=B + I + O, amplification=amp, what="dx")
    assert set(layer.grads) == set(grads_ref)
    for name in layer.grads:
        assert_matches_reference(layer.grads[name], grads_ref[name], n=B + I + O, amplification=amp, what=name)


def test_the_g_nalu_is_the_nalu_at_parameters_times_ln_phi(rng):
    """The G-NALU's tanh_phi, sigmoid_phi and phi-power are the NALU's functions at u ln phi: the
    same forward as a NALU whose every parameter is scaled by ln phi, and gradients ln phi times
    that NALU's."""
    golden = nalu_ext.NALU(4, 3, base="golden-ratio", gate_bias=True, dtype="float64", seed=0)
    plain = nalu_ext.NALU(4, 3, gate_bias=True, dtype="float64", seed=0)
    c = np.log((1 + np.sqrt(5)) / 2)
    for name, p in golden.params.items():
        p[...] = rng.normal(size=p.shape)
        plain.params[name][...] = c * p
    x, dy = rng.uniform(0.5, 2.0, size=(6, 4)), rng.normal(size=(6, 3))
    np.testing.assert_allclose(golden.forward(x), plain.forward(x), rtol=1e-14)
    np.testing.assert_allclose(golden.backward(dy), plain.backward(dy), rtol=1e-12, atol=1e-15)
    for name in golden.params:
        np.testing.assert_allclose(golden.grads[name], c * plain.grads[name], rtol=1e-12, atol=1e-15)
    assert "base='golden-ratio'" in repr(golden) and golden.config()["base"] == "golden-ratio"
    with pytest.raises(ValueError, match="base must be one of"):
        nalu_ext.NALU(2, 1, base="2")


def test_bad_variant_arguments():
    with pytest.raises(ValueError, match="gate must be one of"):
        nalu_ext.NALU(2, 1, gate="output")
    with pytest.raises(ValueError, match="gate_bias=True needs gate='input'"):
        nalu_ext.NALU(2, 1, gate="scalar", gate_bias=True)


def test_variants_train_save_and_load(tmp_path, rng):
    x = rng.uniform(1.0, 2.0, size=(128, 2))
    y = (x[:, 0] * x[:, 1])[:, None]
    for variant in VARIANTS:
        model = nalu_ext.Sequential(nalu_ext.NALU(2, 1, seed=0, dtype="float64", **variant))
        h = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.05), x, y, steps=500)
        assert h.loss[-1] < h.loss[0], variant
        model.save(tmp_path / "v.npz")
        loaded = nalu_ext.load(tmp_path / "v.npz")
        assert loaded.config() == model.config()
        np.testing.assert_array_equal(loaded.forward(x), model.forward(x))
    assert "gate='scalar'" in repr(nalu_ext.NALU(2, 1, gate="scalar"))
