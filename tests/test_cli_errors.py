"""The command line says what is wrong as a usage error (exit 2) before any work, and its exit
status tells whether the work succeeded (0), failed (1) or was interrupted (130)."""

from __future__ import annotations

import importlib.util
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
