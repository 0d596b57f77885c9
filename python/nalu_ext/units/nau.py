"""The NAU, the neural addition unit (Madsen & Johansen 2020; docs/units.md#nau-and-nmu), and what
every unit with a weight kept in a range shares (RangedWeight: the NAU, the NMU family in nmu.py,
the division units in division.py): the constraint, the clamp and the sparsity regularizer.
C++: cpp/nalu/units/nau/."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks
from .._dtypes import DTypeLike
from .._types import ConstraintName
from ..layers import Layer, Scheduled, SeedLike, glorot_uniform, register
from ..reference import Cache, Grads, f64


# How W is kept in range; the position is the C++ option's number (cpp/nalu/units/nau/ranged_weight_layer.hpp).
#   clamp: Madsen & Johansen's: clamped in forward and into range after every optimizer step;
#   clip:  the NPU paper's (NeuralArithmetic.jl's NMU): clamped in forward only, W itself free;
#   none:  W as it is (NeuralArithmetic.jl's NAU, an unconstrained W·x).
CONSTRAINTS = ("clamp", "clip", "none")


class RangedWeight(Scheduled, Layer):
    """What the NAU and the NMU share: a weight W kept in its range (``constraint``) and the
    sparsity regularizer of Madsen & Johansen 2020, added to the loss as λ(t) R."""

    _RANGE: Tuple[float, float]

    def __init__(self, in_features: int, out_features: int, *, constraint: ConstraintName = "clamp",
                 regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        self._build(in_features, out_features, constraint, regularizer, reg_start, reg_end, dtype, seed, init, {})

    def _build(self, in_features: int, out_features: int, constraint: str, regularizer: float, reg_start: int,
               reg_end: int, dtype: DTypeLike, seed: SeedLike, init: Optional[str], options: Dict[str, float]) -> None:
        """What __init__ does, with a variant's own C++ options (already checked): the variants'
        constructors call this, so that no constructor takes options it does not name."""
        code = CONSTRAINTS.index(_checks.choice(constraint, "constraint", CONSTRAINTS))
        Layer.__init__(self, in_features, out_features, dtype, seed, init, constraint=float(code), **options)
        self.set_regularizer(regularizer, reg_start, reg_end)

    @property
    def constraint(self) -> str:
        """How W is kept in range: "clamp", "clip" or "none" (see CONSTRAINTS)."""
        return CONSTRAINTS[int(self._option("constraint"))]

    def config(self) -> Dict[str, Any]:
        return dict(Layer.config(self), constraint=self.constraint, **self._schedule_config())

    def _extra_repr(self) -> str:
        return ("" if self.constraint == "clamp" else f", constraint={self.constraint!r}") + self._schedule_repr()

    def _used_weight(self) -> np.ndarray:
        """The W the forward uses, in float64."""
        W = self._params64()["W"]
        return W if self.constraint == "none" else np.clip(W, *self._RANGE)

    def effective_weights(self) -> List[np.ndarray]:
        return [self._used_weight()]

    def regularizer_value(self) -> Tuple[float, np.ndarray]:
        """The sparsity regularizer on the current W, in NumPy float64.

        Returns
        -------
        R : float
        dR_dW : numpy.ndarray
        """
        return sparsity_regularizer(self.params["W"], "NAU" if self._RANGE[0] < 0 else "NMU")


@register
class NAU(RangedWeight):
    """Neural addition unit (Madsen & Johansen 2020): ``y = x @ clamp(W, -1, 1).T``.

    Parameter ``W`` (out_features, in_features), initialised U(-r, r) with
    r = min(0.5, sqrt(3) * sqrt(2 / (in + out))), clamped into [-1, 1] after every optimizer step.
    Regularizer R = mean min(|W|, |1 - |W||), pushing W towards {-1, 0, 1}.

    Parameters
    ----------
    <layer parameters>
    constraint : "clamp", "clip" or "none"
        "clamp" (default): as above; "clip": clamped in forward only (the NPU paper's); "none":
        ``y = x @ W.T`` with W unconstrained (the NPU paper's additive layer).
    <schedule parameters>
    """

    _RANGE = (-1.0, 1.0)

    INITS = {"stable-nalu": "W ~ U(-r, r), r = min(0.5, sqrt(3) * sqrt(2 / (in + out))) "
                            "(stable-nalu's layer/re_regualized_linear_nac.py)",
             "glorot": "W Glorot-uniform (nmheim/NeuralArithmetic.jl's NAU)"}

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        if self.init == "glorot":
            W[...] = glorot_uniform(rng, *W.shape)
            return
        r = min(0.5, math.sqrt(3.0) * math.sqrt(2.0 / (W.shape[0] + W.shape[1])))
        W[...] = rng.uniform(-r, r, size=W.shape)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nau_forward(x, self.params["W"], self.constraint)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nau_backward(dy, cache)


# The clamp passes gradient where W lies inside its range, edges included; outside it passes 0.
# Under the constraint "none" W is used as it is and every gradient passes.


def _used(W: np.ndarray, lo: float, hi: float, constraint: str) -> Tuple[np.ndarray, np.ndarray]:
    """(the weight the forward uses, where the gradient passes)."""
    if constraint == "none":
        return W, np.ones_like(W, dtype=bool)
    return np.clip(W, lo, hi), (W >= lo) & (W <= hi)


def nau_forward(x: Any, W: Any, constraint: str = "clamp") -> Tuple[np.ndarray, Cache]:
    """y = x @ clamp(W, -1, 1).T (W itself under "none"); x (B, I), W (O, I)."""
    x, W = f64(x), f64(W)
    Wc, passes = _used(W, -1.0, 1.0, constraint)
    return x @ Wc.T, {"x": x, "Wc": Wc, "passes": passes}


def nau_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    return dy @ cache["Wc"], {"W": (dy.T @ cache["x"]) * cache["passes"]}


def sparsity_regularizer(W: Any, unit: str) -> Tuple[float, np.ndarray]:
    """(R, dR/dW) with R = mean min(|a|, |1 - a|), a = |W| for the NAU and W for the NMU
    (stable-nalu's functional/regualizer.py). Inside [0, 1] that is min(a, 1 - a); at the tie
    a = 1/2 the derivative of the first argument is taken, and at a = 0 it is da/dW."""
    W = f64(W)
    a = np.abs(W) if unit == "NAU" else W
    da = np.sign(W) if unit == "NAU" else np.ones_like(W)
    first = a <= 1.0 - a
    term = np.where(a < 0, -a, np.where(a > 1, a - 1.0, np.where(first, a, 1.0 - a)))
    slope = np.where(a < 0, -1.0, np.where(a > 1, 1.0, np.where(first, 1.0, -1.0)))
    return float(np.mean(term)), slope * da / W.size
