"""A unit written in plain PyTorch, judged by nalu_ext's protocol beside the compiled unit on the
same seeds (issue 17's check of the "bring your own unit" path; needs torch):

    python bench/torch_transcription.py [--family NAU] [--op add] [--seeds 10] [--steps 100000]
                                        [--results torch-transcription-NAU-add.jsonl.gz]

Both sides run through ``nalu_ext.benchmark.sweep`` into one results file (resumable): the compiled family
(``nalu_ext.benchmark.make_run``) and torch_transcribed.TranscribedStack, the same network in plain PyTorch
starting from the same parameters (``nalu_ext.benchmark.torch_runs.make_run``), with the family's published recipe
(regularizer schedule, learning rate, batch). Printed: success rates with Wilson intervals and
solved-at medians with their order-statistic intervals, under both verdicts, and whether each pair
of intervals overlaps. Two float32 implementations part after a few thousand steps (rounding), so
what is compared is the statistics over seeds, not the trajectories.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import nalu_ext
from nalu_ext.benchmark.sweeps import RECIPES
from nalu_ext.benchmark.tasks import OPS, ArithmeticTask


def overlap(a, b) -> bool:
    return max(a[0], b[0]) <= min(a[1], b[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="NAU", choices=sorted(RECIPES))
    parser.add_argument("--op", default="add", choices=OPS)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--results", help="results file (default torch-transcription-FAMILY-OP.jsonl.gz here; the "
                        "committed summaries in bench/results/torch-transcription-FAMILY-OP/ are resumed from)")
    parser.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    args = parser.parse_args()
    try:
        from nalu_ext.benchmark import torch_runs as torch_specs
        from torch_transcribed import TranscribedStack
    except ImportError as err:
        print(f"needs PyTorch ({err}): pip install torch==2.13.0", file=sys.stderr)
        return 1
    study = f"torch-transcription-{args.family}-{args.op}"
    results = args.results or f"{study}.jsonl.gz"
    committed = os.path.join(os.path.dirname(__file__), "results", study)
    recipe_runs, torch_runs = [], []
    for seed in range(args.seeds):
        task = ArithmeticTask(args.op, seed=seed)
        spec = nalu_ext.benchmark.make_run(args.family, task, seed=seed, steps=args.steps)  # the published recipe
        recipe_runs.append(spec)
        torch_runs.append(torch_specs.make_run(TranscribedStack, task, seed=seed, steps=args.steps,
                                      family=f"{args.family} in PyTorch", lr=spec["optimizer"]["lr"],
                                      batch_size=spec["batch_size"], log_every=spec["log_every"],
                                      kwargs={"family": args.family, "task": task.to_dict()}))
    start = time.perf_counter()
    summaries = {judge: nalu_ext.benchmark.sweep(recipe_runs + torch_runs, results=results, judge=judge, progress=True,
                                                  resume_from=[committed] if os.path.isdir(committed) else [])
                 for judge in ("published", "final")}
    report = {"family": args.family, "op": args.op, "seeds": args.seeds, "steps": args.steps, "results": results,
              "date": time.strftime("%Y-%m-%d"), "seconds_this_call": time.perf_counter() - start, "verdicts": {}}
    for judge, summary in summaries.items():
        print(f"\n{judge} verdict:\n{summary}")
        compiled, transcribed = (next(r for r in summary.rows if r["family"] == name)
                                 for name in (args.family, f"{args.family} in PyTorch"))
        rates = overlap((compiled["rate_low"], compiled["rate_high"]), (transcribed["rate_low"], transcribed["rate_high"]))
        solved = (None if compiled["solved_at_interval"] is None or transcribed["solved_at_interval"] is None
                  else overlap(compiled["solved_at_interval"], transcribed["solved_at_interval"]))
        print(f"success-rate intervals overlap: {rates}; solved-at median intervals "
              f"{compiled['solved_at_interval']} and {transcribed['solved_at_interval']} overlap: {solved}")
        report["verdicts"][judge] = {"compiled": compiled, "transcribed": transcribed,
                                     "rates_overlap": rates, "solved_at_overlap": solved}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
