"""Initialisation schemes (init=) and the families' published recipes (RECIPES, make_run's
defaults): docs/protocols.md#recipes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import nalu_ext
from nalu_ext.layers import stable_nalu_nac_range
from nalu_ext.benchmark.cli import build_runs
from nalu_ext.benchmark.sweeps import PUBLISHED_COMPARISON, RECIPES, build_model, make_run
from nalu_ext.benchmark.tasks import ArithmeticTask, ToyTask

UNITS = sorted(nalu_ext.UNITS)


def nac_weights(W_hat, M_hat):
    return np.tanh(W_hat) / (1.0 + np.exp(-M_hat))


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_takes_its_schemes_by_name_and_reports_them(unit):
    cls = nalu_ext.UNITS[unit]
    default = nalu_ext.UNITS[unit](3, 2, seed=0)
    assert default.init == next(iter(cls.INITS)) and default.config()["init"] == default.init
    for scheme in cls.INITS:
        layer = cls(3, 2, seed=0, init=scheme)
        assert layer.init == scheme
        rebuilt = nalu_ext.layers.from_config(layer.config())
        assert rebuilt.init == scheme
        assert all(np.isfinite(p).all() for p in layer.params.values())
    with pytest.raises(ValueError, match=r"init must be one of .*got 'xavier-typo'"):
        cls(3, 2, init="xavier-typo")


def test_an_init_changes_the_draw_and_the_same_seed_repeats_it():
    a, b = nalu_ext.NAC(6, 3, seed=4), nalu_ext.NAC(6, 3, seed=4, init="stable-nalu")
    c = nalu_ext.NAC(6, 3, seed=4, init="stable-nalu")
    assert not np.array_equal(a.params["W_hat"], b.params["W_hat"])
    np.testing.assert_array_equal(b.params["W_hat"], c.params["W_hat"])


@pytest.mark.parametrize("fan_in, fan_out", [(100, 2), (2, 1), (4, 2), (300, 200)])
def test_stable_nalu_nac_range_gives_w_the_glorot_variance(fan_in, fan_out):
    """Monte Carlo, independent of the closed form the range solves: W = tanh(w)·sigmoid(m) with
    w, m ~ U(-r, r) has variance 2 / max(fan_in + fan_out, 5) (stable-nalu's nac_w_optimal_r)."""
    r = stable_nalu_nac_range(fan_in, fan_out)
    rng = np.random.default_rng(11)
    W = nac_weights(rng.uniform(-r, r, 2_000_000), rng.uniform(-r, r, 2_000_000))
    target = 2.0 / max(fan_in + fan_out, 5)
    assert abs(W.var() / target - 1.0) < 0.01


@pytest.mark.parametrize("unit", ["NAC", "NACMul", "NALU"])
def test_stable_nalu_scheme_draws_the_nac_weights_over_the_whole_range(unit):
    layer = nalu_ext.UNITS[unit](300, 200, seed=1, init="stable-nalu", dtype="float64")
    r = stable_nalu_nac_range(300, 200)
    for name in ("W_hat", "M_hat"):
        p = layer.params[name]
        assert p.min() >= -r and p.max() <= r
        assert p.min() < -0.99 * r and p.max() > 0.99 * r  # uniform over it, not a narrower law
        assert abs(p.var() / (r * r / 3.0) - 1.0) < 0.02
    W = nac_weights(layer.params["W_hat"], layer.params["M_hat"])
    assert abs(W.var() / (2.0 / 500) - 1.0) < 0.03


def test_stable_nalu_nalu_gate_is_glorot():
    """stable-nalu's layer/_abstract_nalu.py: G ~ xavier_uniform with the sigmoid's gain (1)."""
    layer = nalu_ext.NALU(300, 200, seed=2, init="stable-nalu", dtype="float64")
    G = layer.params["G"]
    glorot = math.sqrt(6.0 / 500)
    assert G.min() >= -glorot and G.max() <= glorot and G.max() > 0.99 * glorot


def test_every_recipe_names_registered_units_and_their_schemes():
    for family, recipe in RECIPES.items():
        assert len(recipe.network) == len(recipe.init) == 2
        for unit, scheme in zip(recipe.network, recipe.init):
            assert scheme in nalu_ext.UNITS[unit].INITS, (family, unit, scheme)
        assert recipe.source, family
    assert set(PUBLISHED_COMPARISON) == {"NAC", "NACMul", "Linear", "NALU", "NAU", "NMU"}


@pytest.mark.parametrize("family, schedule", [
    # stable-nalu@3e31a1d lfs_batch_jobs/function_task_static.sh: the NAU's flags and the NMU's
    # defaults of experiments/simple_function_static.py
    ("NAU", (0.01, 5_000, 50_000)),
    ("NMU", (10.0, 1_000_000, 2_000_000)),
])
@pytest.mark.parametrize("steps", [200_000, 5_000_000])
def test_published_schedules_are_fixed_steps_whatever_the_run_length(family, schedule, steps):
    spec = make_run(family, ArithmeticTask("add", seed=0), seed=0, steps=steps)
    assert tuple(spec["regularizer"].values()) == schedule
    model = build_model(spec)
    for layer in model.layers:
        assert (layer.regularizer, layer.reg_start, layer.reg_end) == schedule
        assert layer.init == "stable-nalu"


@pytest.mark.parametrize("family", ["NAC", "NACMul", "NALU", "Linear"])
def test_recipes_without_a_regularizer_and_with_their_initialisation(family):
    spec = make_run(family, ToyTask(seed=0), seed=3, steps=1000)
    assert spec["regularizer"]["regularizer"] == 0.0
    assert (spec["optimizer"], spec["batch_size"], spec["hidden"]) == ({"kind": "Adam", "lr": 1e-3}, 128, 2)
    model = build_model(spec)
    assert [layer.init for layer in model.layers] == list(RECIPES[family].init)
    assert [type(layer).__name__ for layer in model.layers] == list(RECIPES[family].network)


def test_make_run_overrides_the_recipe_per_argument():
    task = ArithmeticTask("sub", seed=1)
    spec = make_run("NAU", task, seed=1, steps=100, regularizer=1.0, reg_end=70_000, init="stable-nalu", lr=0.01)
    assert spec["regularizer"] == {"regularizer": 1.0, "reg_start": 5_000, "reg_end": 70_000}
    assert spec["optimizer"]["lr"] == 0.01
    spec = make_run("NACMul", task, seed=1, steps=100, init=("glorot", "stable-nalu"))
    assert spec["init"] == ["glorot", "stable-nalu"]
    assert [layer.init for layer in build_model(spec).layers] == ["glorot", "stable-nalu"]


@pytest.mark.parametrize("init, message", [
    ("stable-nalu", r"init of the Linear layer must be one of \('glorot',\), got 'stable-nalu'"),
    (("glorot",), r"one per layer \(2\)"),
    (("glorot", 3), r"one per layer"),
])
def test_make_run_rejects_a_scheme_a_layer_does_not_have(init, message):
    with pytest.raises(ValueError, match=message):
        make_run("Linear", ArithmeticTask("add"), seed=0, steps=10, init=init)


def test_a_specification_without_init_builds_the_units_defaults():
    """Results files written before specs recorded init still rebuild (the units' defaults)."""
    spec = make_run("NALU", ArithmeticTask("add"), seed=0, steps=10)
    del spec["init"]
    assert [layer.init for layer in build_model(spec).layers] == ["glorot", "glorot"]


def test_a_recipe_whose_regularizer_misses_the_run_is_said_before_anything_trains():
    task = ArithmeticTask("mul", seed=0)
    with pytest.warns(nalu_ext.benchmark.RecipeWarning,
                      match=r"NMU's published recipe .*from step 1000000 to 2000000\), which starts at step "
                            r"1000000, after the run's 100000 steps: it never acts.*--reg-start, --reg-end"):
        nalu_ext.benchmark.make_run("NMU", task, seed=0, steps=100_000)
    with pytest.warns(nalu_ext.benchmark.RecipeWarning, match="reaches its full weight at step 2000000, after the "
                                                               "run's 1500000 steps"):
        nalu_ext.benchmark.make_run("NMU", task, seed=0, steps=1_500_000)
    with pytest.warns(nalu_ext.benchmark.RecipeWarning, match="this NAU run's schedule"):
        nalu_ext.benchmark.make_run("NAU", task, seed=0, steps=1000, reg_start=2000, reg_end=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nalu_ext.benchmark.make_run("NMU", task, seed=0, steps=2_000_000)  # the whole schedule inside
        nalu_ext.benchmark.make_run("NMU", task, seed=0, steps=1000, regularizer=0.0)  # none to miss
        nalu_ext.benchmark.make_run("NMU", task, seed=0, steps=1000, reg_start=100, reg_end=500)


def test_the_command_line_says_a_recipes_warning_once_not_once_per_seed(capsys):
    from nalu_ext import cli

    warnings.simplefilter("always", nalu_ext.benchmark.RecipeWarning)  # (pytest's configuration ignores it)
    assert cli.main(["benchmark", "--pairs", "NMU:mul", "--seeds", "3", "--steps", "200", "--log-every", "100",
                     "--no-progress", "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: NMU's published recipe schedules the sparsity regularizer") == 1
    runs = build_runs(cli.build_parser().parse_args(["benchmark", "--suite", "toy", "--seeds", "1"]))
    assert runs and "warning" not in capsys.readouterr().err  # as the published toy runs were: not said
