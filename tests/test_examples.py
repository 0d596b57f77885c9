"""The examples run (briefly): what the README shows from them is made by code that still works
(skipped without torch or matplotlib, which they need)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")

ISA_INDEPENDENT = True  # the bridge's kernels are tested per path in test_torch_bridge.py
EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def test_the_recurrent_example_trains_every_row_and_writes_its_figure_and_numbers(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / "recurrent_arithmetic.py"), "--seeds", "1", "--steps", "300",
                           "--lr", "1e-2", "--ops", "add,mul", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    for op in ("add", "mul"):
        assert (tmp_path / f"recurrent-{op}.png").stat().st_size > 0
        report = json.loads((tmp_path / f"recurrent-{op}.json").read_text(encoding="utf-8"))
        assert set(report["rows"]) == {"NAU cell, NAU output" if op == "add" else "NAU cell, NMU output",
                                       "LSTM (16 cells)"}
        for per_seed in report["rows"].values():
            assert len(per_seed) == 1 and np.isfinite(per_seed[0]["10"])
