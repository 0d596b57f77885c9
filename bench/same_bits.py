"""Same bits before and after a change that must not change any number: short ``train_task`` and
``fit`` runs of every unit in both dtypes on every kernel path this CPU has, each run's curves,
losses and trained parameters saved, then compared bit for bit against another build's file.

    python bench/same_bits.py write before.npz      # with the old build installed
    python bench/same_bits.py write after.npz       # with the new one
    python bench/same_bits.py compare before.npz after.npz

Runs against the layouts before and after nalu_ext.benchmark existed (issue 29), so that the
build of either can write its file. Nothing here is timed.
"""

from __future__ import annotations

import sys
from typing import Dict

import numpy as np

import nalu_ext
from nalu_ext import _core

try:  # the benchmark wing (issue 29)
    from nalu_ext.benchmark.protocol import train_task
    from nalu_ext.benchmark.run_models import build_model
    from nalu_ext.benchmark.sweeps import FAMILIES, make_run
    from nalu_ext.benchmark.tasks import ArithmeticTask
except ImportError:  # the flat layout before it
    from nalu_ext.protocol import train_task  # type: ignore[no-redef]
    from nalu_ext.run_models import build_model  # type: ignore[no-redef]
    from nalu_ext.sweeps import FAMILIES, make_run  # type: ignore[no-redef]
    from nalu_ext.tasks import ArithmeticTask  # type: ignore[no-redef]

MULTIPLYING = {"NMU", "sNMU", "NMRU", "NRU", "NACMul", "NALU", "iNALU", "NPU", "RealNPU"}


def runs() -> Dict[str, np.ndarray]:
    arrays: Dict[str, np.ndarray] = {}
    for isa in _core.build_info()["isas"]:
        _core.set_isa(isa)
        for name in nalu_ext.UNITS:
            for dtype in ("float32", "float64"):
                key = f"{isa}/{name}/{dtype}"
                op = "mul" if name in MULTIPLYING else "add"
                if name in FAMILIES:  # a unit the benchmark has a family of: a short protocol run
                    task = ArithmeticTask(op, input_size=10, subset_ratio=0.2, seed=3)
                    spec = make_run(name, task, seed=1, steps=400, log_every=100, dtype=dtype, lr=1e-2)
                    model = build_model(spec)
                    opt = nalu_ext.Adam(model.parameters(), lr=1e-2)
                    with np.errstate(all="ignore"):
                        result = train_task(model, task, opt, steps=400, batch_size=32, log_every=100)
                    arrays[f"{key}/train_task/interpolation_mse"] = result.interpolation_mse
                    arrays[f"{key}/train_task/extrapolation_mse"] = result.extrapolation_mse
                    arrays[f"{key}/train_task/train_loss"] = result.train_loss
                    for k, p in enumerate(model.parameters()):
                        arrays[f"{key}/train_task/param{k}"] = p.copy()
                layer = nalu_ext.UNITS[name](4, 2, dtype=dtype, seed=5)
                rng = np.random.default_rng(7)
                x = rng.uniform(0.5, 2.0, size=(64, 4)).astype(dtype)
                y = (x[:, :2] * x[:, 2:]).astype(dtype)
                with np.errstate(all="ignore"):
                    history = nalu_ext.fit(layer, nalu_ext.Adam(layer.parameters(), lr=1e-2), x, y, steps=200,
                                           batch_size=16, seed=0)
                arrays[f"{key}/fit/loss"] = np.asarray(history.loss)
                for k, p in enumerate(layer.parameters()):
                    arrays[f"{key}/fit/param{k}"] = p.copy()
    return arrays


def compare(before_path: str, after_path: str) -> int:
    before, after = np.load(before_path), np.load(after_path)
    missing = sorted(set(before.files) ^ set(after.files))
    differ = [k for k in sorted(set(before.files) & set(after.files))
              if before[k].dtype != after[k].dtype or before[k].shape != after[k].shape
              or before[k].tobytes() != after[k].tobytes()]
    print(f"{len(before.files)} arrays before, {len(after.files)} after; {len(missing)} in one only, "
          f"{len(differ)} differ in any bit")
    for k in (missing + differ)[:20]:
        print("  ", k)
    return 0 if not missing and not differ else 1


def main(argv: list) -> int:
    if len(argv) == 2 and argv[0] == "write":
        arrays = runs()
        np.savez(argv[1], **arrays)
        print(f"wrote {len(arrays)} arrays to {argv[1]} (ISA paths: {', '.join(_core.build_info()['isas'])})")
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
