"""The published figures the benchmark's suites reproduce, and our rows set beside them.

``data/published.json`` holds the tables Madsen & Johansen's analysis wrote (stable-nalu@3e31a1d:
``paper/results/function_task_static_all.tex``, whose rows include the paper's Table 1,
``paper/results/simple_mul.tex``, the toy problem, ``function_task_static_ablation.tex``, the
ablation table, and ``function_task_static_nalu.tex``, the NALU table), extracted by ``bench/extract_published.py``. Rates and interval ends are rounded to
whole percents there, so are they here; the ablation table prints no interval.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .stats import fisher_exact, ks_2samp

SUITES = ("table1", "toy", "ablation", "nalu-table")
# the operations of the appendix table, run with every family; Table 1 itself is +, −, ×
APPENDIX_OPS = ("div", "square", "sqrt")
# how the paper names a family in these tables
LABELS = {"NACMul": "NAC•", "NAC": "NAC+", "PosNACMul": "NAC•,σ", "NMU-no-Rbias": "NMU, no R_bias",
          "NMU-no-clamp": "NMU, no W-clamp", "NMU-no-Rbias-no-clamp": "NMU, no R_bias, no W-clamp",
          "GatedNAUNMU": "Gated NAU/NMU", "NALU-separate": "NALU (separate)", "NALU-shared": "NALU (shared)"}
OP_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "square": "z²", "sqrt": "√z"}


@functools.lru_cache(maxsize=None)
def _data() -> Dict[str, Any]:
    text = resources.files("nalu_ext.benchmark").joinpath("data/published.json").read_text(encoding="utf-8")
    data: Dict[str, Any] = json.loads(text)
    return data


@functools.lru_cache(maxsize=None)
def _seed_data() -> Dict[str, Any]:
    text = resources.files("nalu_ext.benchmark").joinpath("data/published_seeds.json").read_text(encoding="utf-8")
    data: Dict[str, Any] = json.loads(text)
    return data


def published_seeds(family: str, op: str) -> Optional[Dict[str, List[Any]]]:
    """Every published run of Table 1 and its appendix for a family on an operation, one entry per
    seed in seed order: ``seed``, ``solved`` (the published verdict), ``solved_at`` (the first
    logged step below the threshold, None where never), ``sparsity_error`` (at the selected step)
    and ``logged_points``; None for a row the paper did not run. From stable-nalu@f371c1e's
    ``paper/results/sft-last.csv`` (``bench/extract_published_seeds.py``; the source is
    ``published_seeds_source()``)."""
    cell = _seed_data()["cells"].get(f"{family} {op}")
    return None if cell is None else {key: list(values) for key, values in cell.items()}


def published_seeds_source() -> Dict[str, str]:
    """Where the per-seed data come from: repository, commit, file, analysis, runs."""
    return dict(_seed_data()["source"])


def published_successes(family: str, op: str, first_seeds: Optional[int] = None
                        ) -> Optional[Tuple[List[float], List[float]]]:
    """The published successful runs' solved-at steps and sparsity errors (those recorded), in
    seed order, of every seed or of seeds 0 … first_seeds − 1; None for a row without per-seed
    data."""
    seeds = published_seeds(family, op)
    if seeds is None:
        return None
    won = [i for i, solved in enumerate(seeds["solved"]) if solved and (first_seeds is None or i < first_seeds)]

    def of_won(values: List[Any]) -> List[float]:
        return [values[i] for i in won if values[i] is not None]

    return of_won(seeds["solved_at"]), of_won(seeds["sparsity_error"])


def distribution_p(ours: Dict[str, Any], family: str, op: str, first_seeds: Optional[int] = None
                   ) -> Tuple[Optional[float], Optional[float]]:
    """Two-sample Kolmogorov–Smirnov p-values of our successful runs' solved-at steps and sparsity
    errors against the published successful runs' (of seeds below first_seeds, if given; None where
    either side has no value, or the paper has no per-seed data for the row)."""
    theirs = published_successes(family, op, first_seeds)
    if theirs is None:
        return None, None

    def p(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
        return ks_2samp(a, b)[1] if len(a) and len(b) else None

    return (p(ours.get("solved_at_values") or [], theirs[0]),
            p(ours.get("sparsity_errors") or [], theirs[1]))


def published_table(suite: str) -> Dict[str, Any]:
    """The published table of a suite: ``rows`` (op, family, rate, rate_low, rate_high,
    solved_at_median, solved_at_mean, sparsity_error_mean), ``seeds``, ``steps`` and ``source``
    (repository, commit, file).

    Parameters
    ----------
    suite : "table1", "toy", "ablation" or "nalu-table"

    Returns
    -------
    dict
    """
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {SUITES}, got {suite!r}")
    table: Dict[str, Any] = _data()[suite]
    return table


def published_row(suite: str, family: str, op: str) -> Optional[Dict[str, Any]]:
    """The published row of a family on an operation, or None when the table has none."""
    for row in published_table(suite)["rows"]:
        if row["family"] == family and row["op"] == op:
            return dict(row)
    return None


def suite_pairs(suite: str, ops: Sequence[str]) -> List[Tuple[str, str]]:
    """The (family, op) rows of a suite for the given operations, in the published order: Table 1's
    rows for +, −, × and every family for the appendix's ÷, z², √z; the other tables' rows."""
    rows = published_table(suite)["rows"]
    return [(r["family"], r["op"]) for r in rows if r["op"] in ops
            and (suite != "table1" or r["in_table_1"] or r["op"] in APPENDIX_OPS)]


def in_published_order(rows: Sequence[Dict[str, Any]], suite: str) -> List[Dict[str, Any]]:
    """Summary rows in the order of the published table (rows it lacks last)."""
    order = {(r["family"], r["op"]): k for k, r in enumerate(published_table(suite)["rows"])}
    return sorted(rows, key=lambda r: order.get((r["family"], r["op"]), len(order)))


def label(family: str) -> str:
    """The paper's name of a family (NAC• for NACMul, NAC+ for NAC)."""
    return LABELS.get(family, family)


def intervals_overlap(ours: Dict[str, Any], theirs: Dict[str, Any]) -> bool:
    """Whether two success-rate intervals share a point (their rounding taken into account: the
    published ends are whole percents, ±0.005); the published row must have an interval."""
    return bool(max(ours["rate_low"], theirs["rate_low"] - 0.005) <= min(ours["rate_high"], theirs["rate_high"] + 0.005))


# The suites whose rows have published per-seed data (published_seeds: Table 1's cells), and of
# which seeds: Table 1 all; the ablation table's NAC• and NMU rows are Table 1's runs of seeds 0–24
# (their published counts, medians and means are those seeds' in sft-last.csv: NAC• 6 of 25
# solved, median 2.9·10⁶), its other rows have none. A toy row's "NMU mul" is not Table 1's.
SEED_DATA: Dict[str, Optional[int]] = {"table1": None, "ablation": 25}

# The level below which a row's rate differs from the published one (issue 31: p < 0.01).
DIFFERENCE_LEVEL = 0.01


def difference_p(ours: Dict[str, Any], theirs: Dict[str, Any], published_seeds: int) -> float:
    """Fisher's exact test (two-sided) of our successes over our runs against the published count,
    the published rate × its seed count (whole percents of 100 seeds: exact counts)."""
    published_successes = int(round(theirs["rate"] * published_seeds))
    return fisher_exact(ours["successes"], ours["runs"], published_successes, published_seeds)


def _p_value(p: float) -> str:
    text = "<0.001" if p < 0.001 else f"{p:.3f}"
    return text + ("*" if p < DIFFERENCE_LEVEL else " ")


def _steps(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1e}"


def _optional_p(p: Optional[float]) -> str:
    return "-" if p is None else _p_value(p)


def comparison_table(summary: Any, suite: str) -> str:
    """Our rows (a :class:`~nalu_ext.benchmark.sweeps.SweepSummary`) beside the published ones: success with
    its Wilson 95% interval, runs and how many reached the criterion at some log, the published
    rate and interval, whether the intervals overlap, solved-at medians and sparsity errors.

    Parameters
    ----------
    summary : SweepSummary
    suite : "table1", "toy", "ablation" or "nalu-table"

    Returns
    -------
    str
    """
    table = published_table(suite)
    per_seed = suite in SEED_DATA
    rows = in_published_order(summary.rows, suite)
    width = max([7, *(len(label(r["family"])) for r in rows)])  # PyTorch models' names are free text
    lines = [f"{'op':3s} {'model':{width}s} {'runs':>4s} {'reached':>7s} {'success':>7s} {'95% interval':>13s}  "
             f"{'published':>9s} {'95% interval':>13s} {'overlap':>7s} {'Fisher p':>9s}  {'solved at (median)':>19s}  "
             f"{'sparsity error':>17s}  {'KS p: solved at':>15s} {'sparsity':>8s}"]
    for r in rows:
        p = published_row(suite, r["family"], r["op"])
        ours = f"{100 * r['rate']:6.0f}% {100 * r['rate_low']:5.0f}%–{100 * r['rate_high']:3.0f}%"
        ks = distribution_p(r, r["family"], r["op"], SEED_DATA[suite]) if per_seed else (None, None)
        if p is None:
            theirs, overlap, fisher, solved_p, sparsity_p = f"{'-':>9s} {'':13s}", "-", "-", "-", "-"
        else:
            interval = (f"{'':13s}" if p["rate_low"] is None else  # the ablation table prints none
                        f"{100 * p['rate_low']:5.0f}%–{100 * p['rate_high']:3.0f}%")
            theirs = f"{100 * p['rate']:8.0f}% {interval}"
            overlap = "-" if p["rate_low"] is None else "yes" if intervals_overlap(r, p) else "NO"
            fisher = _p_value(difference_p(r, p, table["seeds"]))
            solved_p, sparsity_p = _steps(p["solved_at_median"]), _steps(p["sparsity_error_mean"])
        sparsity = _steps(r["sparsity_error_mean"])
        lines.append(f"{OP_SYMBOLS.get(r['op'], r['op']):3s} {label(r['family']):{width}s} {r['runs']:4d} "
                     f"{r['reached']:7d} {ours}  {theirs} {overlap:>7s} {fisher:>9s}  "
                     f"{_steps(r['solved_at_median']):>8s} / {solved_p:>8s}  {sparsity:>7s} / {sparsity_p:>7s}  "
                     f"{_optional_p(ks[0]):>15s} {_optional_p(ks[1]):>8s}")
    source = table["source"]
    lines.append(f"Fisher p: the two-sided exact test of our successes against the published count (its rate "
                 f"× {table['seeds']} seeds); * p < {DIFFERENCE_LEVEL}: the rates differ (the verdict; overlapping "
                 "intervals are not one)")
    if per_seed:
        seeds = published_seeds_source()
        first_seeds = SEED_DATA[suite]
        which = "" if first_seeds is None else f"Table 1's seeds 0–{first_seeds - 1}, "
        lines.append("KS p: the two-sample Kolmogorov–Smirnov test of our successful runs' solved-at steps and "
                     f"sparsity errors against the published runs' (per seed, {which}"
                     f"{seeds['repository']}@{seeds['commit'][:7]} {seeds['file']}); * p < {DIFFERENCE_LEVEL}")
    if summary.judge == "final":
        lines.append("note: the published rates judge the published selection; beside the final model's "
                     "they show what that selection hides (a model that met the criterion and left it)")
    lines.append(f"published: {table['seeds']} seeds of {table['steps']:.0e} steps each, "
                 f"{source['repository']}@{source['commit'][:7]} {source['file']} (ours / published in "
                 "the last two columns)")
    return "\n".join(lines)
