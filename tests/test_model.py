"""Sequential: chained backward against the reference, validation, and train_step."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.units import nalu
from problems import overflowing_nalu


def two_nalus(dtype="float64"):
    return nalu_ext.Sequential(nalu_ext.NALU(3, 4, seed=1, dtype=dtype), nalu_ext.NALU(4, 2, seed=2, dtype=dtype))


def test_two_nalu_backward_matches_reference_chained(rng):
    model = two_nalus()
    first, second = model.layers
    x = rng.uniform(0.3, 2.0, size=(7, 3)) * rng.choice([-1.0, 1.0], size=(7, 3))
    dy = rng.normal(size=(7, 2))

    h, cache1 = nalu.nalu_forward(x, **first.params)
    y_ref, cache2 = nalu.nalu_forward(h, **second.params)
    dh, grads2 = nalu.nalu_backward(dy, cache2)
    dx_ref, grads1 = nalu.nalu_backward(dh, cache1)

    np.testing.assert_allclose(model.forward(x), y_ref, rtol=1e-10)
    dx = model.backward(dy)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-13 * np.abs(dx_ref).max())
    for layer, grads in ((first, grads1), (second, grads2)):
        for name, g in grads.items():
            np.testing.assert_allclose(layer.grads[name], g, rtol=1e-10, atol=1e-13 * np.abs(g).max())


def test_parameters_are_in_layer_then_name_order():
    model = two_nalus()
    params = model.parameters()
    expected = [model.layers[i].params[n] for i in range(2) for n in ("W_hat", "M_hat", "G")]
    assert len(params) == 6 and all(p is q for p, q in zip(params, expected))
    assert model.params[1] is model.layers[1].params or dict(model.params[1]) == dict(model.layers[1].params)


def test_train_step_is_forward_loss_backward_update(rng):
    model, twin = two_nalus(), two_nalus()
    x, y = rng.uniform(0.5, 2.0, size=(9, 3)), rng.normal(size=(9, 2))
    opt, twin_opt = nalu_ext.Adam(model.parameters(), lr=0.01), nalu_ext.Adam(twin.parameters(), lr=0.01)
    for loss in ("mse", "sse", "mse"):
        value = model.train_step(x, y, opt, loss=loss)
        pred = twin.forward(x)
        r = pred - y
        expected = np.mean(r * r) if loss == "mse" else np.sum(r * r)
        twin.backward((2.0 / r.size if loss == "mse" else 2.0) * r, need_dx=False)
        twin_opt.step()
        assert value == pytest.approx(expected, rel=1e-13)
        for p, q in zip(model.parameters(), twin.parameters()):
            np.testing.assert_array_equal(p, q)


def test_sequential_validates_its_layers():
    with pytest.raises(ValueError, match="at least one layer"):
        nalu_ext.Sequential()
    with pytest.raises(ValueError, match=r"layer 0 \(NAC\) has out_features 3 but layer 1 \(NALU\) has in_features 2"):
        nalu_ext.Sequential(nalu_ext.NAC(2, 3), nalu_ext.NALU(2, 1))
    with pytest.raises(TypeError, match="share one dtype"):
        nalu_ext.Sequential(nalu_ext.NAC(2, 2, dtype="float32"), nalu_ext.NAC(2, 2, dtype="float64"))
    layer = nalu_ext.NAC(2, 2)
    with pytest.raises(ValueError, match="appears again"):
        nalu_ext.Sequential(layer, layer)
    with pytest.raises(TypeError, match="item 1 is a str"):
        nalu_ext.Sequential(layer, "NAC")  # type: ignore[arg-type]


def test_train_step_validates_its_arguments(rng):
    model = two_nalus()
    opt = nalu_ext.SGD(model.parameters(), lr=0.1)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    with pytest.raises(ValueError, match="x has 4 rows but y has 3"):
        model.train_step(x, y[:3], opt)
    with pytest.raises(ValueError, match=r"expected y of shape \(batch, 2\), got shape \(4, 3\)"):
        model.train_step(x, x, opt)
    with pytest.raises(ValueError, match="empty"):
        model.train_step(x[:0], y[:0], opt)
    with pytest.raises(ValueError, match="loss must be one of"):
        model.train_step(x, y, opt, loss="mae")
    with pytest.raises(TypeError, match="optimizer must be a nalu_ext optimizer"):
        model.train_step(x, y, "adam")  # type: ignore[arg-type]
    other = two_nalus("float32")
    with pytest.raises(TypeError, match="updates float32 parameters but the model is float64"):
        model.train_step(x, y, nalu_ext.SGD(other.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match="before forward"):
        two_nalus().backward(y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_step_divergence_keeps_last_good_parameters(dtype):
    model, x, y = overflowing_nalu(dtype)
    opt = nalu_ext.SGD(model.parameters(), lr=1.0)
    snapshots = []
    with pytest.raises(nalu_ext.TrainingDiverged) as info:
        for _ in range(50):
            snapshots.append([p.copy() for p in model.parameters()])
            model.train_step(x, y, opt)
    step = info.value.step
    assert info.value.history is None and not np.isfinite(info.value.loss)
    assert f"step {step}" in str(info.value)
    # Nothing of the failed step was kept: the parameters are those it started from, the result
    # of the `step` steps before it, and the optimizer counts those steps only.
    for p, q in zip(model.parameters(), snapshots[step]):
        np.testing.assert_array_equal(p, q)
    assert opt.steps == step and all(np.isfinite(p).all() for p in model.parameters())


def test_changing_the_input_in_place_is_seen_by_the_next_step(rng):
    """The input-only work of a forward is kept only while the input's bits stay the same."""
    model, twin = two_nalus(), two_nalus()
    x, y = rng.uniform(0.5, 2.0, size=(6, 3)), rng.normal(size=(6, 2))
    opt, twin_opt = nalu_ext.SGD(model.parameters(), lr=0.01), nalu_ext.SGD(twin.parameters(), lr=0.01)
    model.train_step(x, y, opt)
    twin.train_step(x.copy(), y, twin_opt)
    x[2, 1] = 7.5  # same array, same address, new content
    assert model.train_step(x, y, opt) == twin.train_step(x.copy(), y, twin_opt)
    np.testing.assert_array_equal(model.forward(x), twin.forward(x.copy()))
