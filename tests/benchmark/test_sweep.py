"""sweep: plain-data runs, executors, the results file, resuming, failures, the summary."""

from __future__ import annotations

import concurrent.futures as cf
import json
import math

import pytest

import nalu_ext
from nalu_ext.benchmark import sweeps as sw
from nalu_ext.benchmark.results_file import ResultsFileWarning
from nalu_ext.benchmark.tasks import ArithmeticTask
from helpers import InlineExecutor

ISA_INDEPENDENT = True  # orchestration: the kernels are tested elsewhere


def small_runs(seeds=range(3), steps=3000):
    """Small, fast runs: 10 inputs, lr 1e-2 and a mild early regularizer (NMU learns x here in
    20000 steps; the published λ̂ = 10 schedule of make_run's defaults is for 5·10⁶-step runs)."""
    return [nalu_ext.benchmark.make_run(f, ArithmeticTask(op, input_size=10, subset_ratio=0.2, seed=s), seed=s,
                              steps=steps, lr=1e-2, log_every=1000, regularizer=0.01,
                              reg_start=steps // 10, reg_end=steps // 5)
            for f, op in (("NAU", "add"), ("NMU", "mul")) for s in seeds]


def results_by_id(path):
    return {k: v["result"] for k, v in sw.read_results(str(path)).items()}


def test_runs_are_plain_data():
    spec = small_runs()[0]
    assert json.loads(json.dumps(spec)) == spec
    assert sw.run_id(spec) == sw.run_id(json.loads(json.dumps(spec)))


def test_same_results_serially_in_threads_and_in_processes(tmp_path):
    runs = small_runs(seeds=range(2), steps=2000)
    nalu_ext.benchmark.sweep(runs, executor=InlineExecutor(), results=str(tmp_path / "serial.jsonl"), progress=False)
    nalu_ext.benchmark.sweep(runs, results=str(tmp_path / "threads.jsonl"), progress=False)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        nalu_ext.benchmark.sweep(runs, executor=pool, results=str(tmp_path / "processes.jsonl"), progress=False)
    serial = results_by_id(tmp_path / "serial.jsonl")
    for other in ("threads.jsonl", "processes.jsonl"):
        got = results_by_id(tmp_path / other)
        assert got.keys() == serial.keys()
        for rid in serial:
            for key in ("train_loss", "extrapolation_mse", "interpolation_mse", "success", "solved_at",
                        "sparsity_error", "test_mse"):
                assert got[rid][key] == serial[rid][key], (other, key)


def test_interrupted_sweep_resumes_with_only_the_missing_runs(tmp_path):
    runs = small_runs()
    full = tmp_path / "full.jsonl"
    complete = nalu_ext.benchmark.sweep(runs, results=str(full), progress=False)
    lines = full.read_text().splitlines()
    partial = tmp_path / "partial.jsonl"
    partial.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])  # a torn last line
    counting = InlineExecutor()
    with pytest.warns(ResultsFileWarning, match="line 4 .the last. is incomplete, a record torn by a stopped sweep; cut off"):
        resumed = nalu_ext.benchmark.sweep(runs, executor=counting, results=str(partial), progress=False)
    assert counting.calls == len(runs) - 3
    assert resumed.rows == complete.rows
    assert str(resumed) == str(complete)


def test_a_failing_run_is_recorded_and_retried_without_stopping_the_others(tmp_path):
    runs = small_runs(seeds=range(2), steps=1000)
    broken = json.loads(json.dumps(runs[0]))
    broken["optimizer"]["lr"] = -1.0  # the optimizer refuses it when the run starts
    path = tmp_path / "r.jsonl"
    summary = nalu_ext.benchmark.sweep(runs[1:] + [broken], results=str(path), progress=False)
    records = sw.read_results(str(path))
    assert records[sw.run_id(broken)]["status"] == "failed"
    assert "lr must be a finite number >= 0" in records[sw.run_id(broken)]["error"]
    assert sum(r["status"] == "ok" for r in records.values()) == len(runs) - 1
    assert summary.failed == 1 and "1 runs failed" in str(summary)
    counting = InlineExecutor()
    nalu_ext.benchmark.sweep(runs[1:] + [broken], executor=counting, results=str(path), progress=False)
    assert counting.calls == 1  # only the failed run is tried again


def test_summary_rows_and_table():
    summary = nalu_ext.benchmark.sweep(small_runs(steps=20000), executor=InlineExecutor(), progress=False)
    rows = {(r["family"], r["op"]): r for r in summary.rows}
    assert set(rows) == {("NAU", "add"), ("NMU", "mul")}
    for r in rows.values():
        assert r["runs"] == 3 and 0.0 <= r["rate_low"] <= r["rate"] <= r["rate_high"] <= 1.0
    assert rows[("NMU", "mul")]["successes"] >= 2
    assert "95% interval" in str(summary) and "NMU" in str(summary)


def test_bad_specifications():
    task = ArithmeticTask("add", seed=0)
    with pytest.raises(ValueError, match="family must be one of"):
        nalu_ext.benchmark.make_run("LSTM", task, seed=0, steps=10)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        nalu_ext.benchmark.make_run("NAU", task, seed=0, steps=10, optimizer="Adagrad")


def fake_record(family, success, interp, extrap, threshold=1.0):
    """A results-file record written before RunResult had the published verdict fields."""
    result = {"success": success, "solved_at": None, "sparsity_error": 0.0, "threshold": threshold,
              "interpolation_mse": interp, "extrapolation_mse": extrap}
    spec = {"family": family, "task": {"op": "add", "interpolation": [[1.0, 2.0]], "input_size": 100}}
    return {"id": family, "spec": spec, "status": "ok", "result": result}


def test_summary_judges_the_final_or_the_published_model():
    # the final model misses the threshold, the best-validation model of the run is below it
    records = [fake_record("NAU", False, [3.0, 1.0, 2.0], [5.0, 0.5, 4.0])]
    final = sw.SweepSummary(records)
    published = sw.SweepSummary(records, judge="published")
    assert final.rows[0]["successes"] == 0 and published.rows[0]["successes"] == 1
    assert "final model" in str(final) and "published selection" in str(published)
    with pytest.raises(ValueError, match="judge must be one of"):
        sw.SweepSummary(records, judge="best")
    with pytest.raises(ValueError, match="judge must be one of"):
        nalu_ext.benchmark.sweep([], judge="best")


def test_summary_reports_the_sparsity_of_the_judged_model():
    record = fake_record("NAU", True, [3.0, 1.0, 2.0], [0.5, 0.5, 0.5])
    record["result"]["sparsity_error"] = 1e-6                      # the final model's
    assert sw.SweepSummary([record]).rows[0]["sparsity_error_mean"] == 1e-6
    # a record written before the curve existed: the selected model's sparsity is unknown
    assert sw.judged(record["result"], "published") == (True, pytest.approx(math.nan, nan_ok=True))
    assert sw.SweepSummary([record], judge="published").rows[0]["sparsity_error_mean"] is None
    record["result"]["sparsity_error_curve"] = [0.3, 0.2, 1e-6]     # the selection is log 1
    assert sw.SweepSummary([record], judge="published").rows[0]["sparsity_error_mean"] == 0.2


def test_the_benchmark_report_names_the_runs_that_diverged():
    from nalu_ext.benchmark.cli import divergence_note

    task = ArithmeticTask("mul", input_size=10, seed=0)
    calm = nalu_ext.benchmark.make_run("NAC", task, seed=0, steps=200, log_every=100, lr=1e-3)
    wild = nalu_ext.benchmark.make_run("NAC", task, seed=1, steps=200, log_every=100, optimizer="SGD", lr=1e38)
    summary = nalu_ext.benchmark.sweep([calm, wild], executor=InlineExecutor(), progress=False)
    diverged = [r for r in summary.records if r["result"]["diverged"]]
    assert [r["spec"]["seed"] for r in diverged] == [1]
    steps = diverged[0]["result"]["steps"]
    assert steps < 200
    assert divergence_note(summary) == (
        "note: 1 run diverged (a non-finite update, not applied; judged on the last good parameters): "
        f"NAC × seed 1 after {steps} steps")
    assert divergence_note(nalu_ext.benchmark.sweep([calm], executor=InlineExecutor(), progress=False)) == ""
