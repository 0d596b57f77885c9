"""Results files under damage, concurrency and hostility: a damaged gzip member costs only its own
records, a plain file with a .gz name is refused rather than rewritten, two processes append to
one file without losing a record, a line that is not a valid record is reported by number and
never counted as finished, memory stays bounded, and a full disk stops the sweep with one line
saying what was kept (issue 28, defects 1, 2, 8, 9 and 15)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
import zlib

import pytest

import nalu_ext
from nalu_ext.benchmark import results_file
from nalu_ext.benchmark.results_file import ResultsFileError, ResultsFileWarning, ResultsWriter, read_results, run_id
from nalu_ext.benchmark.tasks import ArithmeticTask
from helpers import InlineExecutor

ISA_INDEPENDENT = True


def tiny_run(seed):
    return nalu_ext.benchmark.make_run("NAU", ArithmeticTask("add", input_size=4, seed=seed), seed=seed,
                             steps=50, log_every=25)


def sweep(runs, path, executor=None):
    return nalu_ext.benchmark.sweep(runs, results=str(path), progress=False, executor=executor or InlineExecutor())


def member_offsets(data):
    """The start of each gzip member of ``data`` (as one record per member writes them)."""
    starts, position = [], 0
    while position < len(data):
        starts.append(position)
        d = zlib.decompressobj(wbits=31)
        d.decompress(data[position:])
        position = len(data) - len(d.unused_data)
    return starts


# -- defect 1: a .gz file that cannot be read from its start ------------------------------------

def test_a_plain_file_with_a_gz_name_is_refused_and_left_as_it_was(tmp_path):
    """Such a file used to be "repaired" to nothing: every record lost at the next sweep."""
    plain = tmp_path / "runs.jsonl"
    sweep([tiny_run(0), tiny_run(1)], plain)
    named = tmp_path / "runs.jsonl.gz"
    shutil.copy(plain, named)
    before = named.read_bytes()
    with pytest.raises(ResultsFileError, match=r"named \.gz but is not gzip.*rename it to end in \.jsonl"):
        sweep([tiny_run(0), tiny_run(1), tiny_run(2)], named)
    with pytest.raises(ResultsFileError, match="not gzip"):
        read_results(str(named))
    assert named.read_bytes() == before


@pytest.mark.parametrize("where", ["magic", "deflate data", "crc"])
def test_a_damaged_first_member_costs_only_its_own_record(tmp_path, where):
    """One damaged byte in the first of 20 members used to lose all 20."""
    path = tmp_path / "runs.jsonl.gz"
    runs = [tiny_run(seed) for seed in range(20)]
    sweep(runs, path)
    data = bytearray(path.read_bytes())
    starts = member_offsets(bytes(data))
    assert len(starts) == 20  # one member per record
    offset = {"magic": 0, "deflate data": 15, "crc": starts[1] - 7}[where]
    data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.warns(ResultsFileWarning, match=rf"bytes 0-{starts[1]}: a damaged gzip member"):
        records = read_results(str(path))
    assert set(records) == {run_id(spec) for spec in runs[1:]}
    counting = InlineExecutor()
    with pytest.warns(ResultsFileWarning, match="damaged gzip member"):
        sweep(runs, path, counting)
    assert counting.calls == 1  # only the lost record's run, once
    assert path.read_bytes().startswith(bytes(data))  # the 19 intact members were not touched
    with pytest.warns(ResultsFileWarning):
        assert set(read_results(str(path))) == {run_id(spec) for spec in runs}


def test_a_torn_member_in_the_middle_is_skipped_and_the_rest_read(tmp_path):
    """A member cut short that is followed by complete ones is damage, not the torn end: the
    members after it are kept, and opening the file for writing removes nothing."""
    path = tmp_path / "runs.jsonl.gz"
    sweep([tiny_run(0)], path)
    first = path.read_bytes()
    sweep([tiny_run(0), tiny_run(1)], path)
    second = path.read_bytes()[len(first):]
    path.write_bytes(first[:-30] + second)  # the first member lost its end
    with pytest.warns(ResultsFileWarning, match="damaged gzip member"):
        assert set(read_results(str(path))) == {run_id(tiny_run(1))}
    size = path.stat().st_size
    out = ResultsWriter(str(path))
    out.close()
    assert "damaged gzip member" in out.scan.problems[0] and out.note == ""
    assert path.stat().st_size == size


# -- defect 2: concurrent writers -----------------------------------------------------------------

WRITER = textwrap.dedent("""
    import os, sys
    from nalu_ext.benchmark.results_file import ResultsWriter, run_id
    path, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = ResultsWriter(path)
    for k in range(count):
        spec = {"writer": who, "k": k}
        # a large record, written by several write() calls when not written as one
        out.write({"id": run_id(spec), "spec": spec, "status": "failed", "error": os.urandom(40000).hex()})
    out.close()
""")


@pytest.mark.parametrize("name", ["runs.jsonl", "runs.jsonl.gz"])
def test_two_processes_appending_to_one_file_lose_no_record(tmp_path, name):
    """Two sweeps appending to one .gz file interleaved their gzip members: of 120 records, 2 to
    80 survived. Each record is now one write of a whole member under an flock."""
    path = tmp_path / name
    count = 150
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(count)]) for who in "ab"]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsFileWarning)  # no damaged member, no torn line
        assert len(read_results(str(path))) == 2 * count


def test_two_sweeps_on_one_gzip_file_keep_every_run(tmp_path):
    path = tmp_path / "runs.jsonl.gz"
    script = textwrap.dedent("""
        import sys, nalu_ext
        from nalu_ext.benchmark.tasks import ArithmeticTask
        first = int(sys.argv[2])
        runs = [nalu_ext.benchmark.make_run("NAU", ArithmeticTask("add", input_size=4, seed=s), seed=s, steps=400,
                                  log_every=1) for s in range(first, first + 30)]
        nalu_ext.benchmark.sweep(runs, results=sys.argv[1], progress=False)
    """)
    sweeps = [subprocess.Popen([sys.executable, "-c", script, str(path), str(first)]) for first in (0, 30)]
    assert [s.wait(timeout=300) for s in sweeps] == [0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsFileWarning)
        assert len(read_results(str(path))) == 60


# -- defect 8: lines that are not valid records ---------------------------------------------------

def hostile_lines():
    spec = tiny_run(7)
    return {
        "nested a million deep": b"[" * 1_000_000 + b"]" * 1_000_000,
        "not UTF-8": b'{"id": "\xff\xfe", "status": "ok"}',
        "binary": bytes(range(256)).replace(b"\n", b""),
        "missing result fields": json.dumps({"id": run_id(spec), "spec": spec, "status": "ok",
                                             "result": {"success": True}}).encode(),
        "id of another spec": json.dumps({"id": "0" * 16, "spec": spec, "status": "failed", "error": "x"}).encode(),
    }


@pytest.mark.parametrize("kind", list(hostile_lines()))
@pytest.mark.parametrize("name", ["runs.jsonl", "runs.jsonl.gz"])
def test_a_line_that_is_not_a_record_is_reported_by_number_and_its_run_runs_again(tmp_path, kind, name):
    """Such lines raised RecursionError, UnicodeDecodeError, or (status ok, fields missing) made
    the sweep skip the run and then fail in the summary with KeyError."""
    path = tmp_path / name
    runs = [tiny_run(seed) for seed in (5, 6, 7)]
    sweep(runs[:2], path)
    line = hostile_lines()[kind] + b"\n"
    with open(path, "ab") as f:
        f.write(gzip.compress(line) if name.endswith(".gz") else line)
    with pytest.warns(ResultsFileWarning, match="line 3 is not a valid record"):
        records = read_results(str(path))
    assert set(records) == {run_id(spec) for spec in runs[:2]}
    counting = InlineExecutor()
    with pytest.warns(ResultsFileWarning, match="line 3"):
        summary = sweep(runs, path, counting)
    assert counting.calls == 1 and summary.rows[0]["runs"] == 3


def test_the_command_line_reports_a_bad_line_in_one_line_and_resumes(tmp_path):
    path = tmp_path / "runs.jsonl"
    sweep([tiny_run(0)], path)
    with open(path, "ab") as f:
        f.write(b"[" * 100_000 + b"]" * 100_000 + b"\n" + b"\xff\xfe binary\n")
    done = cli("--results", str(path))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "warning: " + str(path) + ": line 2 is not a valid record: JSON nested too deeply" in done.stderr
    assert "line 3 is not a valid record: not UTF-8" in done.stderr
    with pytest.warns(ResultsFileWarning):
        assert len(read_results(str(path))) == 3  # the bad lines stay, reported; the two runs were added


def test_a_file_with_no_record_in_it_is_not_appended_to(tmp_path):
    """A wrong file given as --results (a model file, an image) is refused, not written into."""
    model = tmp_path / "model.npz"
    nalu_ext.Sequential(nalu_ext.NAU(2, 1, seed=0)).save(model)
    before = model.read_bytes()
    with pytest.raises(ResultsFileError, match="holds no results records"):
        sweep([tiny_run(0)], model)
    assert model.read_bytes() == before
    done = cli("--results", str(model))
    assert done.returncode == 2 and "holds no results records" in done.stderr
    assert model.read_bytes() == before


# -- defect 9: bounded reading -------------------------------------------------------------------

def test_a_file_without_newlines_is_read_in_bounded_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(results_file, "MAX_RECORD_BYTES", 1 << 20)
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"x" * (16 << 20) + b"\n" + b"y" * (16 << 20))
    tracemalloc.start()
    try:
        with pytest.warns(ResultsFileWarning) as caught:
            assert read_results(str(path)) == {}
        assert [str(w.message).split(": ", 1)[1] for w in caught] == [
            "line 1 is not a valid record: longer than 1048576 bytes; ignored",
            "line 2 (the last) is incomplete, a record torn by a stopped sweep; ignored"]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 << 20  # two 1 MiB chunks and a line of at most 1 MiB, never the 16 MiB lines


def test_a_results_path_that_is_not_a_regular_file_is_refused_before_any_run():
    """``--results /dev/zero`` read without bound until the kernel killed the process."""
    done = cli("--results", "/dev/zero", timeout=60)
    assert done.returncode == 2 and "/dev/zero is not a regular file" in done.stderr
    with pytest.raises(ResultsFileError, match="not a regular file"):
        read_results("/dev/zero")


# -- defect 15: a full disk -----------------------------------------------------------------------

FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so that a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
    from nalu_ext.cli import main
    sys.exit(main(sys.argv[2:]))
""")


@pytest.mark.parametrize("name", ["runs.jsonl", "runs.jsonl.gz"])
def test_a_full_disk_stops_the_sweep_with_one_line_that_says_what_was_kept(tmp_path, name):
    """A full disk gave a raw chained traceback (and a failing .gz repair left NAME.repair)."""
    path = tmp_path / name
    sweep([tiny_run(0), tiny_run(1)], path)
    size = path.stat().st_size
    limit = size + 200  # room for less than one more record
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(limit), *BENCHMARK, "--seeds", "6",
                           "--results", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"benchmark: cannot write to {path}: File too large; it keeps the 2 records it held" in done.stderr
    assert path.stat().st_size == size  # the failed write was cut back off
    assert set(read_results(str(path))) == {run_id(tiny_run(0)), run_id(tiny_run(1))}
    assert sorted(os.listdir(tmp_path)) == [name]


def test_a_torn_gzip_end_is_cut_off_in_place_without_a_temporary_file(tmp_path):
    """The repair rewrote the whole file through NAME.repair, which a full disk left behind."""
    path = tmp_path / "runs.jsonl.gz"
    sweep([tiny_run(0)], path)
    whole = path.read_bytes()
    path.write_bytes(whole + whole[:-9])
    out = ResultsWriter(str(path))
    out.close()
    assert "incomplete last gzip member" in out.note and "cut off" in out.note
    assert path.read_bytes() == whole and os.listdir(tmp_path) == ["runs.jsonl.gz"]


BENCHMARK = ["benchmark", "--units", "NAU", "--ops", "add", "--seeds", "2", "--steps", "50",
             "--log-every", "25", "--no-progress"]


def cli(*argv, timeout=120):
    command = [sys.executable, "-m", "nalu_ext", *BENCHMARK, *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
