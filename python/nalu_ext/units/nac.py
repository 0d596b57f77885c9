"""NAC, the neural accumulator (Trask et al. 2018; docs/units.md#nac). C++: cpp/nalu/units/nac/."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Tuple

import numpy as np

from .._dtypes import DTypeLike
from ..layers import Layer, SeedLike, register, stable_nalu_nac_range
from ..reference import Cache, Grads, f64, nac_weight, nac_weight_backward


# The schemes of every NAC weight W = tanh(W_hat)·sigmoid(M_hat) (NAC, NACMul, NALU)
NAC_INITS = {
    "glorot": "W_hat and M_hat Glorot-uniform, U(-r, r), r = sqrt(6 / (in + out))",
    "stable-nalu": "W_hat and M_hat ~ U(-r, r) with r giving W the variance 2 / max(in + out, 5) "
                   "(stable-nalu's nac_w_optimal_r, layer/nac.py)",
}


@register
class NAC(Layer):
    """Neural accumulator (Trask et al. 2018): ``W = tanh(W_hat) * sigmoid(M_hat)``, ``y = x @ W.T``.

    Parameters ``W_hat`` and ``M_hat``, both (out_features, in_features), are drawn in float64
    from ``numpy.random.default_rng(seed)`` in that order (the same seed gives the same
    parameters, in float64 and, rounded, in float32), with the scheme ``init``: "glorot"
    (default), U(-r, r) with r = sqrt(6 / (in + out)); or "stable-nalu", Madsen & Johansen's
    U(-r, r) with r chosen so that W has the Glorot variance 2 / max(in + out, 5).

    Parameters
    ----------
    <layer parameters>
    """

    INITS = NAC_INITS

    def __init__(self, in_features: int, out_features: int, *, dtype: DTypeLike = "float32",
                 seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        super().__init__(in_features, out_features, dtype, seed, init)

    def _initialise(self, rng: np.random.Generator) -> None:
        if self.init == "stable-nalu":
            nac_stable_nalu_init(rng, self.params.values())
        else:
            super()._initialise(rng)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nac_forward(x, **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nac_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        p = self._params64()
        return [nac_weight(p["W_hat"], p["M_hat"])]


def nac_stable_nalu_init(rng: np.random.Generator, params: Iterable[np.ndarray]) -> None:
    """Draws each (out, in) parameter, in order, from U(-r, r) with stable-nalu's NAC range r."""
    for p in params:
        r = stable_nalu_nac_range(p.shape[1], p.shape[0])
        p[...] = rng.uniform(-r, r, size=p.shape)


def nac_forward(x: Any, W_hat: Any, M_hat: Any) -> Tuple[np.ndarray, Cache]:
    """y = x @ W.T with W = tanh(W_hat) * sigmoid(M_hat); x (B, I), W_hat, M_hat (O, I)."""
    x, W_hat, M_hat = f64(x), f64(W_hat), f64(M_hat)
    W = nac_weight(W_hat, M_hat)
    y = x @ W.T
    return y, {"x": x, "W_hat": W_hat, "M_hat": M_hat, "W": W}


def nac_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    dW = dy.T @ cache["x"]
    dx = dy @ cache["W"]
    return dx, nac_weight_backward(dW, cache["W_hat"], cache["M_hat"])
