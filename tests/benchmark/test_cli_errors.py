"""The command line says what is wrong as a usage error (exit 2) before any work, and its exit
status tells whether the work succeeded (0), failed (1) or was interrupted (130)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

import pytest

ISA_INDEPENDENT = True

SMALL = ["--units", "NAU", "--ops", "add", "--seeds", "2", "--steps", "200", "--log-every", "100",
         "--no-progress"]


def nalu_ext_cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nalu_ext", *argv], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.huge_allocation
def test_every_run_failing_is_exit_status_1_with_the_error():
    """It exited 0 and said 'see the results file' when there was none."""
    out = nalu_ext_cli("benchmark", *SMALL, "--batch-size", str(10**12))
    assert out.returncode == 1, out.stderr
    assert "2 runs failed; the first error: MemoryError: train_task: a batch of 1000000000000 rows" in out.stdout
    assert "see the results file" not in out.stdout and "2 of 2 runs failed" in out.stderr


@pytest.mark.parametrize("argv, message", [
    (["benchmark", *SMALL, "--lr", "-1"], "argument --lr: must be a finite number > 0, got -1"),
    (["benchmark", *SMALL, "--lr", "nan"], "argument --lr: must be a finite number > 0, got nan"),
    (["benchmark", *SMALL, "--units", ""], "no unit/operation pairs selected"),
    (["benchmark", *SMALL, "--units", "NAU,Cosine"], "unknown unit family 'Cosine' (known: "),
    (["benchmark", *SMALL, "--units", "no_such_module_here:build"],
     "cannot import the PyTorch model factory 'no_such_module_here:build'" if importlib.util.find_spec("torch")
     else "no_such_module_here:build: a PyTorch model factory needs PyTorch"),
    (["benchmark", *SMALL, "--pairs", ":add"], "--pairs takes FAMILY:OP items, got ':add'"),
    (["benchmark", *SMALL, "--results", "/nonexistent-dir/runs.jsonl"], "argument --results: path '/nonexistent-dir/runs.jsonl': the directory"),
    (["benchmark", *SMALL, "--results", "/tmp"], "argument --results: path '/tmp' is a directory"),
    (["benchmark", *SMALL, "--plot", "/nonexistent-dir/p.png"], "argument --plot: path '/nonexistent-dir/p.png': the directory"),
    (["benchmark", *SMALL, "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1"],
     "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"),
    (["demo", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["demo", "--plot-dir", __file__], "exists and is not a directory"),
], ids=["negative lr", "nan lr", "no units", "unknown unit", "unimportable factory", "pair without family", "results in a missing directory", "results a directory",
        "plot in a missing directory", "unreachable scheduler", "negative seed", "plot dir a file"])
def test_bad_arguments_are_usage_errors_before_any_work(argv, message):
    """Each of these printed a traceback (some only after the whole sweep or a 30 s wait) or ran
    nothing and exited 0."""
    start = time.perf_counter()
    out = nalu_ext_cli(*argv)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert message in out.stderr and "Traceback" not in out.stderr
    assert "runs (arithmetic suite" not in out.stdout or "scheduler" in message  # no sweep started
    assert time.perf_counter() - start < 20


@pytest.mark.parametrize("option, path", [("--results", "/proc/self/runs.jsonl"), ("--plot", "/proc/self/p.png")])
def test_a_path_in_a_directory_that_cannot_be_written_is_a_usage_error(option, path):
    """The check only asked whether the directory existed: --plot under /proc/self failed after
    the whole sweep, with a traceback (and root passes os.access on such a directory)."""
    out = nalu_ext_cli("benchmark", *SMALL, option, path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert f"argument {option}: path {path!r}: cannot write in '/proc/self'" in out.stderr
    assert "runs (arithmetic suite" not in out.stdout


def test_plot_without_matplotlib_is_a_usage_error_before_any_run(tmp_path):
    """Every run trained, then a note said no plot was written, exit 0."""
    blocked = "import sys; sys.modules['matplotlib'] = None; from nalu_ext.cli import main; sys.exit(main())"
    out = subprocess.run([sys.executable, "-c", blocked, "benchmark", *SMALL, "--plot", str(tmp_path / "p.png")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "argument --plot: plotting needs matplotlib: pip install matplotlib (nalu_ext's [plot] extra)" in out.stderr
    assert "runs (arithmetic suite" not in out.stdout


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")
def test_plot_in_a_format_matplotlib_cannot_write_is_a_usage_error(tmp_path):
    out = nalu_ext_cli("benchmark", *SMALL, "--plot", str(tmp_path / "p.docx"))
    assert out.returncode == 2 and "cannot write a figure as .docx: matplotlib writes " in out.stderr


def test_output_cut_short_by_its_reader_ends_quietly_with_every_run_recorded(tmp_path):
    """``benchmark … | head -1`` ended with a BrokenPipeError traceback. Unbuffered, the first
    line reaches ``head``, which exits; the report after the sweep then meets the closed pipe."""
    results = tmp_path / "runs.jsonl"
    command = " ".join([sys.executable, "-m", "nalu_ext", "benchmark", *SMALL[:-1], "--steps", "3000",
                        "--results", str(results)])
    out = subprocess.run(["bash", "-c", f"{command} | head -1; exit ${{PIPESTATUS[0]}}"], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "Traceback" not in out.stderr and "BrokenPipeError" not in out.stderr, out.stderr
    assert out.returncode == 1 and out.stdout.startswith("benchmark: 2 runs")
    assert len(results.read_text().splitlines()) == 2


def test_a_closed_stderr_with_the_default_progress_bar_still_runs_and_records(tmp_path):
    """With stderr closed (``2>&-``) the progress bar died with AttributeError, nothing recorded."""
    results = tmp_path / "runs.jsonl"
    command = " ".join([sys.executable, "-m", "nalu_ext", "benchmark", *SMALL[:-1], "--results", str(results)])
    out = subprocess.run(["bash", "-c", f"{command} 2>&-"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout
    assert "NAU" in out.stdout and len(results.read_text().splitlines()) == 2
