"""Results as a pandas DataFrame, one row per run, for analysis beyond the package's own tables
(pandas is optional: ``pip install pandas``).

A row holds the run's id and status, its spec's fields (the task's under ``task.``, the
optimizer's under ``optimizer.``, the regularizer's schedule under ``regularizer.``) and every
scalar of its result: the final and the published selection's verdicts, solved-at, sparsity, the
threshold, the wall time, the steps done. The curves stay in the records (``read_results``); a
summary's row says how many logs its run made (``thinned``).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Union

from .results_file import read_results

# nested spec fields flattened into columns as "<field>.<key>"
_NESTED = ("task", "optimizer", "regularizer")


def record_row(record: Dict[str, Any]) -> Dict[str, Any]:
    """The flat row of one record: id, status, the spec's fields and the result's scalars."""
    row: Dict[str, Any] = {"id": record["id"], "status": record["status"]}
    for name, value in record["spec"].items():
        if name in _NESTED and isinstance(value, dict):
            row.update({f"{name}.{key}": _cell(v) for key, v in value.items()})
        else:
            row[name] = _cell(value)
    if record["status"] == "ok":
        row.update({name: value for name, value in record["result"].items() if not isinstance(value, list)})
        row["restarts"] = len(record["result"].get("restarts") or [])
    else:
        row["error"] = record.get("error", "")
    return row


def _cell(value: Any) -> Any:
    """A value a DataFrame cell holds as one thing: lists (ranges, subsets, inits) as tuples."""
    if isinstance(value, list):
        return tuple(_cell(v) for v in value)
    return value


def results_frame(source: Union[str, Iterable[Dict[str, Any]]]) -> Any:
    """The runs of a results file, a directory of summaries, or records, as a DataFrame.

    Parameters
    ----------
    source : str or iterable of dict
        A path :func:`~nalu_ext.benchmark.read_results` reads, or its records.

    Returns
    -------
    pandas.DataFrame
        One row per run (see the module docstring), in run-id order; its columns ``id``,
        ``status``, then the others in name order.

    Raises
    ------
    ImportError
        pandas is not installed (it says how to install it).
    """
    try:
        import pandas
    except ImportError as err:
        raise ImportError("results_frame needs pandas: pip install pandas") from err
    records: List[Dict[str, Any]] = (list(read_results(source).values()) if isinstance(source, str)
                                     else list(source))
    rows = [record_row(r) for r in sorted(records, key=lambda r: r["id"])]
    frame = pandas.DataFrame(rows)
    # the same columns in the same order whatever the records' key order (a summary's is sorted)
    return frame[["id", "status", *sorted(c for c in frame.columns if c not in ("id", "status"))]] if rows else frame
