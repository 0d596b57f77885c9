"""The peers nalu_ext is measured against: a hand-written NumPy training step and PyTorch eager.

Both implement the same NALU stack (tied weights, gate sigmoid(x G^T)), MSE loss and Adam as
nalu_ext, in the benchmark's dtype. PyTorch is optional: `torch_peer` returns None without it.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

Shape = Sequence[int]  # widths, e.g. (100, 2, 1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class NumpyNalu:
    """A NALU stack trained with Adam, written the way a NumPy user would."""

    def __init__(self, widths: Shape, dtype: np.dtype, eps: float = 1e-7, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.dtype, self.eps = dtype, dtype.type(eps)
        self.params: List[np.ndarray] = []
        for i, o in zip(widths[:-1], widths[1:]):
            r = np.sqrt(6.0 / (i + o))
            self.params += [rng.uniform(-r, r, (o, i)).astype(dtype) for _ in range(3)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, x: np.ndarray, y: np.ndarray, lr: float = 1e-3) -> float:
        caches = []
        h = x
        for k in range(0, len(self.params), 3):
            W_hat, M_hat, G = self.params[k:k + 3]
            t, s = np.tanh(W_hat), _sigmoid(M_hat)
            W = t * s
            log_x = np.log(np.abs(h) + self.eps)
            a, m, g = h @ W.T, np.exp(log_x @ W.T), _sigmoid(h @ G.T)
            caches.append((h, t, s, W, G, log_x, a, m, g))
            h = g * a + (1 - g) * m
        r = h - y
        loss = float(np.mean(r * r))
        dy = (2.0 / r.size) * r
        grads: List[np.ndarray] = [np.empty(0)] * len(self.params)
        for layer in reversed(range(len(caches))):
            hin, t, s, W, G, log_x, a, m, g = caches[layer]
            da, dz_m, dz_g = dy * g, dy * (1 - g) * m, dy * (a - m) * g * (1 - g)
            dW = da.T @ hin + dz_m.T @ log_x
            k = 3 * layer
            grads[k], grads[k + 1], grads[k + 2] = dW * (1 - t * t) * s, dW * t * s * (1 - s), dz_g.T @ hin
            if layer:
                dy = da @ W + (dz_m @ W) * np.sign(hin) / (np.abs(hin) + self.eps) + dz_g @ G
        self.t += 1
        b1, b2 = 0.9, 0.999
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - b1) * (g - m)
            v *= b2
            v += (1 - b2) * g * g
            p -= (lr / (1 - b1 ** self.t)) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** self.t) + 1e-8)
        return loss


def torch_peer(widths: Shape, dtype: np.dtype, threads: int) -> Optional[Tuple[Callable, Callable, Callable]]:
    """(make_step(x, y) -> step(), make_forward(x) -> forward(), version) or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64

    class NALU(torch.nn.Module):
        def __init__(self, i: int, o: int) -> None:
            super().__init__()
            r = float(np.sqrt(6.0 / (i + o)))
            self.W_hat = torch.nn.Parameter(torch.empty(o, i, dtype=tdtype).uniform_(-r, r))
            self.M_hat = torch.nn.Parameter(torch.empty(o, i, dtype=tdtype).uniform_(-r, r))
            self.G = torch.nn.Parameter(torch.empty(o, i, dtype=tdtype).uniform_(-r, r))

        def forward(self, x: "torch.Tensor") -> "torch.Tensor":
            W = torch.tanh(self.W_hat) * torch.sigmoid(self.M_hat)
            a = x @ W.T
            m = torch.exp(torch.log(torch.abs(x) + 1e-7) @ W.T)
            g = torch.sigmoid(x @ self.G.T)
            return g * a + (1 - g) * m

    def build() -> "torch.nn.Module":
        torch.manual_seed(0)
        return torch.nn.Sequential(*[NALU(i, o) for i, o in zip(widths[:-1], widths[1:])])

    def make_step(x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.MSELoss()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def step() -> float:
            opt.zero_grad()
            loss = loss_fn(model(tx), ty)
            loss.backward()
            opt.step()
            return float(loss.detach())

        return step

    def make_forward(x: np.ndarray) -> Callable[[], object]:
        model = build()
        tx = torch.from_numpy(x)

        def forward() -> object:
            with torch.no_grad():
                return model(tx)

        return forward

    return make_step, make_forward, lambda: torch.__version__
