"""The NPU paper's simple task (nmheim/NeuralPowerUnits scripts/simple/): its data, grid, metric,
recipes, runs through sweep, summary and command line."""

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark import npu_simple, sweeps
from nalu_ext.cli import main


def test_the_grids_are_the_scripts():
    # run.jl: every pair of -4.1f0:0.2f0:4f0 for +, ×, ÷ and of 0.1f0:0.1f0:4 for √
    g = npu_simple.grid("div")
    axis = np.unique(g[:, 0])
    assert g.shape == (41 * 41, 2) and g.dtype == np.float32 and len(axis) == 41
    assert axis[0] == np.float32(-4.1) and axis[-1] == np.float32(3.9) and np.all(g[:, 1] != 0)
    assert np.any(g < 0)  # the grid leaves the positive training range
    s = npu_simple.grid("sqrt")
    assert s.shape == (1600, 2) and s.min() == np.float32(0.1) and s.max() == np.float32(4.0)


def test_training_rows_are_fresh_uniform_and_the_same_however_chunked():
    x, t = npu_simple.training_rows(seed=3, first_step=0, steps=10, batch_size=100)
    assert x.shape == (1000, 2) and t.shape == (1000, 4) and x.dtype == np.float32
    assert 0.1 <= x.min() and x.max() < 2.1 and abs(x.mean() - 1.1) < 0.05
    np.testing.assert_allclose(t, npu_simple.targets(x).astype(np.float32))
    later, _ = npu_simple.training_rows(seed=3, first_step=5, steps=5, batch_size=100)
    np.testing.assert_array_equal(later, x[500:])
    other, _ = npu_simple.training_rows(seed=4, first_step=0, steps=10, batch_size=100)
    assert not np.array_equal(other, x)


def exact_npu_model():
    """NPU → NAU set by hand to x + y, x·y, x/y and √x: exact on every grid, negative inputs too
    (the NPU's phase k W_re gives the sign of integer powers)."""
    model = sweeps.build_model(npu_simple.make_run("NPU", seed=0))
    npu, nau = model.layers
    npu.params["W_re"][...] = 0.0
    npu.params["W_re"][:4] = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]]  # x, y, xy, x/y
    npu.params["W_re"][4] = [0.5, 0.0]                                            # √x
    npu.params["g"][...] = 1.0
    nau.params["W"][...] = 0.0
    nau.params["W"][0, :2] = 1.0                                                  # x + y
    nau.params["W"][1, 2] = nau.params["W"][2, 3] = nau.params["W"][3, 4] = 1.0
    return model


def test_an_exact_model_scores_zero_and_a_wrong_one_does_not():
    model = exact_npu_model()
    errors = npu_simple.mean_absolute_errors(model)
    assert set(errors) == {"add", "mul", "div", "sqrt"} and max(errors.values()) < 1e-4
    model.layers[1].params["W"][1, 2] = 0.5  # half the product
    x = npu_simple.grid("mul")
    expected = np.mean(np.abs(0.5 * x[:, 0].astype(np.float64) * x[:, 1]))
    assert npu_simple.mean_absolute_errors(model)["mul"] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("family, layers", [
    ("NPU", [("NPU", 2, 6, {}), ("NAU", 6, 4, {"constraint": "none"})]),
    ("NMU", [("NMU", 2, 6, {"constraint": "clip"}), ("NAU", 6, 4, {"constraint": "none"})]),
    ("NALU", [("NALU", 2, 6, {"gate_bias": True}), ("NALU", 6, 4, {"gate_bias": True})]),
    ("iNALU", [("iNALU", 2, 6, {"gate": "input"}), ("iNALU", 6, 4, {"gate": "input"})]),
    ("Dense", [("Dense", 2, 10, {"activation": "sigmoid"}), ("Dense", 10, 10, {"activation": "sigmoid"}),
               ("Dense", 10, 4, {"activation": "identity"})]),
])
def test_each_model_is_built_as_run_jl_builds_it(family, layers):
    model = sweeps.build_model(npu_simple.make_run(family, seed=1))
    built = [(type(l).__name__, l.in_features, l.out_features, l.config()) for l in model.layers]
    for (kind, i, o, config), (want_kind, want_i, want_o, options) in zip(built, layers):
        assert (kind, i, o) == (want_kind, want_i, want_o)
        assert {k: config[k] for k in options} == options
    if family == "NMU":
        assert model.layers[0].init == "uniform"
    if family == "NALU":
        assert model.layers[0].eps == pytest.approx(1e-8) and np.any(model.layers[0].params["b"] != 0)


def test_a_sweep_of_runs_gives_the_summary_beside_the_published_table(tmp_path):
    runs = [npu_simple.make_run(f, seed=s, steps=300) for s in range(2) for f in ("NMU", "Dense")]
    assert runs[0]["optimizer"] == {"kind": "Adam", "lr": 5e-3}
    assert npu_simple.make_run("NALU", seed=0)["optimizer"] == {"kind": "RMSprop", "lr": 5e-3, "alpha": 0.9}
    summary = nalu_ext.benchmark.sweep(runs, results=str(tmp_path / "r.jsonl"), progress=False, summarize=npu_simple.Summary)
    assert [(r["family"], r["op"], r["runs"]) for r in summary.rows] == [
        (f, op, 2) for f in ("NMU", "Dense") for op in ("add", "mul", "div", "sqrt")]
    row = summary.rows[2]
    values = [r["result"]["mae"]["div"] for r in summary.records if r["spec"]["family"] == "NMU"]
    assert row["mean"] == pytest.approx(np.mean(values)) and row["se"] == pytest.approx(np.std(values, ddof=1) / np.sqrt(2))
    assert row["published"] == {"family": "NMU", "op": "div", "mae_mean": 11.399, "mae_se": 0.035}
    text = str(summary)
    assert "nmheim/NeuralPowerUnits@e1b9a45" in text and "÷  NMU" in text
    again = nalu_ext.benchmark.sweep(runs, results=str(tmp_path / "r.jsonl"), progress=False, summarize=npu_simple.Summary)
    assert [r["mean"] for r in again.rows] == [r["mean"] for r in summary.rows]  # resumed, not re-run


def test_the_published_table_is_bundled_with_its_source():
    table = npu_simple.published()
    assert table["seeds"] == 20 and table["source"]["file"] == "plots/simple_err_table.tex"
    assert len(table["rows"]) == 24 and npu_simple.published_cell("RealNPU", "sqrt")["mae_mean"] == 0.004


def test_the_command_line_refuses_what_does_not_apply(capsys):
    for argv, message in ((["--ops", "add"], "--ops do not apply"), (["--units", "NAU"], "no recipe for NAU")):
        with pytest.raises(SystemExit) as exit_:
            main(["benchmark", "--suite", "npu-simple", *argv])
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_the_command_runs_the_suite(capsys):
    code = main(["benchmark", "--suite", "npu-simple", "--units", "NMU", "--seeds", "2", "--steps", "200",
                 "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and "benchmark: 2 runs (npu-simple suite, 2 seeds, 200 steps each)" in out
    assert sum(1 for line in out.splitlines() if " NMU " in line and "±" in line) == 4
