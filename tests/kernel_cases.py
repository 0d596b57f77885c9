"""Running a unit through the C++ layer and through the NumPy reference on the same numbers."""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

import nalu_ext
from nalu_ext.units import nac, nalu

UNITS = {"NAC": (nalu_ext.NAC, nac.nac_forward, nac.nac_backward),
         "NALU": (nalu_ext.NALU, nalu.nalu_forward, nalu.nalu_backward)}


def edge_inputs(rng: np.random.Generator, shape: Tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """Normal values mixed with negative, exact zero, near-zero (down to 1e-30) and large entries."""
    x = rng.normal(size=shape)
    kind = rng.choice(4, size=shape, p=[0.7, 0.1, 0.1, 0.1])
    sign = rng.choice([-1.0, 1.0], size=shape)
    x[kind == 1] = 0.0
    tiny = 10.0 ** rng.uniform(-30, -8, size=shape)
    x[kind == 2] = (sign * tiny)[kind == 2]
    large = 10.0 ** rng.uniform(2, 3, size=shape)
    x[kind == 3] = (sign * large)[kind == 3]
    return x.astype(dtype)


def run_both(unit: str, dtype: str, x: np.ndarray, dy: np.ndarray, seed: int = 0):
    """(C++ results, reference results, amplification L) for one forward + backward."""
    cls, ref_forward, ref_backward = UNITS[unit]
    layer = cls(x.shape[1], dy.shape[1], dtype=dtype, seed=seed)
    y = layer.forward(x)
    dx = layer.backward(dy)
    grads = {k: v.copy() for k, v in layer.grads.items()}

    params64: Dict[str, np.ndarray] = {k: v.astype(np.float64) for k, v in layer.params.items()}
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    kwargs = {"eps": float(np.asarray(1e-7, dtype=dtype))} if unit == "NALU" else {}
    y_ref, cache = ref_forward(x64, **params64, **kwargs)
    dx_ref, grads_ref = ref_backward(dy64, cache)

    amplification = 0.0
    if unit == "NALU":
        log_x = np.log(np.abs(x64) + 1e-7)
        amplification = float(np.max(np.abs(log_x[np.isfinite(log_x)]), initial=0.0))
    return (y, dx, grads), (y_ref, dx_ref, grads_ref), amplification
