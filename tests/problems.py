"""Small training problems shared by the tests."""

from __future__ import annotations

from typing import Tuple

import numpy as np

import nalu_ext


def overflowing_nalu(dtype: str) -> Tuple[nalu_ext.Sequential, np.ndarray, np.ndarray]:
    """A NALU whose multiplicative path overflows when the learning rate is too large.

    100 inputs of magnitude 10..100 (float32) or 1e3..1e4 (float64) and a huge target: Adam climbs
    the exponent log|x| W towards log(target); a small learning rate gets there, a large one jumps
    past the largest finite value of the dtype, and the loss becomes infinite.
    """
    layer = nalu_ext.NALU(100, 1, seed=0, dtype=dtype)
    layer.params["G"][...] = -1.0  # the gate on the multiplicative path, where the overflow lives
    rng = np.random.default_rng(0)
    low, high, target = (10.0, 100.0, 1e10) if dtype == "float32" else (1e3, 1e4, 1e30)
    x = rng.uniform(low, high, size=(32, 100))
    return nalu_ext.Sequential(layer), x, np.full((32, 1), target)
