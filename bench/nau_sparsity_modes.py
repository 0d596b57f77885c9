"""Why the NAU's sparsity errors differ from the published ones (issue 31, item 5): the two modes
of the selected model, from committed summaries, beside the published seeds.

    python bench/nau_sparsity_modes.py [bench/results/table1-100]     (the floor part needs torch)

The published selection takes the log with the lowest validation MSE anywhere in the run. A NAU
run on − can reach it at step 5000-6000, before the regularizer acts (its warm-up is 5000 to
50000), when the weights of the inputs a and b share still sit near 0.5 in both hidden units
(they cancel in a − b, so the loss does not see them): the selected model then has a sparsity
error near 0.5. Otherwise the selection falls late, on the sparse model (~1e-6). The KS test of
the sparsity errors compares two such mixtures; this prints their proportions (Fisher's exact
test against the published seeds), the selected steps of each mode and the validation MSEs that
decide between them.

Which mode wins depends on how low the late, sparse model's validation MSE gets, and that is a
float32 rounding floor (the float64 model is exact to ~1e-15): second, this prints the validation
MSE of the exact solution (W in {0, 1}, the overlap's weights at 0, 1, 0.5 or mixed) under
nalu_ext's float32 forward and under PyTorch's (stable-nalu's float32 matmul and MSELoss), on
the same rows.
"""

from __future__ import annotations

import statistics
import sys

import numpy as np

from nalu_ext.benchmark.published import published_seeds
from nalu_ext.benchmark.stats import fisher_exact
from nalu_ext.benchmark.sweeps import read_results

EARLY = 0.1  # a selected sparsity error above this is the unregularized mode (near 0.5)


def main(study: str) -> None:
    records = read_results(study)
    for op in ("add", "sub"):
        runs = sorted((r["spec"]["seed"], r["result"]) for r in records.values()
                      if r["status"] == "ok" and r["spec"]["family"] == "NAU" and r["spec"]["task"]["op"] == op
                      and r["result"]["selected_success"])
        early = [(seed, res) for seed, res in runs if res["selected_sparsity_error"] > EARLY]
        late = [(seed, res) for seed, res in runs if res["selected_sparsity_error"] <= EARLY]
        published = published_seeds("NAU", op)
        solved = [s for s, won in zip(published["sparsity_error"], published["solved"]) if won and s is not None]
        theirs = sum(s > EARLY for s in solved)
        print(f"NAU {op}: {len(early)} of {len(runs)} successful runs selected with a sparsity error above {EARLY} "
              f"(published {theirs} of {len(solved)}; Fisher p = {fisher_exact(len(early), len(runs), theirs, len(solved)):.4f})")
        for seed, res in early:
            print(f"  seed {seed}: selected at step {res['selected_step']}, sparsity error "
                  f"{res['selected_sparsity_error']:.3f}, lowest validation MSE {min(res['interpolation_mse']):.2e}, "
                  f"last {res['interpolation_mse'][-1]:.2e}")
        if late:
            steps = sorted(res["selected_step"] for _, res in late)
            last = statistics.median(res["interpolation_mse"][-1] for _, res in late)
            print(f"  the other {len(late)}: selected at steps {steps[0]} to {steps[-1]}, median last validation "
                  f"MSE {last:.2e}")


def exact_solution_floors() -> None:
    try:
        import torch
    except ImportError:
        print("(the floors of the exact solution need torch: pip install torch)")
        return
    import nalu_ext
    from nalu_ext.benchmark.tasks import ArithmeticTask

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    for op, sign in (("sub", -1.0), ("add", 1.0)):
        task = ArithmeticTask(op, seed=0)
        x, t = task.validation()
        (a0, a1), (b0, b1) = task.a, task.b
        print(f"validation MSE of the exact solution, NAU {op} (10 000 rows of seed 0):")
        for name, overlap in (("0", 0.0), ("1", 1.0), ("0.5", 0.5), ("mixed 0/1", None)):
            W1 = np.zeros((2, task.input_size))
            W1[0, a0:a1], W1[1, b0:b1] = 1.0, 1.0
            if op == "sub":  # the overlap's weights cancel in a - b: any equal value in both rows
                shared = rng.integers(0, 2, a1 - b0).astype(float) if overlap is None else overlap
                W1[:, b0:a1] = shared
            W2 = np.array([[1.0, sign]])
            model = nalu_ext.Sequential(nalu_ext.NAU(task.input_size, 2, seed=0), nalu_ext.NAU(2, 1, seed=0))
            model.layers[0].params["W"][...], model.layers[1].params["W"][...] = W1, W2
            ours = float(np.mean((model.forward(x).astype(np.float64) - t) ** 2))
            y = (torch.tensor(x) @ torch.tensor(W1, dtype=torch.float32).T) @ torch.tensor(W2, dtype=torch.float32).T
            theirs = float(torch.nn.functional.mse_loss(y, torch.tensor(t)))
            exact = float(np.mean(((x.astype(np.float64) @ W1.T) @ W2.T - t) ** 2))
            print(f"  overlap {name:9s}  nalu_ext {ours:.2e}   PyTorch float32 {theirs:.2e}   float64 {exact:.1e}")
            if op == "add":
                break  # no overlap to vary: a + b counts it twice


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results/table1-100")
    exact_solution_floors()
