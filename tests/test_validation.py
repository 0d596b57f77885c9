"""Arguments are checked where they enter: the wrong kind of value is a TypeError, a value out of
range a ValueError, a size beyond memory a MemoryError; each message names what arrived.

Each case here was accepted silently, truncated, or answered with an internal error before."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark.tasks import ArithmeticTask, Task

ISA_INDEPENDENT = True


def test_a_huge_broadcast_input_is_a_memory_error():
    """A 10¹²-element broadcast view raised "RuntimeError: Internal error: pybind11::error_already_set
    called while Python error indicator not set"."""
    layer = nalu_ext.NALU(2, 1, dtype="float64")
    huge = np.broadcast_to(np.zeros((1, 2)), (10**12, 2))
    with pytest.raises(MemoryError, match="Unable to allocate"):
        layer.forward(huge)
    with pytest.raises(MemoryError):
        nalu_ext.NALU(2, 1, dtype="float32").forward(huge)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nalu_ext.NAC(True, 1), TypeError, "in_features must be an integer, got a bool"),
    (lambda: nalu_ext.NAC(2, 1, dtype=None), TypeError, "dtype must be 'float32' or 'float64', got None"),
    (lambda: nalu_ext.NALU(2, 1, eps=1e-50, dtype="float32"), ValueError, "eps = 1e-50 is outside the range of float32"),
    (lambda: nalu_ext.iNALU(2, 1, eps=1e-50, dtype="float32"), ValueError, "eps = 1e-50 is outside the range of float32"),
    (lambda: nalu_ext.iNALU(2, 1, omega=1e300, dtype="float32"), ValueError, "omega = 1e\\+300 is outside"),
    (lambda: nalu_ext.NAC(2, 1, seed=1.5), TypeError, "seed must be an integer, got float"),
    (lambda: nalu_ext.NAC(2**63, 1), ValueError, "in_features must be at most 9223372036854775807"),
    (lambda: nalu_ext.NAC(10**10, 10**10), MemoryError, "too large to allocate"),
], ids=["bool size", "dtype None", "eps underflows float32", "iNALU eps underflows",
        "omega overflows float32", "float seed", "size beyond 2**63", "size beyond memory"])
def test_layer_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_same_eps_is_fine_in_float64():
    assert nalu_ext.NALU(2, 1, eps=1e-50, dtype="float64").eps == 1e-50


def model_and_data():
    model = nalu_ext.Sequential(nalu_ext.NAC(2, 1, seed=0))
    x = np.ones((4, 2))
    return model, x, x.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seed=1.5), TypeError, "seed must be an integer, got float"),
    (dict(seed=2**64), ValueError, "seed must be at most 18446744073709551615"),
    (dict(steps=True), TypeError, "steps must be an integer, got a bool"),
    (dict(steps=2**63), ValueError, "steps must be at most"),
])
def test_fit_arguments(kwargs, error, message):
    model, x, y = model_and_data()
    kwargs = dict(dict(steps=3), **kwargs)
    with pytest.raises(error, match=message):
        nalu_ext.fit(model, nalu_ext.Adam(model.parameters()), x, y, **kwargs)


@pytest.mark.parametrize("make, error, message", [
    (lambda ps: nalu_ext.Adam(ps, clip_value="abc"), TypeError, "clip_value must be a real number, got str"),
    (lambda ps: nalu_ext.Adam(ps, clip_norm=[1.0]), TypeError, "clip_norm must be a real number, got list"),
    (lambda ps: nalu_ext.SGD(ps, lr="0.1"), TypeError, "lr must be a real number, got str"),
    (lambda ps: nalu_ext.Adam(ps, betas="ab"), ValueError, "betas must be a pair"),
    (lambda ps: nalu_ext.RMSprop(ps, alpha=None), TypeError, "alpha must be a real number, got NoneType"),
])
def test_optimizer_arguments(make, error, message):
    """clip_value='abc' gave "RuntimeError: Unable to cast"."""
    model, _, _ = model_and_data()
    with pytest.raises(error, match=message):
        make(model.parameters())


@pytest.mark.parametrize("make, error, message", [
    (lambda: Task("add", 4, (0, 1, 2), (2, 4), (1, 2), (2, 6), 0), TypeError, "a must be a pair"),
    (lambda: Task("add", 4, (0, 1.5), (2, 4), (1, 2), (2, 6), 0), TypeError, r"a\[1\] must be an integer"),
    (lambda: Task("add", 4, (0, 5), (2, 4), (1, 2), (2, 6), 0), ValueError, "inside the 4 inputs"),
    (lambda: Task("add", 4, (0, 2), (2, 4), (1, 2), (2, 6), 2**64), ValueError, "seed must be at most"),
    (lambda: ArithmeticTask("add", seed=1.5), TypeError, "seed must be an integer"),
    (lambda: ArithmeticTask("add", subset_ratio="half"), TypeError, "subset_ratio must be a real number"),
], ids=["three-element subset", "float index", "subset outside", "seed 2**64", "float seed", "string ratio"])
def test_task_arguments(make, error, message):
    """Task(a=(0, 1, 2)) was truncated to (0, 1); a seed of 2**64 gave a pybind11 signature dump."""
    with pytest.raises(error, match=message):
        make()


def test_task_ranges_beyond_float32_are_refused_for_float32_only():
    """They gave inf and NaN data silently."""
    task = ArithmeticTask("mul", interpolation=(1e18, 2e18), extrapolation=(2e18, 6e18))
    with pytest.raises(ValueError, match="beyond the range of float32"):
        task.batch(0, 4, dtype="float32")
    x, t = task.batch(0, 4, dtype="float64")
    assert np.isfinite(x).all() and np.isfinite(t).all()
    model = nalu_ext.Sequential(nalu_ext.NAU(100, 2), nalu_ext.NMU(2, 1))
    with pytest.raises(ValueError, match="beyond the range of float32"):
        nalu_ext.benchmark.train_task(model, task, nalu_ext.Adam(model.parameters()), steps=10)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        nalu_ext.benchmark.make_run("NMU", task, seed=0, steps=10)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seed=-1), ValueError, "seed must be an integer"),
    (dict(seed=0.5), TypeError, "seed must be an integer"),
    (dict(steps=-5), ValueError, "steps must be an integer >= 0"),
    (dict(hidden=0), ValueError, "hidden must be a positive integer"),
    (dict(lr=-1.0), ValueError, "lr must be a finite number >= 0"),
    (dict(lr=float("nan")), ValueError, "lr must be a finite number"),
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer"),
    (dict(log_every=1.5), TypeError, "log_every must be an integer"),
    (dict(regularizer=-1.0), ValueError, "regularizer must be a finite number >= 0"),
    (dict(reg_start=-1), ValueError, "reg_start must be an integer >= 0"),
    (dict(dtype="float16"), TypeError, "dtype must be 'float32' or 'float64'"),
])
def test_make_run_checks_every_argument(kwargs, error, message):
    """make_run checked nothing: bad values surfaced only as failed runs."""
    kwargs = dict(dict(seed=0, steps=10), **kwargs)
    with pytest.raises(error, match=message):
        nalu_ext.benchmark.make_run("NAU", ArithmeticTask("add"), **kwargs)
    with pytest.raises(TypeError, match="task must be a nalu_ext.benchmark.tasks.Task"):
        nalu_ext.benchmark.make_run("NAU", {"op": "add"}, seed=0, steps=10)
