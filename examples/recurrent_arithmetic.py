"""The NAU as a recurrent cell, with an NAU or NMU output layer, trained end to end with PyTorch
through nalu_ext.torch on stable-nalu's recurrent arithmetic task: trained on sequences of 10
steps, tested on sequences of up to 1000.

    pip install ".[torch,plot]"
    python examples/recurrent_arithmetic.py [--seeds 5] [--steps 20000] [--out examples/results]

The task (AndreasMadsen/stable-nalu@3e31a1d, experiments/simple_function_recurrent.py with
stable_nalu/dataset/simple_function_recurrent.py): a sequence of T input vectors of 10 values;
two overlapping column subsets A and B of width 2 (a random offset per seed); a and b accumulate
the subsets over the whole sequence, and the target is op(a, b). Training sequences have T = 10,
the test of extrapolation T up to 1000. The network is stable-nalu's SimpleFunctionRecurrentNetwork:
a cell h_t = unit([x_t, h_(t-1)]) of 2 hidden values from a learned zero state, then an output
layer of 1 value. Rows here:

- add, a + b (a, b sums of U[0, 1] inputs): an NAU cell, an NAU output layer;
- mul, a · b (the same sums): an NAU cell accumulating a and b, an NMU output layer multiplying
  them (stable-nalu uses one unit for both layers, which cannot both accumulate sums and multiply);
- and, for each, an LSTM of 16 cells with a linear output, the usual recurrent network, trained
  the same way.

(Tried and left out: an NMU *cell* for a running product, h_t = h_(t-1) · Π x_t,i on inputs
exp(U[−0.1, 0.1]), zero state 1: in 5 seeds of 2·10⁴ steps none extrapolated and one diverged.)

Training: MSE, torch.optim.Adam (lr 1e-3, batch 128, as stable-nalu's), plus the units' sparsity
regularizer, and the NAU and NMU weights clamped after each step (nalu_ext.torch.after_update).
The regularizer's weight λ(t) is 0 for the first quarter of the run and rises linearly to 1 at its
half, the shape of the static task's recipes: stable-nalu's recurrent script weights it
0.1·(1 − exp(−10⁻⁵·t)), which over this example's 2·10⁴ steps stays below 0.02 and left the
weights fractional (tried: relative error 0.3–0.5 at T = 1000 for the sum). Judged: the relative error
|y − t| / |t| on 1000 fresh sequences at each length; written: a figure per operation
(median relative error over seeds against T, with the seeds' range) and a JSON of its numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

try:
    import torch

    import nalu_ext.torch as nt
except ImportError as err:
    sys.exit(f"needs PyTorch ({err}): pip install '.[torch]'")

VECTOR, HIDDEN, TRAIN_LENGTH = 10, 2, 10
LENGTHS = (10, 20, 50, 100, 200, 500, 1000)
OPS = ("add", "mul")


class Sequences:
    """stable-nalu's recurrent dataset for one seed: its subsets A and B, and batches of
    sequences with their targets (float32, as its dataloader)."""

    def __init__(self, op: str, seed: int) -> None:
        self.op = op
        rng = np.random.RandomState(seed)
        offset = rng.randint(0, VECTOR - 3 + 1)  # subsets of 2 overlapping in 1: 3 columns used
        self.subsets = [(offset, offset + 2), (offset + 1, offset + 3)]
        self.rng = np.random.default_rng(seed + 1_000_003)

    def batch(self, rows: int, length: int) -> Tuple["torch.Tensor", "torch.Tensor"]:
        x = self.rng.uniform(0.0, 1.0, (rows, length, VECTOR))
        a, b = (x[..., lo:hi].sum(axis=(1, 2)) for lo, hi in self.subsets)
        t = a + b if self.op == "add" else a * b
        return torch.tensor(x, dtype=torch.float32), torch.tensor(t[:, None], dtype=torch.float32)


class UnitRecurrence(torch.nn.Module):
    """SimpleFunctionRecurrentNetwork with nalu_ext units: h_t = cell([x_t, h_(t-1)]), y = out(h_T)."""

    CELLS: Dict[str, Tuple[str, str]] = {"add": ("NAU", "NAU"), "mul": ("NAU", "NMU")}

    def __init__(self, op: str, seed: int) -> None:
        super().__init__()
        cell, out = self.CELLS[op]
        self.name = f"{cell} cell, {out} output"
        self.cell = getattr(nt, cell)(VECTOR + HIDDEN, HIDDEN, seed=2 * seed)
        self.out = getattr(nt, out)(HIDDEN, 1, seed=2 * seed + 1)
        self.zero_state = torch.nn.Parameter(torch.zeros(HIDDEN))

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        h = self.zero_state.expand(x.shape[0], HIDDEN)
        for t in range(x.shape[1]):
            h = self.cell(torch.cat((x[:, t], h), dim=1))
        return self.out(h)

    def regularizer(self) -> "torch.Tensor":
        return nt.regularizer(self)

    def after_update(self) -> None:
        nt.after_update(self)


class LSTMRecurrence(torch.nn.Module):
    """The usual recurrent network, for comparison: an LSTM of 16 cells and a linear output."""

    def __init__(self, op: str, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.name = "LSTM (16 cells)"
        self.lstm = torch.nn.LSTM(VECTOR, 16, batch_first=True)
        self.out = torch.nn.Linear(16, 1)

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        return self.out(self.lstm(x)[0][:, -1])

    def regularizer(self) -> "torch.Tensor":
        return torch.zeros(())

    def after_update(self) -> None:
        pass


def regularizer_weight(step: int, steps: int) -> float:
    """λ(t): 0 for the first quarter of the run, then linearly up to 1 at its half."""
    return min(1.0, max(0.0, (step - steps / 4) / (steps / 4)))


def train(model: torch.nn.Module, data: Sequences, steps: int, lr: float) -> List[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        x, t = data.batch(128, TRAIN_LENGTH)
        mse = ((model(x) - t) ** 2).mean()
        loss = mse + regularizer_weight(step, steps) * model.regularizer()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.after_update()
        losses.append(mse.item())
    return losses


def relative_errors(model: torch.nn.Module, data: Sequences) -> Dict[int, float]:
    """Median |y − t| / |t| over 1000 fresh sequences of each length."""
    out = {}
    with torch.no_grad():
        for length in LENGTHS:
            x, t = data.batch(1000, length)
            out[length] = float(torch.median((model(x) - t).abs() / t.abs()))
    return out


def figure(op: str, rows: Dict[str, List[Dict[int, float]]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for name, per_seed in rows.items():
        errors = np.array([[e[length] for length in LENGTHS] for e in per_seed])
        line, = ax.plot(LENGTHS, np.median(errors, axis=0), marker="o", label=f"{name} (median of {len(errors)} seeds)")
        ax.fill_between(LENGTHS, errors.min(axis=0), errors.max(axis=0), color=line.get_color(), alpha=0.2)
    ax.axvline(TRAIN_LENGTH, color="grey", linestyle=":", label="training length")
    ax.set(xscale="log", yscale="log", xlabel="sequence length T",
           ylabel="relative error |y − t| / |t| (median)",
           title=f"recurrent {op}: trained on T = {TRAIN_LENGTH}, tested up to T = {LENGTHS[-1]}")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    report: Dict[str, Any] = {"steps": args.steps, "seeds": args.seeds, "lr": args.lr, "lengths": LENGTHS,
                              "date": time.strftime("%Y-%m-%d")}
    builders: List[Callable[[str, int], torch.nn.Module]] = [UnitRecurrence, LSTMRecurrence]
    for op in args.ops.split(","):
        rows: Dict[str, List[Dict[int, float]]] = {}
        for build in builders:
            for seed in range(args.seeds):
                model, data = build(op, seed), Sequences(op, seed)
                start = time.perf_counter()
                losses = train(model, data, args.steps, args.lr)
                errors = relative_errors(model, data)
                rows.setdefault(model.name, []).append(errors)
                print(f"{op:4s} {model.name:22s} seed {seed}: final training MSE {np.mean(losses[-100:]):.2e}, "
                      f"relative error at T=10 {errors[10]:.1e}, at T=1000 {errors[1000]:.1e} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        figure(op, rows, os.path.join(args.out, f"recurrent-{op}.png"))
        with open(os.path.join(args.out, f"recurrent-{op}.json"), "w", encoding="utf-8") as f:
            json.dump({**report, "op": op, "rows": rows}, f, indent=1)
        print(f"wrote {args.out}/recurrent-{op}.png and recurrent-{op}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
