"""NAU and NMU (Madsen & Johansen 2020, units/nau.py and units/nmu.py): kernels, reference, what
their ranged weight shares (clamping, constraints, regularizer), learning."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext import reference as R
from nalu_ext.units import nac_mul, nau, nmu
from tolerances import assert_matches_reference

UNITS = {"NAU": (nalu_ext.NAU, nau.nau_forward, nau.nau_backward, (-1.0, 1.0)),
         "NMU": (nalu_ext.NMU, nmu.nmu_forward, nmu.nmu_backward, (0.0, 1.0)),
         # the NAC• with the NMU's weight: its range, clamp, constraint and regularizer
         "NACMulNMU": (nalu_ext.NACMulNMU, lambda x, W, constraint="clamp": nac_mul.nac_mul_nmu_forward(
             x, W, 1e-7, constraint), nac_mul.nac_mul_nmu_backward, (0.0, 1.0))}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 5, 3), (4, 1, 7), (13, 17, 11), (64, 33, 5), (9, 3, 2)],
                         ids=lambda s: "x".join(map(str, s)))
def test_kernels_match_reference(unit, dtype, shape, rng):
    B, I, O = shape
    cls, forward, backward, (lo, hi) = UNITS[unit]
    layer = cls(I, O, dtype=dtype, seed=1)
    W = rng.uniform(lo - 0.3, hi + 0.3, size=(O, I))  # some entries outside the range: clamped
    layer.params["W"][...] = W
    x = rng.normal(size=(B, I)) * (3.0 if unit == "NAU" else 1.0)
    x[rng.random(size=x.shape) < 0.1] = 0.0
    x = x.astype(dtype)
    dy = rng.normal(size=(B, O)).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(dy)
    y_ref, cache = forward(x.astype(np.float64), layer.params["W"].astype(np.float64))
    dx_ref, grads_ref = backward(dy.astype(np.float64), cache)
    assert_matches_reference(y, y_ref, n=I, what="y")
    assert_matches_reference(dx, dx_ref, n=B + I + O, what="dx")
    assert_matches_reference(layer.grads["W"], grads_ref["W"], n=B + I + O, what="W")


def test_nmu_backward_with_an_exactly_zero_factor():
    """W = 1 and x = 0 make a factor exactly 0; the others' product must still be used (a
    division by the factor would give 0/0). Expected values by hand:
    y = (1*0 + 0) * (0.5*3 + 0.5) = 0; dW = [(0-1)*2, (3-1)*0] = [-2, 0]; dx = [1*2, 0.5*0] = [2, 0]."""
    for dtype in ("float32", "float64"):
        layer = nalu_ext.NMU(2, 1, dtype=dtype, seed=0)
        layer.params["W"][...] = [[1.0, 0.5]]
        np.testing.assert_array_equal(layer.forward(np.array([[0.0, 3.0]])), [[0.0]])
        np.testing.assert_array_equal(layer.backward(np.array([[1.0]])), [[2.0, 0.0]])
        np.testing.assert_array_equal(layer.grads["W"], [[-2.0, 0.0]])


@pytest.mark.parametrize("unit", UNITS)
def test_clamp_edges_pass_gradient_inside_and_stop_it_outside(unit):
    cls, _, _, (lo, hi) = UNITS[unit]
    layer = cls(4, 1, dtype="float64", seed=0)
    layer.params["W"][...] = [[lo, hi, lo - 0.5, hi + 0.5]]
    layer.forward(np.full((1, 4), 2.0))
    layer.backward(np.ones((1, 1)))
    g = layer.grads["W"][0]
    assert g[0] != 0.0 and g[1] != 0.0  # edges: inside (the documented one-sided choice)
    assert g[2] == 0.0 and g[3] == 0.0  # beyond the edges: the clamp is flat


def test_initialisation_follows_the_papers():
    nau = nalu_ext.NAU(30, 20, seed=0, dtype="float64").params["W"]
    r = min(0.5, np.sqrt(3.0) * np.sqrt(2.0 / 50))
    assert np.abs(nau).max() <= r and np.abs(nau).max() > 0.9 * r
    nmu = nalu_ext.NMU(30, 20, seed=0, dtype="float64").params["W"]
    assert nmu.min() >= 0.25 and nmu.max() <= 0.75 and nmu.max() - nmu.min() > 0.45


@pytest.mark.parametrize("unit", UNITS)
def test_parameters_stay_in_range_after_every_step(unit, rng):
    cls, _, _, (lo, hi) = UNITS[unit]
    model = nalu_ext.Sequential(cls(3, 2, seed=0, dtype="float64"))
    opt = nalu_ext.SGD(model.parameters(), lr=5.0)  # big steps that would leave the range
    x, y = rng.uniform(0.5, 2, size=(16, 3)), rng.normal(size=(16, 2)) * 10
    W = model.layers[0].params["W"]
    for _ in range(30):
        model.train_step(x, y, opt)
        assert W.min() >= lo and W.max() <= hi
    assert W.min() == lo or W.max() == hi  # the clamp was needed
    model.layers[0].params["W"][...] = hi + 3.0  # a stand-alone optimizer step clamps too
    model.forward(x)
    model.backward(np.ones((16, 2)))
    opt.step()
    assert W.max() <= hi


def test_regularizer_schedule_is_zero_before_start_and_full_after_end():
    layer = nalu_ext.NAU(2, 1, regularizer=0.3, reg_start=100, reg_end=300)
    for t in (0, 50, 99, 100, 150, 200, 299, 300, 301, 10**6):
        assert layer.regularizer_weight(t) == pytest.approx(R.regularizer_weight(t, 0.3, 100, 300), abs=1e-15)
    assert layer.regularizer_weight(99) == 0.0 and layer.regularizer_weight(300) == 0.3
    assert layer.regularizer_weight(200) == pytest.approx(0.15)
    step = nalu_ext.NMU(2, 1, regularizer=2.0, reg_start=5, reg_end=5)
    assert step.regularizer_weight(4) == 0.0 and step.regularizer_weight(5) == 2.0


@pytest.mark.parametrize("unit", UNITS)
def test_regularizer_adds_its_gradient_and_history_reports_it(unit, rng):
    cls, forward, backward, _ = UNITS[unit]
    layer = cls(3, 2, regularizer=0.5, reg_start=0, reg_end=0, seed=2, dtype="float64")
    model = nalu_ext.Sequential(layer)
    x, y = rng.uniform(0.5, 2, size=(8, 3)), rng.normal(size=(8, 2))
    W0 = layer.params["W"].copy()
    model.train_step(x, y, nalu_ext.SGD(model.parameters(), lr=0.0))
    pred, cache = forward(x, W0)
    _, grads = backward(2.0 * (pred - y) / pred.size, cache)
    reg, dreg = nau.sparsity_regularizer(W0, unit)
    np.testing.assert_allclose(layer.grads["W"], grads["W"] + 0.5 * dreg, rtol=1e-12, atol=1e-15)

    fresh = cls(3, 2, seed=2, dtype="float64")
    h = nalu_ext.fit(fresh, nalu_ext.SGD(list(fresh.params.values()), lr=0.0), x, y, steps=6,
                     regularizer=0.5, reg_start=2, reg_end=4)
    expected = [R.regularizer_weight(t, 0.5, 2, 4) * reg for t in range(6)]
    np.testing.assert_allclose(h.regularizer, expected, rtol=1e-12)
    assert h.regularizer[0] == 0.0 and h.regularizer[5] > 0.0


def test_regularizer_arguments_are_checked():
    with pytest.raises(ValueError, match="regularizer must be a finite number >= 0"):
        nalu_ext.NAU(2, 1, regularizer=-1.0)
    with pytest.raises(ValueError, match="reg_start must be an integer >= 0"):
        nalu_ext.NMU(2, 1, regularizer=1.0, reg_start=-5)
    with pytest.raises(TypeError, match="reg_start must be an integer, got float"):
        nalu_ext.NMU(2, 1, reg_start=1.5)


def learn(unit_cls, target, n_inputs, seed=0, steps=3000):
    """Train on x ~ U(1, 2) and return the largest relative error on x ~ U(10, 20) (10×)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 2, size=(256, n_inputs))
    layer = unit_cls(n_inputs, 1, seed=seed, dtype="float64")
    model = nalu_ext.Sequential(layer)
    nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.05), x, target(x)[:, None], steps=steps)
    xt = rng.uniform(10, 20, size=(1000, n_inputs))
    t = target(xt)
    return float(np.max(np.abs(model(xt)[:, 0] - t) / np.abs(t))), layer.params["W"].copy()


@pytest.mark.parametrize("target, n_inputs, weights", [
    (lambda x: x[:, 0] + x[:, 1], 2, [1, 1]),
    (lambda x: x[:, 0] - x[:, 1], 2, [1, -1]),
    (lambda x: x[:, 0] + x[:, 2], 4, [1, 0, 1, 0]),
], ids=["a+b", "a-b", "a+c of 4"])
def test_nau_learns_addition_and_subtraction(target, n_inputs, weights):
    err, W = learn(nalu_ext.NAU, target, n_inputs)
    assert err < 1e-3, (err, W)
    np.testing.assert_allclose(W[0], weights, atol=1e-3)


@pytest.mark.parametrize("target, n_inputs, weights", [
    (lambda x: x[:, 0] * x[:, 1], 2, [1, 1]),
    (lambda x: x[:, 0] * x[:, 1], 4, [1, 1, 0, 0]),
], ids=["a*b", "a*b of 4"])
def test_nmu_learns_multiplication(target, n_inputs, weights):
    err, W = learn(nalu_ext.NMU, target, n_inputs)
    assert err < 1e-3, (err, W)
    np.testing.assert_allclose(W[0], weights, atol=1e-3)


@pytest.mark.parametrize("unit", UNITS)
def test_save_load_keeps_the_regularizer_schedule(unit, tmp_path):
    cls = UNITS[unit][0]
    model = nalu_ext.Sequential(cls(3, 2, regularizer=0.1, reg_start=10, reg_end=20, seed=0))
    model.save(tmp_path / "m.npz")
    loaded = nalu_ext.load(tmp_path / "m.npz")
    assert loaded.config() == model.config()
    np.testing.assert_array_equal(loaded.parameters()[0], model.parameters()[0])


# The constraint option: clamp (Madsen & Johansen), clip (forward only, the NPU paper's), none.

def outside_range(unit, rng, shape=(3, 4)):
    """W with entries below, inside and above the unit's range."""
    lo, hi = UNITS[unit][3]
    return rng.uniform(lo - 0.8, hi + 0.8, size=shape)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("constraint", nau.CONSTRAINTS)
@pytest.mark.parametrize("unit", UNITS)
def test_each_constraint_matches_its_reference_with_weights_out_of_range(unit, constraint, dtype, rng):
    cls, forward, backward, (lo, hi) = UNITS[unit]
    layer = cls(4, 3, constraint=constraint, dtype=dtype, seed=0)
    layer.params["W"][...] = outside_range(unit, rng)
    x = rng.uniform(0.5, 2.0, size=(6, 4)).astype(dtype)
    dy = rng.normal(size=(6, 3)).astype(dtype)
    y_ref, cache = forward(x, layer.params["W"], constraint)
    dx_ref, grads = backward(dy, cache)
    assert_matches_reference(layer.forward(x), y_ref, n=4, what="y")
    assert_matches_reference(layer.backward(dy), dx_ref, n=12, what="dx")
    assert_matches_reference(layer.grads["W"], grads["W"], n=6 * 4, what="dW")
    W = layer.params["W"].astype(np.float64)
    outside = (W < lo) | (W > hi)
    assert outside.any()
    if constraint == "none":  # W itself: the forward differs from the clamped one, every gradient passes
        assert not np.allclose(y_ref, forward(x, W, "clamp")[0])
        assert np.all(grads["W"][outside] != 0)
    else:
        np.testing.assert_array_equal(grads["W"][outside], 0.0)


@pytest.mark.parametrize("constraint", nau.CONSTRAINTS)
@pytest.mark.parametrize("unit", UNITS)
def test_only_clamp_pulls_w_back_after_an_update(unit, constraint, rng):
    cls, _, _, (lo, hi) = UNITS[unit]
    layer = cls(4, 3, constraint=constraint, dtype="float64", seed=0)
    W = outside_range(unit, rng)
    layer.params["W"][...] = W
    layer.after_update()
    expected = np.clip(W, lo, hi) if constraint == "clamp" else W
    np.testing.assert_array_equal(layer.params["W"], expected)
    np.testing.assert_array_equal(layer.effective_weights()[0], W if constraint == "none" else np.clip(W, lo, hi))


@pytest.mark.parametrize("unit", UNITS)
def test_regularizer_outside_the_range_is_stable_nalus_abs_form(unit, rng):
    """min(|a|, |1 − a|): out of range it pulls W back towards the nearest of its targets (the old
    min(a, 1 − a) pushed it further out); the C++ value and gradient match the reference."""
    cls = UNITS[unit][0]
    layer = cls(4, 3, constraint="none", dtype="float64", seed=0)
    W = outside_range(unit, rng)
    layer.params["W"][...] = W
    R_ref, dR_ref = nau.sparsity_regularizer(W, unit)
    a = np.abs(W) if unit == "NAU" else W
    np.testing.assert_allclose(R_ref, np.mean(np.minimum(np.abs(a), np.abs(1 - a))), rtol=1e-14)
    for name in layer.grads:
        layer.grads[name][...] = 0.0
    assert layer._impl.regularize(1.0) == pytest.approx(R_ref, rel=1e-14)
    np.testing.assert_allclose(layer.grads["W"], dR_ref, rtol=1e-14)
    far = np.abs(a - 0.5) > 0.5  # a outside [0, 1]: descending dR/da = sign(a − ½) moves a back
    da_dW = np.sign(W[far]) if unit == "NAU" else 1.0
    assert far.any() and np.all(np.sign(dR_ref[far]) == np.sign(a[far] - 0.5) * da_dW)


@pytest.mark.parametrize("unit", UNITS)
def test_constraint_survives_save_load_and_names_its_choices(unit, tmp_path, rng):
    cls = UNITS[unit][0]
    model = nalu_ext.Sequential(cls(3, 2, constraint="clip", dtype="float64", seed=0))
    model.layers[0].params["W"][...] = outside_range(unit, rng, (2, 3))
    model.save(tmp_path / "m.nalu")
    again = nalu_ext.load(tmp_path / "m.nalu")
    assert again.layers[0].constraint == "clip"
    x = rng.uniform(0.5, 2.0, size=(4, 3))
    np.testing.assert_array_equal(again.forward(x), model.forward(x))
    shown = repr(cls(3, 2, constraint="none"))  # (the NAC•'s log space shows its eps first)
    assert shown.replace(", eps=1e-07", "") == f"{unit}(3, 2, constraint='none', dtype='float32')"
    with pytest.raises(ValueError, match="constraint must be one of .*'clip'.*got 'soft'"):
        cls(3, 2, constraint="soft")


def test_the_core_refuses_a_constraint_number_it_does_not_know():
    with pytest.raises(ValueError, match=r"option 'constraint' must be one of 0 \(clamp\), 1 \(clip\), 2 \(none\), got 3"):
        nalu_ext._core.make_layer("NMU", "float64", 2, 2, {"constraint": 3.0})


def test_the_repr_shows_the_regularizer_schedule_the_constructor_was_given():
    """A repr the constructor can be read from: λ̂ with its warm-up, or with its geometric growth."""
    assert repr(nalu_ext.NAU(100, 2, regularizer=10, reg_start=1_000_000, reg_end=2_000_000)) == (
        "NAU(100, 2, regularizer=10, reg_start=1000000, reg_end=2000000, dtype='float32')")
    assert repr(nalu_ext.NMU(2, 1, regularizer=0.5)) == "NMU(2, 1, regularizer=0.5, dtype='float32')"
    assert repr(nalu_ext.NPU(2, 1, regularizer=1e-5, reg_initial=1e-7, reg_growth=10, reg_every=10_000)) == (
        "NPU(2, 1, regularizer=1e-05, reg_initial=1e-07, reg_growth=10, reg_every=10000, dtype='float32')")
    assert repr(nalu_ext.NAU(2, 1)) == "NAU(2, 1, dtype='float32')"
