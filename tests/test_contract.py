"""The contract every registered unit keeps, run over all of them (nalu_ext.UNITS) and both dtypes.

A unit's own test file keeps only what is particular to it; what every layer must do is checked
here once: kernels against the unit's NumPy reference, the reference against finite differences,
parameter and gradient views, gradients written (not accumulated), skipped dx, lifetime, save and
load, training, and threads. The bad-input half of the contract is tests/test_bad_input.py, over
the same list.
"""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import nalu_ext
from nalu_ext import _core
from helpers import numeric_gradient
from tolerances import assert_matches_reference

UNIT_NAMES = sorted(nalu_ext.UNITS)
DTYPES = ["float32", "float64"]
IN, OUT, BATCH = 4, 3, 6


# (batch, in, out): the smallest, a small one, and one large enough for the blocked and BLAS paths
SHAPES = [(1, 1, 1), (BATCH, IN, OUT), (64, 33, 5)]


def make(name: str, dtype: str = "float64", seed: int = 0, size=(IN, OUT)) -> nalu_ext.Layer:
    return nalu_ext.UNITS[name](*size, dtype=dtype, seed=seed)


def inputs(rng: np.random.Generator, rows: int = BATCH, dtype: str = "float64", width: int = IN) -> np.ndarray:
    """|x| in [0.5, 2] with random signs: away from the kinks every unit has at 0 (|x|, log, sign)."""
    return (rng.choice([-1.0, 1.0], size=(rows, width)) * rng.uniform(0.5, 2.0, size=(rows, width))).astype(dtype)


def test_every_registered_unit_is_covered_here():
    """The contract runs over nalu_ext.UNITS; every C++ unit has a Python class there, and the
    suite's list is that registry (a unit cannot join the package without passing it)."""
    core_kinds = {cls._CORE_KIND or name for name, cls in nalu_ext.UNITS.items()}
    assert core_kinds == set(_core.unit_kinds())
    assert UNIT_NAMES == sorted(nalu_ext.UNITS)
    for name, cls in nalu_ext.UNITS.items():
        assert getattr(nalu_ext, name) is cls
        assert name in nalu_ext.__all__
        assert issubclass(cls, nalu_ext.Layer)
        assert cls.__module__ == f"nalu_ext.units.{cls.__module__.rsplit('.', 1)[1]}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_the_protocol_evaluates_in_chunks_to_the_same_bits(name, dtype, rng):
    """train_task evaluates its 10⁴-row sets in chunks of rows (protocol._predict): every row's
    output must be the bits of one call over the whole set, including the rows after the last
    full block of every kernel (1037 rows), on every ISA path; a model whose products may go to
    BLAS, or a layer in training mode (the sNMU's noise depends on the row's place), is evaluated
    whole."""
    from nalu_ext.benchmark import protocol

    rows = 2 * protocol._EVAL_CHUNK_ROWS + 13
    model = nalu_ext.Sequential(make(name, dtype, size=(20, 3)), make(name, dtype, seed=1, size=(3, 1)))
    x = inputs(rng, rows, dtype, width=20)
    with model.evaluating():
        assert protocol._rows_are_batch_independent(model)
        np.testing.assert_array_equal(protocol._predict(model, x), model.predict(x))
    assert not protocol._rows_are_batch_independent(model)  # back in training mode
    wide = nalu_ext.Sequential(make(name, dtype, size=(_core.BLAS_MIN_DIMENSION, _core.BLAS_MIN_DIMENSION)))
    with wide.evaluating():
        assert not protocol._rows_are_batch_independent(wide)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_kernels_match_the_reference(name, dtype, shape, rng):
    """float64 to 1e-10, float32 within the bound of tests/tolerances.py."""
    batch, width, out = shape
    layer = make(name, dtype, size=(width, out))
    x = inputs(rng, rows=batch, dtype=dtype, width=width)
    dy = rng.normal(size=(batch, out)).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(dy)
    y_ref, cache = layer.reference_forward(x.astype(np.float64))
    dx_ref, grads_ref = layer.reference_backward(dy.astype(np.float64), cache)
    n = batch + width + out
    amplification = float(np.max(np.abs(np.log(np.abs(x.astype(np.float64))))))
    assert_matches_reference(y, y_ref, n=n, amplification=amplification, what=f"{name} y")
    assert_matches_reference(dx, dx_ref, n=n, amplification=amplification, what=f"{name} dx")
    assert set(grads_ref) == set(layer.grads)
    for p, g in layer.grads.items():
        assert_matches_reference(g, grads_ref[p], n=n, amplification=amplification, what=f"{name} d{p}")


@pytest.mark.parametrize("shape", SHAPES[:2], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_reference_matches_finite_differences(name, shape, rng):
    """Central differences of L = Σ w ⊙ y in float64, for every parameter and for x."""
    batch, width, out = shape
    layer = make(name, size=(width, out))
    x = inputs(rng, rows=batch, width=width)
    w = rng.normal(size=(batch, out))
    _, cache = layer.reference_forward(x)
    dx, grads = layer.reference_backward(w, cache)

    def loss(x_: np.ndarray) -> float:
        return float(np.sum(w * layer.reference_forward(x_)[0]))

    for p, value in layer.params.items():
        np.testing.assert_allclose(grads[p], numeric_gradient(lambda: loss(x), value), rtol=1e-6,
                                   atol=1e-7, err_msg=f"{name} d{p}")
    x_var = x.copy()
    np.testing.assert_allclose(dx, numeric_gradient(lambda: loss(x_var), x_var), rtol=1e-6, atol=1e-7,
                               err_msg=f"{name} dx")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_params_and_grads_are_views_of_the_layer(name, dtype, rng):
    layer = make(name, dtype)
    assert set(layer.params) == set(layer.grads) == set(layer._impl.param_names)
    for p in layer.params.values():
        assert p.dtype == np.dtype(dtype) and p.flags.c_contiguous and p.flags.writeable
    x = inputs(rng, dtype=dtype)
    before = layer.forward(x)
    first = next(iter(layer.params))
    layer.params[first][...] *= 0.5  # writing into the view changes what forward computes
    after = layer.forward(x)
    assert not np.array_equal(before, after)
    assert_matches_reference(after, layer.reference_forward(x.astype(np.float64))[0], n=IN,
                             amplification=1.0, what=name)
    grads = layer.grads[first]
    layer.backward(np.ones((BATCH, OUT), dtype))
    assert layer.grads[first] is grads  # the same view, rewritten by every backward
    with pytest.raises(TypeError):
        layer.params[first] = np.zeros(1)  # type: ignore[index]


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_gradients_are_written_not_accumulated_and_dx_can_be_skipped(name, rng):
    layer = make(name)
    x, dy = inputs(rng), rng.normal(size=(BATCH, OUT))
    layer.forward(x)
    dx = layer.backward(dy)
    first = {p: g.copy() for p, g in layer.grads.items()}
    assert layer.backward(dy, need_dx=False) is None
    for p, g in layer.grads.items():
        np.testing.assert_array_equal(g, first[p], err_msg=f"{name} d{p}: accumulated or changed")
    np.testing.assert_array_equal(layer.backward(dy), dx)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_predict_is_forward_without_a_backward(name, dtype, rng):
    """predict reads x in place (no copy kept): the same output as forward, backward refused until
    the next forward, and work kept for an unchanged input is not reused across it."""
    model = nalu_ext.Sequential(make(name, dtype), make("NAU", dtype, size=(OUT, 2)))
    x, other = inputs(rng, dtype=dtype), inputs(rng, dtype=dtype)
    expected_x, expected_other = model.forward(x), model.forward(other)
    model.forward(x)
    np.testing.assert_array_equal(model.predict(other), expected_other)
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.ones((BATCH, 2), dtype))
    np.testing.assert_array_equal(model.forward(x), expected_x)  # x again, after other was read
    dy = rng.normal(size=(BATCH, 2)).astype(dtype)
    dx = model.backward(dy)
    model.predict(other)
    model.forward(x)
    np.testing.assert_array_equal(model.backward(dy), dx)
    big = inputs(rng, rows=5 * BATCH, dtype=dtype)  # a batch larger than any before: buffers grow
    np.testing.assert_array_equal(model.predict(big), model.forward(big))


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_views_keep_the_layer_alive(name, rng):
    layer = make(name)
    params = dict(layer.params)
    expected = {p: v.copy() for p, v in params.items()}
    del layer
    gc.collect()
    for p, v in params.items():
        np.testing.assert_array_equal(v, expected[p])
        v[...] = 0.0  # still the layer's own, writable memory


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_save_and_load_round_trip(name, dtype, tmp_path, rng):
    model = nalu_ext.Sequential(make(name, dtype, seed=3))
    path = tmp_path / "unit.npz"
    model.save(path)
    loaded = nalu_ext.load(path)
    assert loaded.config() == model.config()
    assert type(loaded.layers[0]) is nalu_ext.UNITS[name]
    x = inputs(rng, dtype=dtype)
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIT_NAMES)
def test_train_step_and_fit(name, dtype, rng):
    layer = make(name, dtype)
    x = inputs(rng, rows=16, dtype=dtype)
    t = np.sum(x[:, :2], axis=1, keepdims=True).repeat(OUT, axis=1).astype(dtype)
    model = nalu_ext.Sequential(layer)
    opt = nalu_ext.Adam(model.parameters(), lr=1e-3)
    expected = float(np.mean((model.forward(x).astype(np.float64) - t) ** 2))
    before = {p: v.copy() for p, v in layer.params.items()}
    loss = model.train_step(x, t, opt)
    np.testing.assert_allclose(loss, expected, rtol=1e-6 if dtype == "float32" else 1e-12)
    assert any(not np.array_equal(before[p], v) for p, v in layer.params.items())
    history = nalu_ext.fit(model, opt, x, t, steps=20, batch_size=8, seed=0)
    assert history.steps == 20 and np.isfinite(history.loss).all()
    assert layer.steps == 21


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_training_in_threads_gives_the_serial_results(name):
    """Two models of the unit trained at once in two threads (the loop releases the GIL) end
    exactly as when trained one after the other."""
    x = inputs(np.random.default_rng(1), rows=32)
    t = x[:, :1] + x[:, 1:2]

    def train(seed: int) -> dict:
        model = nalu_ext.Sequential(nalu_ext.UNITS[name](IN, 1, dtype="float64", seed=seed))
        nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=1e-3), x, t, steps=300, batch_size=8, seed=seed)
        return {p: v.copy() for p, v in model.layers[0].params.items()}

    serial = [train(0), train(1)]
    results: dict = {}
    threads = [threading.Thread(target=lambda s=s: results.__setitem__(s, train(s))) for s in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for s in (0, 1):
        for p, v in serial[s].items():
            np.testing.assert_array_equal(results[s][p], v, err_msg=f"{name} {p}")
