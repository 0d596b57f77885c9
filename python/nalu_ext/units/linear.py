"""Linear, the plain affine layer (the Linear baseline of Madsen & Johansen's comparison), and
Dense, an affine layer with an activation (the NPU paper's dense baseline);
docs/units.md#linear-and-dense. C++: cpp/nalu/units/linear/."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks
from .._dtypes import DTypeLike
from .._types import ActivationName
from ..layers import Layer, SeedLike, glorot_uniform, register
from ..reference import Cache, Grads, f64, sigmoid


class _Affine(Layer):
    """What Linear and Dense share: W (out_features, in_features) Glorot-uniform, b (out_features,)
    = 0 unless bias=False; their references both build on linear_forward/linear_backward below."""

    INITS = {"glorot": "W Glorot-uniform (xavier_uniform with gain 1), b = 0"}

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

    def effective_weights(self) -> List[np.ndarray]:
        return [self._params64()["W"]]


@register
class Linear(_Affine):
    """``y = x @ W.T + b``, as stable-nalu's ``layer/basic.py`` with activation 'linear'
    (``--layer-type linear``): ``W`` (out_features, in_features) initialised Glorot-uniform
    (xavier_uniform with gain 1), ``b`` (out_features,) initialised to 0; ``bias=False`` drops b.

    Parameters
    ----------
    <layer parameters>
    bias : bool
        Whether the layer has b (default True).
    """

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        super().__init__(in_features, out_features, dtype, seed, init, bias=bool(bias))

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return linear_forward(x, **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return linear_backward(dy, cache)


# Dense's activations by name; the position is the C++ option's number (cpp/nalu/units/linear/kernels.hpp).
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu")


@register
class Dense(_Affine):
    """``y = act(x @ W.T + b)``: the dense layer of the NPU paper's baseline (Heim, Pevný &
    Šmídl 2020; nmheim/NeuralPowerUnits ``scripts/simple/run.jl``: Flux's ``Dense``, 2 → h σ →
    h σ → 4), ``W`` Glorot-uniform and ``b`` = 0 as Flux initialises them (docs/units.md).

    Parameters
    ----------
    <layer parameters>
    activation : "sigmoid", "tanh", "relu" or "identity"
        Default "sigmoid", the NPU paper's σ. relu'(0) is taken as 0.
    bias : bool
        Whether the layer has b (default True).
    """

    def __init__(self, in_features: int, out_features: int, *, activation: ActivationName = "sigmoid", bias: bool = True,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        code = ACTIVATIONS.index(_checks.choice(activation, "activation", ACTIVATIONS))
        super().__init__(in_features, out_features, dtype, seed, init, bias=bool(bias), activation=float(code))

    @property
    def activation(self) -> str:
        """The activation's name."""
        return ACTIVATIONS[int(self._option("activation"))]

    def config(self) -> Dict[str, Any]:
        return dict(super().config(), activation=self.activation)

    def _extra_repr(self) -> str:
        return f", activation={self.activation!r}" + super()._extra_repr()

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        z, cache = linear_forward(x, **self._params64())
        y = ACTIVATION_FUNCTIONS[self.activation](z)
        return y, dict(cache, y=y, activation=self.activation)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        dz = f64(dy) * ACTIVATION_SLOPES[cache["activation"]](cache["y"])
        return linear_backward(dz, cache)


ACTIVATION_FUNCTIONS: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda z: z,
    # not 0.5 (1 + tanh(z / 2)): for z ≪ 0 that cancels (1e-9 relative at z = −16)
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}
# The derivative from the activation's output y = act(z).
ACTIVATION_SLOPES: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": np.ones_like,
    "sigmoid": lambda y: y * (1.0 - y),
    "tanh": lambda y: 1.0 - y * y,
    "relu": lambda y: (y > 0).astype(np.float64),
}


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
