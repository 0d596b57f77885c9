"""Writes python/nalu_ext/benchmark/data/npu_simple_published.json, the NPU paper's table of its simple
arithmetic task (Heim, Pevný & Šmídl 2020), which `python -m nalu_ext benchmark --suite npu-simple`
prints and plots beside its own, from the LaTeX table the paper's code wrote:

    python bench/extract_npu_simple.py NEURAL_POWER_UNITS_GIT_DIR

reads plots/simple_err_table.tex at commit e1b9a45 with `git show` (a clone or mirror of
nmheim/NeuralPowerUnits; scripts/simple/results_table.jl wrote it: the mean over the runs of each
model's mean absolute error on the task's grid, ± the standard error σ/√n, rounded to 3 digits).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

COMMIT = "e1b9a4523a63962ff9c4d767bfeddd96c0304844"
REPOSITORY = "nmheim/NeuralPowerUnits"
FILE = "plots/simple_err_table.tex"
OUT = Path(__file__).resolve().parents[1] / "python" / "nalu_ext" / "benchmark" / "data" / "npu_simple_published.json"
OPS = {"$+$": "add", r"$\times$": "mul", r"$\div$": "div", r"$\sqrt{\cdot}$": "sqrt"}


def main(git_dir: str) -> None:
    commit = subprocess.run(["git", "--git-dir", git_dir, "rev-parse", "e1b9a45"], check=True,
                            capture_output=True, text=True).stdout.strip()
    if commit != COMMIT:
        raise SystemExit(f"e1b9a45 is {commit} in {git_dir}, expected {COMMIT}")
    tex = subprocess.run(["git", "--git-dir", git_dir, "show", f"{COMMIT}:{FILE}"], check=True,
                         capture_output=True, text=True).stdout
    header = next(line for line in tex.splitlines() if line.startswith("Task &"))
    models = [c.strip().rstrip("\\") for c in header.split("&")[1:]]
    rows = []
    for line in tex.splitlines():
        cells = [c.strip() for c in line.rstrip("\\ ").split("&")]
        if cells[0] not in OPS:
            continue
        for model, cell in zip(models, cells[1:]):
            m = re.fullmatch(r"(?:\\textbf\{)?([0-9.]+) \$\\pm\$ ([0-9.]+)\}?", cell)
            if m is None:
                raise SystemExit(f"not a 'mean $\\pm$ se' cell: {cell!r}")
            rows.append({"family": model, "op": OPS[cells[0]], "mae_mean": float(m.group(1)),
                         "mae_se": float(m.group(2))})
    data = {"note": "Heim, Pevný & Šmídl 2020 (NeurIPS), 'Neural Power Units': the simple arithmetic task's "
                    "table, mean absolute error on the evaluation grid, mean over runs ± standard error. "
                    "Written by bench/extract_npu_simple.py.",
            "source": {"repository": REPOSITORY, "commit": COMMIT, "file": FILE,
                       "runs": "scripts/simple/run.jl", "analysis": "scripts/simple/results_table.jl"},
            "seeds": 20, "steps": 20_000, "rows": rows}
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(rows)} cells of {len(models)} models")


if __name__ == "__main__":
    main(sys.argv[1])
