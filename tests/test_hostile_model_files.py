"""Model files made to hurt: headers that declare data the file does not hold, a deflate bomb,
metadata nested a million deep, a flipped encryption flag, a truncated archive. Each is a
ModelFileError, quickly, within a small multiple of the file's size, and leaves no file handle
open (issue 28, defects 3, 4 and 5), and a save never removes another save's temporary file
(defect 13)."""

from __future__ import annotations

import gc
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import nalu_ext

ISA_INDEPENDENT = True

META = {"format": "nalu_ext.Sequential", "version": 1,
        "layers": [{"kind": "NAC", "in_features": 2, "out_features": 1, "dtype": "float32"}]}


def npy_header(shape, descr="<f4"):
    """An .npy header declaring ``shape``, with no data after it."""
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
    return f.getvalue()


def npy(array):
    f = io.BytesIO()
    np.lib.format.write_array(f, array)
    return f.getvalue()


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def meta_entry(meta):
    return npy(np.array(json.dumps(meta)))


def peak_of_load(path):
    """(exception type, message, peak resident MB) of nalu_ext.load(path) in a fresh process."""
    script = textwrap.dedent("""
        import resource, sys, nalu_ext
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            nalu_ext.load(sys.argv[1])
            print("loaded")
        except Exception as err:
            print(type(err).__name__, str(err).replace("\\n", " "))
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    verdict, peak = out.stdout.strip().splitlines()
    kind, _, message = verdict.partition(" ")
    return kind, message, float(peak)


@pytest.mark.parametrize("size", [(10_000, 10_000), (10**9, 10**9)], ids=["1e8 values", "1e18 values"])
def test_a_header_that_declares_data_the_file_lacks_is_refused_before_any_allocation(tmp_path, size):
    """A 1.3 kB file with no parameter data cost ~2 s and a 1.4 GB peak before ModelFileError;
    a slightly different one raised MemoryError('std::bad_alloc')."""
    path = tmp_path / "hollow.npz"
    meta = dict(META, layers=[dict(META["layers"][0], in_features=size[1], out_features=size[0])])
    write_zip(path, {"__nalu_ext__.npy": meta_entry(meta), "layer0/W_hat.npy": npy_header(size),
                     "layer0/M_hat.npy": npy_header(size)})
    assert path.stat().st_size < 2000
    kind, message, peak = peak_of_load(path)
    assert kind == "ModelFileError" and "layer0/W_hat.npy" in message and "bytes of data" in message, message
    assert peak < 50


def test_a_compressed_metadata_entry_is_refused_without_inflating_it(tmp_path):
    """A 390 kB file holding 4 parameters peaked at 895 MB."""
    path = tmp_path / "bomb.npz"
    meta = dict(META, padding=" " * 100_000_000)
    params = {"layer0/W_hat.npy": npy(np.zeros((1, 2), np.float32)), "layer0/M_hat.npy": npy(np.zeros((1, 2), np.float32))}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("__nalu_ext__.npy"), meta_entry(meta), compress_type=zipfile.ZIP_DEFLATED,
                   compresslevel=9)
        for name, data in params.items():
            z.writestr(name, data)
    del meta
    gc.collect()
    assert path.stat().st_size < 5_000_000
    kind, message, peak = peak_of_load(path)
    assert kind == "ModelFileError" and "is compressed" in message, message
    assert peak < 50


def valid_file(tmp_path):
    path = tmp_path / "model.npz"
    nalu_ext.Sequential(nalu_ext.NAC(2, 1, seed=0)).save(path)
    return path


def test_metadata_nested_a_million_deep_is_a_model_file_error(tmp_path):
    """It raised RecursionError."""
    path = tmp_path / "deep.npz"
    nested = "[" * 1_000_000 + "]" * 1_000_000
    write_zip(path, {"__nalu_ext__.npy": npy(np.array(nested)),
                     "layer0/W_hat.npy": npy(np.zeros((1, 2), np.float32))})
    with pytest.raises(nalu_ext.ModelFileError, match="nested too deeply"):
        nalu_ext.load(path)
    deep_layers = json.dumps(dict(META, layers=[{"kind": "NAC", "in_features": [[[[0]]]] * 2}]))
    deep_layers = deep_layers.replace("[[[[0]]]]", "[" * 50_000 + "]" * 50_000)
    write_zip(path, {"__nalu_ext__.npy": npy(np.array(deep_layers))})
    with pytest.raises(nalu_ext.ModelFileError):
        nalu_ext.load(path)


def test_a_flipped_encryption_flag_is_a_model_file_error(tmp_path):
    """It raised RuntimeError ('File is encrypted, password required')."""
    path = valid_file(tmp_path)
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the last central directory record; its flags at +8
    while central >= 0:
        data[central + 8] |= 0x1
        local = struct.unpack("<I", data[central + 42:central + 46])[0]
        data[local + 6] |= 0x1  # and the local header's
        central = data.rfind(b"PK\x01\x02", 0, central)
    path.write_bytes(bytes(data))
    with pytest.raises(nalu_ext.ModelFileError, match="is encrypted"):
        nalu_ext.load(path)


@pytest.mark.parametrize("damage", ["truncated", "central directory damaged", "entry damaged"])
def test_a_damaged_file_is_a_model_file_error_that_closes_its_file(tmp_path, damage):
    """A truncated or damaged file left its file handle open (a ResourceWarning under -X dev)."""
    path = valid_file(tmp_path)
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "central directory damaged":
        central = data.rfind(b"PK\x01\x02")
        data[central + 10] = 0x63  # compression method 99
    else:
        data[40] ^= 0xFF  # inside the first entry's .npy header
    path.write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(nalu_ext.ModelFileError):
            nalu_ext.load(path)
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_the_old_files_still_load():
    """The 0.1.0 fixtures (np.savez, stored entries) pass the strict reader."""
    fixtures = os.path.join(os.path.dirname(__file__), "fixtures")
    for name in ("model-0.1.0-float32.npz", "model-0.1.0-float64.npz"):
        model = nalu_ext.load(os.path.join(fixtures, name))
        assert model.layers


def test_a_save_leaves_the_temporary_file_of_a_save_to_a_longer_name_alone(tmp_path):
    """A save to ``ckpt`` deleted the in-progress temporary file of a concurrent save to
    ``ckpt.20000.npz`` (the 20000 read as the process id of a dead saver)."""
    other = tmp_path / f".ckpt.99999999.npz.{os.getpid()}.abcd1234.tmp"  # 99999999 > any pid_max
    other.write_bytes(b"a save in progress")
    stale = tmp_path / ".ckpt.999999999.abcd1234.tmp"  # a save of ckpt by a process that is gone
    stale.write_bytes(b"left behind")
    nalu_ext.Sequential(nalu_ext.NAC(2, 1, seed=0)).save(tmp_path / "ckpt")
    assert other.exists() and not stale.exists()
