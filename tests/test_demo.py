"""The main job: the seed article's demo, and the command line around it."""

from __future__ import annotations

import builtins
import subprocess
import sys

import numpy as np
import pytest

from nalu_ext import cli, demo


@pytest.fixture(scope="module")
def results():
    lines = []
    return demo.run(out=lines.append), "\n".join(lines)


def test_nac_learns_addition_and_extrapolates(results):
    experiments, _ = results
    nac = experiments["NAC"]
    assert np.max(np.abs(nac.weights - 1.0)) < 1e-3
    assert nac.max_relative_error[list(demo.SETS)[1]] < 1e-4
    assert nac.passed


def test_nalu_learns_multiplication_and_extrapolates(results):
    experiments, _ = results
    nalu = experiments["NALU"]
    assert nalu.max_relative_error[list(demo.SETS)[1]] < 1e-2
    assert nalu.passed


def test_extrapolation_set_lies_outside_the_training_range():
    assert demo.EXTRAPOLATION.min() > demo.TRAIN.max()
    assert demo.ARTICLE_TEST.min() >= demo.TRAIN.min() and demo.ARTICLE_TEST.max() <= demo.TRAIN.max()


def test_report_names_weights_and_both_test_sets(results):
    _, text = results
    assert "learned W = [" in text
    assert "article test set" in text and "extrapolation set" in text


def test_short_demo_through_the_cli_writes_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status = cli.main(["demo", "--nac-steps", "50", "--nalu-steps", "50", "--plot-dir", str(tmp_path)])
    assert status == 1  # 50 steps are not enough to learn: the demo says so in its exit status
    out = capsys.readouterr().out
    assert "NOT learned" in out
    for name in ("nac_cost.png", "nalu_cost.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_matplotlib_is_a_one_line_note(tmp_path, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    cli.main(["demo", "--nac-steps", "5", "--nalu-steps", "5", "--plot-dir", str(tmp_path / "p")])
    out = capsys.readouterr().out
    assert "note: no plots written: plotting needs matplotlib: pip install matplotlib (nalu_ext's [plot] extra)" in out
    assert "Traceback" not in out


def test_help_documents_every_command():
    top = subprocess.run([sys.executable, "-m", "nalu_ext", "--help"], capture_output=True, text=True)
    assert top.returncode == 0 and "demo" in top.stdout and "benchmark" in top.stdout
    sub = subprocess.run([sys.executable, "-m", "nalu_ext", "demo", "--help"], capture_output=True, text=True)
    assert sub.returncode == 0
    for option in ("--plot-dir", "--nac-steps", "--nalu-steps", "--seed", "--progress"):
        assert option in sub.stdout
    bad = subprocess.run([sys.executable, "-m", "nalu_ext", "demo", "--nac-steps", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "must be a positive integer" in bad.stderr


def test_benchmark_command_runs_resumes_and_reports(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    results, plot = tmp_path / "b.jsonl", tmp_path / "b.png"
    argv = ["benchmark", "--units", "NAU,NMU", "--ops", "add,mul", "--seeds", "2", "--steps", "2000",
            "--log-every", "1000", "--jobs", "2", "--results", str(results), "--plot", str(plot),
            "--no-progress"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "benchmark: 8 runs" in out and "95% interval" in out and "NMU" in out
    assert len(results.read_text().splitlines()) == 8
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(argv) == 0  # resumed: nothing left to run, the same table
    assert len(results.read_text().splitlines()) == 8
    capsys.readouterr()
    assert cli.main(argv + ["--judge", "published"]) == 0  # the same runs judged the published way
    assert "published selection" in capsys.readouterr().out
    assert len(results.read_text().splitlines()) == 8
    with pytest.raises(SystemExit) as usage:
        cli.main(["benchmark", "--units", "LSTM", "--no-progress"])
    assert usage.value.code == 2 and "unknown unit family 'LSTM'" in capsys.readouterr().err


def test_benchmark_pairs_select_unit_operation_combinations():
    from nalu_ext.benchmark.cli import build_runs
    from nalu_ext.errors import UsageError

    def runs(*argv):
        args = cli.build_parser().parse_args(["benchmark", "--seeds", "2", "--steps", "10", *argv])
        return [(r["family"], r["task"]["op"], r["seed"]) for r in build_runs(args)]

    assert runs("--pairs", "NAU:add,NMU:mul") == [("NAU", "add", 0), ("NMU", "mul", 0),
                                                  ("NAU", "add", 1), ("NMU", "mul", 1)]
    assert sorted(runs("--units", "NAU,NMU", "--ops", "add,mul")) == sorted(
        (f, o, s) for f in ("NAU", "NMU") for o in ("add", "mul") for s in (0, 1))
    assert runs("--suite", "toy", "--units", "NAU,NALU") == [("NAU", "mul", 0), ("NALU", "mul", 0),
                                                             ("NAU", "mul", 1), ("NALU", "mul", 1)]
    with pytest.raises(UsageError, match="FAMILY:OP items, got 'NAU'"):
        runs("--pairs", "NAU")
    with pytest.raises(UsageError, match="unknown operation 'pow'"):
        runs("--pairs", "NAU:pow")


def test_plotting_leaves_the_users_matplotlib_backend_alone(tmp_path):
    """A figure is drawn on its own canvas: the backend a user chose stays, and pyplot's figure
    list stays empty."""
    code = ("import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt\n"
            "import numpy as np\n"
            "from nalu_ext import plot\n"
            "from nalu_ext.train import History\n"
            f"plot.plot_cost(History(np.array([3.0, 2.0, 1.0]), 3), {str(tmp_path / 'c.png')!r}, 't')\n"
            "print(matplotlib.get_backend(), len(plt.get_fignums()))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg", "0"]
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
