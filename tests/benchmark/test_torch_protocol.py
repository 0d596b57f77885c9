"""PyTorch models in the benchmark protocol: train_task and sweep take them, on the same C++ task
data, judged alike (skipped when torch is not installed)."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

import nalu_ext
from nalu_ext.errors import Interrupted
from nalu_ext.benchmark.tasks import ArithmeticTask

torch = pytest.importorskip("torch")
nt = pytest.importorskip("nalu_ext.torch")
torch_runs = pytest.importorskip("nalu_ext.benchmark.torch_runs")

ISA_INDEPENDENT = True  # the Python loop; the kernels under it are tested per path in test_torch_bridge.py
TASK = ArithmeticTask("add", input_size=10, seed=3)


class PlainNAU(torch.nn.Module):
    """A NAU → NAU written in plain PyTorch: clamped weights, the linear sparsity regularizer on a
    schedule, clamping after each step (stable-nalu's layer/re_regualized_linear_nac.py)."""

    def __init__(self, in_features, seed=0, hidden=2, regularizer=0.0, reg_start=0, reg_end=1):
        super().__init__()
        rng = np.random.default_rng(seed)
        r1 = min(0.5, np.sqrt(3.0) * np.sqrt(2.0 / (in_features + hidden)))
        r2 = min(0.5, np.sqrt(3.0) * np.sqrt(2.0 / (hidden + 1)))
        self.W1 = torch.nn.Parameter(torch.tensor(rng.uniform(-r1, r1, (hidden, in_features)), dtype=torch.float32))
        self.W2 = torch.nn.Parameter(torch.tensor(rng.uniform(-r2, r2, (1, hidden)), dtype=torch.float32))
        self.schedule = (regularizer, reg_start, reg_end)

    def forward(self, x):
        return torch.nn.functional.linear(torch.nn.functional.linear(x, self.W1.clamp(-1, 1)), self.W2.clamp(-1, 1))

    def regularizer(self, step):
        lam, start, end = self.schedule
        scale = max(0.0, min(1.0, (step - start) / max(end - start, 1)))
        return lam * scale * sum(torch.min(w.abs(), (1 - w.abs()).abs()).mean() for w in (self.W1, self.W2))

    def after_update(self):
        with torch.no_grad():
            self.W1.clamp_(-1, 1)
            self.W2.clamp_(-1, 1)

    def effective_weights(self):
        return [self.W1.clamp(-1, 1), self.W2.clamp(-1, 1)]


def compiled_nau(in_features, seed=0, dtype="float64"):
    """The nalu_ext.torch modules of a NAU → NAU, on the schedule of the compiled run below."""
    return torch.nn.Sequential(nt.NAU(in_features, 2, seed=seed, dtype=dtype, regularizer=0.1, reg_start=200, reg_end=600),
                               nt.NAU(2, 1, seed=seed + 1, dtype=dtype, regularizer=0.1, reg_start=200, reg_end=600))


def test_the_compiled_units_in_torch_follow_the_compiled_run():
    """The same kernels, data, schedule and Adam rule through the Python loop: the curves of the
    compiled loop (float64; the two Adams round differently in the last bits)."""
    steps = 1500
    torch_model = compiled_nau(10, seed=5)
    torch_result = nalu_ext.benchmark.train_task(torch_model, TASK, torch.optim.Adam(torch_model.parameters(), lr=1e-2),
                                       steps=steps, log_every=100)
    model = nalu_ext.Sequential(*(nalu_ext.NAU(i, o, seed=s, dtype="float64", regularizer=0.1, reg_start=200,
                                               reg_end=600) for i, o, s in ((10, 2, 5), (2, 1, 6))))
    result = nalu_ext.benchmark.train_task(model, TASK, nalu_ext.Adam(model.parameters(), lr=1e-2), steps=steps, log_every=100)
    assert isinstance(torch_result, nalu_ext.benchmark.RunResult) and torch_result.steps == steps
    np.testing.assert_array_equal(torch_result.logged_steps, result.logged_steps)
    np.testing.assert_allclose(torch_result.interpolation_mse, result.interpolation_mse, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(torch_result.sparsity_error_curve, result.sparsity_error_curve, rtol=1e-6, atol=1e-9)
    assert torch_result.success == result.success and torch_result.threshold == result.threshold


def test_a_plain_pytorch_unit_is_judged_like_a_compiled_one():
    model = PlainNAU(10, seed=1, regularizer=0.01, reg_start=500, reg_end=1000)
    result = nalu_ext.benchmark.train_task(model, TASK, torch.optim.Adam(model.parameters(), lr=1e-2), steps=3000,
                                 log_every=500)
    assert list(result.logged_steps) == [500, 1000, 1500, 2000, 2500, 3000]
    assert result.extrapolation_mse[-1] < result.extrapolation_mse[0]
    W = model.W1.detach().numpy()
    assert W.min() >= -1 and W.max() <= 1  # after_update ran
    sparsity = max(np.max(np.minimum(np.abs(w), np.abs(1 - np.abs(w)))) for w in
                   (W, model.W2.detach().numpy()))
    assert result.sparsity_error == pytest.approx(sparsity)


def test_a_sweep_mixes_compiled_and_pytorch_runs_and_resumes(tmp_path):
    results = str(tmp_path / "mixed.jsonl")
    compiled = [nalu_ext.benchmark.make_run("NAU", TASK, seed=s, steps=600, log_every=200, lr=1e-2) for s in range(2)]
    plain = [torch_runs.make_run(PlainNAU, TASK, seed=s, steps=600, log_every=200, lr=1e-2, family="torch NAU",
                         kwargs={"regularizer": 0.01, "reg_start": 5000, "reg_end": 50000}) for s in range(2)]
    summary = nalu_ext.benchmark.sweep(compiled + plain, results=results, progress=False)
    assert {(r["family"], r["runs"]) for r in summary.rows} == {("NAU", 2), ("torch NAU", 2)}
    records = nalu_ext.benchmark.read_results(results)
    assert len(records) == 4 and all(r["status"] == "ok" for r in records.values())
    assert {r["spec"].get("factory") for r in records.values()} == {None, "test_torch_protocol:PlainNAU"}
    again = nalu_ext.benchmark.sweep(compiled + plain, results=results, progress=False)  # nothing runs again
    assert len(nalu_ext.benchmark.read_results(results)) == 4 and again.rows == summary.rows
    # the same specification gives the same result
    rerun = nalu_ext.benchmark.sweeps.execute(plain[0])
    assert rerun["result"]["interpolation_mse"] == records[rerun["id"]]["result"]["interpolation_mse"]


FACTORY_MODULE = """
import torch

def plain_nau(in_features, seed):
    return torch.nn.Sequential(torch.nn.Linear(in_features, 2, bias=False), torch.nn.Linear(2, 1, bias=False))
"""


def test_the_benchmark_command_runs_a_pytorch_factory_beside_the_compiled_units(tmp_path):
    """--units takes MODULE:FACTORY items: the same runs, table, figure and resumption."""
    (tmp_path / "my_units.py").write_text(FACTORY_MODULE, encoding="utf-8")
    argv = [sys.executable, "-m", "nalu_ext", "benchmark", "--units", "NAU,my_units:plain_nau", "--ops", "add",
            "--seeds", "2", "--steps", "400", "--log-every", "200", "--results", "runs.jsonl",
            "--plot", "rates.png", "--no-progress"]
    first = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    def table(out):
        return [line for line in out.splitlines() if line.split()[:1] in (["NAU"], ["my_units:plain_nau"])]
    assert [line.split()[:2] for line in table(first.stdout)] == [["NAU", "add"], ["my_units:plain_nau", "add"]]
    records = nalu_ext.benchmark.read_results(str(tmp_path / "runs.jsonl"))
    assert sorted(r["spec"]["family"] for r in records.values()) == ["NAU", "NAU", "my_units:plain_nau",
                                                                      "my_units:plain_nau"]
    assert (tmp_path / "rates.png").stat().st_size > 0
    again = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "4 of these 4 runs had finished, starting 0" in again.stdout
    assert table(again.stdout) == table(first.stdout)


def test_make_run_needs_an_importable_factory():
    with pytest.raises(ValueError, match="module-level function or class"):
        torch_runs.make_run(lambda n, seed: PlainNAU(n, seed), TASK, seed=0, steps=10)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        torch_runs.make_run(PlainNAU, TASK, seed=0, steps=10, optimizer="LBFGS")


def test_stop_event_ends_a_pytorch_run():
    stop = threading.Event()
    stop.set()
    model = PlainNAU(10)
    with pytest.raises(Interrupted):
        nalu_ext.benchmark.train_task(model, TASK, torch.optim.Adam(model.parameters()), steps=100, stop=stop)


def test_a_diverging_pytorch_run_is_recorded_as_diverged_with_its_last_good_parameters():
    model = torch.nn.Sequential(torch.nn.Linear(10, 1))
    first = [p.detach().clone() for p in model.parameters()]
    result = nalu_ext.benchmark.train_task(model, ArithmeticTask("mul", input_size=10, seed=0),
                                 torch.optim.SGD(model.parameters(), lr=1e30), steps=200, log_every=50)
    assert result.diverged and not result.success and result.steps < 200
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert result.steps > 0 or all(torch.equal(p, q) for p, q in zip(model.parameters(), first))
