"""The published figures bundled with the package, the suites built from them (table1, toy,
ablation, nalu-table), and the comparison they print and plot (docs/protocols.md#table-1)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import nalu_ext
from nalu_ext import cli
from nalu_ext.benchmark import stats
from nalu_ext.benchmark.cli import build_runs
from nalu_ext.benchmark.published import comparison_table, intervals_overlap, published_row, published_table, suite_pairs
from nalu_ext.benchmark.sweeps import make_run, read_results, run_id
from nalu_ext.benchmark.tasks import ArithmeticTask, Task, ToyTask, task_from_dict
from nalu_ext.benchmark.verdicts import success_threshold

ISA_INDEPENDENT = True

# Madsen & Johansen 2020, Table 1, as printed in the paper (typed from it, not from our file)
TABLE_1 = {
    ("NACMul", "mul"): (0.31, 0.23, 0.41), ("NALU", "mul"): (0.00, 0.00, 0.04), ("NMU", "mul"): (0.98, 0.93, 0.99),
    ("NAC", "add"): (1.00, 0.96, 1.00), ("Linear", "add"): (1.00, 0.96, 1.00), ("NALU", "add"): (0.14, 0.09, 0.22),
    ("NAU", "add"): (1.00, 0.96, 1.00), ("NAC", "sub"): (1.00, 0.96, 1.00), ("Linear", "sub"): (0.07, 0.03, 0.14),
    ("NALU", "sub"): (0.14, 0.09, 0.22), ("NAU", "sub"): (1.00, 0.96, 1.00),
}
TOY = {("NACMul", "mul"): (0.13, 0.08, 0.21), ("NALU", "mul"): (0.26, 0.18, 0.35), ("NMU", "mul"): (0.94, 0.88, 0.97)}


def test_bundled_table_1_is_the_papers():
    assert suite_pairs("table1", ["add", "sub", "mul"]) and set(suite_pairs("table1", ["add", "sub", "mul"])) == set(TABLE_1)
    for (family, op), expected in TABLE_1.items():
        row = published_row("table1", family, op)
        assert (row["rate"], row["rate_low"], row["rate_high"]) == expected
    assert published_row("table1", "NMU", "mul")["solved_at_median"] == 1.4e6
    assert published_row("table1", "NAU", "sub")["sparsity_error_mean"] == 6.6e-2
    table = published_table("table1")
    assert (table["seeds"], table["steps"], table["source"]["commit"][:7]) == (100, 5_000_000, "3e31a1d")


def test_bundled_toy_table_is_the_papers():
    assert set(suite_pairs("toy", ["mul"])) == set(TOY)
    for (family, op), expected in TOY.items():
        row = published_row("toy", family, op)
        assert (row["rate"], row["rate_low"], row["rate_high"]) == expected


# Madsen & Johansen 2020, the ablation table as printed (revision of 2019-09-08; typed from the
# paper's table, not from our file): rate, solved-at median, sparsity error mean
ABLATION = {"PosNACMul": (1.00, 2.5e6, 1.0e-4), "NACMul": (0.24, 2.9e6, 4.0e-4), "NMU": (1.00, 1.4e6, 4.4e-7),
            "NMU-no-Rbias": (1.00, 1.9e6, 9.4e-4), "NMU-no-Rbias-no-clamp": (1.00, 1.5e6, 2.8e-4),
            "NMU-no-clamp": (1.00, 1.3e6, 8.8e-5)}


def test_bundled_ablation_table_is_the_papers():
    assert suite_pairs("ablation", ["mul"]) == [(family, "mul") for family in ABLATION]  # in its order
    for family, expected in ABLATION.items():
        row = published_row("ablation", family, "mul")
        assert (row["rate"], row["solved_at_median"], row["sparsity_error_mean"]) == expected
        assert row["rate_low"] is None and row["rate_high"] is None  # the table prints no interval
    table = published_table("ablation")
    assert (table["seeds"], table["steps"]) == (25, 5_000_000)  # the script's seeds 0..24


def test_ablation_suite_varies_the_nmu_as_the_script_does_and_reuses_table_1s_runs():
    runs = build_runs(parse("--suite", "ablation"))
    assert len(runs) == 6 * 25 and {r["task"]["op"] for r in runs} == {"mul"}
    of = {r["family"]: r for r in runs if r["seed"] == 3}
    nmu = of["NMU"]
    assert nmu["regularizer"] == {"regularizer": 10.0, "reg_start": 1_000_000, "reg_end": 2_000_000}
    assert "options" not in nmu  # the clamp, the default
    assert of["NMU-no-Rbias"]["regularizer"]["regularizer"] == 0.0 and "options" not in of["NMU-no-Rbias"]
    clip = [{"constraint": "clip"}, {"constraint": "clip"}]  # both layers: --oob-mode applies to the NAU too
    assert of["NMU-no-clamp"]["options"] == clip and of["NMU-no-clamp"]["regularizer"]["regularizer"] == 10.0
    assert of["NMU-no-Rbias-no-clamp"]["options"] == clip
    assert of["NMU-no-Rbias-no-clamp"]["regularizer"]["regularizer"] == 0.0
    assert nalu_ext.benchmark.run_models.network_of(of["PosNACMul"]) == ["NAC", "PosNACMul"]
    # its NAC• and NMU rows are Table 1's runs of seeds 0..24: one run id, trained once
    table1 = {run_id(r) for r in build_runs(parse("--suite", "table1", "--ops", "mul", "--seeds", "25"))}
    shared = {r["family"] for r in runs if run_id(r) in table1}
    assert shared == {"NACMul", "NMU"}
    assert sum(run_id(r) in table1 for r in runs) == 50


def test_ablation_nmu_without_clamp_is_the_clip_constraint_in_both_layers():
    spec = build_runs(parse("--suite", "ablation", "--units", "NMU-no-clamp", "--seeds", "1"))[0]
    model = nalu_ext.benchmark.sweeps.build_model(spec)
    assert [layer.constraint for layer in model.layers] == ["clip", "clip"]
    assert [type(layer).__name__ for layer in model.layers] == ["NAU", "NMU"]


# Madsen & Johansen 2020, the NALU table as printed (typed from the paper's table): rate and interval
NALU_TABLE = {("GatedNAUNMU", "mul"): (0.62, 0.52, 0.71), ("NALU-separate", "mul"): (0.22, 0.15, 0.31),
              ("NALU-shared", "mul"): (0.24, 0.17, 0.33), ("GatedNAUNMU", "add"): (0.37, 0.28, 0.47),
              ("NALU-separate", "add"): (0.51, 0.41, 0.61), ("NALU-shared", "add"): (0.34, 0.25, 0.44)}


def test_bundled_nalu_table_is_the_papers():
    assert set(suite_pairs("nalu-table", ["add", "mul"])) == set(NALU_TABLE)
    for (family, op), expected in NALU_TABLE.items():
        row = published_row("nalu-table", family, op)
        assert (row["rate"], row["rate_low"], row["rate_high"]) == expected
    assert published_row("nalu-table", "GatedNAUNMU", "add")["solved_at_median"] == 1.9e4
    assert published_table("nalu-table")["seeds"] == 100


def test_nalu_table_suite_runs_the_scripts_networks():
    runs = build_runs(parse("--suite", "nalu-table", "--seeds", "1"))
    assert {(r["family"], r["task"]["op"]) for r in runs} == set(NALU_TABLE)
    of = {r["family"]: r for r in runs if r["task"]["op"] == "mul"}
    network_of = nalu_ext.benchmark.run_models.network_of
    assert network_of(of["NALU-shared"]) == ["NAC", "NALU"] and "options" not in of["NALU-shared"]
    assert network_of(of["NALU-separate"]) == ["NAC", "NALU"]
    assert of["NALU-separate"]["options"] == [{}, {"separate_weights": True}]
    assert network_of(of["GatedNAUNMU"]) == ["NAU", "GatedNAUNMU"]
    # the script passes no --regualizer flags: both layers take the default 10 from 1e6 to 2e6
    assert of["GatedNAUNMU"]["regularizer"] == {"regularizer": 10.0, "reg_start": 1_000_000, "reg_end": 2_000_000}
    model = nalu_ext.benchmark.sweeps.build_model(of["GatedNAUNMU"])
    assert [layer.regularizer for layer in model.layers] == [10.0, 10.0]
    assert nalu_ext.benchmark.sweeps.build_model(of["NALU-separate"]).layers[1].config()["separate_weights"]


def test_comparison_table_of_a_published_row_without_interval(capsys):
    text = comparison_table(Rows(NACMul_mul=[True] * 6 + [False] * 19), "ablation")
    row = next(line for line in text.splitlines() if "NAC•" in line)
    assert "24%" in row and " - " in row  # the rates, no overlap verdict without a published interval
    assert " 1.000 " in row  # Fisher's p of 6 of 25 against the published 24% of 25
    assert "25 seeds" in text.splitlines()[-1] and "function_task_static_ablation.tex" in text
    assert "Table 1's seeds 0–24" in text


def test_appendix_operations_add_every_family():
    rows = suite_pairs("table1", ["div", "square", "sqrt"])
    assert len(rows) == 18 and {f for f, _ in rows} == {"NACMul", "NAC", "Linear", "NALU", "NAU", "NMU"}
    assert published_row("table1", "NMU", "square")["rate"] == 1.0  # the appendix table's z² row
    assert all(family in nalu_ext.UNITS for family, _ in suite_pairs("table1", ["add", "sub", "mul", "div"]))


@pytest.mark.parametrize("ours, theirs, overlap", [
    ((0.0, 0.0, 0.28), (0.0, 0.0, 0.04), True),
    ((0.5, 0.24, 0.76), (0.98, 0.93, 0.99), False),
    ((0.8, 0.49, 0.94), (0.98, 0.93, 0.99), True),
    ((0.1, 0.02, 0.40), (0.94, 0.88, 0.97), False),
])
def test_interval_overlap(ours, theirs, overlap):
    as_row = lambda t: dict(zip(("rate", "rate_low", "rate_high"), t))  # noqa: E731
    assert intervals_overlap(as_row(ours), as_row(theirs)) is overlap


class Rows:
    """A summary's rows made from verdicts, as SweepSummary makes them."""

    judge = "published"

    def __init__(self, **verdicts):
        self.rows = []
        for key, successes in verdicts.items():
            family, op = key.split("_")
            n = len(successes)
            row = stats.summarize(successes, [1000 if s else None for s in successes], [1e-6] * n)
            self.rows.append(dict(row, family=family, op=op))


def test_comparison_table_flags_rows_whose_interval_misses_the_published_one():
    text = comparison_table(Rows(NMU_mul=[False] * 10, NAU_add=[True] * 10), "table1")
    lines = {line.split()[1]: line for line in text.splitlines()[1:-1]}
    assert lines["NMU"].split()[:5] == ["×", "NMU", "10", "0", "0%"]
    assert "98%" in lines["NMU"] and " NO " in lines["NMU"]
    assert "100%" in lines["NAU"] and " yes " in lines["NAU"]
    assert text.index("×") < text.index("+")  # in the paper's order
    assert "100 seeds" in text.splitlines()[-1] and "function_task_static_all.tex" in text


def parse(*argv):
    return cli.build_parser().parse_args(["benchmark", *argv])


def test_table1_suite_runs_the_papers_rows_with_their_recipes():
    runs = build_runs(parse("--suite", "table1", "--seeds", "1"))
    assert {(r["family"], r["task"]["op"]) for r in runs} == set(TABLE_1)
    assert {r["steps"] for r in runs} == {5_000_000}
    nau = next(r for r in runs if r["family"] == "NAU")
    assert nau["regularizer"] == {"regularizer": 0.01, "reg_start": 5000, "reg_end": 50000}
    assert nau["task"]["input_size"] == 100 and nau["init"] == ["stable-nalu", "stable-nalu"]
    # the same specification as make_run's: a results file of either resumes the other
    task = nalu_ext.benchmark.tasks.ArithmeticTask("add", seed=0, threshold_rule="published")
    assert run_id(nau) == run_id(make_run("NAU", task, seed=0, steps=5_000_000))
    assert len(build_runs(parse("--suite", "table1", "--seeds", "2", "--ops", "div,square,sqrt"))) == 36


def test_toy_suite_defaults_and_overrides():
    runs = build_runs(parse("--suite", "toy"))
    assert len(runs) == 300 and {r["steps"] for r in runs} == {200_000}
    assert {r["family"] for r in runs} == {"NACMul", "NALU", "NMU"} and {r["task"]["input_size"] for r in runs} == {4}
    nmu = next(r for r in runs if r["family"] == "NMU")
    assert nmu["regularizer"]["reg_start"] == 1_000_000  # never reached in 2e5 steps, as published
    runs = build_runs(parse("--suite", "toy", "--seeds", "1", "--units", "NALU", "--init", "glorot",
                            "--lr", "0.01", "--batch-size", "64"))
    assert [(r["family"], r["init"], r["optimizer"]["lr"], r["batch_size"]) for r in runs] == [
        ("NALU", ["glorot", "glorot"], 0.01, 64)]
    runs = build_runs(parse("--pairs", "NAU:sub", "--seeds", "1", "--regularizer", "0", "--reg-end", "7"))
    assert runs[0]["regularizer"] == {"regularizer": 0.0, "reg_start": 5000, "reg_end": 7}


def test_an_init_a_unit_lacks_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as usage:
        cli.main(["benchmark", "--suite", "table1", "--init", "glorot", "--no-progress"])
    assert usage.value.code == 2
    # the NAU has a Glorot init (the NPU paper's), the NMU has not
    assert "init of the NMU layer must be one of ('stable-nalu', 'uniform'), got 'glorot'" in capsys.readouterr().err


def test_suite_prints_both_verdicts_beside_the_published_rows_and_resumes(tmp_path, capsys):
    results = tmp_path / "toy.jsonl"
    argv = ["benchmark", "--suite", "toy", "--seeds", "2", "--steps", "3000", "--units", "NMU,NALU",
            "--results", str(results), "--no-progress", "--jobs", "2"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "loaded 0 records; 0 of these 4 runs had finished, starting 4" in out
    assert out.count("published: 100 seeds") == 2
    assert out.index("success: the published selection") < out.index("success: the final model")
    assert "compute: 4 finished runs took" in out
    assert len(read_results(str(results))) == 4
    assert cli.main(argv + ["--seeds", "3"]) == 0  # one more seed: only its runs start
    assert "loaded 4 records; 4 of these 6 runs had finished, starting 2" in capsys.readouterr().out


def test_sweep_with_a_progress_bar_says_what_it_resumed(tmp_path, capsys):
    task = nalu_ext.benchmark.tasks.ToyTask(seed=0)
    runs = [make_run("NMU", task, seed=s, steps=500, log_every=250) for s in range(2)]
    results = str(tmp_path / "r.jsonl")
    nalu_ext.benchmark.sweep(runs[:1], results=results, progress=False)
    nalu_ext.benchmark.sweep(runs, results=results, progress=True)
    assert "loaded 1 records; 1 of these 2 runs had finished, starting 1" in capsys.readouterr().err


def test_results_files_are_read_with_public_helpers(tmp_path):
    task = nalu_ext.benchmark.tasks.ToyTask(seed=0)
    spec = make_run("NAU", task, seed=0, steps=300, log_every=100)
    results = str(tmp_path / "r.jsonl")
    nalu_ext.benchmark.sweep([spec], results=results, progress=False)
    records = nalu_ext.benchmark.read_results(results)
    assert list(records) == [nalu_ext.benchmark.run_id(spec)]
    record = records[nalu_ext.benchmark.run_id(spec)]
    assert record["status"] == "ok" and record["spec"] == spec and record["result"]["steps"] == 300
    summary = nalu_ext.benchmark.SweepSummary(records.values(), judge="published")
    assert summary.rows[0]["runs"] == 1 and summary.rows[0]["family"] == "NAU"


def test_success_figure_shows_a_zero_row_and_the_published_interval(tmp_path):
    pytest.importorskip("matplotlib")
    from nalu_ext.benchmark.plot import plot_success, success_figure

    summary = Rows(NALU_mul=[False] * 10, NMU_mul=[True] * 9 + [False])
    fig = success_figure(summary, "table1")
    ax = fig.axes[0]
    lines = [container.lines[0] for container in ax.containers]  # each errorbar's marker
    xs = sorted(float(line.get_xdata()[0]) for line in lines)
    assert xs == [0.0, 0.0, 90.0, 98.0]  # ours and the published NALU at 0, NMU 90 and 98
    assert ax.get_xlim()[0] < 0 and all(not line.get_clip_on() for line in lines)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["×  NALU   (10 runs, 0 reached the threshold at some log)",
                              "×  NMU   (10 runs, 9 reached the threshold at some log)"]
    path = tmp_path / "s.png"
    plot_success(summary, path, suite="table1")
    import matplotlib.image

    image = matplotlib.image.imread(str(path))[:, :, :3]
    border = np.concatenate([image[:3].reshape(-1, 3), image[-3:].reshape(-1, 3),
                             image[:, :3].reshape(-1, 3), image[:, -3:].reshape(-1, 3)])
    assert (border > 0.98).all()  # nothing drawn reaches an edge: no title or label is cut
    assert (image[: image.shape[0] // 6] < 0.5).any()  # the title is at the top


def test_wilson_bounds_match_the_published_rounding():
    """Our intervals are the Wilson intervals the published tables print: 98 of 100 -> 93%–99%,
    31 of 100 -> 23%–41%, 0 of 100 -> 0%–4%."""
    for k, (low, high) in {98: (0.93, 0.99), 31: (0.23, 0.41), 0: (0.0, 0.04)}.items():
        _, lo, hi = stats.wilson_interval(k, 100)
        assert math.isclose(round(lo, 2), low) and math.isclose(round(hi, 2), high)


@pytest.mark.parametrize("a, na, b, nb, expected", [
    (3, 4, 1, 4, 0.4857142857142857),    # Fisher's tea tasting: 34/70
    (26, 100, 13, 100, 0.03134194950562),  # issue 31's toy NAC• row, R's fisher.test and SciPy
    (0, 10, 98, 100, 1.407320384376279e-12),  # SciPy 1.17
    (10, 10, 100, 100, 1.0),
])
def test_fisher_exact_matches_the_published_test(a, na, b, nb, expected):
    assert stats.fisher_exact(a, na, b, nb) == pytest.approx(expected, rel=1e-9, abs=1e-17)


def test_fisher_exact_agrees_with_scipy_on_random_tables():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(300):
        na, nb = (int(v) for v in rng.integers(1, 120, size=2))
        a, b = int(rng.integers(0, na + 1)), int(rng.integers(0, nb + 1))
        expected = scipy_stats.fisher_exact([[a, na - a], [b, nb - b]]).pvalue
        assert stats.fisher_exact(a, na, b, nb) == pytest.approx(expected, rel=1e-9)


def test_comparison_table_gives_fishers_p_per_row_and_flags_a_difference():
    """The verdict was the overlap of intervals, which holds for almost any rate at 10 seeds (and
    called 26/100 against 13/100 agreement)."""
    text = comparison_table(Rows(NMU_mul=[False] * 10, NAU_add=[True] * 10), "table1")
    lines = {line.split()[1]: line for line in text.splitlines()[1:-2]}
    assert "Fisher p" in text.splitlines()[0]
    assert "<0.001*" in lines["NMU"]  # 0/10 against 98/100
    assert " 1.000 " in lines["NAU"]  # 10/10 against 100/100
    assert "the two-sided exact test" in text and "p < 0.01" in text


def published_thresholds():
    from importlib import resources

    text = resources.files("nalu_ext.benchmark").joinpath("data/published_thresholds.json").read_text()
    return json.loads(text)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "square", "sqrt"])
def test_the_published_rule_reproduces_the_thresholds_the_paper_was_judged_by(op):
    """The dataset's half-open 25-element subsets gave a criterion 8.6% (+), 2.6% (−), 20% (÷)
    and 13% (√) looser than the published one. Both sides are means over 10⁶ random rows: their
    difference is judged against their combined standard error (each ~0.1%)."""
    published = published_thresholds()
    assert published["source"]["file"] == "paper/results/sft-last.csv"
    expected = published["thresholds"][op]
    task = ArithmeticTask(op, seed=0, threshold_rule="published")
    assert task.threshold_subsets == ((0, 26), (13, 39))  # R's W[1:26], W[14:39]
    ours = success_threshold(task)
    # the standard error of one estimate, from the rows themselves (the test's own sums)
    x, _ = task.test(10**6, "float64")
    eps, total = 1e-5, x.sum(axis=1)
    a, b = x[:, 0:26].sum(axis=1), x[:, 13:39].sum(axis=1)
    a_eps, b_eps = (1 - eps) * a + eps * (total - a), (1 - eps) * b + eps * (total - b)
    f = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
         "square": lambda u, v: u * u, "sqrt": lambda u, v: np.sqrt(u)}[op]
    squared = (f(a_eps, b_eps) - f(a, b)) ** 2
    assert ours == pytest.approx(float(np.mean(squared)), rel=1e-12)
    se = float(np.std(squared) / np.sqrt(squared.size))
    assert abs(ours - expected) < 4 * math.sqrt(2) * se  # two independent estimates of one mean
    dataset_rule = success_threshold(ArithmeticTask(op, seed=0))
    if op != "mul" and op != "square":  # (× and z² differ by less than that)
        assert abs(dataset_rule - expected) > 10 * se  # the other rule is not the published one


def test_the_published_rule_is_part_of_a_tasks_description():
    task = ArithmeticTask("add", seed=3, threshold_rule="published")
    again = task_from_dict(json.loads(json.dumps(task.to_dict())))
    assert again.threshold_subsets == task.threshold_subsets and again.threshold_rule == "published"
    assert "threshold_subsets" not in ArithmeticTask("add", seed=3).to_dict()  # older ids unchanged
    assert ToyTask(threshold_rule="published").threshold_subsets == ((0, 2), (0, 4))  # R's "simple" case
    with pytest.raises(ValueError, match="threshold_subsets are given with the rule 'published'"):
        Task("add", 4, (0, 2), (1, 3), (1.0, 2.0), (2.0, 6.0), 0, "weights", ((0, 1), (1, 2)))


def test_the_command_line_judges_the_published_tables_by_their_thresholds_unless_told_otherwise():
    for suite in ("table1", "toy"):
        published = build_runs(parse("--suite", suite, "--seeds", "1"))
        assert {r["task"]["threshold_rule"] for r in published} == {"published"}
        weights = build_runs(parse("--suite", suite, "--seeds", "1", "--threshold", "weights"))
        assert all("threshold_rule" not in r["task"] for r in weights)  # the 10-seed results' ids
    table1 = build_runs(parse("--suite", "table1", "--ops", "add", "--seeds", "1"))
    assert all(r["task"]["threshold_subsets"] == [[0, 26], [13, 39]] for r in table1)
    arithmetic = build_runs(parse("--suite", "arithmetic", "--ops", "add", "--seeds", "1"))
    assert all("threshold_rule" not in r["task"] for r in arithmetic)


@pytest.mark.parametrize("a, b, d, p", [
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 0.0, 1.0),
    ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], 1.0, 0.1),  # 2 of the C(6, 3) = 20 orderings separate them
    ([1.0, 2.0], [3.0, 4.0, 5.0, 6.0], 1.0, 2 / 15),  # 2 of C(6, 2) = 15
    ([5.0], [5.0, 5.0, 5.0], 0.0, 1.0),  # ties: the distribution functions meet at every value
])
def test_ks_2samp_on_samples_counted_by_hand(a, b, d, p):
    assert stats.ks_2samp(a, b) == (pytest.approx(d, abs=1e-15), pytest.approx(p, rel=1e-12))


def test_ks_2samp_agrees_with_scipys_exact_test_with_and_without_ties():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for k in range(200):
        n, m = (int(v) for v in rng.integers(1, 60, size=2))
        a, b = rng.normal(size=n), rng.normal(size=m) + rng.uniform(0, 1.5)
        if k % 2:  # solved-at steps are multiples of the logging interval
            a, b = np.round(a, 1), np.round(b, 1)
        expected = scipy_stats.ks_2samp(a, b, method="exact")
        d, p = stats.ks_2samp(a, b)
        assert d == pytest.approx(expected.statistic, abs=1e-12)
        assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-14)


def test_ks_2samp_beyond_the_exact_range_is_near_scipys_exact_value():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=600), rng.normal(size=700) + 0.12
    d, p = stats.ks_2samp(a, b)
    expected = scipy_stats.ks_2samp(a, b, method="exact")
    assert d == pytest.approx(expected.statistic, abs=1e-12) and p == pytest.approx(expected.pvalue, rel=0.05)


@pytest.mark.parametrize("a, b, message", [([], [1.0], "a must be a non-empty"),
                                           ([1.0], [np.nan], "b must be .* 1 non-finite")])
def test_ks_2samp_refuses_what_it_cannot_test(a, b, message):
    with pytest.raises(ValueError, match=message):
        stats.ks_2samp(a, b)


def test_bundled_seeds_give_the_published_tables_rates_and_medians():
    """Two bundled files from two of the analysis's outputs (the LaTeX table at 3e31a1d, the per-seed
    CSV at f371c1e) agree: each row's count of solved seeds is its published rate × 100, and the
    median solved-at step is the published one to the table's two significant digits."""
    from nalu_ext.benchmark.published import published_seeds, published_seeds_source

    assert published_seeds_source()["file"] == "paper/results/sft-last.csv"
    for row in published_table("table1")["rows"]:
        seeds = published_seeds(row["family"], row["op"])
        assert seeds["seed"] == list(range(100)), (row["family"], row["op"])
        assert sum(seeds["solved"]) == round(100 * row["rate"]), (row["family"], row["op"])
        steps = [s for s, ok in zip(seeds["solved_at"], seeds["solved"]) if ok]
        if steps:
            assert float(f"{np.median(steps):.2g}") == row["solved_at_median"], (row["family"], row["op"])
    assert published_seeds("NMU", "no such op") is None


def test_comparison_table_gives_ks_p_of_solved_at_and_sparsity_per_row():
    """The same rate is not the same distribution: the KS columns compare our successful runs'
    solved-at steps and sparsity errors with the published runs'."""
    from nalu_ext.benchmark.published import published_seeds

    theirs = published_seeds("NMU", "mul")
    won = [i for i, ok in enumerate(theirs["solved"]) if ok]
    same = Rows()
    same.rows = [dict(stats.summarize([True] * len(won), [theirs["solved_at"][i] for i in won],
                                      [theirs["sparsity_error"][i] for i in won]), family="NMU", op="mul")]
    late = Rows()
    late.rows = [dict(stats.summarize([True] * 20, [4_900_000] * 20, [theirs["sparsity_error"][i] for i in won[:20]]),
                      family="NMU", op="mul")]
    header, same_line = comparison_table(same, "table1").splitlines()[:2]
    late_line = comparison_table(late, "table1").splitlines()[1]
    assert "KS p: solved at" in header
    assert same_line.split()[-2:] == ["1.000", "1.000"]
    assert late_line.split()[-2] == "<0.001*" and late_line.split()[-1] != "<0.001*"
    assert "sft-last.csv" in comparison_table(same, "table1")


def test_distribution_figure_draws_both_sides_of_each_row_with_its_ks_p(tmp_path):
    pytest.importorskip("matplotlib")
    from nalu_ext.benchmark.plot import distribution_figure, plot_distributions

    summary = Rows(NMU_mul=[True] * 9 + [False], NALU_mul=[False] * 10)  # NALU ×: no success on either side
    fig = distribution_figure(summary)
    assert len(fig.axes) == 2
    solved, sparsity = fig.axes
    assert solved.get_title(loc="left").startswith("× NMU: solved at (step), KS p = ")
    assert sparsity.get_xscale() == "log" and "sparsity error" in sparsity.get_title(loc="left")
    legend = [t.get_text() for t in solved.get_legend().get_texts()]
    assert legend == ["ours (n=9)", "published (n=98)"]
    ours = solved.lines[0].get_ydata()
    assert ours[-1] == 1.0 and len(ours) == 9  # an empirical distribution function of the nine
    path = tmp_path / "d.png"
    plot_distributions(summary, path)
    assert path.stat().st_size > 0


def test_plot_distributions_is_for_the_table1_suite(capsys):
    pytest.importorskip("matplotlib")
    with pytest.raises(SystemExit) as usage:
        cli.main(["benchmark", "--suite", "toy", "--plot-distributions", "d.png", "--no-progress"])
    assert usage.value.code == 2
    assert "--plot-distributions compares with the published seeds of Table 1" in capsys.readouterr().err
