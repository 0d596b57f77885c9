"""Results files: one JSON line per finished (or failed) run, appended as each run ends, read back
by run id. A path ending in ``.gz`` is gzip-compressed (a run of the published length logs 5001
points of five curves, about half a megabyte of JSON; gzip keeps about 40% of it).

Either kind survives a sweep killed while writing: the torn last record is ignored when read and
cut off before the next append, so every record that was complete stays.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from typing import Any, Dict, Iterator, List


def _compressed(path: str) -> bool:
    return path.endswith(".gz")


def _lines(path: str) -> Iterator[str]:
    """The file's complete lines; for a gzip file, up to where it stops being readable (a member
    cut short by a kill)."""
    if not _compressed(path):
        with open(path, encoding="utf-8") as f:
            yield from f
        return
    with gzip.open(path, "rt", encoding="utf-8") as f:
        try:
            yield from f
        except (EOFError, OSError, zlib.error):  # a torn last member: what came before it stands
            return


def run_id(spec: Dict[str, Any]) -> str:
    """A stable identifier of a specification: what resuming matches on, and the ``"id"`` of its
    record in a results file.

    Parameters
    ----------
    spec : dict
        A specification from :func:`~nalu_ext.make_run`.

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def read_results(path: str) -> Dict[str, Dict[str, Any]]:
    """The records of a results file (JSON lines, as :func:`~nalu_ext.sweep` appends them; gzip
    when the name ends in ``.gz``) by run id, the last record of an id winning; lines that do not
    parse (a torn last line of an interrupted sweep) are ignored. A missing file has no records.

    Each record is ``{"id", "spec", "status", "result"}`` (``"error"`` instead of ``"result"`` when
    the run failed): ``spec`` is :func:`~nalu_ext.make_run`'s specification and ``result`` a
    :meth:`RunResult.to_dict <nalu_ext.RunResult.to_dict>`. ``SweepSummary(records.values())``
    summarises them.

    Parameters
    ----------
    path : str

    Returns
    -------
    dict
        run id -> record.
    """
    records: Dict[str, Dict[str, Any]] = {}
    if not os.path.exists(path):
        return records
    for line in _lines(path):
        try:
            record = json.loads(line)
            records[record["id"]] = record
        except (ValueError, KeyError, TypeError):
            continue
    return records


class ResultsWriter:
    """Appends records to a results file, each one whole on disk before the next run can end
    (flushed; for gzip, a complete gzip member per record). Opening repairs a torn end first: a
    plain file's unterminated last line gets its newline, a gzip file is rewritten without its
    unreadable tail (through a temporary file and a rename, so a kill then loses nothing)."""

    def __init__(self, path: str) -> None:
        self.path = path
        if _compressed(path):
            self._repair_compressed()
            self._plain = None
        else:
            self._plain = open(path, "a", encoding="utf-8")
            if self._plain.tell() > 0:
                with open(path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        self._plain.write("\n")

    def _repair_compressed(self) -> None:
        if not os.path.exists(self.path) or os.path.getsize(self.path) == 0:
            return
        try:
            with gzip.open(self.path, "rb") as f:
                while f.read(1 << 20):
                    pass
            return  # readable to its end
        except (EOFError, OSError, zlib.error):
            pass
        good: List[str] = [line for line in _lines(self.path) if line.endswith("\n")]
        temporary = self.path + ".repair"
        with gzip.open(temporary, "wt", encoding="utf-8") as f:
            f.writelines(good)
        os.replace(temporary, self.path)

    def write(self, record: Dict[str, Any]) -> None:
        """Appends one record as a line of strict JSON (NaN and infinities are errors)."""
        line = json.dumps(record, allow_nan=False) + "\n"
        if self._plain is not None:
            self._plain.write(line)
            self._plain.flush()
        else:
            with gzip.open(self.path, "at", encoding="utf-8") as f:
                f.write(line)

    def close(self) -> None:
        if self._plain is not None:
            self._plain.close()
