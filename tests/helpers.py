"""Helpers shared by test files (a module of its own: test files do not import each other)."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any, Callable, Dict

import numpy as np


class InlineExecutor(cf.Executor):
    """Runs each task at once on the calling thread, counting them (``calls``)."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, *args, **kwargs):
        self.calls += 1
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


H = 1e-6  # central differences: truncation error O(H^2), rounding O(u / H); ~1e-9 relative here


def numeric_gradient(f: Callable[[], float], a: np.ndarray, h: float = H) -> np.ndarray:
    """d f / d a by central differences with step h, perturbing a in place."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        saved = a[idx]
        a[idx] = saved + h
        f_plus = f()
        a[idx] = saved - h
        f_minus = f()
        a[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def check_against_fd(forward: Callable[..., tuple], backward: Callable, arrays: Dict[str, np.ndarray],
                     rng: np.random.Generator, **kwargs: Any) -> None:
    y, _ = forward(**arrays, **kwargs)
    dy = rng.normal(size=y.shape)

    def loss() -> float:
        return float(np.sum(forward(**arrays, **kwargs)[0] * dy))

    _, cache = forward(**arrays, **kwargs)
    dx, grads = backward(dy, cache)
    analytic = dict(grads, x=dx)
    for name, a in arrays.items():
        np.testing.assert_allclose(analytic[name], numeric_gradient(loss, a), rtol=1e-6, atol=1e-7,
                                   err_msg=name)
