"""Compact summaries of results files: what the repository keeps of a study instead of its raw runs.

A run of the published length logs 5001 points of five curves (about half a megabyte of JSON); a
study of a thousand such runs is hundreds of megabytes. Its summary keeps every record's spec, id,
status and every verdict field (final and selected verdicts, solved-at, sparsity, the selected
step and MSE, restarts, wall time) exactly, and its curves thinned to about :data:`CURVE_POINTS`
points (evenly spaced logs, plus the first, the last, the selected and the solved-at one) at four
significant digits, so that every table and figure can be made again from it.

A study's summaries are a directory, one file per unit family and operation (:func:`summarize_into`;
``python -m nalu_ext summarize RESULTS --into DIR``). A summary record is a record of a results file
like any other (``read_results`` reads it, and a directory of them; ``sweep(resume_from=DIR)``
counts its run as finished); its result says ``"thinned": n``, the number of
logs the run made, and the published selection is read from its stored fields, not re-picked from
the thinned curves (sweeps.judged). Summarising a summary changes nothing.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .results_file import read_results

CURVE_POINTS = 200
SIGNIFICANT_DIGITS = 4
CURVES = ("interpolation_mse", "extrapolation_mse", "train_loss", "sparsity_error_curve")


def is_summary(result: Dict[str, Any]) -> bool:
    """True for the result of a summary record (its curves thinned)."""
    return "thinned" in result


def kept_logs(result: Dict[str, Any], points: int = CURVE_POINTS) -> List[int]:
    """The indices of the logs a summary keeps: ``points`` evenly spaced over the run's logs, the
    first and the last, and the logs of the selected step and of the solved-at step."""
    steps = result["logged_steps"]
    n = len(steps)
    if n <= points:
        return list(range(n))
    kept = set(np.linspace(0, n - 1, points).round().astype(int).tolist())
    position = {step: i for i, step in enumerate(steps)}
    for step in (result.get("selected_step"), result.get("solved_at")):
        if step in position:
            kept.add(position[step])
    return sorted(kept)


def _rounded(value: Optional[float]) -> Optional[float]:
    return None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS - 1}e}")


def summarize_record(record: Dict[str, Any], points: int = CURVE_POINTS) -> Dict[str, Any]:
    """The summary of one record (a failed run's record, a summary, and a record whose protocol
    logs no curves are kept as they are)."""
    result = record.get("result")
    if record.get("status") != "ok" or not isinstance(result, dict) or is_summary(result) \
            or "logged_steps" not in result:
        return record
    kept = kept_logs(result, points)
    thinned = {name: value for name, value in result.items() if name not in CURVES and name != "logged_steps"}
    thinned["logged_steps"] = [result["logged_steps"][i] for i in kept]
    for name in CURVES:
        curve = result.get(name)
        if curve is not None and len(curve) == len(result["logged_steps"]):
            thinned[name] = [_rounded(curve[i]) for i in kept]
        elif curve is not None:
            thinned[name] = curve  # (a curve some older records did not log at every step)
    thinned["thinned"] = len(result["logged_steps"])
    return {**record, "result": thinned}


def row_file(record: Dict[str, Any]) -> str:
    """The name of the summary file that holds a record: one file per unit family and operation
    (a few hundred kilobytes at a hundred seeds of the published length)."""
    spec = record["spec"]
    op = spec.get("task", {}).get("op") or spec.get("protocol") or "runs"
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{spec.get('family', 'model')}-{op}") + ".jsonl.gz"


def _write_atomically(path: str, data: bytes) -> None:
    """Replaces ``path`` at once (a temporary file beside it renamed over it)."""
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".summary-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # (mkstemp's 0600 would keep a study's summaries from its readers)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def summarize_into(sources: Sequence[str], directory: str, points: int = CURVE_POINTS) -> Dict[str, int]:
    """Brings the summaries in ``directory`` up to date with the results files ``sources`` (their
    files are only read): the directory's records are kept and the sources' added, a finished
    run's record never replaced by a failed one's. One gzip file per unit family and operation
    (:func:`row_file`), its records sorted by run id and compressed with a zero timestamp, so that
    a file whose runs did not change is written with the same bytes. Returns file name -> records.
    """
    os.makedirs(directory, exist_ok=True)
    records = read_results(directory)
    for source in sources:
        for run, record in read_results(source).items():
            if record["status"] == "ok" or records.get(run, {}).get("status") != "ok":
                records[run] = record
    files: Dict[str, List[str]] = {}
    for run in sorted(records):
        summary = summarize_record(records[run], points)
        files.setdefault(row_file(summary), []).append(json.dumps(summary, allow_nan=False, sort_keys=True) + "\n")
    for name, lines in files.items():
        _write_atomically(os.path.join(directory, name),
                          gzip.compress("".join(lines).encode("utf-8"), compresslevel=9, mtime=0))
    return {name: len(lines) for name, lines in files.items()}
