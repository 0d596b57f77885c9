"""Many runs on the benchmark tasks: run specifications as plain data, executed in parallel,
recorded one JSON line each, resumable, summarised per unit × task.

A run specification is a dict (JSON-serialisable, picklable) made by :func:`make_run`; the same
specification always gives the same result, run serially, in threads, or on a Dask cluster
(``executor=client.get_executor()``): the data come from the task's counter-based stream and the
parameters from the seed.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import traceback
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import stats
from .layers import LAYER_KINDS
from .model import Sequential
from .optim import SGD, Adam, RMSprop
from .protocol import SELECTION_WINDOW, published_selection, train_task
from .tasks import Task, task_from_dict

# Each unit family's two-layer network (first, second), as published: NAU→NAU for + and −,
# NAU→NMU for ×; the others stack two layers of their own unit.
FAMILIES: Dict[str, Sequence[str]] = {
    "NAU": ("NAU", "NAU"), "NMU": ("NAU", "NMU"), "NALU": ("NALU", "NALU"), "NAC": ("NAC", "NAC"),
    "iNALU": ("iNALU", "iNALU"), "NPU": ("NPU", "NPU"), "RealNPU": ("RealNPU", "RealNPU"),
}
REGULARIZED = ("NAU", "NMU")
OPTIMIZERS: Dict[str, Callable[..., Any]] = {"Adam": Adam, "SGD": SGD, "RMSprop": RMSprop}


def make_run(family: str, task: Task, *, seed: int, steps: int, hidden: int = 2, lr: float = 1e-3,
             optimizer: str = "Adam", batch_size: int = 128, log_every: int = 1000,
             regularizer: float = 10.0, reg_start: Optional[int] = None, reg_end: Optional[int] = None,
             dtype: str = "float32") -> Dict[str, Any]:
    """A run specification: plain data. The regularizer of NAU/NMU layers warms up from
    reg_start (default steps/5) to reg_end (default 2·steps/5), λ̂ = 10: the published setting
    (Madsen & Johansen: 1e6 to 2e6 of 5e6 steps, --regualizer 10)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown unit family {family!r} (known: {sorted(FAMILIES)})")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    return {
        "family": family, "task": task.to_dict(), "seed": int(seed), "steps": int(steps),
        "hidden": int(hidden), "optimizer": {"kind": optimizer, "lr": float(lr)},
        "batch_size": int(batch_size), "log_every": int(log_every), "dtype": dtype,
        "regularizer": {"regularizer": float(regularizer),
                        "reg_start": int(steps // 5 if reg_start is None else reg_start),
                        "reg_end": int(2 * steps // 5 if reg_end is None else reg_end)},
    }


def run_id(spec: Dict[str, Any]) -> str:
    """A stable identifier of a specification (what resuming matches on)."""
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def build_model(spec: Dict[str, Any]) -> Sequential:
    task = task_from_dict(spec["task"])
    widths = (task.input_size, spec["hidden"], 1)
    layers = []
    for k, kind in enumerate(FAMILIES[spec["family"]]):
        kwargs: Dict[str, Any] = {"dtype": spec["dtype"], "seed": spec["seed"] * 1000 + k}
        if kind in REGULARIZED:
            kwargs.update(spec["regularizer"])
        layers.append(LAYER_KINDS[kind](widths[k], widths[k + 1], **kwargs))
    return Sequential(*layers)


def execute(spec: Dict[str, Any]) -> Dict[str, Any]:
    """Runs one specification; returns {"id", "spec", "status": "ok", "result"} (a module-level
    function, so that process pools and Dask workers can pickle it)."""
    model = build_model(spec)
    opt = OPTIMIZERS[spec["optimizer"]["kind"]](model.parameters(), lr=spec["optimizer"]["lr"])
    result = train_task(model, task_from_dict(spec["task"]), opt, steps=spec["steps"],
                        batch_size=spec["batch_size"], log_every=spec["log_every"])
    return {"id": run_id(spec), "spec": spec, "status": "ok", "result": result.to_dict()}


def read_results(path: str) -> Dict[str, Dict[str, Any]]:
    """The records of a results file by run id, the last record of an id winning; lines that do
    not parse (a torn last line of an interrupted sweep) are ignored."""
    records: Dict[str, Dict[str, Any]] = {}
    if not os.path.exists(path):
        return records
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
                records[record["id"]] = record
            except (ValueError, KeyError, TypeError):
                continue
    return records


JUDGES = ("final", "published")


def check_judge(judge: str) -> str:
    if judge not in JUDGES:
        raise ValueError(f"judge must be one of {JUDGES}, got {judge!r}")
    return judge


def judged(result: Dict[str, Any], judge: str) -> Tuple[bool, float]:
    """A run's verdict and the sparsity error of the model it judges. "final" judges the last
    model (RunResult.success); "published" the model the published analysis picks from the logged
    curves (protocol.published_selection; picked from the curves, so results files written before
    the selection fields existed are judged alike; their sparsity at that log is unknown: nan)."""
    if check_judge(judge) == "final":
        return bool(result["success"]), float(result["sparsity_error"])
    index, _, success = published_selection(result["interpolation_mse"], result["extrapolation_mse"],
                                            result["threshold"])
    curve = result.get("sparsity_error_curve") or []
    return success, float(curve[index]) if index is not None and index < len(curve) else float("nan")


class SweepSummary:
    """One row per unit family × task: success rate with its Wilson interval, solved-at, sparsity
    error, and how many runs reached the criterion at some logged step. `judge` says which model
    decides success and whose sparsity is reported: the final one, or the one the published
    analysis picks."""

    def __init__(self, records: Iterable[Dict[str, Any]], judge: str = "final") -> None:
        self.judge = check_judge(judge)
        groups: Dict[tuple, List[Dict[str, Any]]] = {}
        self.failed = 0
        for r in records:
            if r["status"] != "ok":
                self.failed += 1
                continue
            task = r["spec"]["task"]
            label = (r["spec"]["family"], task["op"], json.dumps(task["interpolation"]), task["input_size"])
            groups.setdefault(label, []).append(r["result"])
        self.rows = []
        for (family, op, interp, size), results in sorted(groups.items()):
            verdicts = [judged(r, judge) for r in results]
            row = stats.summarize([v[0] for v in verdicts], [r["solved_at"] for r in results],
                                  [v[1] for v in verdicts])
            row.update(family=family, op=op, interpolation=json.loads(interp), input_size=size)
            self.rows.append(row)

    def __str__(self) -> str:
        lines = [f"{'unit':8s} {'op':6s} {'success':>8s} {'95% interval':>15s} {'solved at (median)':>19s} "
                 f"{'sparsity':>9s} {'runs':>5s} {'reached':>8s}"]
        for r in self.rows:
            solved = "-" if r["solved_at_median"] is None else f"{r['solved_at_median']:.0f}"
            sparsity = "-" if r["sparsity_error_mean"] is None else f"{r['sparsity_error_mean']:.1e}"
            lines.append(f"{r['family']:8s} {r['op']:6s} {100 * r['rate']:7.0f}% "
                         f"{100 * r['rate_low']:6.0f}%–{100 * r['rate_high']:3.0f}%  {solved:>19s} "
                         f"{sparsity:>9s} {r['runs']:5d} {r['reached']:8d}")
        lines.append("success: " + ("the final model's test MSE below the threshold" if self.judge == "final"
                                    else "the published selection (lowest validation MSE of the last "
                                         f"{SELECTION_WINDOW} logs) below the threshold"))
        if self.failed:
            lines.append(f"({self.failed} runs failed; see the results file)")
        return "\n".join(lines)


def sweep(runs: Sequence[Dict[str, Any]], *, executor: Optional[cf.Executor] = None,
          results: Optional[str] = None, progress: bool = True, judge: str = "final") -> SweepSummary:
    """Executes every run (skipping those a results file already holds as finished), appending each
    finished or failed run to ``results`` as one flushed JSON line, and summarises them all.

    ``executor``: any concurrent.futures.Executor (e.g. a Dask client's ``get_executor()``); by
    default a thread pool with one thread per core (the C++ loops release the GIL). A failing run
    is recorded with its error and retried on the next call; it never stops the others.
    ``judge``: which model decides success in the summary (see SweepSummary).
    """
    check_judge(judge)  # before any run: a typo must not cost a sweep
    done = read_results(results) if results else {}
    by_id = {run_id(spec): spec for spec in runs}
    todo = [spec for rid, spec in by_id.items() if done.get(rid, {}).get("status") != "ok"]
    own = executor is None
    pool: cf.Executor = executor if executor is not None else cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    out = open(results, "a", encoding="utf-8") if results else None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(by_id), initial=len(by_id) - len(todo), unit="run", dynamic_ncols=True)
    try:
        futures = {pool.submit(execute, spec): spec for spec in todo}
        for future in cf.as_completed(futures):
            spec = futures[future]
            try:
                record = future.result()
            except Exception as err:  # a failed run is data, not the end of the sweep
                record = {"id": run_id(spec), "spec": spec, "status": "failed",
                          "error": "".join(traceback.format_exception_only(type(err), err)).strip()}
            done[record["id"]] = record  # only this thread writes: as_completed yields here
            if out is not None:
                out.write(json.dumps(record) + "\n")
                out.flush()
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if out is not None:
            out.close()
        if own:
            pool.shutdown(wait=True)
    return SweepSummary((done[rid] for rid in by_id if rid in done), judge)
