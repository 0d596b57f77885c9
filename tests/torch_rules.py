"""PyTorch's optimizer update rules (torch.optim, single-tensor path) written in NumPy float64.

These are the oracles of test_optim.py: independent re-statements of the documented algorithms,
not of nalu_ext's C++ code.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np


def clip(grads: List[np.ndarray], value: Optional[float], norm: Optional[float]) -> List[np.ndarray]:
    grads = [g.copy() for g in grads]
    if value is not None:
        grads = [np.clip(g, -value, value) for g in grads]
    if norm is not None:
        total = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
        coef = min(norm / (total + 1e-6), 1.0)
        grads = [g * coef for g in grads]
    return grads


class SGD:
    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr, self.momentum = lr, momentum
        self.buf: Dict[int, np.ndarray] = {}

    def step(self, params: List[np.ndarray], grads: List[np.ndarray]) -> None:
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.momentum:
                self.buf[i] = g.copy() if i not in self.buf else self.momentum * self.buf[i] + g
                g = self.buf[i]
            p -= self.lr * g


class Adam:
    def __init__(self, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.m: Dict[int, np.ndarray] = {}
        self.v: Dict[int, np.ndarray] = {}
        self.t = 0

    def step(self, params: List[np.ndarray], grads: List[np.ndarray]) -> None:
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            m = self.m.setdefault(i, np.zeros_like(p))
            v = self.v.setdefault(i, np.zeros_like(p))
            m += (1 - self.b1) * (g - m)
            v[...] = self.b2 * v + (1 - self.b2) * g * g
            m_hat_scale = self.lr / (1 - self.b1 ** self.t)
            denom = np.sqrt(v) / np.sqrt(1 - self.b2 ** self.t) + self.eps
            p -= m_hat_scale * m / denom


class RMSprop:
    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8) -> None:
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.v: Dict[int, np.ndarray] = {}

    def step(self, params: List[np.ndarray], grads: List[np.ndarray]) -> None:
        for i, (p, g) in enumerate(zip(params, grads)):
            v = self.v.setdefault(i, np.zeros_like(p))
            v[...] = self.alpha * v + (1 - self.alpha) * g * g
            p -= self.lr * g / (np.sqrt(v) + self.eps)
