"""The single-module benchmark of Mistry, Farrahi & Hare ("A Primer for Neural Arithmetic Logic
Modules"; docs/protocols.md#the-single-module-benchmark): one unit, two inputs, t = x1 ∘ x2, on
the nine (interpolation, extrapolation) ranges of ``SingleModuleTask.RANGES``; 50 000 steps of
fresh batches of 128, a log every 1000 steps, 25 seeds; judged on the model with the lowest
validation MSE (every logged model is a candidate) against the "output" threshold rule
(``nalu_ext.benchmark.success_threshold``).

Every unit is trained by the recipe of the script that published it: bmistry4/nalm-benchmark for
the units of the Primer, bmistry4/nalm-division for the division units (NRU, NMRU) and
bmistry4/nalm-robust-nmu for the sNMU. ``recipe(family, op)`` gives it, with its source; where
we do not reproduce a flag of the script the source says so.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, List, Tuple

from .published import OP_SYMBOLS
from .recipes import Recipe
from .tasks import SingleModuleTask, as_intervals

NALM_BENCHMARK = "bmistry4/nalm-benchmark@120ec8e"
NALM_DIVISION = "bmistry4/nalm-division@61fa973"
NALM_ROBUST_NMU = "bmistry4/nalm-robust-nmu"
_SCRIPT = f"{NALM_BENCHMARK} lfs_batch_jobs/single_layer_task/benchmarking/single_layer_benchmark.sh"
# experiments/single_layer_benchmark.py's defaults under every one of its runs
_DEFAULTS = "single_layer_benchmark.py defaults: Adam, lr 1e-3, batch 128, weights clamped after each step"

STEPS = 50_000
SEEDS = 25
# the λ̂ warm-up of every regularized unit in these scripts (--regualizer-scaling-start/-end)
REG_START, REG_END = 20_000, 35_000

# The units each published figure compares, per operation (the scripts' runs). One addition of
# ours: the NMU on ÷, on its ×
# recipe, which no published script runs; it is the unit the division units were built to
# replace, so their rows are read against it (its weights in [0, 1] cannot express 1/x2).
PAIRS: Dict[str, Tuple[str, ...]] = {
    "add": ("NAC", "NALU", "G-NALU", "NAU", "iNALU"),
    "sub": ("NAC", "NALU", "G-NALU", "NAU", "iNALU"),
    "mul": ("NMU", "NACMul", "NALU", "G-NALU", "NPU", "RealNPU", "iNALU", "sNMU"),
    "div": ("NMU", "NACMul", "NALU", "G-NALU", "NPU", "RealNPU", "iNALU", "NRU", "NMRU"),
}

_RECIPES: Dict[str, Recipe] = {
    "NAC": Recipe(("NAC",), ("stable-nalu",), source=f"{_SCRIPT}: --layer-type NAC; {_DEFAULTS}"),
    "NACMul": Recipe(("NACMul",), ("stable-nalu",),
                     source=f"{_SCRIPT}: --layer-type MNAC --nac-mul normal (exp(NAC(log(|x| + 1e-7)))); {_DEFAULTS}"),
    "NALU": Recipe(("NALU",), ("stable-nalu",), source=f"{_SCRIPT}: --layer-type NALU; {_DEFAULTS}"),
    "G-NALU": Recipe(("NALU",), ("stable-nalu",), options=({"base": "golden-ratio"},),
                     source=f"{_SCRIPT} (its G-NALU runs, commented out there): --layer-type NALU --nalu-gate "
                            f"golden-ratio --nalu-mul golden-ratio --nac-weight golden-ratio; {_DEFAULTS}"),
    "NAU": Recipe(("NAU",), ("stable-nalu",), regularizer=0.01, reg_start=REG_START, reg_end=REG_END,
                  source=f"{_SCRIPT}: --layer-type ReRegualizedLinearNAC --regualizer 0.01 "
                         f"--regualizer-scaling-start 20000 --regualizer-scaling-end 35000; {_DEFAULTS}"),
    "NMU": Recipe(("NMU",), ("stable-nalu",), regularizer=10.0, reg_start=REG_START, reg_end=REG_END,
                  source=f"{_SCRIPT}: --layer-type ReRegualizedLinearMNAC --nac-mul mnac "
                         f"--regualizer-scaling-start 20000 --regualizer-scaling-end 35000 (λ̂ 10, the "
                         f"default); {_DEFAULTS}"),
    "iNALU": Recipe(("iNALU",), ("inalu",), options=({"regularizer_form": "nalm-benchmark"},), clip_value=0.1,
                    train_options={"reinit": {"check_every": 10, "min_entries": 5000, "threshold": 1.0},
                                   "regularize_when": {"strength": 0.05, "after": 10_000, "below": 1.0}},
                    source=f"{_SCRIPT}: --layer-type iNALU --clip-grad-value 0.1 --reinit (its defaults: "
                           "--reinit-epoch-interval 10 --reinit-max-stored-losses 5000 --reinit-loss-thr 1); "
                           "the iNALU regularizer, sum over W_a_hat, M_a_hat, W_m_hat, M_m_hat, g of "
                           "mean(max(0, 20 - |v|)), times 0.05 while the validation MSE is below 1 after "
                           f"step 10 000; {_DEFAULTS}"),
    # β of the L1 penalty from 1e-7 to 1e-5 (÷: 1e-9 to 1e-7), times 10 every 10 000 steps
    # (--regualizer-beta-step and -growth: single_layer_benchmark.py's defaults)
    "NPU": Recipe(("NPU",), ("nalm-benchmark",), lr=5e-3, regularizer=1e-5, reg_initial=1e-7, reg_growth=10.0,
                  reg_every=10_000,
                  source=f"{_SCRIPT}: --layer-type NPU --nac-mul npu --learning-rate 5e-3 "
                         "--regualizer-l1 --regualizer-beta-start 1e-7 --regualizer-beta-end 1e-5 "
                         "--regualizer-shape none --regualizer 0 (÷: beta 1e-9 to 1e-7); β × 10 every "
                         "10 000 steps (the defaults); W_re Glorot-uniform, W_im 0, g 1"),
    "NRU": Recipe(("NRU",), ("stable-nalu",), regularizer=10.0, reg_start=REG_START, reg_end=REG_END, lr=1.0,
                  source=f"{NALM_DIVISION} lfs_batch_jobs/single_layer_task/neurips_2021/sltr-in2.sh: "
                         "--layer-type NRU --nac-mul mnac --regualizer-scaling-start 20000 "
                         "--regualizer-scaling-end 35000 --learning-rate 1 (λ̂ 10, the default; "
                         "nru-div-mode div, the default; W clamped into [-1, 1] after each step)"),
    "NMRU": Recipe(("NMRU",), ("nalm-division",), options=({"sign_retrieval": True},), regularizer=10.0,
                   reg_start=REG_START, reg_end=REG_END, lr=1e-2, clip_norm=1.0,
                   source=f"{NALM_DIVISION} lfs_batch_jobs/single_layer_task/neurips_2021/sltr-in2.sh: "
                          "--layer-type SignNMRU --regualizer-scaling-start 20000 --regualizer-scaling-end "
                          "35000 --clip-grad-norm 1 --learning-rate 1e-2 (λ̂ 10, the default)"),
}
_RECIPES["RealNPU"] = dataclasses.replace(_RECIPES["NPU"], network=("RealNPU",),
                                          source=_RECIPES["NPU"].source.replace("NPU --nac-mul npu",
                                                                                "RealNPU --nac-mul real-npu"))
_RECIPES["sNMU"] = dataclasses.replace(
    _RECIPES["NMU"], network=("sNMU",),
    source=f"{NALM_ROBUST_NMU} lfs_batch_jobs/icml_2022/single_module.sh: --layer-type "
           "ReRegualizedLinearMNAC --nac-mul mnac --nmu-noise --regualizer-scaling-start 20000 "
           f"--regualizer-scaling-end 35000; {_DEFAULTS}; the noise U[1, 5) (--noise-range's default: "
           "the run is named batch-sNMU, but it does not pass --noise-range [1,0], the batch-statistics "
           "noise that other scripts of the repository ask for)")


def families() -> List[str]:
    """Every unit the benchmark runs, in the order of the published figures."""
    return list(dict.fromkeys(f for units in PAIRS.values() for f in units if f in _RECIPES))


def recipe(family: str, op: str) -> Recipe:
    """The recipe of ``family`` on the single-module task of ``op`` (one layer, its script's
    settings; ``Recipe.source`` cites them).

    Parameters
    ----------
    family : str
        A unit with a recipe here (:func:`families`).
    op : str
        The operation (some scripts set other values for ÷).

    Returns
    -------
    Recipe
    """
    if family not in _RECIPES:
        raise ValueError(f"the single-module benchmark has no recipe for {family!r} "
                         f"(it has: {', '.join(_RECIPES)})")
    found = _RECIPES[family]
    if op == "div" and found.reg_every:  # the power units' division runs: β from 1e-9 to 1e-7
        found = dataclasses.replace(found, reg_initial=1e-9, regularizer=1e-7)
    return found


def pairs(ops: List[str]) -> List[Tuple[str, str]]:
    """The (family, op) pairs the published figures show for ``ops``, those nalu_ext has."""
    return [(family, op) for op in ops for family in PAIRS.get(op, ()) if family in _RECIPES]


def range_label(interpolation: List[List[float]]) -> str:
    """An interpolation range as the figures write it: U[lo, hi) (a union joined by ∪)."""
    return " ∪ ".join(f"U[{lo:g},{hi:g})" for lo, hi in interpolation)


def table(summary: Any) -> str:
    """Success rates per unit and operation (rows) and interpolation range (columns, in the order
    of ``SingleModuleTask.RANGES``), each as a percent of its runs, with the number of runs.

    Parameters
    ----------
    summary : SweepSummary

    Returns
    -------
    str
    """
    order = [json.dumps([list(i) for i in as_intervals(r[0], "range")]) for r in SingleModuleTask.RANGES]
    cells: Dict[Tuple[str, str], Dict[str, Dict[str, Any]]] = {}
    for row in summary.rows:
        cells.setdefault((row["family"], row["op"]), {})[json.dumps(row["interpolation"])] = row
    width = max([7, *(len(f) for f, _ in cells)])
    lines = [f"{'op':3s} {'unit':{width}s} " + " ".join(f"{range_label(json.loads(k)):>13s}" for k in order)]
    published_order = {pair: k for k, pair in enumerate(pairs(list(PAIRS)))}
    for family, op in sorted(cells, key=lambda p: published_order.get(p, len(published_order))):
        row = cells[(family, op)]
        lines.append(f"{OP_SYMBOLS.get(op, op):3s} {family:{width}s} "
                     + " ".join(f"{_cell(row.get(k)):>13s}" for k in order))
    lines.append(summary.verdict())
    return "\n".join(lines)


def _cell(row: Any) -> str:
    return "-" if row is None else f"{100 * row['rate']:.0f}% of {row['runs']}"
