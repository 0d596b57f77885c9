"""NAU and NMU, the neural addition and multiplication units (Madsen & Johansen 2020;
docs/units.md#nau-and-nmu): one family, one clamped weight W and one sparsity regularizer.
C++: cpp/nalu/units/nau_nmu/."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .._dtypes import DTypeLike
from ..layers import Layer, Scheduled, SeedLike, register
from ..recipes import STABLE_NALU, STABLE_NALU_DEFAULTS, Recipe
from ..reference import Cache, Grads, f64


class NauNmu(Scheduled, Layer):
    """What the NAU and the NMU share: a weight W clamped into its range after every optimizer
    step (and in forward) and the sparsity regularizer of Madsen & Johansen 2020, added to the
    loss as λ(t) R."""

    BENCHMARK_REGULARIZED = True

    def __init__(self, in_features: int, out_features: int, *, regularizer: float = 0.0,
                 reg_start: int = 0, reg_end: int = 0, dtype: DTypeLike = "float32",
                 seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        Layer.__init__(self, in_features, out_features, dtype, seed, init)
        self.set_regularizer(regularizer, reg_start, reg_end)

    def config(self) -> Dict[str, Any]:
        return dict(Layer.config(self), **self._schedule_config())

    def _extra_repr(self) -> str:
        return self._schedule_repr()

    def regularizer_value(self) -> Tuple[float, np.ndarray]:
        """The sparsity regularizer on the current W, in NumPy float64.

        Returns
        -------
        R : float
        dR_dW : numpy.ndarray
        """
        return sparsity_regularizer(self.params["W"], type(self).__name__)


@register
class NAU(NauNmu):
    """Neural addition unit (Madsen & Johansen 2020): ``y = x @ clamp(W, -1, 1).T``.

    Parameter ``W`` (out_features, in_features), initialised U(-r, r) with
    r = min(0.5, sqrt(3) * sqrt(2 / (in + out))), clamped into [-1, 1] after every optimizer step.
    Regularizer R = mean min(|W|, 1 - |W|), pushing W towards {-1, 0, 1}.

    Parameters
    ----------
    <layer parameters>
    <schedule parameters>
    """

    INITS = {"stable-nalu": "W ~ U(-r, r), r = min(0.5, sqrt(3) * sqrt(2 / (in + out))) "
                            "(stable-nalu's layer/re_regualized_linear_nac.py)"}
    RECIPE = Recipe(
        network=("NAU", "NAU"), init=("stable-nalu", "stable-nalu"), published=True,
        regularizer=0.01, reg_start=5_000, reg_end=50_000,
        source=f"NAU of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               "--layer-type ReRegualizedLinearNAC --regualizer 0.01 --regualizer-scaling-start 5000 "
               f"--regualizer-scaling-end 50000; {STABLE_NALU_DEFAULTS}")

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        r = min(0.5, math.sqrt(3.0) * math.sqrt(2.0 / (W.shape[0] + W.shape[1])))
        W[...] = rng.uniform(-r, r, size=W.shape)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nau_forward(x, self.params["W"])

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nau_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        return [np.clip(self._params64()["W"], -1.0, 1.0)]


@register
class NMU(NauNmu):
    """Neural multiplication unit (Madsen & Johansen 2020): ``y_j = prod_i (W_ji x_i + 1 - W_ji)``
    with W clamped into [0, 1] (in forward and after every optimizer step).

    Parameter ``W`` (out_features, in_features), initialised U(0.25, 0.75). Regularizer
    R = mean min(W, 1 - W), pushing W towards {0, 1}.

    Parameters
    ----------
    <layer parameters>
    <schedule parameters>
    """

    INITS = {"stable-nalu": "W ~ U(0.25, 0.75) (stable-nalu's layer/re_regualized_linear_mnac.py)"}
    RECIPE = Recipe(
        network=("NAU", "NMU"), init=("stable-nalu", "stable-nalu"), published=True,
        regularizer=10.0, reg_start=1_000_000, reg_end=2_000_000,
        source=f"NMU of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               "--layer-type ReRegualizedLinearNAC --nac-mul mnac with the script's defaults "
               f"--regualizer 10 --regualizer-scaling-start 1000000 --regualizer-scaling-end 2000000; "
               f"{STABLE_NALU_DEFAULTS}")

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        W[...] = rng.uniform(0.25, 0.75, size=W.shape)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nmu_forward(x, self.params["W"])

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nmu_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        return [np.clip(self._params64()["W"], 0.0, 1.0)]


# The clamp passes gradient where W lies inside its range, edges included; outside it passes 0.


def nau_forward(x: Any, W: Any) -> Tuple[np.ndarray, Cache]:
    """y = x @ clamp(W, -1, 1).T; x (B, I), W (O, I)."""
    x, W = f64(x), f64(W)
    Wc = np.clip(W, -1.0, 1.0)
    return x @ Wc.T, {"x": x, "W": W, "Wc": Wc}


def nau_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    inside = (cache["W"] >= -1.0) & (cache["W"] <= 1.0)
    return dy @ cache["Wc"], {"W": (dy.T @ cache["x"]) * inside}


def nmu_forward(x: Any, W: Any) -> Tuple[np.ndarray, Cache]:
    """y_j = prod_i (Wc_ji x_i + 1 - Wc_ji), Wc = clamp(W, 0, 1); x (B, I), W (O, I)."""
    x, W = f64(x), f64(W)
    Wc = np.clip(W, 0.0, 1.0)
    factors = Wc[None, :, :] * x[:, None, :] + 1.0 - Wc[None, :, :]  # (B, O, I)
    return np.prod(factors, axis=2), {"x": x, "W": W, "Wc": Wc, "factors": factors}


def nmu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    """The product of the other factors is taken directly (no division by a factor that may be 0)."""
    dy = f64(dy)
    x, Wc, factors = cache["x"], cache["Wc"], cache["factors"]
    I = factors.shape[2]
    others = np.stack([np.prod(np.delete(factors, i, axis=2), axis=2) for i in range(I)], axis=2)
    g = dy[:, :, None] * others                                       # (B, O, I)
    dW = np.sum(g * (x[:, None, :] - 1.0), axis=0)
    dx = np.sum(g * Wc[None, :, :], axis=1)
    inside = (cache["W"] >= 0.0) & (cache["W"] <= 1.0)
    return dx, {"W": dW * inside}


def sparsity_regularizer(W: Any, unit: str) -> Tuple[float, np.ndarray]:
    """(R, dR/dW) with R = mean min(a, 1 - a), a = |W| for the NAU and W for the NMU. At the tie
    a = 1/2 the derivative of the first argument is taken."""
    W = f64(W)
    a = np.abs(W) if unit == "NAU" else W
    da = np.sign(W) if unit == "NAU" else np.ones_like(W)
    first = a <= 1.0 - a
    R = float(np.mean(np.where(first, a, 1.0 - a)))
    return R, np.where(first, da, -da) / W.size
