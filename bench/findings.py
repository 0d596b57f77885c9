"""The published comparison's table, from a results file of the benchmark command:

    python -m nalu_ext benchmark --pairs NAU:add,NAU:sub,NMU:mul,NALU:add,NALU:sub,NALU:mul \\
        --seeds 5 --steps 5000000 --jobs 2 --results findings.jsonl
    python bench/findings.py findings.jsonl [--json FILE]

prints one Markdown row per unit and operation with both verdicts (the final model; the model the
published analysis selects), how many runs reached the criterion at some log, the median solved-at
step and the sparsity error of the selected models, next to the published figures. --json keeps
the summaries and one row per run (the curves stay in the results file, which the command
reproduces bit for bit).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any, Dict, List

from nalu_ext.benchmark import sweeps
from nalu_ext.benchmark.protocol import published_selection

# Madsen & Johansen 2020, table 1 (100 seeds each): success rate, median solved-at step,
# mean sparsity error of the selected successful models
PUBLISHED = {
    ("NAU", "add"): ("100%", "1.8e4", "3.2e-5"), ("NAU", "sub"): ("100%", "5.0e3", "6.6e-2"),
    ("NMU", "mul"): ("98%", "1.4e6", "4.2e-7"), ("NALU", "add"): ("14%", "1.5e6", "1.7e-1"),
    ("NALU", "sub"): ("14%", "1.9e6", "2.1e-1"), ("NALU", "mul"): ("0%", "-", "-"),
}
SYMBOL = {"add": "+", "sub": "−", "mul": "×"}


def _rate(row: Dict[str, Any]) -> str:
    return (f"{row['successes']}/{row['runs']} "
            f"({100 * row['rate_low']:.0f}–{100 * row['rate_high']:.0f}%)")


def _or_dash(value: Any, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def table(final: sweeps.SweepSummary, published: sweeps.SweepSummary) -> List[str]:
    lines = ["| unit, op | success, final model | success, published selection | reached at some log "
             "| solved at, median | sparsity error, selected | published: success, solved at, sparsity |",
             "|---|---:|---:|---:|---:|---:|---|"]
    chosen = {(r["family"], r["op"]): r for r in published.rows}
    for f in final.rows:
        p = chosen[(f["family"], f["op"])]
        paper = ", ".join(PUBLISHED.get((f["family"], f["op"]), ("?", "?", "?")))
        lines.append(f"| {f['family']}, {SYMBOL.get(f['op'], f['op'])} | {_rate(f)} | {_rate(p)} | "
                     f"{f['reached']}/{f['runs']} | {_or_dash(p['solved_at_median'], ',.0f')} | "
                     f"{_or_dash(p['sparsity_error_mean'], '.1e')} | {paper} |")
    return lines


def run_rows(records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for rec in records:
        if rec["status"] != "ok":
            rows.append({"id": rec["id"], "status": rec["status"], "error": rec.get("error")})
            continue
        r, spec = rec["result"], rec["spec"]
        # the selection made again from the curves (a record may predate the current window)
        index, selected_mse, selected_success = published_selection(
            r["interpolation_mse"], r["extrapolation_mse"], r["threshold"])
        _, selected_sparsity = sweeps.judged(r, "published")
        rows.append({"id": rec["id"], "family": spec["family"], "op": spec["task"]["op"], "seed": spec["seed"],
                     "success": r["success"], "selected_success": selected_success,
                     "solved_at": r["solved_at"],
                     "selected_step": None if index is None else r["logged_steps"][index],
                     "final_over_threshold": r["test_mse"] / r["threshold"],
                     "selected_over_threshold": selected_mse / r["threshold"],
                     "sparsity_error": r["sparsity_error"],
                     "selected_sparsity_error": None if math.isnan(selected_sparsity) else selected_sparsity,
                     "threshold": r["threshold"], "seconds": round(r["seconds"], 1)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="the benchmark command's --results file, or a directory of summaries")
    parser.add_argument("--json", metavar="FILE", help="save the summaries and one row per run")
    args = parser.parse_args()
    records = list(sweeps.read_results(args.results).values())
    if not records:
        print(f"no runs in {args.results}", file=sys.stderr)
        return 1
    final = sweeps.SweepSummary(records, judge="final")
    published = sweeps.SweepSummary(records, judge="published")
    print("\n".join(table(final, published)))
    if args.json:
        report = {"date": time.strftime("%Y-%m-%d"), "results_file": args.results,
                  "summary_final": final.rows, "summary_published": published.rows,
                  "runs": run_rows(records)}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
