"""Writes python/nalu_ext/benchmark/data/published.json, the published figures that
`python -m nalu_ext benchmark --suite table1|toy|ablation|nalu-table` prints and plots beside its own, from the
LaTeX tables that stable-nalu's analysis wrote (export/function_task_static.r, export/simple_mul.r,
export/function_task_static_ablation.r and export/function_task_static_nalu.r).

    python bench/extract_published.py STABLE_NALU_GIT_DIR

reads the tables at commit 3e31a1d with `git show` (a clone or mirror of AndreasMadsen/stable-nalu).
The tables round rates to whole percents and their interval ends to whole percents from the rate,
so the bundled intervals carry that rounding (±0.5 percentage points). The ablation table prints
no interval (its rates alone are bundled, their intervals None).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

COMMIT = "3e31a1db655afe26d42d24dac30104223751b716"
REPOSITORY = "AndreasMadsen/stable-nalu"
OUT = Path(__file__).resolve().parents[1] / "python" / "nalu_ext" / "benchmark" / "data" / "published.json"

MODELS = {  # the table's model label -> nalu_ext's family (the others have no family here)
    r"$\mathrm{NAC}_{\bullet}$": "NACMul", r"$\mathrm{NAC}_{+}$": "NAC", "Linear": "Linear",
    "NALU": "NALU", "NAU": "NAU", "NMU": "NMU",
}
OPS = {r"$\bm{\times}$": "mul", r"$\bm{+}$": "add", r"$\bm{-}$": "sub", r"$\bm{\mathbin{/}}$": "div",
       r"$\sqrt{z}$": "sqrt", r"$z^2$": "square"}


def number(cell: str) -> Optional[float]:
    """'$2.8 \\cdot 10^{6}$' (bold or not, maybe with an interval) -> 2.8e6; '---' -> None."""
    cell = cell.replace(r"\mathbf{", "")
    m = re.search(r"([0-9.]+) \\cdot 10\^\{(-?[0-9]+)\}", cell)
    return float(f"{m.group(1)}e{m.group(2)}") if m else None


def rate(cell: str) -> Dict[str, float]:
    """'$31\\% {~}^{+10\\%}_{-8\\%}$' -> rate 0.31, interval [0.23, 0.41]."""
    m = re.search(r"([0-9]+)\\%.*?\^\{\+([0-9]+)\\%\}_\{-([0-9]+)\\%\}", cell)
    if m is None:
        raise ValueError(f"not a rate cell: {cell!r}")
    r, up, down = (int(g) / 100 for g in m.groups())
    return {"rate": r, "rate_low": round(r - down, 2), "rate_high": round(r + up, 2)}


# the NALU table's model labels (paper/results/function_task_static_nalu.tex) -> families
NALU_MODELS = {"Gated NAU/NMU": "GatedNAUNMU", "NALU (separate)": "NALU-separate", "NALU (shared)": "NALU-shared"}


def rows(tex: str, models: Dict[str, str] = MODELS) -> List[Dict[str, Any]]:
    """The table's rows with their operation (the \\multirow label closes each operation's group)."""
    out: List[Dict[str, Any]] = []
    group: List[Dict[str, Any]] = []
    for line in tex.splitlines():
        cells = [c.strip() for c in line.rstrip("\\* ").split("&")]
        if len(cells) != 6 or cells[1] == "" or "Model" in cells[1]:
            continue
        label = cells[1]
        row: Dict[str, Any] = {"label": label, "family": models.get(label)}
        row.update(rate(cells[2]))
        row.update(solved_at_median=number(cells[3]), solved_at_mean=number(cells[4]),
                   sparsity_error_mean=number(cells[5]))
        group.append(row)
        m = re.search(r"\\multirow\{-?\d+\}\{\*\}\{\\centering\\arraybackslash (.*)\}$", cells[0])
        if m:
            for r in group:
                r["op"] = OPS[m.group(1)]
            out.extend(group)
            group = []
    return [r for r in out if r["family"] is not None]


# the ablation table's model labels (paper/results/function_task_static_ablation.tex) -> families
ABLATION_MODELS = {
    r"$\mathrm{NAC}_{\bullet,\sigma}$": "PosNACMul", r"$\mathrm{NAC}_{\bullet}$": "NACMul", "NMU": "NMU",
    r"NMU, no $\mathcal{R}_{bias}$": "NMU-no-Rbias",
    r"NMU, no $\mathcal{R}_{bias}$, no W-clamp": "NMU-no-Rbias-no-clamp",
    r"NMU, no W-clamp": "NMU-no-clamp",
}


def ablation_rows(tex: str) -> List[Dict[str, Any]]:
    """The ablation table's rows (model, rate, solved-at median and mean, sparsity error; all on ×)."""
    out: List[Dict[str, Any]] = []
    for line in tex.splitlines():
        cells = [c.strip() for c in line.rstrip("\\* ").split("&")]
        if len(cells) != 5 or cells[0] not in ABLATION_MODELS:
            continue
        m = re.fullmatch(r"\$([0-9]+)\\%\$", cells[1])
        if m is None:
            raise ValueError(f"not a rate cell: {cells[1]!r}")
        out.append({"label": cells[0], "family": ABLATION_MODELS[cells[0]], "rate": int(m.group(1)) / 100,
                    "rate_low": None, "rate_high": None, "solved_at_median": number(cells[2]),
                    "solved_at_mean": number(cells[3]), "sparsity_error_mean": number(cells[4]), "op": "mul"})
    if len(out) != len(ABLATION_MODELS):
        raise ValueError(f"expected the ablation table's {len(ABLATION_MODELS)} rows, found {len(out)}")
    return out


def show(git_dir: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{COMMIT}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def main(git_dir: str) -> None:
    main_rows = {(r["op"], r["family"]) for r in rows(show(git_dir, "paper/results/function_task_static.tex"))}
    table1 = rows(show(git_dir, "paper/results/function_task_static_all.tex"))
    for r in table1:
        r["in_table_1"] = (r["op"], r["family"]) in main_rows
    toy = rows(show(git_dir, "paper/results/simple_mul.tex"))
    source = {"repository": REPOSITORY, "commit": COMMIT}
    data = {
        "note": "Madsen & Johansen 2020 (ICLR), 'Neural Arithmetic Units': the tables their analysis "
                "wrote; rates and interval ends are rounded to whole percents. Written by "
                "bench/extract_published.py.",
        "table1": {"source": dict(source, file="paper/results/function_task_static_all.tex",
                                  main_table="paper/results/function_task_static.tex",
                                  analysis="export/function_task_static.r",
                                  runs="lfs_batch_jobs/function_task_static.sh"),
                   "seeds": 100, "steps": 5_000_000, "rows": table1},
        "toy": {"source": dict(source, file="paper/results/simple_mul.tex", analysis="export/simple_mul.r",
                               runs="lfs_batch_jobs/simple_mul.sh"),
                "seeds": 100, "steps": 200_000, "rows": toy},
    }
    data["ablation"] = {
        "source": dict(source, file="paper/results/function_task_static_ablation.tex",
                       analysis="export/function_task_static_ablation.r",
                       # deleted at 0c36cec, after the table was written (5f0d4e4, "revision 2")
                       runs="lfs_batch_jobs/function_task_static_ablation.sh@5f0d4e4"),
        "seeds": 25, "steps": 5_000_000,
        "rows": ablation_rows(show(git_dir, "paper/results/function_task_static_ablation.tex"))}
    data["nalu-table"] = {
        "source": dict(source, file="paper/results/function_task_static_nalu.tex",
                       analysis="export/function_task_static_nalu.r",
                       runs="lfs_batch_jobs/function_task_static_nalu.sh"),
        "seeds": 100, "steps": 5_000_000,
        "rows": rows(show(git_dir, "paper/results/function_task_static_nalu.tex"), NALU_MODELS)}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(table1)} Table 1 rows ({len(main_rows)} in the main table), {len(toy)} toy rows, "
          f"{len(data['ablation']['rows'])} ablation rows, {len(data['nalu-table']['rows'])} NALU table rows")


if __name__ == "__main__":
    main(sys.argv[1])
