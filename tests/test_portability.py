"""The installed package runs on an x86-64 CPU without AVX: checked under QEMU's Nehalem model,
which raises SIGILL on any AVX instruction. Skipped where qemu-x86_64 is not installed
(apt-get install qemu-user); the run forcing the baseline path by environment variable is in
test_build.py and needs nothing."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

import pytest

ISA_INDEPENDENT = True  # the emulated CPU chooses its path itself
QEMU = shutil.which("qemu-x86_64")

SCRIPT = """
import numpy as np, nalu_ext
from nalu_ext.units import nalu
assert nalu_ext.build_info()["isa"] == "baseline", nalu_ext.build_info()
m = nalu_ext.Sequential(nalu_ext.NALU(3, 2, seed=0, dtype="float64"), nalu_ext.NAC(2, 1, seed=1, dtype="float64"))
x = np.random.default_rng(0).uniform(1, 2, (64, 3))
h = nalu_ext.fit(m, nalu_ext.Adam(m.parameters(), lr=0.01), x, x[:, :1] * x[:, 1:2], steps=200)
assert h.loss[-1] < h.loss[0]
nalu_ext.NALU(128, 128, seed=0)(np.ones((128, 128), np.float32))  # large enough for OpenBLAS
l = m.layers[0]
y_ref, _ = nalu.nalu_forward(x, **l.params)
np.testing.assert_allclose(l(x), y_ref, rtol=1e-10)
print("ran without AVX")
"""


@pytest.mark.emulated_cpu
@pytest.mark.skipif(QEMU is None or platform.machine() != "x86_64", reason="needs qemu-x86_64 (apt-get install qemu-user)")
def test_runs_on_a_cpu_without_avx():
    env = {k: v for k, v in os.environ.items() if k != "NALU_EXT_ISA"}
    out = subprocess.run([QEMU, "-cpu", "Nehalem", sys.executable, "-c", SCRIPT], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ran without AVX" in out.stdout
