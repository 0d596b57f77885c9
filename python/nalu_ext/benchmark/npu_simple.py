"""The NPU paper's simple arithmetic task (Heim, Pevný & Šmídl, "Neural Power Units", NeurIPS
2020; their code nmheim/NeuralPowerUnits ``scripts/simple/``; docs/protocols.md#the-npu-papers-simple-task):
one model learns x + y, x·y, x/y and √x jointly (2 inputs → a hidden layer of 6 → 4 outputs),
trained on fresh batches of 100 rows from U(0.1, 2.1) for 20 000 steps, and is scored by the
mean absolute error of each output on a grid that includes negative inputs; the published table
is the mean over 20 runs ± its standard error.

A run is a plain-data specification (:func:`make_run`), executed by ``nalu_ext.benchmark.sweep`` like the
other protocols (threads, Dask, a resumable results file); :class:`Summary` aggregates the
records and sets the published table beside them.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
from importlib import resources
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from .. import _checks
from .._dtypes import DTypeLike
from ..errors import Interrupted, TrainingDiverged
from .recipes import Recipe
from .tasks import Task

SOURCE = "nmheim/NeuralPowerUnits@e1b9a45"
_RUNS = f"{SOURCE} scripts/simple/run.jl"
OPS = ("add", "mul", "div", "sqrt")
SYMBOLS = {"add": "+", "mul": "×", "div": "÷", "sqrt": "√"}
STEPS = 20_000
SEEDS = 20
BATCH = 100
TRAIN_RANGE = (0.1, 2.1)  # dataset.jl generate_pos: rand(Float32, 2, 100) .* 2 .+ 0.1
HIDDEN = 6

# Each model of the table as run.jl builds and trains it (NeuralArithmetic.jl v0.3.0, the version
# its Manifest.toml pins; Flux's ADAM and RMSProp, whose ρ is 0.9).
RECIPES: Dict[str, Recipe] = {
    "NPU": Recipe(("NPU", "NAU"), ("glorot", "glorot"), options=({}, {"constraint": "none"}), lr=5e-3,
                  batch_size=BATCH, hidden=HIDDEN,
                  source=f"{_RUNS} run_npu: Chain(GatedNPUX(2, 6), NAU(6, 4)), ADAM(0.005), βl1 = 0; "
                         "NeuralArithmetic.jl's NAU is an unconstrained W x, Glorot-initialised"),
    "RealNPU": Recipe(("RealNPU", "NAU"), ("glorot", "glorot"), options=({}, {"constraint": "none"}),
                      lr=5e-3, batch_size=BATCH, hidden=HIDDEN,
                      source=f"{_RUNS} run_realnpu: Chain(GatedNPU(2, 6), NAU(6, 4)), ADAM(0.005), βl1 = 0"),
    "NMU": Recipe(("NMU", "NAU"), ("uniform", "glorot"), options=({"constraint": "clip"}, {"constraint": "none"}),
                  lr=5e-3, batch_size=BATCH, hidden=HIDDEN,
                  source=f"{_RUNS} run_nmu: Chain(NMU(2, 6), NAU(6, 4)), ADAM(0.005); the NMU's W ~ "
                         "rand (U[0, 1)), clipped into [0, 1] in the forward pass only; no regularizer"),
    "NALU": Recipe(("NALU", "NALU"), ("flux", "flux"), options=({"gate_bias": True, "eps": 1e-8},) * 2,
                   optimizer="RMSprop", optimizer_options={"alpha": 0.9}, lr=5e-3, batch_size=BATCH, hidden=HIDDEN,
                   source=f"{_RUNS} run_nalu: Chain(NALU(2, 6), NALU(6, 4)), RMSProp(0.005) (ρ 0.9); "
                          "NeuralArithmetic.jl's NALU: gate σ(G x + b), ε 1e-8, every parameter Glorot"),
    "iNALU": Recipe(("iNALU", "iNALU"), ("glorot", "glorot"), options=({"gate": "input"},) * 2,
                    optimizer="RMSprop", optimizer_options={"alpha": 0.9}, lr=1e-3, batch_size=BATCH, hidden=HIDDEN,
                    source=f"{_RUNS} run_inalu: Chain(iNALU(2, 6), iNALU(6, 4)), RMSProp(0.001) (ρ 0.9). Not "
                           "reproduced: its second half adds 1e-5·inalu_reg(ps, c[:t]), but the run's "
                           "config has no :t (the script as published stops there with a KeyError); "
                           "we train all 20 000 steps without it"),
    # The width that produced the published Dense figures: run.jl had Dense(2, 10, σ) until
    # a95aef0 made it 50, and its results cache (produce_or_load, force=false) is keyed by niters,
    # lr and run only, so the earlier results stood; width 10 reproduces the table, 50 does not
    # (bench/npu_simple_variants.py; docs/protocols.md#the-npu-papers-simple-task).
    "Dense": Recipe(("Dense", "Dense", "Dense"), ("glorot",) * 3,
                    options=({"activation": "sigmoid"}, {"activation": "sigmoid"}, {"activation": "identity"}),
                    lr=5e-3, batch_size=BATCH, hidden=10,
                    source="nmheim/NeuralPowerUnits@dbc5131 scripts/simple/run.jl run_dense: Chain(Dense(2, 10, σ), "
                           "Dense(10, 10, σ), Dense(10, 4)), ADAM(0.005): the version whose cached results the "
                           "table shows (e1b9a45 has width 50, under the same cache key)"),
}


def targets(x: np.ndarray) -> np.ndarray:
    """The four outputs of dataset.jl's f: x + y, x·y, x/y, √x (float64, NaN for √ of x < 0)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.stack([x[:, 0] + x[:, 1], x[:, 0] * x[:, 1], x[:, 0] / x[:, 1], np.sqrt(x[:, 0])], axis=1)


def training_rows(seed: int, first_step: int, steps: int, batch_size: int = BATCH,
                  dtype: DTypeLike = "float32") -> Tuple[np.ndarray, np.ndarray]:
    """The batches of steps [first_step, first_step + steps), each ``batch_size`` rows, of a run's
    training stream: x ~ U(0.1, 2.1)² from the counter-based generator of every task (a pure
    function of seed, row and column; ``first_step`` a multiple of ``steps``), and their four
    targets, computed in float64 and stored in ``dtype``."""
    task = Task("add", 2, (0, 1), (1, 2), TRAIN_RANGE, TRAIN_RANGE, seed)
    x, _ = task.batch(first_step // steps, steps * batch_size, dtype)
    return x, targets(x).astype(dtype)


def grid(op: str) -> np.ndarray:
    """The evaluation grid of an output (run.jl result_dict): every pair of -4.1:0.2:4 (41 values
    from -4.1 to 3.9, negative inputs included) for +, ×, ÷, of 0.1:0.1:4 for √; float32."""
    if op == "sqrt":
        axis = np.round(0.1 * np.arange(1, 41), 10)
    else:
        axis = np.round(-4.1 + 0.2 * np.arange(41), 10)
    axis = axis.astype(np.float32)
    # Iterators.product(x, y): x varies fastest; the order does not change a mean
    xs, ys = np.meshgrid(axis, axis, indexing="xy")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def mean_absolute_errors(model: Any) -> Dict[str, float]:
    """Each output's mean absolute error on its grid, the model in evaluation mode."""
    out = {}
    with model.evaluating(), np.errstate(all="ignore"):
        for k, op in enumerate(OPS):
            x = grid(op)
            y = model.predict(x).astype(np.float64)[:, k]
            out[op] = float(np.mean(np.abs(y - targets(x)[:, k])))
    return out


def make_run(family: str, *, seed: int, steps: int = STEPS) -> Dict[str, Any]:
    """A run specification (plain data) of ``family`` on the task: its recipe, the seed (of the
    data stream and, as seed·1000 + k, of layer k's initialisation) and the steps.

    Parameters
    ----------
    family : str
        A model of the table (``RECIPES``).
    seed : int
    steps : int

    Returns
    -------
    dict
    """
    recipe = RECIPES[_checks.choice(family, "family", tuple(RECIPES))]
    optimizer: Dict[str, Any] = {"kind": recipe.optimizer, "lr": recipe.lr, **recipe.optimizer_options}
    return {"protocol": "npu-simple", "family": family, "seed": _checks.integer(seed, "seed", maximum=None),
            "steps": _checks.integer(steps, "steps"), "batch_size": recipe.batch_size, "dtype": "float32",
            "widths": [2, *[recipe.hidden] * (len(recipe.network) - 1), len(OPS)],
            "network": list(recipe.network), "init": list(recipe.init),
            "options": [dict(o) for o in recipe.options], "optimizer": optimizer}


def result_of(spec: Dict[str, Any], stop: Optional[threading.Event] = None) -> Dict[str, Any]:
    """Trains one specification and scores it; returns its record's ``"result"``: the mean
    absolute errors, the last training loss, whether and where it diverged, seconds (the sweep's
    execute makes the record). Training that diverges stops there and is scored with its last
    good parameters."""
    from ..optim import OPTIMIZERS
    from .run_models import build_model

    start = time.perf_counter()
    model = build_model(spec)
    settings = dict(spec["optimizer"])
    optimizer = OPTIMIZERS[settings.pop("kind")](model.parameters(), **settings)
    batch, chunk = spec["batch_size"], 1000
    diverged_at, loss = None, float("nan")
    for first in range(0, spec["steps"], chunk):
        if stop is not None and stop.is_set():
            raise Interrupted(f"stopped after {first} steps")
        n = min(chunk, spec["steps"] - first)
        x, t = training_rows(spec["seed"], first, chunk, batch, spec["dtype"])
        try:
            for s in range(n):
                loss = model.train_step(x[s * batch:(s + 1) * batch], t[s * batch:(s + 1) * batch], optimizer)
        except TrainingDiverged as err:
            diverged_at = err.step
            break
    return {"mae": mean_absolute_errors(model), "train_loss": loss, "diverged_at": diverged_at,
            "seconds": time.perf_counter() - start}


def check_result(result: Dict[str, Any]) -> None:
    """Raises (KeyError, TypeError) unless ``result`` holds what :class:`Summary` reads: each
    output's mean absolute error (a number, or None for NaN) and where training diverged."""
    mae = result["mae"]
    for op in OPS:
        if mae[op] is not None and (isinstance(mae[op], bool) or not isinstance(mae[op], (int, float))):
            raise TypeError(f"the mean absolute error of {op} is {mae[op]!r:.40}, not a number")
    if result.get("diverged_at") is not None and not isinstance(result["diverged_at"], int):
        raise TypeError(f"diverged_at is {result['diverged_at']!r:.40}, not a step")


@functools.lru_cache(maxsize=None)
def published() -> Dict[str, Any]:
    """The published table (``data/npu_simple_published.json``, written by
    bench/extract_npu_simple.py): ``rows`` of family, op, mae_mean, mae_se; ``source``, ``seeds``."""
    text = resources.files("nalu_ext.benchmark").joinpath("data/npu_simple_published.json").read_text(encoding="utf-8")
    table: Dict[str, Any] = json.loads(text)
    return table


def published_cell(family: str, op: str) -> Optional[Dict[str, Any]]:
    for row in published()["rows"]:
        if row["family"] == family and row["op"] == op:
            return dict(row)
    return None


class Summary:
    """Mean absolute error per model and output over the runs of a sweep: ``rows`` of family,
    op, runs, mean, se (σ/√n, as results_table.jl), diverged (runs that stopped early), each with
    the published cell.

    Parameters
    ----------
    records : iterable of dict
        Records of a results file (``{"id", "spec", "status", "result"}``) of this protocol.
    """

    def __init__(self, records: Iterable[Dict[str, Any]]) -> None:
        self.records = list(records)
        self.failed = sum(1 for r in self.records if r["status"] != "ok")
        self.errors = [str(r.get("error", "unknown error")) for r in self.records if r["status"] != "ok"]
        groups: Dict[str, List[Dict[str, Any]]] = {}
        for r in self.records:
            if r["status"] == "ok":
                groups.setdefault(r["spec"]["family"], []).append(r["result"])
        order = {f: k for k, f in enumerate(RECIPES)}
        self.rows: List[Dict[str, Any]] = []
        for family in sorted(groups, key=lambda f: order.get(f, len(order))):
            results = groups[family]
            for op in OPS:
                values = np.array([r["mae"][op] if r["mae"][op] is not None else np.nan for r in results])
                n = len(values)
                se = float(np.std(values, ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
                self.rows.append({"family": family, "op": op, "runs": n, "mean": float(np.mean(values)), "se": se,
                                  "diverged": sum(1 for r in results if r.get("diverged_at") is not None),
                                  "published": published_cell(family, op)})

    def __str__(self) -> str:
        source = published()["source"]
        lines = [f"mean absolute error on the grid, mean ± standard error over runs (ours | published, "
                 f"{published()['seeds']} runs, {source['repository']}@{source['commit'][:7]} {source['file']})",
                 f"{'op':2s} {'model':8s} {'runs':>4s} {'ours':>20s} {'published':>18s}  {'apart':>5s}"]
        for r in self.rows:
            p = r["published"]
            theirs = "-" if p is None else f"{p['mae_mean']:.3g} ± {p['mae_se']:.2g}"
            apart = "-" if p is None else f"{_distance(r, p):.1f}σ"
            diverged = f"  ({r['diverged']} diverged)" if r["diverged"] else ""
            lines.append(f"{SYMBOLS[r['op']]:2s} {r['family']:8s} {r['runs']:4d} {_mean_se(r):>20s} {theirs:>18s}  "
                         f"{apart:>5s}{diverged}")
        lines.append("apart: |ours − published| in units of the two standard errors combined")
        if self.failed:
            lines.append(f"({self.failed} runs failed; the first error: {self.errors[0]})")
        return "\n".join(lines)


def _mean_se(row: Dict[str, Any]) -> str:
    return f"{row['mean']:.3g} ± {row['se']:.2g}"


def _distance(ours: Dict[str, Any], theirs: Dict[str, Any]) -> float:
    """|mean difference| over the combined standard error."""
    se = math.hypot(ours["se"] if np.isfinite(ours["se"]) else 0.0, theirs["mae_se"])
    return abs(ours["mean"] - theirs["mae_mean"]) / se if se > 0 else float("inf")
