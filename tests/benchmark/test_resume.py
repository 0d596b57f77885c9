"""Results files a long study depends on: a sweep resumes after a torn line or gzip member, its
records are strict JSON, and a path that cannot be written is refused before any run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark.sweeps import read_results, run_id
from nalu_ext.benchmark.results_file import ResultsFileWarning
from nalu_ext.benchmark.tasks import ArithmeticTask
from helpers import InlineExecutor

ISA_INDEPENDENT = True


def small_run(seed):
    return nalu_ext.benchmark.make_run("NAU", ArithmeticTask("add", input_size=10, seed=seed), seed=seed,
                             steps=300, log_every=100)


def test_resume_after_a_torn_last_line_keeps_the_next_record(tmp_path):
    """The next record used to be appended onto the fragment, so it could not be read and its run
    executed again on every later call."""
    results = tmp_path / "runs.jsonl"
    first, second = small_run(0), small_run(1)
    nalu_ext.benchmark.sweep([first], results=str(results), progress=False, executor=InlineExecutor())
    whole = results.read_text()
    results.write_text(whole + whole[: len(whole) // 2])  # a sweep killed while writing a line
    with pytest.warns(ResultsFileWarning, match="line 2 .the last. is incomplete"):
        nalu_ext.benchmark.sweep([first, second], results=str(results), progress=False, executor=InlineExecutor())
    records = read_results(str(results))
    assert set(records) == {run_id(first), run_id(second)}
    assert all(r["status"] == "ok" for r in records.values())
    mtime = results.stat().st_mtime_ns
    nalu_ext.benchmark.sweep([first, second], results=str(results), progress=False, executor=InlineExecutor())
    assert results.stat().st_mtime_ns == mtime  # nothing ran again


def test_a_gzip_results_file_resumes_and_survives_a_torn_member(tmp_path):
    """A results path ending in .gz is compressed; a sweep killed while writing a record leaves a
    torn gzip member, which reading skips and the next sweep cuts off before appending."""
    import gzip

    results = tmp_path / "runs.jsonl.gz"
    first, second, third = small_run(0), small_run(1), small_run(2)
    nalu_ext.benchmark.sweep([first], results=str(results), progress=False, executor=InlineExecutor())
    with gzip.open(results, "rt", encoding="utf-8") as f:
        assert json.loads(f.readline())["id"] == run_id(first)  # a gzip file of JSON lines
    whole = results.read_bytes()
    nalu_ext.benchmark.sweep([first, second], results=str(results), progress=False, executor=InlineExecutor())
    grown = results.read_bytes()
    assert grown.startswith(whole)  # appended, not rewritten
    results.write_bytes(grown + grown[len(whole):][:-40])  # the second record again, cut short
    with pytest.warns(ResultsFileWarning, match="an incomplete last gzip member, a record torn by a stopped sweep; ignored"):
        assert set(read_results(str(results))) == {run_id(first), run_id(second)}
    with pytest.warns(ResultsFileWarning, match="an incomplete last gzip member.*; cut off"):
        nalu_ext.benchmark.sweep([first, second, third], results=str(results), progress=False, executor=InlineExecutor())
    records = read_results(str(results))
    assert set(records) == {run_id(first), run_id(second), run_id(third)}
    with gzip.open(results, "rb") as f:
        assert f.read().count(b"\n") == 3  # readable to its end again: the torn copy is gone
    assert not any(p.name.endswith(".repair") for p in tmp_path.iterdir())


def test_records_are_strict_json_and_read_back_with_their_nans(tmp_path):
    """RunResult JSON had NaN tokens that strict parsers reject."""
    model = nalu_ext.Sequential(nalu_ext.NAC(10, 1, seed=0))
    task = ArithmeticTask("mul", input_size=10, seed=0)
    opt = nalu_ext.SGD(model.parameters(), lr=1e38)  # diverges at once: no log, NaN fields
    result = nalu_ext.benchmark.train_task(model, task, opt, steps=100, log_every=10)
    assert result.diverged and np.isnan(result.selected_test_mse)
    text = json.dumps(result.to_dict(), allow_nan=False)

    def reject(token):
        raise ValueError(f"non-standard JSON token {token}")

    data = json.loads(text, parse_constant=reject)
    again = nalu_ext.benchmark.RunResult.from_dict(data)
    assert np.isnan(again.selected_test_mse) and again.diverged and again.steps == result.steps
    np.testing.assert_array_equal(again.interpolation_mse, result.interpolation_mse)


def test_a_results_path_that_cannot_be_written_is_refused_before_any_run(tmp_path):
    calls = []

    class Recording(InlineExecutor):
        def submit(self, fn, *args):
            calls.append(args)
            return super().submit(fn, *args)

    for bad, message in [(tmp_path, "is a directory"), (tmp_path / "missing" / "r.jsonl", "does not exist")]:
        with pytest.raises(ValueError, match=message):
            nalu_ext.benchmark.sweep([small_run(0)], results=str(bad), progress=False, executor=Recording())
    assert calls == []
