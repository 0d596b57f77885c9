"""save / load: bit-exact round trip, atomic writes, clear errors for bad files."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import nalu_ext


def trained_model(dtype="float64"):
    model = nalu_ext.Sequential(nalu_ext.NALU(3, 2, eps=1e-6, seed=4, dtype=dtype), nalu_ext.NAC(2, 1, seed=5, dtype=dtype))
    x = np.random.default_rng(0).uniform(0.5, 2, size=(10, 3))
    nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.01), x, x[:, :1] * x[:, 1:2], steps=20)
    return model, x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    model, x = trained_model(dtype)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nalu_ext.load(path)
    assert loaded.config() == model.config()
    assert repr(loaded) == repr(model)
    for p, q in zip(model.parameters(), loaded.parameters()):
        assert p.dtype == q.dtype
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))


def test_truncated_file_is_a_clear_error(tmp_path):
    model, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    data = path.read_bytes()
    for cut in (len(data) // 2, 10, 0):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(nalu_ext.ModelFileError, match="not a readable nalu_ext model file"):
            nalu_ext.load(bad)


def test_a_damaged_zip_version_field_is_a_clear_error(tmp_path):
    """A flipped byte in a central directory entry's "version needed to extract" made zipfile
    raise NotImplementedError, which load let through (found by test_properties.py)."""
    model, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    raw = bytearray(path.read_bytes())
    entry = raw.find(b"PK\x01\x02")  # the first central directory entry
    assert entry > 0
    raw[entry + 6:entry + 8] = (109).to_bytes(2, "little")  # "needs zip version 10.9"
    path.write_bytes(bytes(raw))
    with pytest.raises(nalu_ext.ModelFileError, match="not a readable nalu_ext model file"):
        nalu_ext.load(path)


def test_foreign_files_are_clear_errors(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    plain = tmp_path / "plain.npy"
    np.save(plain, np.zeros(3))
    for path in (text, other, plain):
        with pytest.raises(nalu_ext.ModelFileError):
            nalu_ext.load(path)
    with pytest.raises(FileNotFoundError):
        nalu_ext.load(tmp_path / "missing.npz")


def test_failed_save_leaves_the_earlier_file_intact(tmp_path, monkeypatch):
    model, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"partial garbage")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    for p in model.parameters():
        p += 1.0
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["model.npz"]  # no temporary left behind


FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_models_saved_by_version_0_1_0_still_load(dtype):
    """tests/fixtures/model-0.1.0-*.npz were written by nalu_ext 0.1.0 (commit 5d8f266, before the
    unit registry) after 30 training steps of every unit and NALU variant, with that version's
    outputs on fixed inputs beside them. They load into the same architecture and compute the same
    outputs (to rounding: the fixture may come from another ISA path than the one under test)."""
    model = nalu_ext.load(FIXTURES / f"model-0.1.0-{dtype}.npz")
    assert [type(layer).__name__ for layer in model.layers] == [
        "NAC", "NALU", "NALU", "NAU", "NMU", "iNALU", "NPU", "RealNPU"]
    assert model.layers[1].config()["separate_weights"] and model.layers[1].config()["gate_bias"]
    assert model.layers[3].regularizer == 0.5 and model.layers[3].reg_end == 20
    assert model.layers[5].omega == 15.0
    with np.load(FIXTURES / "model-0.1.0-outputs.npz") as saved:
        x, expected = saved["x"], saved[dtype]
    y = model.forward(x.astype(dtype))
    scale = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(y, expected, rtol=0, atol=(1e-10 if dtype == "float64" else 1e-4) * scale)
