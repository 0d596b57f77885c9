"""Argument checks shared by the Python layer: one helper per kind of value.

Each converts a user's value to the plain Python type the C++ layer takes, or raises TypeError
(wrong kind of value) or ValueError (right kind, outside the allowed range) with a sentence that
names the argument, what was expected and what arrived. Range rules that only C++ can know (sizes
that fit in memory, a hyper-parameter's range in float32) stay in C++.
"""

from __future__ import annotations

import math
import operator
import os
import tempfile
from typing import Any, Optional, Tuple

import numpy as np

INT64_MAX = 2**63 - 1   # the C++ layer's signed sizes and counts
UINT64_LIMIT = 2**64    # seeds are unsigned 64-bit


def integer(value: Any, name: str, *, minimum: int = 0, maximum: Optional[int] = INT64_MAX) -> int:
    """``value`` as an int in [minimum, maximum] (no upper bound when maximum is None); bools and
    floats (even 2.0) are rejected."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got a bool ({value!r})")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r})") from None
    if maximum is not None and n > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {n}")
    if n < minimum:
        if maximum not in (None, INT64_MAX):
            expected = f"an integer in [{minimum}, {maximum}]"
        else:
            expected = {0: "an integer >= 0", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {expected}, got {n}")
    return n


def positive(value: Any, name: str) -> int:
    """An integer >= 1 (sizes, step counts that cannot be zero)."""
    return integer(value, name, minimum=1)


def seed(value: Any, name: str = "seed") -> int:
    """A seed: an integer in [0, 2**64)."""
    return integer(value, name, maximum=UINT64_LIMIT - 1)


def real(value: Any, name: str, *, finite: bool = True, minimum: Optional[float] = None) -> float:
    """``value`` as a float: a real number (int, float or NumPy real scalar), not a bool or a
    string; finite unless ``finite=False``; at least ``minimum`` when given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r})")
    x = float(value)
    if finite and not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x}")
    if minimum is not None and not x >= minimum:
        raise ValueError(f"{name} must be a {'finite ' if finite else ''}number >= {minimum:g}, got {x}")
    return x


def optional_real(value: Any, name: str) -> Optional[float]:
    """None, or a finite real number (see :func:`real`)."""
    return None if value is None else real(value, name)


def new_file(path: Any, name: str) -> str:
    """``path`` if a file can be created or replaced there: ValueError for a directory, for a
    path whose directory does not exist or cannot be written (a read-only mount, /proc), said
    before the work whose result it will hold."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{name} {path!r} is a directory; give a file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"{name} {path!r}: the directory {directory!r} does not exist")
    try:  # the only sure test: create a file there (access() says yes to root on /proc)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".nalu_ext-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{name} {path!r}: cannot write in {directory!r} ({err.strerror or err})") from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ValueError(f"{name} {path!r} exists and cannot be written")
    return str(path)


def choice(value: Any, name: str, allowed: Tuple[Any, ...]) -> Any:
    """``value`` if it is one of ``allowed``, else ValueError listing them."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
