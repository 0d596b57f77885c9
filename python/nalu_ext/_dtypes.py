"""The two floating-point types every unit exists in."""

from __future__ import annotations

from typing import Union

import numpy as np

from ._types import DTypeName

DTypeLike = Union[DTypeName, type, np.dtype]  # "float32", np.float32, np.dtype("float32"), ...

SUPPORTED = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_dtype(dtype: DTypeLike) -> np.dtype:
    """`dtype` as numpy.float32 or numpy.float64, or TypeError naming what arrived."""
    if dtype is None:  # numpy reads None as float64; here it is more likely a mistake
        raise TypeError("dtype must be 'float32' or 'float64', got None")
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from err
    if resolved not in SUPPORTED:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {resolved}")
    return resolved


def core_suffix(dtype: np.dtype) -> str:
    """The suffix of the compiled class for `dtype`: '_f32' or '_f64'."""
    return "_f32" if dtype == np.float32 else "_f64"
