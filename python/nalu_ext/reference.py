"""What the NumPy float64 references of the units share (the oracle of the test suite).

Each unit's own formulas live in its module of :mod:`nalu_ext.units` (``reference_forward`` and
``reference_backward`` of its class), written for clarity, never optimised: the formulas of
docs/units.md line by line, each backward checked against central finite differences in the tests. Two numerical
choices are shared with the C++ kernels because the formulas leave them open:

* ``1 - sigmoid(z)`` is computed as ``sigmoid(-z)``, which keeps its precision when the gate is
  saturated near 1 (where ``1 - g`` would cancel);
* ``d log(|x| + eps)/dx = sign(x) / (|x| + eps)`` with ``sign(0) = 0`` (the one-sided choice at the
  kink of ``|x|``).

Forward functions return ``(y, cache)``; backward functions take ``(dy, cache)`` and return
``(dx, grads)`` with ``grads`` a dict keyed like the layer's parameters.
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

Cache = Dict[str, Any]
Grads = Dict[str, np.ndarray]


def f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) written as exp(-log(1 + exp(-z))), accurate for every z, no overflow."""
    return np.asarray(np.exp(-np.logaddexp(0.0, -z)))


def nac_weight(W_hat: np.ndarray, M_hat: np.ndarray) -> np.ndarray:
    """W = tanh(W_hat) * sigmoid(M_hat)."""
    return np.asarray(np.tanh(W_hat) * sigmoid(M_hat))


def nac_weight_backward(dW: np.ndarray, W_hat: np.ndarray, M_hat: np.ndarray) -> Grads:
    t, s = np.tanh(W_hat), sigmoid(M_hat)
    return {
        "W_hat": dW * (1.0 - t * t) * s,
        "M_hat": dW * t * (s * sigmoid(-M_hat)),
    }


def regularizer_weight(step: int, regularizer: float, reg_start: int, reg_end: int) -> float:
    """lambda(t) = lambda_hat * max(min((t - t_start) / (t_end - t_start), 1), 0); a step at
    t_start when t_end <= t_start."""
    if regularizer == 0.0:
        return 0.0
    if reg_end <= reg_start:
        return regularizer if step >= reg_start else 0.0
    return regularizer * max(min((step - reg_start) / (reg_end - reg_start), 1.0), 0.0)
