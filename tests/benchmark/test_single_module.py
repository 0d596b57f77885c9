"""The single-module benchmark (Mistry, Farrahi & Hare): its threshold rule, its one-layer recipes
(clipping, the NPU's L1 penalty on a geometric schedule) and its suite on the command line."""

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark.training_rules import RegularizeWhen, Reinitialise
from nalu_ext.benchmark import single_module, sweeps
from nalu_ext.cli import main
from nalu_ext.benchmark.tasks import ArithmeticTask, SingleModuleTask, task_from_dict

EPS = 1e-4


def moments(lo, hi):
    """E[x], E[x²] and E[1/x²] of x ~ U(lo, hi) (0 outside lo..hi)."""
    return (lo + hi) / 2, (hi ** 3 - lo ** 3) / (3 * (hi - lo)), (1 / lo - 1 / hi) / (hi - lo)


@pytest.mark.parametrize("op, interpolation, extrapolation", [
    ("add", (1.0, 2.0), (2.0, 6.0)),
    ("sub", (-2.0, -1.0), (-6.0, -2.0)),
    ("add", (-2.0, 2.0), [(-6.0, -2.0), (2.0, 6.0)]),  # |x| of the union is U(2, 6)
    ("mul", (1.0, 2.0), (2.0, 6.0)),
    ("div", (10.0, 20.0), (20.0, 40.0)),
])
def test_the_output_rule_threshold_is_the_expected_squared_error(op, interpolation, extrapolation):
    # generate_exp_thresholds.r: E[(t_ε − t)²] with t_ε = t − ε Σ|x| (+, −), (1 − ε)² t (×),
    # (1 − ε)/(1 + ε) t (÷); here in closed form for two independent U(lo, hi) magnitudes
    lo, hi = (2.0, 6.0) if op != "div" else (20.0, 40.0)
    m1, m2, inv2 = moments(lo, hi)
    expected = {"add": EPS ** 2 * (2 * m2 + 2 * m1 ** 2), "sub": EPS ** 2 * (2 * m2 + 2 * m1 ** 2),
                "mul": ((1 - EPS) ** 2 - 1) ** 2 * m2 * m2,
                "div": ((1 - EPS) / (1 + EPS) - 1) ** 2 * m2 * inv2}[op]
    task = SingleModuleTask(op, interpolation, extrapolation, seed=3)
    assert nalu_ext.benchmark.success_threshold(task) == pytest.approx(expected, rel=5e-3)


def test_the_weights_rule_would_give_two_input_addition_no_room():
    # why the single-module task has its own rule: with every weight ε off towards the inside,
    # a + b of two inputs is exact, so the old rule's threshold is rounding noise
    task = SingleModuleTask("add", (1.0, 2.0), (2.0, 6.0))
    weights_rule = task_from_dict({**task.to_dict(), "threshold_rule": "weights"})
    assert nalu_ext.benchmark.success_threshold(weights_rule) < 1e-25 < 1e-7 < nalu_ext.benchmark.success_threshold(task)


def test_the_threshold_rule_is_part_of_the_task_and_only_written_when_not_the_default():
    task = SingleModuleTask("mul", (1.0, 2.0), (2.0, 6.0), seed=1)
    assert task.threshold_rule == "output" and task_from_dict(task.to_dict()) == task
    assert "threshold_rule" not in ArithmeticTask("add").to_dict()  # older run ids stay as they were
    with pytest.raises(ValueError, match="threshold_rule must be one of"):
        nalu_ext.benchmark.tasks.Task("add", 2, (0, 1), (1, 2), (1, 2), (2, 6), 0, threshold_rule="loose")


def test_a_single_module_run_is_one_layer_with_its_scripts_settings(monkeypatch):
    task = SingleModuleTask("div", (1.0, 2.0), (2.0, 6.0))
    spec = nalu_ext.benchmark.make_run("NMRU", task, seed=4, steps=10, recipe=single_module.recipe("NMRU", "div"))
    assert spec["network"] == ["NMRU"] and spec["optimizer"] == {"kind": "Adam", "lr": 1e-2, "clip_norm": 1.0}
    assert spec["options"] == [{"sign_retrieval": True}]  # the published runs' SignNMRU
    assert spec["regularizer"] == {"regularizer": 10.0, "reg_start": 20_000, "reg_end": 35_000}
    model = sweeps.build_model(spec)
    assert [(type(l).__name__, l.in_features, l.out_features) for l in model.layers] == [("NMRU", 2, 1)]
    assert model.layers[0].sign_retrieval
    built = {}
    original = sweeps.OPTIMIZERS["Adam"]
    monkeypatch.setitem(sweeps.OPTIMIZERS, "Adam", lambda params, **kw: built.update(kw) or original(params, **kw))
    sweeps.execute(spec)
    assert built == {"lr": 1e-2, "clip_norm": 1.0}
    inalu = nalu_ext.benchmark.make_run("iNALU", task, seed=7, steps=10, recipe=single_module.recipe("iNALU", "div"))
    assert inalu["optimizer"]["clip_value"] == 0.1
    # --reinit with its defaults, restarts seeded by the run; the conditional regularizer of the script
    assert inalu["train_options"] == {"reinit": {"check_every": 10, "min_entries": 5000, "threshold": 1.0, "seed": 7},
                                      "regularize_when": {"strength": 0.05, "after": 10_000, "below": 1.0}}
    assert sweeps.build_model(inalu).layers[0].regularizer_form == "nalm-benchmark"
    rules = {}
    monkeypatch.setattr(sweeps, "train_task", lambda *a, **kw: rules.update(kw) or nalu_ext.benchmark.train_task(*a, **kw))
    assert sweeps.execute(inalu)["result"]["restarts"] == []
    assert rules["reinit"] == Reinitialise(seed=7) and rules["regularize_when"] == RegularizeWhen()
    # the default recipe of the same family has two layers and no such keys
    assert not {"network", "options", "train_options"} & set(nalu_ext.benchmark.make_run("NMRU", task, seed=4, steps=10))


def test_the_g_nalu_runs_in_every_figure_as_a_golden_ratio_nalu():
    assert all("G-NALU" in units for units in single_module.PAIRS.values())
    task = SingleModuleTask("mul", (1.0, 2.0), (2.0, 6.0))
    spec = nalu_ext.benchmark.make_run("G-NALU", task, seed=2, steps=10, recipe=single_module.recipe("G-NALU", "mul"))
    assert spec["network"] == ["NALU"] and spec["options"] == [{"base": "golden-ratio"}]
    layer = sweeps.build_model(spec).layers[0]
    assert type(layer).__name__ == "NALU" and layer.config()["base"] == "golden-ratio"


@pytest.mark.parametrize("op, beta", [("mul", (1e-7, 1e-5)), ("div", (1e-9, 1e-7))])
def test_the_power_units_get_the_scripts_l1_schedule(op, beta):
    task = SingleModuleTask(op, (1.0, 2.0), (2.0, 6.0))
    spec = nalu_ext.benchmark.make_run("RealNPU", task, seed=0, steps=10, recipe=single_module.recipe("RealNPU", op))
    assert spec["regularizer"] == {"regularizer": beta[1], "reg_start": 0, "reg_end": 0, "reg_initial": beta[0],
                                   "reg_growth": 10.0, "reg_every": 10_000}
    layer = sweeps.build_model(spec).layers[0]
    assert layer.init == "nalm-benchmark" and np.all(layer.params["g"] == 1.0)
    weights = [layer.regularizer_weight(t) for t in (0, 9_999, 10_000, 19_999, 20_000, 10 ** 6)]
    assert weights == pytest.approx([beta[0]] * 2 + [10 * beta[0]] * 2 + [beta[1]] * 2, rel=1e-12)


@pytest.mark.parametrize("unit", ["NPU", "RealNPU"])
def test_the_power_units_l1_penalty_adds_lambda_times_sign(unit, rng):
    layer = nalu_ext.UNITS[unit](3, 2, dtype="float64", seed=1)
    layer.params["g"][0] = 0.0  # sign(0) = 0, as torch.norm(p, 1)'s gradient
    x = rng.uniform(0.5, 2.0, size=(4, 3))
    layer.forward(x)
    layer.backward(np.ones((4, 2)))
    data_grads = {n: g.copy() for n, g in layer.grads.items()}
    value = layer._impl.regularize(0.25)
    assert value == pytest.approx(sum(np.abs(p).sum() for p in layer.params.values()), rel=1e-14)
    for name, p in layer.params.items():
        np.testing.assert_allclose(layer.grads[name] - data_grads[name], 0.25 * np.sign(p), rtol=0, atol=1e-15)


def test_schedule_arguments_are_checked_and_survive_a_save(tmp_path):
    with pytest.raises(ValueError, match="reg_growth must be a finite number >= 0"):
        nalu_ext.NPU(2, 1, regularizer=1e-5, reg_growth=-10.0, reg_every=100)
    layer = nalu_ext.RealNPU(2, 1, regularizer=1e-5, reg_initial=1e-7, reg_growth=10.0, reg_every=100, seed=0)
    path = tmp_path / "m.npz"
    nalu_ext.Sequential(layer).save(path)
    loaded = nalu_ext.load(path).layers[0]
    assert [loaded.regularizer_weight(t) for t in (0, 100, 250)] == [layer.regularizer_weight(t) for t in (0, 100, 250)]
    assert loaded.reg_every == 100 and loaded.reg_growth == 10.0


def test_every_published_pair_has_a_recipe_and_unknown_units_are_refused():
    assert set(single_module.families()) >= {"NAU", "NMU", "NALU", "iNALU", "NPU", "RealNPU", "NMRU", "sNMU"}
    # division: the division units beside the NMU and the NALU, on the same seeds and ranges
    assert {("NMU", "div"), ("NALU", "div"), ("NRU", "div"), ("NMRU", "div")} <= set(single_module.pairs(["div"]))
    for family, op in single_module.pairs(list(single_module.PAIRS)):
        recipe = single_module.recipe(family, op)
        assert len(recipe.network) == 1 and recipe.source
    with pytest.raises(ValueError, match="no recipe for 'Dense'"):
        single_module.recipe("Dense", "add")


def test_the_suite_runs_the_nine_ranges_and_prints_one_column_each(capsys):
    code = main(["benchmark", "--suite", "single-module", "--units", "NAU", "--ops", "add", "--seeds", "1",
                 "--steps", "3000", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "benchmark: 9 runs (single-module suite, 1 seeds, 3000 steps each)" in out
    header = next(line for line in out.splitlines() if line.startswith("op "))
    assert header.split()[2:] == ["U[-20,-10)", "U[-2,-1)", "U[-1.2,-1.1)", "U[-0.2,-0.1)", "U[-2,2)",
                                  "U[0.1,0.2)", "U[1,2)", "U[1.1,1.2)", "U[10,20)"]
    row = next(line for line in out.splitlines() if line.startswith("+   NAU"))
    assert row.count("of 1") == 9
