"""Linear, the plain affine layer: the Linear baseline of Madsen & Johansen's comparison
(docs/units.md#linear). C++: cpp/nalu/units/linear/."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .._dtypes import DTypeLike
from ..layers import Layer, SeedLike, glorot_uniform, register
from ..recipes import STABLE_NALU, STABLE_NALU_DEFAULTS, Recipe
from ..reference import Cache, Grads, f64


@register
class Linear(Layer):
    """``y = x @ W.T + b``, as stable-nalu's ``layer/basic.py`` with activation 'linear'
    (``--layer-type linear``): ``W`` (out_features, in_features) initialised Glorot-uniform
    (xavier_uniform with gain 1), ``b`` (out_features,) initialised to 0; ``bias=False`` drops b.

    Parameters
    ----------
    <layer parameters>
    bias : bool
        Whether the layer has b (default True).
    """

    INITS = {"glorot": "W Glorot-uniform (stable-nalu's xavier_uniform with gain 1), b = 0"}
    RECIPE = Recipe(
        network=("Linear", "Linear"), init=("glorot", "glorot"), published=True,
        source=f"Linear of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               f"--layer-type linear (layer/basic.py, bias included); {STABLE_NALU_DEFAULTS}; no regularizer")

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        super().__init__(in_features, out_features, dtype, seed, init, bias=bool(bias))

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        W[...] = glorot_uniform(rng, *W.shape)
        if "b" in self.params:
            self.params["b"][...] = 0.0

    @property
    def bias(self) -> bool:
        """Whether the layer has the bias b."""
        return bool(self._option("bias"))

    def config(self) -> Dict[str, Any]:
        return dict(super().config(), bias=self.bias)

    def _extra_repr(self) -> str:
        return "" if self.bias else ", bias=False"

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return linear_forward(x, **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return linear_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        return [self._params64()["W"]]


def linear_forward(x: Any, W: Any, b: Optional[Any] = None) -> Tuple[np.ndarray, Cache]:
    """y = x @ W.T + b; x (B, I), W (O, I), b (O,) or None."""
    x, W = f64(x), f64(W)
    y = x @ W.T
    if b is not None:
        y = y + f64(b)
    return y, {"x": x, "W": W, "bias": b is not None}


def linear_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    grads = {"W": dy.T @ cache["x"]}
    if cache["bias"]:
        grads["b"] = dy.sum(axis=0)
    return dy @ cache["W"], grads
