"""Property-based tests (hypothesis) over every public entry point.

The invariant everywhere: an input either gets a clean exception of the documented type
(TypeError for the wrong kind of value, ValueError for a value out of range, MemoryError,
TrainingDiverged, ModelFileError) or a result equal to the reference. Inputs are arbitrary shapes,
dtypes, memory orders and values (NaN, ±Inf, huge, denormal, zero) and hyper-parameters. The
example counts are bounded so the whole file runs in seconds; the database is off, so every run
draws afresh and CI never depends on a stored example.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")  # in the test extra: never skipped by CI
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nalu_ext  # noqa: E402
from nalu_ext.benchmark.tasks import OPS, Task  # noqa: E402

ISA_INDEPENDENT = True

# NALU_EXT_HYPOTHESIS_EXAMPLES=2000 python -m pytest tests/test_properties.py searches longer.
SETTINGS = settings(max_examples=int(os.environ.get("NALU_EXT_HYPOTHESIS_EXAMPLES", "60")),
                    deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

UNITS = nalu_ext.UNITS  # every registered unit, with its own reference_forward

# Values: ordinary ones, exact zeros, denormals, huge (but not at the edge of overflow, where two
# correct summation orders may give inf and a finite number), NaN and ±Inf.
ORDINARY = st.floats(-1e3, 1e3, allow_nan=False)
SPECIAL = st.sampled_from([0.0, -0.0, 5e-324, -1e-310, 1e-30, 1e30, -1e60, 1e100,
                           float("nan"), float("inf"), float("-inf")])
VALUES = st.one_of(ORDINARY, ORDINARY, SPECIAL)
INPUT_DTYPES = st.sampled_from(["float16", "float32", "float64", "int8", "int64", "uint16",
                                "bool", "complex128", "object"])


@st.composite
def arrays(draw, rows, cols, values=VALUES):
    """A (rows, cols) array of the given values in float64, then in a drawn memory order."""
    a = np.array(draw(st.lists(values, min_size=rows * cols, max_size=rows * cols)),
                 dtype=np.float64).reshape(rows, cols)
    order = draw(st.sampled_from(["C", "F", "strided", "reversed"]))
    if order == "F":
        return np.asfortranarray(a)
    if order == "strided":
        wide = np.zeros((rows, 2 * cols))
        wide[:, ::2] = a
        return wide[:, ::2]
    return a[::-1][::-1] if order == "C" else np.ascontiguousarray(a[::-1])[::-1]


def reference_forward(unit, layer, x):
    with np.errstate(all="ignore"):
        return layer.reference_forward(x.astype(np.float64))[0]


@SETTINGS
@given(data=st.data(), unit=st.sampled_from(sorted(UNITS)), in_features=st.integers(1, 5),
       out_features=st.integers(1, 4), batch=st.integers(0, 5))
def test_float64_forward_is_the_reference_or_a_clean_error(data, unit, in_features, out_features, batch):
    layer = UNITS[unit](in_features, out_features, dtype="float64", seed=data.draw(st.integers(0, 99)))
    width = data.draw(st.sampled_from([in_features, in_features, in_features + 1]))
    x = data.draw(arrays(batch, width))
    kind = data.draw(INPUT_DTYPES)
    with np.errstate(all="ignore"):  # NaN or 1e30 as an integer: whatever NumPy makes of it
        given_x = x.astype(kind) if kind != "object" else x.astype(object)
    expect_type_error = np.asarray(given_x).dtype.kind not in "fiu"
    try:
        y = layer.forward(given_x)
    except TypeError as err:
        assert expect_type_error, err
        return
    except ValueError as err:
        assert width != in_features, err
        assert f"expected x of shape (batch, {in_features})" in str(err)
        return
    assert not expect_type_error and width == in_features
    assert y.shape == (batch, out_features) and y.dtype == np.float64
    with np.errstate(all="ignore"):
        converted = np.asarray(given_x).astype(np.float64)
    np.testing.assert_allclose(y, reference_forward(unit, layer, converted), rtol=1e-10, atol=1e-300,
                               equal_nan=True)
    dx = layer.backward(np.ones_like(y))  # never a crash, whatever the values
    assert dx.shape == (batch, in_features)


@SETTINGS
@given(data=st.data(), unit=st.sampled_from(sorted(UNITS)), in_features=st.integers(1, 5),
       out_features=st.integers(1, 3), batch=st.integers(1, 4))
def test_float32_forward_is_within_its_bound_of_the_reference(data, unit, in_features, out_features, batch):
    """float32 on ordinary values (NaN, Inf and overflow are float64's test above: float32
    overflows where float64 need not, which is no error)."""
    from tolerances import assert_matches_reference

    layer = UNITS[unit](in_features, out_features, dtype="float32", seed=data.draw(st.integers(0, 99)))
    x = data.draw(arrays(batch, in_features, st.floats(-3, 3, allow_nan=False, width=32)))
    y = layer.forward(x)
    expected = reference_forward(unit, layer, x.astype(np.float32))
    log_x = np.log(np.abs(x.astype(np.float32).astype(np.float64)) + 1e-7)
    assert_matches_reference(y, expected, n=in_features, amplification=float(np.max(np.abs(log_x))))


HYPER = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5),
                  st.sampled_from([None, "0.1", True, [0.1], 1e-45, 1e300]))
OPTIMIZER_MAKERS = {
    "SGD": lambda ps, h: nalu_ext.SGD(ps, lr=h[0], momentum=h[1], clip_value=h[2]),
    "Adam": lambda ps, h: nalu_ext.Adam(ps, lr=h[0], betas=(h[1], 0.999), eps=h[3], clip_norm=h[2]),
    "RMSprop": lambda ps, h: nalu_ext.RMSprop(ps, lr=h[0], alpha=h[1], eps=h[3], clip_value=h[2]),
}


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(OPTIMIZER_MAKERS)), unit=st.sampled_from(sorted(UNITS)),
       dtype=st.sampled_from(["float32", "float64"]), hyper=st.lists(HYPER, min_size=4, max_size=4))
def test_optimizers_take_any_hyperparameters_cleanly(data, name, unit, dtype, hyper):
    """Bad hyper-parameters are refused at construction; a step with accepted ones is applied
    whole (finite parameters) or not at all (TrainingDiverged, nothing changed)."""
    model = nalu_ext.Sequential(UNITS[unit](3, 1, dtype=dtype, seed=0))
    try:
        opt = OPTIMIZER_MAKERS[name](model.parameters(), hyper)
    except (TypeError, ValueError):
        return
    x = data.draw(arrays(4, 3, st.floats(0.5, 2.0)))
    before = [p.copy() for p in model.parameters()]
    try:
        model.train_step(x, x.sum(axis=1, keepdims=True), opt)
    except nalu_ext.TrainingDiverged:
        assert opt.steps == 0
        for p, q in zip(model.parameters(), before):
            np.testing.assert_array_equal(p, q)
        return
    assert opt.steps == 1 and all(np.isfinite(p).all() for p in model.parameters())


@SETTINGS
@given(data=st.data(), unit=st.sampled_from(sorted(UNITS)), rows=st.integers(0, 6),
       steps=st.one_of(st.integers(0, 4), st.sampled_from([-1, 1.5, True, None])),
       batch_size=st.one_of(st.none(), st.integers(-1, 8), st.sampled_from([2.0, "2", 10**12])),
       y_cols=st.sampled_from([1, 1, 2]))
def test_fit_and_train_step_are_the_reference_or_a_clean_error(data, unit, rows, steps, batch_size, y_cols):
    """train_step returns the reference loss of the parameters it started from, or raises
    TrainingDiverged with the parameters unchanged; fit answers any arguments cleanly."""
    model = nalu_ext.Sequential(UNITS[unit](2, 1, dtype="float64", seed=1))
    opt = nalu_ext.Adam(model.parameters(), lr=0.01)
    x, y = data.draw(arrays(rows, 2)), data.draw(arrays(rows, y_cols))
    before = [p.copy() for p in model.parameters()]
    if y_cols == 1 and rows > 0:
        with np.errstate(all="ignore"):
            expected = float(np.mean((reference_forward(unit, model.layers[0], x) - y) ** 2))
    try:
        loss = model.train_step(x, y, opt)
    except ValueError as err:
        assert rows == 0 or y_cols != 1, err
    except nalu_ext.TrainingDiverged as err:
        assert opt.steps == 0 and err.step == 0
        for p, q in zip(model.parameters(), before):
            np.testing.assert_array_equal(p, q)
    else:
        np.testing.assert_allclose(loss, expected, rtol=1e-10)
        assert all(np.isfinite(p).all() for p in model.parameters())
    try:
        history = nalu_ext.fit(model, opt, x, y, steps=steps, batch_size=batch_size, seed=0)
    except (TypeError, ValueError, MemoryError, nalu_ext.TrainingDiverged):
        assert all(np.isfinite(p).all() for p in model.parameters())
        return
    assert history.steps == steps and np.isfinite(history.loss).all()


RANGES = st.one_of(
    st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
    st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)),
    st.lists(st.tuples(st.floats(-10, 10), st.floats(-10, 10)), min_size=0, max_size=3),
    st.sampled_from([(1e30, 2e30), (0, 1, 2), "ab", None, [(1, 2), (1.5, 3)]]),
)


@SETTINGS
@given(op=st.one_of(st.sampled_from(OPS), st.just("pow")), size=st.integers(-1, 6),
       a=st.tuples(st.integers(-1, 7), st.integers(-1, 7)), b=st.tuples(st.integers(-1, 7), st.integers(-1, 7)),
       interpolation=RANGES, extrapolation=RANGES,
       seed=st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([-1, 2**64, 1.5])),
       dtype=st.sampled_from(["float32", "float64"]), rows=st.integers(0, 5))
def test_tasks_make_data_of_their_definition_or_a_clean_error(op, size, a, b, interpolation, extrapolation,
                                                              seed, dtype, rows):
    try:
        task = Task(op, size, a, b, interpolation, extrapolation, seed)
        x, t = task.batch(3, max(rows, 1), dtype=dtype)
    except (TypeError, ValueError):
        return
    assert x.dtype == np.dtype(dtype) and x.shape == (max(rows, 1), size) and t.shape == (max(rows, 1), 1)
    assert all(any(lo <= v <= hi for lo, hi in task.interpolation) for v in x.astype(np.float64).ravel())
    with np.errstate(all="ignore"):
        expected = task.target(x)
    np.testing.assert_allclose(t[:, 0], expected, rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-30, equal_nan=True)


@SETTINGS
@given(data=st.data(), units=st.lists(st.sampled_from(sorted(UNITS)), min_size=1, max_size=3),
       dtype=st.sampled_from(["float32", "float64"]), width=st.integers(1, 4))
def test_save_and_load_round_trip_any_parameters(tmp_path_factory, data, units, dtype, width):
    layers = [UNITS[u](width, width, dtype=dtype, seed=i) for i, u in enumerate(units)]
    model = nalu_ext.Sequential(*layers)
    for p in model.parameters():
        with np.errstate(over="ignore"):  # 1e100 into float32 is inf: also a value to round-trip
            p[...] = data.draw(arrays(*p.reshape(p.shape[0], -1).shape)).reshape(p.shape)
    path = tmp_path_factory.mktemp("models") / "m.npz"
    model.save(path)
    loaded = nalu_ext.load(path)
    assert loaded.config() == model.config()
    for p, q in zip(loaded.parameters(), model.parameters()):
        assert p.dtype == q.dtype and p.tobytes() == q.tobytes()


@SETTINGS
@given(data=st.data())
def test_load_of_a_damaged_file_is_a_model_file_error(tmp_path_factory, data):
    model = nalu_ext.Sequential(nalu_ext.NALU(3, 2, seed=0), nalu_ext.NAU(2, 1, seed=1))
    buffer = io.BytesIO()
    path = tmp_path_factory.mktemp("damaged") / "m.npz"
    model.save(path)
    raw = bytearray(path.read_bytes())
    damage = data.draw(st.sampled_from(["truncate", "flip", "metadata"]))
    if damage == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    elif damage == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    else:
        meta = data.draw(st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(-2, 10**6), st.floats(), st.text(max_size=5)),
            lambda inner: st.one_of(st.lists(inner, max_size=3),
                                    st.dictionaries(st.sampled_from(["format", "version", "layers", "kind",
                                                                     "in_features", "out_features", "dtype"]),
                                                    inner, max_size=4)),
            max_leaves=12))
        with zipfile.ZipFile(buffer, "w") as z:
            with z.open("__nalu_ext__.npy", "w") as f:
                np.lib.format.write_array(f, np.array(json.dumps(meta)))
        raw = bytearray(buffer.getvalue())
    path.write_bytes(bytes(raw))
    try:
        loaded = nalu_ext.load(path)
    except nalu_ext.ModelFileError:
        return
    # a flip that hit nothing checked (zip padding, an unused header field) may leave a valid file
    assert loaded.config() == model.config()
