"""The logged curves of a results file's runs for one family and operation: a line per seed of
what decides each verdict, and optionally a figure of the test MSE over the threshold and the
sparsity error against the step.

    python bench/curves.py RESULTS.jsonl --family Linear --op sub [--plot curves.png]

Nothing is run: the records (nalu_ext.benchmark.read_results) hold every log of every run.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import nalu_ext
from nalu_ext.benchmark.protocol import published_selection


def runs_of(path: str, family: str, op: str) -> list:
    records = [r for r in nalu_ext.benchmark.read_results(path).values()
               if r["status"] == "ok" and r["spec"]["family"] == family and r["spec"]["task"]["op"] == op]
    return sorted(records, key=lambda r: r["spec"]["seed"])


def as_array(values: list) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results")
    parser.add_argument("--family", required=True)
    parser.add_argument("--op", required=True)
    parser.add_argument("--plot", metavar="FILE.png")
    args = parser.parse_args()
    runs = runs_of(args.results, args.family, args.op)
    if not runs:
        raise SystemExit(f"no finished {args.family} runs on {args.op} in {args.results}")
    print(f"{args.family} on {args.op}: {len(runs)} runs; test MSE / threshold at: the final log, the "
          "selected log (lowest validation MSE), the best log; the share of the second half's logs "
          "below the threshold; solved at; sparsity error final / selected")
    for r in runs:
        res = r["result"]
        test = as_array(res["extrapolation_mse"]) / res["threshold"]
        index, _, selected_success = published_selection(res["interpolation_mse"], res["extrapolation_mse"],
                                                         res["threshold"])
        sparsity = as_array(res.get("sparsity_error_curve") or [])
        selected_sparsity = sparsity[index] if index is not None and index < len(sparsity) else math.nan
        print(f"  seed {r['spec']['seed']:3d}: final {test[-1]:9.3g}  selected {test[index]:9.3g} at step "
              f"{res['logged_steps'][index]:>8d} ({'success' if selected_success else 'failure'})  best "
              f"{np.nanmin(test):9.3g}  below {np.mean(test[len(test) // 2:] < 1):4.0%}  solved at {res['solved_at'] if res['solved_at'] is not None else '-':>8}  "
              f"sparsity {res['sparsity_error'] if res['sparsity_error'] is not None else math.nan:.2g} / "
              f"{selected_sparsity:.2g}")
    if args.plot:
        from nalu_ext.plot import _figure

        fig = _figure(9, 6)
        top, bottom = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2, sharex=None)
        for r in runs:
            res = r["result"]
            steps = np.array(res["logged_steps"])
            top.plot(steps, as_array(res["extrapolation_mse"]) / res["threshold"], linewidth=0.8,
                     label=f"seed {r['spec']['seed']}")
            bottom.plot(steps, as_array(res.get("sparsity_error_curve") or [math.nan] * len(steps)), linewidth=0.8)
        top.axhline(1.0, color="black", linewidth=1.0, linestyle="--")
        top.set_yscale("log")
        top.set_ylabel("test MSE / success threshold")
        top.set_title(f"{args.family} on {args.op}: {len(runs)} seeds (below the dashed line: success)",
                      loc="left", fontsize=10)
        bottom.set_yscale("log")
        bottom.set_ylabel("sparsity error")
        bottom.set_xlabel("step")
        if len(runs) <= 12:
            top.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.savefig(args.plot, bbox_inches="tight")
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
