"""Writes python/nalu_ext/benchmark/data/published_seeds.json, the per-seed results behind
Madsen & Johansen's Table 1 and its appendix, from the CSV their analysis wrote
(stable-nalu@f371c1e: ``paper/results/sft-last.csv``, one row per model × operation × seed,
written by ``export/function_task_static.r``).

    python bench/extract_published_seeds.py STABLE_NALU_GIT_DIR

reads the CSV with `git show` (a clone or mirror of AndreasMadsen/stable-nalu). Kept per run:
the seed, ``solved`` (the published verdict), ``extrapolation.step.solved`` (the first logged
step whose extrapolation MSE is below the threshold, null where never), ``sparse.error.max``
(the sparsity error at the run's selected step) and ``size`` (logged points: 5001 for a run of
the full 5·10⁶ steps logged every 1000; 27 of the 6000 runs stopped early). Numbers are parsed as
doubles and written in their shortest round-trip form.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

COMMIT = "f371c1ecef94a2ec1565dea2521960ee3d1670cd"
REPOSITORY = "AndreasMadsen/stable-nalu"
FILE = "paper/results/sft-last.csv"
OUT = Path(__file__).resolve().parents[1] / "python" / "nalu_ext" / "benchmark" / "data" / "published_seeds.json"

# the CSV's model label -> nalu_ext's family (NAC•,σ, NAC•,NMU, ReLU and ReLU6 have none yet)
MODELS = {r"$\mathrm{NAC}_{\bullet}$": "NACMul", r"$\mathrm{NAC}_{+}$": "NAC", "Linear": "Linear",
          "NALU": "NALU", "NAU": "NAU", "NMU": "NMU"}
OPS = {r"$\bm{\times}$": "mul", r"$\bm{+}$": "add", r"$\bm{-}$": "sub", r"$\bm{\mathbin{/}}$": "div",
       r"$\sqrt{z}$": "sqrt", r"$z^2$": "square"}


def _number(text: str) -> Optional[float]:
    return None if text in ("NA", "") else float(text)


def extract(csv_text: str) -> Dict[str, Any]:
    cells: Dict[str, Dict[str, List[Any]]] = {}
    for row in csv.DictReader(io.StringIO(csv_text)):
        family, op = MODELS.get(row["model"]), OPS[row["operation"]]
        if family is None:
            continue
        cell = cells.setdefault(f"{family} {op}", {"seed": [], "solved": [], "solved_at": [],
                                                   "sparsity_error": [], "logged_points": []})
        solved_at = _number(row["extrapolation.step.solved"])
        cell["seed"].append(int(row["seed"]))
        cell["solved"].append(row["solved"] == "TRUE")
        cell["solved_at"].append(None if solved_at is None else int(solved_at))
        cell["sparsity_error"].append(_number(row["sparse.error.max"]))
        cell["logged_points"].append(int(row["size"]))
    for cell in cells.values():  # in seed order
        order = sorted(range(len(cell["seed"])), key=cell["seed"].__getitem__)
        for key in cell:
            cell[key] = [cell[key][i] for i in order]
    return {
        "note": ("Madsen & Johansen 2020 (ICLR), 'Neural Arithmetic Units': every run behind Table 1 and its "
                 "appendix, one list entry per seed, as their analysis printed them; cells '<family> <op>'. "
                 "Written by bench/extract_published_seeds.py."),
        "source": {"repository": REPOSITORY, "commit": COMMIT, "file": FILE,
                   "analysis": "export/function_task_static.r", "runs": "lfs_batch_jobs/function_task_static.sh"},
        "cells": dict(sorted(cells.items())),
    }


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    text = subprocess.run(["git", "--git-dir", sys.argv[1], "show", f"{COMMIT}:{FILE}"], check=True,
                          capture_output=True, text=True).stdout
    OUT.write_text(json.dumps(extract(text), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
