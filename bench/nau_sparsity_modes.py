"""Why the NAU's sparsity errors differ from the published ones (issue 31, item 5): the two modes
of the selected model, from committed summaries, beside the published seeds.

    python bench/nau_sparsity_modes.py [bench/results/table1-100]

The published selection takes the log with the lowest validation MSE anywhere in the run. A NAU
run on − can reach it at step 5000-6000, before the regularizer acts (its warm-up is 5000 to
50000), when the weights of the inputs a and b share still sit near 0.5 in both hidden units
(they cancel in a − b, so the loss does not see them): the selected model then has a sparsity
error near 0.5. Otherwise the selection falls late, on the sparse model (~1e-6). The KS test of
the sparsity errors compares two such mixtures; this prints their proportions (Fisher's exact
test against the published seeds), the selected steps of each mode and the validation MSEs that
decide between them.
"""

from __future__ import annotations

import statistics
import sys

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


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results/table1-100")
