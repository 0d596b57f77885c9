"""Results files: one JSON line per finished (or failed) run, appended as each run ends, read back
by run id. A path ending in ``.gz`` is gzip-compressed, one complete gzip member per record (a
run of the published length logs 5001 points of five curves, about half a megabyte of JSON; gzip
keeps about 40% of it).

What reading guarantees (tests/benchmark/test_results_files.py):

- A record is a line that is valid UTF-8 and strict JSON, an object whose ``id`` is the run id of
  its ``spec``, whose ``status`` is ``"ok"`` (with a ``result`` its protocol's summary can read)
  or ``"failed"`` (with an ``error``). Any other line (damaged, hand-edited, hostile: nested a
  million deep, binary) is reported with its line number as a :class:`ResultsFileWarning` and
  never counted as a finished run, so its run executes again.
- Memory stays bounded: a line longer than :data:`MAX_RECORD_BYTES` is skipped unread (a file
  without newlines is one such line); only regular files are read (not ``/dev/zero``).
- In a ``.gz`` file, a damaged gzip member costs only its own records: reading resynchronises on
  the next member. A file with a ``.gz`` name that is not gzip (plain JSON lines copied under
  that name) is refused with :class:`ResultsFileError`, never rewritten.

What writing guarantees: each record is one ``write`` of a whole line (or gzip member) under an
exclusive ``fcntl.flock`` of the file, so sweeps in several processes can append to one file; a
write that fails (a full disk) is cut back off, so the file holds every record written before it;
a record torn by a killed writer is cut off when the next writer opens the file, and nothing that
was complete is ever removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import stat
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

# The longest record read or written: a run of 5e6 steps logged at every 10th step is ~250 MB.
MAX_RECORD_BYTES = 1 << 30
GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20
_WARNINGS_SHOWN = 10  # problems warned one by one; the rest are counted in one more warning


class ResultsFileError(ValueError):
    """A results file that cannot be used: a ``.gz`` name on a file that is not gzip, a path that
    is not a regular file, or a write that failed (its message says what the file still holds)."""


class ResultsWriteError(ResultsFileError):
    """A record could not be written (a full disk, a size limit): the file holds every record
    written before it (the message says how many)."""


class ResultsFileWarning(UserWarning):
    """A line of a results file that is not a valid record (it was ignored; its run runs again)."""


def _compressed(path: str) -> bool:
    return path.endswith(".gz")


def run_id(spec: Dict[str, Any]) -> str:
    """A stable identifier of a specification: what resuming matches on, and the ``"id"`` of its
    record in a results file.

    Parameters
    ----------
    spec : dict
        A specification from :func:`~nalu_ext.benchmark.make_run`.

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Scan:
    """What reading a results file found: its records by run id (the last of an id winning), the
    problems (each naming a line or byte range), and where its complete content ends (``end``;
    ``size`` is the file's length: beyond ``end`` lies the record a killed writer tore, ``torn``)."""

    records: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)
    torn: str = ""  # the torn last record, in words ("" when there is none)
    end: int = 0
    size: int = 0


def check_record(record: Any) -> Optional[str]:
    """Why a parsed line is not a record (None when it is one)."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    spec, status = record.get("spec"), record.get("status")
    if not isinstance(spec, dict):
        return "no 'spec' object"
    try:
        if record.get("id") != run_id(spec):
            return f"its id {record.get('id')!r:.40} is not its spec's run id"
    except (TypeError, ValueError, RecursionError):
        return "a spec that is not plain data"
    if status == "failed":
        return None if isinstance(record.get("error", ""), str) else "a failed run's 'error' is not a string"
    if status != "ok":
        return f"status {status!r:.40}, expected 'ok' or 'failed'"
    result = record.get("result")
    if not isinstance(result, dict):
        return "a finished run without a 'result' object"
    try:
        _check_result(spec, result)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        return f"a result that cannot be summarised ({type(err).__name__}: {err})"
    return None


def _check_result(spec: Dict[str, Any], result: Dict[str, Any]) -> None:
    """Raises when ``result`` lacks what its protocol's summary reads."""
    if spec.get("protocol") == "npu-simple":
        from .npu_simple import check_result

        check_result(result)
        return
    from .verdicts import RunResult

    RunResult.from_dict(result)  # TypeError for a missing field, ValueError for a curve of non-numbers
    for name in ("success", "diverged"):
        if not isinstance(result.get(name, False), bool):
            raise TypeError(f"{name} is {result[name]!r:.40}, not true or false")
    for name in ("solved_at", "steps"):
        if result.get(name) is not None and not isinstance(result[name], int):
            raise TypeError(f"{name} is {result[name]!r:.40}, not an integer")


def _regular_file(path: str) -> Optional[os.stat_result]:
    """The file's status, None when it does not exist; ResultsFileError when it is not a regular
    file (a device such as /dev/zero, a pipe: it could be read without end)."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(status.st_mode):
        raise ResultsFileError(f"{path} is not a regular file; a results file must be one")
    return status


def _lines(chunks: Iterator[bytes]) -> Iterator[Tuple[Optional[bytes], int, bool]]:
    """(line, its length in bytes with its newline, terminated) for each line of the byte stream;
    a line longer than MAX_RECORD_BYTES is given as None, skipped without being held."""
    pending: List[bytes] = []
    held = 0
    too_long = False
    for chunk in chunks:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            piece = chunk[start:] if newline < 0 else chunk[start:newline]
            held += len(piece)
            if held > MAX_RECORD_BYTES:
                too_long, pending = True, []
            elif not too_long:
                pending.append(piece)
            if newline < 0:
                break
            yield (None if too_long else b"".join(pending)), held + 1, True
            pending, held, too_long = [], 0, False
            start = newline + 1
    if held or too_long:
        yield (None if too_long else b"".join(pending)), held, False


def _parse(line: Optional[bytes]) -> Tuple[Optional[Dict[str, Any]], str]:
    """(record, "") or (None, why the line is not a record)."""
    if line is None:
        return None, f"longer than {MAX_RECORD_BYTES} bytes"
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as err:
        return None, f"not UTF-8 text ({err.reason} at byte {err.start})"
    except RecursionError:
        return None, "JSON nested too deeply to read"
    except ValueError as err:
        return None, f"not JSON ({err})"
    why = check_record(record)
    return (record, "") if why is None else (None, why)


def _file_chunks(f: Any) -> Iterator[bytes]:
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            return
        yield chunk


def _read_lines(chunks: Iterator[bytes], scan: Scan, first_line: int = 1) -> int:
    """Adds the valid records among the lines to ``scan`` and reports the others; returns the
    number of the next line. An unterminated last line is a record only when it is valid (one
    that lost its newline); otherwise it is a record torn by a stopped writer, and ``scan.end``
    (advanced over every other line) stops before it."""
    following = first_line
    for number, (line, length, terminated) in enumerate(_lines(chunks), start=first_line):
        following = number + 1
        record, why = _parse(line)
        if record is not None:
            scan.records[record["id"]] = record
        elif not terminated:
            scan.torn = f"line {number} (the last) is incomplete, a record torn by a stopped sweep"
            break
        elif line is None or line.strip():  # (blank lines are no loss)
            scan.problems.append(f"line {number} is not a valid record: {why}; ignored")
        scan.end += length
    return following


class _Members:
    """The complete gzip members of a file, decompressed: each member's data is given once its CRC
    checked out. A damaged member is reported and skipped (reading resumes at the next gzip header
    after its start); one that runs into the end of the file with no header after it is the torn
    last record of a stopped writer. ``scan.end`` is the end of the last complete member."""

    def __init__(self, f: Any, scan: Scan) -> None:
        self.f, self.scan = f, scan

    def __iter__(self) -> Iterator[bytes]:
        start = 0
        while start < self.scan.size:
            data, end = self._member(start)
            if data is not None:
                self.scan.end = end
                yield data
                start = end
                continue
            following = _next_magic(self.f, start + 1, self.scan.size)
            if end < 0 and following == self.scan.size:
                self.scan.torn = (f"bytes {start}-{self.scan.size} are an incomplete last gzip member, a record "
                                  "torn by a stopped sweep")
                return
            self.scan.problems.append(f"bytes {start}-{following}: a damaged gzip member, skipped (the records "
                                      "in it are lost; the rest of the file is read)")
            start = following

    def _member(self, start: int) -> Tuple[Optional[bytes], int]:
        """(decompressed data, end offset) of a complete member at ``start``; (None, -1) when the
        file ends inside it, (None, 0) when it is damaged (or decompresses to more than
        MAX_RECORD_BYTES)."""
        self.f.seek(start)
        d = zlib.decompressobj(wbits=31)
        out: List[bytes] = []
        held = 0
        position = start
        while not d.eof:
            chunk = d.unconsumed_tail
            if not chunk:
                chunk = self.f.read(_CHUNK)
                position += len(chunk)
                if not chunk:
                    return None, -1
            try:
                piece = d.decompress(chunk, _CHUNK)
            except zlib.error:
                return None, 0
            held += len(piece)
            if held > MAX_RECORD_BYTES:
                return None, 0
            out.append(piece)
        return b"".join(out), position - len(d.unused_data)


def _next_magic(f: Any, offset: int, size: int) -> int:
    """The offset of the next gzip header in ``f`` at or after ``offset`` (``size`` if none)."""
    f.seek(offset)
    carry, base = b"", offset
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            return size
        data = carry + chunk
        found = data.find(GZIP_MAGIC)
        if found >= 0:
            return int(base + found)
        carry = data[-(len(GZIP_MAGIC) - 1):]
        base += len(data) - len(carry)


def _scan_compressed(f: Any, path: str, scan: Scan) -> None:
    if scan.size and f.read(len(GZIP_MAGIC)) != GZIP_MAGIC and _next_magic(f, 0, scan.size) == scan.size:
        f.seek(0)
        raise ResultsFileError(
            f"{path} is named .gz but is not gzip (it starts with {f.read(40)!r}); a results file ending in "
            ".gz must be one. If it holds plain JSON lines, rename it to end in .jsonl")
    lines = Scan()  # the decompressed lines' byte counts are not offsets in the file: scan.end is the members'
    number = 1
    for data in _Members(f, scan):
        number = _read_lines(iter([data]), lines, number)
    scan.records.update(lines.records)
    scan.problems.extend(lines.problems)
    scan.torn = scan.torn or lines.torn


def scan_results(path: str) -> Scan:
    """Reads a results file (see the module's docstring); a missing file is an empty scan."""
    status = _regular_file(path)
    scan = Scan()
    if status is None:
        return scan
    with open(path, "rb") as f:
        scan.size = os.fstat(f.fileno()).st_size
        if _compressed(path):
            _scan_compressed(f, path, scan)
        else:
            _read_lines(_file_chunks(f), scan)
    return scan


def warn_problems(path: str, problems: List[str]) -> None:
    """One ResultsFileWarning per problem (the first few; then one that counts the rest)."""
    for problem in problems[:_WARNINGS_SHOWN]:
        warnings.warn(f"{path}: {problem}", ResultsFileWarning, stacklevel=3)
    if len(problems) > _WARNINGS_SHOWN:
        warnings.warn(f"{path}: {len(problems) - _WARNINGS_SHOWN} more lines are not valid records; ignored",
                      ResultsFileWarning, stacklevel=3)


def read_results(path: str) -> Dict[str, Dict[str, Any]]:
    """The records of a results file (JSON lines, as :func:`~nalu_ext.benchmark.sweep` appends them; gzip
    when the name ends in ``.gz``) by run id, the last record of an id winning. A line that is not
    a valid record (a torn last line of an interrupted sweep, a damaged or edited one) is ignored
    with a :class:`ResultsFileWarning` naming its line. A missing file has no records.

    Each record is ``{"id", "spec", "status", "result"}`` (``"error"`` instead of ``"result"`` when
    the run failed): ``spec`` is :func:`~nalu_ext.benchmark.make_run`'s specification and ``result`` a
    :meth:`RunResult.to_dict <nalu_ext.benchmark.RunResult.to_dict>`. ``SweepSummary(records.values())``
    summarises them.

    A directory is read as the union of its ``*.jsonl`` and ``*.jsonl.gz`` files (in name order):
    the committed summaries of a study (:mod:`nalu_ext.benchmark.summaries`).

    Parameters
    ----------
    path : str

    Returns
    -------
    dict
        run id -> record.

    Raises
    ------
    ResultsFileError
        The path is not a regular file, or is named ``.gz`` and is not gzip.
    """
    if os.path.isdir(path):  # a directory of summaries (benchmark.summaries): every file's records
        records: Dict[str, Dict[str, Any]] = {}
        for name in sorted(os.listdir(path)):
            if name.endswith((".jsonl", ".jsonl.gz")) and not name.startswith("."):
                records.update(read_results(os.path.join(path, name)))
        return records
    scan = scan_results(path)
    warn_problems(path, scan.problems + ([scan.torn + "; ignored"] if scan.torn else []))
    return scan.records


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


class ResultsWriter:
    """Appends records to a results file, each one whole on disk before the next run can end:
    one ``write`` of a complete line (a complete gzip member for ``.gz``) under an exclusive
    ``flock``, so that sweeps in other processes can append to the same file. Opening cuts off a
    record torn by a killed writer (nothing complete is removed); a write that fails (a full disk)
    is cut back off and raises :class:`ResultsWriteError` saying what the file holds."""

    def __init__(self, path: str) -> None:
        """Opens (creates) ``path`` for appending, cutting off a torn last record; ``scan`` is
        what the file held (read under the lock, so no other writer was half-way through)."""
        self.path = path
        self.written = 0
        self.note = ""  # what opening repaired, in words ("" when nothing)
        _regular_file(path)
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            with _locked(self._fd):
                self._cut_torn_end()
        except BaseException:
            os.close(self._fd)
            raise

    def _cut_torn_end(self) -> None:
        self.scan = scan_results(self.path)
        if self.scan.problems and not self.scan.records:
            first = self.scan.problems[0].replace("; ignored", "")
            raise ResultsFileError(f"{self.path} holds no results records ({first}); it is not appended to: "
                                   "give another file, or remove this one")
        if self.scan.torn and self.scan.end < self.scan.size:  # (damage elsewhere stays, reported)
            os.ftruncate(self._fd, self.scan.end)
            self.note = f"{self.path}: {self.scan.torn}; cut off (every complete record is kept)"

    def write(self, record: Dict[str, Any]) -> None:
        """Appends one record as a line of strict JSON (NaN and infinities are errors)."""
        data = (json.dumps(record, allow_nan=False) + "\n").encode("utf-8")
        if len(data) > MAX_RECORD_BYTES:
            raise ResultsWriteError(f"a record of {len(data)} bytes is longer than a results file holds "
                                    f"({MAX_RECORD_BYTES}); log less often (a larger log_every)")
        if _compressed(self.path):
            data = gzip.compress(data, mtime=0)
        with _locked(self._fd):
            before = os.fstat(self._fd).st_size
            if not _compressed(self.path) and before > 0 and os.pread(self._fd, 1, before - 1) != b"\n":
                data = b"\n" + data  # a writer died mid-line: that fragment stays a line of its own
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
            except OSError as err:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, before)
                raise ResultsWriteError(
                    f"cannot write to {self.path}: {err.strerror or err}; it keeps the {len(self.scan.records)} "
                    f"records it held and the {self.written} written since (this run's was not written)") from None
        self.written += 1

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
