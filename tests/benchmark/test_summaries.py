"""Compact summaries: what a study commits instead of its raw runs keeps every verdict, makes the
same tables, resumes a sweep, and is written the same way twice."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

import nalu_ext
from nalu_ext import cli
from nalu_ext.benchmark import summaries
from nalu_ext.benchmark.published import comparison_table
from nalu_ext.benchmark.sweeps import SweepSummary, read_results, run_id
from nalu_ext.benchmark.tasks import ArithmeticTask
from helpers import InlineExecutor

ISA_INDEPENDENT = True

STEPS, LOG_EVERY, POINTS = 3000, 10, 50  # 300 logs, thinned to about 50


def runs(seeds=range(4)):
    return [nalu_ext.benchmark.make_run(family, ArithmeticTask(op, input_size=10, subset_ratio=0.2, seed=s),
                                        seed=s, steps=STEPS, lr=1e-2, log_every=LOG_EVERY, regularizer=0.01,
                                        reg_start=STEPS // 10, reg_end=STEPS // 5)
            for family, op in (("NAU", "add"), ("NMU", "mul"), ("NAC", "sub")) for s in seeds]


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    path = tmp_path_factory.mktemp("raw") / "runs.jsonl.gz"
    nalu_ext.benchmark.sweep(runs(), results=str(path), progress=False)
    return str(path)


VERDICT_FIELDS = ("steps", "success", "solved_at", "sparsity_error", "threshold", "test_mse", "diverged", "seconds",
                  "selected_step", "selected_test_mse", "selected_success", "selected_sparsity_error", "restarts")


def test_a_summary_keeps_every_verdict_and_thins_the_curves(raw):
    records = read_results(raw)
    assert len(records) == 12
    for record in records.values():
        full, summary = record["result"], summaries.summarize_record(record, POINTS)["result"]
        assert {name: summary[name] for name in VERDICT_FIELDS} == {name: full[name] for name in VERDICT_FIELDS}
        assert summary["thinned"] == len(full["logged_steps"]) == STEPS // LOG_EVERY
        steps = summary["logged_steps"]
        assert POINTS <= len(steps) <= POINTS + 2 and steps == sorted(set(steps)) and set(steps) <= set(full["logged_steps"])
        assert steps[0] == full["logged_steps"][0] and steps[-1] == full["logged_steps"][-1]
        for step in (full["selected_step"], full["solved_at"]):
            assert step is None or step in steps
        index = [full["logged_steps"].index(s) for s in steps]
        for name in summaries.CURVES:
            got = np.array(summary[name], dtype=float)
            expected = np.array(full[name], dtype=float)[index]
            np.testing.assert_allclose(got, expected, rtol=5e-4)  # four significant digits
        assert record["spec"] == summaries.summarize_record(record, POINTS)["spec"]


def test_the_tables_of_the_summaries_are_the_tables_of_the_runs(raw, tmp_path):
    written = summaries.summarize_into([raw], str(tmp_path / "study"), POINTS)
    assert written == {"NAU-add.jsonl.gz": 4, "NMU-mul.jsonl.gz": 4, "NAC-sub.jsonl.gz": 4}
    full, summary = read_results(raw), read_results(str(tmp_path / "study"))
    assert full.keys() == summary.keys()
    for judge in ("final", "published"):
        assert str(SweepSummary(full.values(), judge)) == str(SweepSummary(summary.values(), judge))
        assert comparison_table(SweepSummary(full.values(), judge), "table1") == \
            comparison_table(SweepSummary(summary.values(), judge), "table1")


def test_summarising_again_writes_the_same_bytes_and_keeps_what_was_there(raw, tmp_path):
    study = tmp_path / "study"
    summaries.summarize_into([raw], str(study), POINTS)
    before = {p.name: p.read_bytes() for p in study.iterdir()}
    summaries.summarize_into([raw, str(study)], str(study), POINTS)  # a summary summarised is itself
    assert {p.name: p.read_bytes() for p in study.iterdir()} == before
    with gzip.open(study / "NAU-add.jsonl.gz", "rt") as f:
        ids = [json.loads(line)["id"] for line in f]
    assert ids == sorted(ids)
    # a later file with a failed record of a finished run does not replace it; new runs are added
    first = next(iter(read_results(raw).values()))
    failed = tmp_path / "later.jsonl"
    failed.write_text(json.dumps({"id": first["id"], "spec": first["spec"], "status": "failed", "error": "x"}) + "\n")
    extra = runs(seeds=[9])[0]
    nalu_ext.benchmark.sweep([extra], results=str(failed), progress=False, executor=InlineExecutor())
    assert summaries.summarize_into([str(failed)], str(study), POINTS)["NAU-add.jsonl.gz"] == 5
    merged = read_results(str(study))
    assert merged[first["id"]]["status"] == "ok" and merged[run_id(extra)]["status"] == "ok"


def test_a_sweep_resumes_from_summaries_without_writing_to_them(raw, tmp_path):
    study = tmp_path / "study"
    summaries.summarize_into([raw], str(study), POINTS)
    before = {p.name: p.read_bytes() for p in study.iterdir()}
    new = tmp_path / "new.jsonl"
    more = runs(seeds=range(5))  # one seed more per row
    summary = nalu_ext.benchmark.sweep(more, results=str(new), progress=False, resume_from=[str(study)],
                                       executor=InlineExecutor())
    assert {r["spec"]["seed"] for r in read_results(str(new)).values()} == {4}  # only the missing runs ran
    assert len(summary.records) == 15
    assert {p.name: p.read_bytes() for p in study.iterdir()} == before


def test_the_command_line_summarises_and_prints_a_study_from_its_summaries(tmp_path, capsys):
    study, raw = tmp_path / "study", tmp_path / "raw.jsonl.gz"
    command = ["benchmark", "--pairs", "NAU:add,NMU:mul", "--seeds", "2", "--steps", "3000", "--log-every", "10",
               "--no-progress", "--jobs", "1"]
    assert cli.main(command + ["--results", str(raw)]) == 0
    trained, err = capsys.readouterr()
    assert "run/s" not in err and "s/run" not in err and "%|" not in err  # --no-progress: no bar
    assert cli.main(["summarize", str(raw), "--into", str(study)]) == 0  # 300 logs: thinned to 200
    assert capsys.readouterr().out == f"summarize: 4 runs in 2 files in {study}\n"
    assert cli.main(command + ["--resume-from", str(study)]) == 0
    printed = capsys.readouterr().out
    assert f"resuming from {study}: loaded 4 records; 4 of these 4 runs had finished, starting 0" in printed
    table = lambda out: out[out.index("unit"):out.index("compute:")]  # noqa: E731
    assert table(printed) == table(trained)
    # a study under way: --report-only prints the rows of what has finished and trains nothing
    assert cli.main([*command[:4], "3", *command[5:], "--resume-from", str(study), "--report-only",
                     "--results", str(tmp_path / "nothing.jsonl")]) == 0
    partial = capsys.readouterr().out
    assert "--report-only: the 4 of them that have finished" in partial and table(partial) == table(trained)
    # several sources: each says what it holds, one line what all of them leave to start
    nothing = str(tmp_path / "nothing.jsonl")
    assert f"resuming from {nothing}: loaded 0 records; 0 of these 6 runs had finished there\n" in partial
    assert f"resuming from {study}: loaded 4 records; 4 of these 6 runs had finished there\n" in partial
    assert "benchmark: 4 of these 6 runs had finished, starting 2\n" in partial
    assert "starting 6" not in partial
    assert not (tmp_path / "nothing.jsonl").exists() or not (tmp_path / "nothing.jsonl").read_text()


def test_the_command_line_refuses_what_it_cannot_summarise(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["summarize", str(tmp_path / "missing.jsonl"), "--into", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "does not exist" in capsys.readouterr().err
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_text('{"id": 1}\n')
    with pytest.raises(SystemExit) as exit_:
        cli.main(["summarize", str(not_gzip), "--into", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "is not gzip" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["benchmark", "--resume-from", str(tmp_path / "missing")])
    assert "does not exist" in capsys.readouterr().err


def test_a_results_file_and_its_summaries_are_the_same_data_frame(raw, tmp_path):
    pytest.importorskip("pandas")
    from nalu_ext.benchmark import results_frame

    frame = results_frame(raw)
    records = read_results(raw)
    assert len(frame) == 12 and list(frame["id"]) == sorted(records)
    first = records[frame["id"][0]]
    row = frame.iloc[0]
    assert row["family"] == first["spec"]["family"] and row["task.op"] == first["spec"]["task"]["op"]
    assert row["selected_success"] == first["result"]["selected_success"]
    assert row["solved_at"] == first["result"]["solved_at"] or first["result"]["solved_at"] is None
    assert "interpolation_mse" not in frame.columns  # the curves stay in the records
    summaries.summarize_into([raw], str(tmp_path / "study"), POINTS)
    from_summaries = results_frame(str(tmp_path / "study"))
    assert list(from_summaries["thinned"]) == [STEPS // LOG_EVERY] * 12
    assert from_summaries.drop(columns="thinned").equals(frame)
