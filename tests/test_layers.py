"""The layer API: parameters, gradients, seeding and the lifetime of what forward keeps."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import nalu_ext
from nalu_ext import reference as R
from nalu_ext.units import nalu

UNITS = [nalu_ext.NAC, nalu_ext.NALU]
PARAM_NAMES = {nalu_ext.NAC: {"W_hat", "M_hat"}, nalu_ext.NALU: {"W_hat", "M_hat", "G"}}


@pytest.mark.parametrize("cls", UNITS)
@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
def test_params_have_documented_names_shapes_and_dtype(cls, dtype):
    layer = cls(3, 5, dtype=dtype, seed=1)
    assert set(layer.params) == set(layer.grads) == PARAM_NAMES[cls]
    for name, p in layer.params.items():
        assert p.shape == (5, 3) and p.dtype == np.dtype(dtype), name
        assert p.flags.c_contiguous and p.flags.writeable, name
    assert layer.dtype == np.dtype(dtype)
    assert (layer.in_features, layer.out_features) == (3, 5)


@pytest.mark.parametrize("cls", UNITS)
def test_same_seed_same_parameters_and_float32_is_float64_rounded(cls):
    a, b = cls(4, 3, seed=7, dtype="float64"), cls(4, 3, seed=7, dtype="float64")
    c = cls(4, 3, seed=8, dtype="float64")
    f32 = cls(4, 3, seed=7, dtype="float32")
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
        assert not np.array_equal(a.params[name], c.params[name])
        np.testing.assert_array_equal(f32.params[name], a.params[name].astype(np.float32))


@pytest.mark.parametrize("cls", UNITS)
def test_initialisation_is_glorot_uniform(cls):
    layer = cls(30, 20, seed=0, dtype="float64")
    r = np.sqrt(6.0 / 50.0)
    for p in layer.params.values():
        assert np.all(np.abs(p) <= r)
        assert np.abs(p).max() > 0.9 * r  # fills the range, not a narrower one
        assert abs(p.mean()) < 0.1 * r


@pytest.mark.parametrize("cls", UNITS)
def test_writing_into_params_changes_the_layer(cls, rng):
    layer = cls(3, 2, seed=0, dtype="float64")
    x = rng.normal(size=(4, 3)) + 2.0
    before = layer(x)
    layer.params["M_hat"][...] = -np.inf  # sigmoid(-inf) = 0, so W = 0: a = 0 and m = 1
    after = layer(x)
    assert not np.allclose(before, after)
    if cls is nalu_ext.NAC:
        np.testing.assert_array_equal(after, 0.0)
    else:
        g = R.sigmoid(x @ layer.params["G"].T)
        np.testing.assert_allclose(after, 1.0 - g, rtol=1e-12)


@pytest.mark.parametrize("cls", UNITS)
def test_params_mapping_cannot_be_rebound(cls):
    layer = cls(2, 2, seed=0)
    with pytest.raises(TypeError):
        layer.params["W_hat"] = np.zeros((2, 2), np.float32)  # type: ignore[index]


@pytest.mark.parametrize("cls", UNITS)
def test_every_parameter_receives_nonzero_gradient(cls, rng):
    """The famous bug of early ports (W computed once, W_hat and M_hat never trained) is absent."""
    layer = cls(3, 2, seed=0, dtype="float64")
    layer.forward(rng.uniform(0.5, 2.0, size=(8, 3)))
    layer.backward(rng.normal(size=(8, 2)))
    for name, g in layer.grads.items():
        assert np.all(g != 0.0), name


@pytest.mark.parametrize("cls", UNITS)
def test_gradients_are_overwritten_not_accumulated(cls, rng):
    layer = cls(3, 2, seed=0, dtype="float64")
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    layer.forward(x)
    dx1 = layer.backward(dy)
    first = {k: v.copy() for k, v in layer.grads.items()}
    dx2 = layer.backward(dy)
    np.testing.assert_array_equal(dx1, dx2)
    for name in first:
        np.testing.assert_array_equal(layer.grads[name], first[name])


@pytest.mark.parametrize("cls", UNITS)
def test_backward_uses_the_forward_input_even_if_caller_changes_it(cls, rng):
    layer = cls(3, 2, seed=0, dtype="float64")
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    layer.forward(x)
    expected = layer.backward(dy)
    x[...] = 100.0  # the layer kept its own copy
    np.testing.assert_array_equal(layer.backward(dy), expected)


@pytest.mark.parametrize("cls", UNITS)
def test_need_dx_false_skips_dx_and_keeps_parameter_gradients(cls, rng):
    layer = cls(3, 2, seed=0, dtype="float64")
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    layer.forward(x)
    layer.backward(dy)
    full = {k: v.copy() for k, v in layer.grads.items()}
    for g in layer.grads.values():
        g[...] = np.nan
    assert layer.backward(dy, need_dx=False) is None
    for name in full:
        np.testing.assert_array_equal(layer.grads[name], full[name])


@pytest.mark.parametrize("cls", UNITS)
def test_parameter_views_keep_the_layer_alive(cls):
    layer = cls(2, 3, seed=0, dtype="float64")
    view = layer.params["W_hat"]
    expected = view.copy()
    del layer
    gc.collect()
    np.testing.assert_array_equal(view, expected)


def test_repr_names_the_configuration():
    assert repr(nalu_ext.NAC(2, 1)) == "NAC(2, 1, dtype='float32')"
    assert repr(nalu_ext.NALU(3, 4, eps=1e-5, dtype="float64")) == "NALU(3, 4, eps=1e-05, dtype='float64')"


def test_nalu_eps_is_used(rng):
    x = np.array([[0.0, 2.0]])
    small, large = nalu_ext.NALU(2, 1, eps=1e-7, seed=3, dtype="float64"), nalu_ext.NALU(
        2, 1, eps=0.5, seed=3, dtype="float64")
    assert large.eps == 0.5
    for layer in (small, large):
        p = layer.params
        expected, _ = nalu.nalu_forward(x, p["W_hat"], p["M_hat"], p["G"], eps=layer.eps)
        np.testing.assert_allclose(layer(x), expected, rtol=1e-12)
    assert not np.allclose(small(x), large(x))
