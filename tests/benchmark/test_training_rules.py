"""train_task's rules on the validation error (nalu_ext.benchmark.training_rules): the iNALU's restarts and
conditional regularizer as bmistry4/nalm-benchmark's experiments/single_layer_benchmark.py runs
them, checked against a transcription of the script's per-step loop."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark.tasks import SingleModuleTask
from nalu_ext.benchmark.training_rules import RegularizeWhen, Reinitialise, StagnationWatch

ISA_INDEPENDENT = True


def script_restarts(values_per_step, check_every, min_entries, threshold):
    """The script's loop, one step at a time: append the step's validation error; every
    check_every-th step with more than min_entries entries, restart on stagnation and clear."""
    entries, restarts = [], []
    for step, value in enumerate(values_per_step):
        entries.append(value)
        if step % check_every == 0 and step > 0 and len(entries) > min_entries:
            late = entries[len(entries) // 2:]
            if np.mean(entries[:len(entries) // 2]) <= np.mean(late) + np.std(late) and np.mean(late) > threshold:
                restarts.append(step)
                entries = []
    return restarts


@pytest.mark.parametrize("check_every, min_entries, log_every", [(10, 50, 20), (10, 5000, 1000), (7, 33, 25), (1, 3, 4)])
def test_the_watch_restarts_where_the_scripts_loop_does(check_every, min_entries, log_every):
    rng = np.random.default_rng(check_every * 1000 + min_entries)
    rule = Reinitialise(check_every=check_every, min_entries=min_entries, threshold=1.0)
    for trial in range(20):
        logs = 40
        # validation errors that stagnate, fall and rise, around the threshold
        values = np.exp(rng.normal(0.0, 1.0, size=logs)) * rng.choice([0.3, 1.0, 3.0], size=logs)
        values[rng.integers(0, logs, size=10)] = 2.0  # repeated values: runs that merge
        per_step = np.repeat(values, log_every)
        watch, ours, step = StagnationWatch(rule), [], 0
        for k, value in enumerate(values):
            end = (k + 1) * log_every
            while step < end:
                restart = watch.first_restart(step, end, float(value))
                if restart is None:
                    step = end
                else:
                    ours.append(restart)
                    watch.clear()
                    step = restart + 1
        assert ours == script_restarts(per_step, check_every, min_entries, 1.0), trial


def test_a_stagnating_run_restarts_with_fresh_parameters_where_the_script_would():
    """SGD at lr 0: the parameters change only by restarts, so each log's validation error is the
    current draw's; the restarts are the script's on those logs, and the final parameters are the
    last restart's draw."""
    task = SingleModuleTask("div", (-2.0, 2.0), (2.0, 6.0), seed=3)
    layer = nalu_ext.iNALU(2, 1, dtype="float64", seed=5, init="inalu")
    first_draw = {k: v.copy() for k, v in layer.params.items()}
    rule = Reinitialise(check_every=10, min_entries=30, threshold=0.0, seed=11)
    result = nalu_ext.benchmark.train_task(layer, task, nalu_ext.SGD(layer.parameters(), lr=0.0), steps=600, log_every=50,
                                 reinit=rule)
    assert result.restarts, "an unsolved run at threshold 0 stagnates"
    xv, tv = task.validation(10_000, "float64")
    first_error = float(np.mean((nalu_ext.Sequential(nalu_ext.iNALU(2, 1, dtype="float64", seed=5)).predict(xv) - tv) ** 2))
    per_step = np.repeat(np.r_[first_error, result.interpolation_mse[:-1]], 50)
    assert [s + 1 for s in script_restarts(per_step, 10, 30, 0.0)] == result.restarts
    fresh = nalu_ext.iNALU(2, 1, dtype="float64", seed=0, init="inalu")
    fresh.reset_parameters([11, len(result.restarts) - 1, 0])
    for name, value in layer.params.items():
        np.testing.assert_array_equal(value, fresh.params[name])
        assert not np.array_equal(value, first_draw[name])


def test_without_stagnation_nothing_restarts():
    task = SingleModuleTask("add", (1.0, 2.0), (2.0, 6.0), seed=0)
    layer = nalu_ext.iNALU(2, 1, dtype="float64", seed=0)
    result = nalu_ext.benchmark.train_task(layer, task, nalu_ext.SGD(layer.parameters(), lr=0.0), steps=300, log_every=50,
                                 reinit=Reinitialise(min_entries=30, threshold=1e300))
    assert result.restarts == []


def final_parameters(regularize_when=None, schedule=None, steps=400):
    task = SingleModuleTask("mul", (1.0, 2.0), (2.0, 6.0), seed=1)
    layer = nalu_ext.iNALU(2, 1, dtype="float64", seed=2, regularizer_form="nalm-benchmark")
    if schedule is not None:
        layer.set_regularizer(*schedule)
    nalu_ext.benchmark.train_task(layer, task, nalu_ext.Adam(layer.parameters(), lr=1e-2), steps=steps, log_every=100,
                        regularize_when=regularize_when)
    return {k: v.copy() for k, v in layer.params.items()}


def assert_same(a, b):
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_the_conditional_regularizer_is_the_constant_one_when_its_condition_holds_and_none_otherwise():
    unregularized = final_parameters()
    # the validation error is never below -1: never applied
    assert_same(final_parameters(RegularizeWhen(strength=0.5, after=0, below=-1.0)), unregularized)
    # always below inf: λ = 0.5 from step after + 1 on, as a schedule with a step there
    assert_same(final_parameters(RegularizeWhen(strength=0.5, after=149, below=1e300)),
                final_parameters(schedule=(0.5, 150, 150)))
    assert_same(final_parameters(RegularizeWhen(strength=0.5, after=0, below=1e300)),
                final_parameters(schedule=(0.5, 1, 1)))
    assert not np.array_equal(final_parameters(schedule=(0.5, 1, 1))["G"], unregularized["G"])


def test_rules_are_checked():
    with pytest.raises(ValueError, match="check_every"):
        Reinitialise(check_every=0)
    with pytest.raises(ValueError, match="strength"):
        RegularizeWhen(strength=-1.0)
    layer = nalu_ext.NAC(2, 1)
    with pytest.raises(ValueError, match="regularize_when needs a layer with a regularizer"):
        nalu_ext.benchmark.train_task(layer, SingleModuleTask("add", (1.0, 2.0), (2.0, 6.0)), nalu_ext.SGD(layer.parameters(), lr=0.1),
                            steps=10, regularize_when=RegularizeWhen())
    with pytest.raises(TypeError, match="reinit must be"):
        nalu_ext.benchmark.train_task(layer, SingleModuleTask("add", (1.0, 2.0), (2.0, 6.0)), nalu_ext.SGD(layer.parameters(), lr=0.1),
                            steps=10, reinit={"check_every": 10})
