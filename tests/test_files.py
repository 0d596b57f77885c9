"""Model files a long study depends on: files that cannot make load allocate what they do not
store, saves that are consistent while another thread trains, keep the file's permissions and
leave no temporary files behind (results files: tests/benchmark/test_resume.py)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import zipfile

import numpy as np
import pytest

import nalu_ext

ISA_INDEPENDENT = True


def write_model_file(path, meta, arrays=None):
    with zipfile.ZipFile(path, "w") as z:
        with z.open("__nalu_ext__.npy", "w") as f:
            np.lib.format.write_array(f, np.array(json.dumps(meta)))
        for name, value in (arrays or {}).items():
            with z.open(name + ".npy", "w") as f:
                np.lib.format.write_array(f, value)


def test_load_does_not_trust_declared_sizes(tmp_path):
    """An 842-byte file declaring NAC(10000, 10000) took 31 s and a 7.1 GB peak before raising."""
    path = tmp_path / "small.npz"
    meta = {"format": "nalu_ext.Sequential", "version": 1,
            "layers": [{"kind": "NAC", "in_features": 10000, "out_features": 10000, "dtype": "float32"}]}
    write_model_file(path, meta, {"layer0/W_hat": np.zeros((2, 2), np.float32),
                                  "layer0/M_hat": np.zeros((2, 2), np.float32)})
    assert path.stat().st_size < 2000
    start = time.perf_counter()
    with pytest.raises(nalu_ext.ModelFileError, match=r"declared NAC\(10000, 10000\) but the file stores only 8"):
        nalu_ext.load(path)
    assert time.perf_counter() - start < 5.0  # it took 31 s (and 7 GB) before


@pytest.mark.parametrize("meta", [[1, 2], None, "text", {"format": "nalu_ext.Sequential", "version": 1},
                                  {"format": "nalu_ext.Sequential", "version": 1, "layers": [3]},
                                  {"format": "nalu_ext.Sequential", "version": 1,
                                   "layers": [{"kind": "NAC", "in_features": True, "out_features": 1}]},
                                  {"format": "nalu_ext.Sequential", "version": 1,
                                   "layers": [{"kind": "NAC", "in_features": 2, "out_features": 1,
                                               "colour": "red"}]}],
                         ids=["list", "null", "string", "no layers", "layer not an object",
                              "bool size", "unknown setting"])
def test_load_rejects_malformed_metadata_with_its_own_error(tmp_path, meta):
    """Metadata that was a JSON list or null raised AttributeError."""
    path = tmp_path / "bad.npz"
    write_model_file(path, meta, {"layer0/W_hat": np.zeros((1, 2), np.float32),
                                  "layer0/M_hat": np.zeros((1, 2), np.float32)})
    with pytest.raises(nalu_ext.ModelFileError):
        nalu_ext.load(path)


def test_a_save_while_another_thread_trains_holds_one_training_step(tmp_path):
    """save read the parameters without the layers' locks: 6 of 75 checkpoints matched no step."""
    x = np.random.default_rng(0).uniform(1, 2, size=(64, 8))
    y = x.sum(axis=1, keepdims=True)

    def model():
        return nalu_ext.Sequential(nalu_ext.NAC(8, 8, seed=0, dtype="float64"),
                                   nalu_ext.NAC(8, 1, seed=1, dtype="float64"))

    steps = 20000
    trained = model()
    opt = nalu_ext.Adam(trained.parameters(), lr=1e-3)
    # a callback after every step: one C++ call per step, so saves can land between any two steps
    worker = threading.Thread(target=nalu_ext.fit, args=(trained, opt, x, y),
                              kwargs={"steps": steps, "callback": lambda s, l: None, "callback_every": 1})
    worker.start()
    paths = []
    while worker.is_alive():
        paths.append(tmp_path / f"c{len(paths)}.npz")
        trained.save(paths[-1])
    worker.join()

    replay = model()
    replay_opt = nalu_ext.Adam(replay.parameters(), lr=1e-3)
    seen = {b"".join(p.tobytes() for p in replay.parameters())}
    for _ in range(steps):
        replay.train_step(x, y, replay_opt)
        seen.add(b"".join(p.tobytes() for p in replay.parameters()))
    assert len(paths) > 20
    for path in paths:
        loaded = nalu_ext.load(path)
        assert b"".join(p.tobytes() for p in loaded.parameters()) in seen, path


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    """An overwritten 0664 file became 0600 (the temporary file's mode)."""
    model = nalu_ext.Sequential(nalu_ext.NAC(2, 1, seed=0))
    path = tmp_path / "m.npz"
    model.save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    os.chmod(path, 0o664)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


def dead_pid():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_save_removes_temporary_files_of_killed_saves_only(tmp_path):
    model = nalu_ext.Sequential(nalu_ext.NAC(2, 1, seed=0))
    path = tmp_path / "m.npz"
    stale = tmp_path / f".m.npz.{dead_pid()}.abc123.tmp"
    live = tmp_path / f".m.npz.{os.getppid()}.def456.tmp"  # a concurrent save of a running process
    other = tmp_path / f".other.npz.{dead_pid()}.xyz.tmp"  # another target's: not ours to judge
    for f in (stale, live, other):
        f.write_bytes(b"partial")
    model.save(path)
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.kills_processes
def test_killed_saves_leave_no_files_behind_after_the_next_save(tmp_path):
    """25 killed saves left 22 hidden temporary files (573 MB)."""
    path = tmp_path / "big.npz"
    code = f"""
        import nalu_ext
        model = nalu_ext.Sequential(nalu_ext.NALU(600, 600, seed=0, dtype="float64"))
        print("ready", flush=True)
        while True:
            model.save({str(path)!r})
    """
    for delay in (0.05, 0.13, 0.21, 0.34):
        with subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    nalu_ext.Sequential(nalu_ext.NAC(2, 1, seed=0)).save(path)
    assert sorted(os.listdir(tmp_path)) == ["big.npz"]
    assert nalu_ext.load(path).layers[0].in_features == 2
