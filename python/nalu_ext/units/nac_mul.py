"""NACMul, the NAC• (Trask et al. 2018): a NAC in log space, the multiplying baseline of Madsen &
Johansen's comparison (docs/units.md#nacmul), PosNACMul, the NAC•,σ of their ablation
(docs/units.md#posnacmul), and NACMulNMU, their NAC•,NMU (docs/units.md#nacmulnmu).
C++: cpp/nalu/units/nac_mul/."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks
from .._dtypes import DTypeLike
from .._types import ConstraintName
from ..layers import Layer, SeedLike, register
from ..reference import Cache, Grads, f64, nac_weight, nac_weight_backward, sigmoid
from .nac import NAC_INITS, nac_stable_nalu_init
from .nau import _used
from .nmu import _Multiplying


class _WithEps(Layer):
    """What every unit of the NAC• family shows of ε of log(|x| + ε): the option as the layer uses
    it, in its config and its repr (before what its other bases show)."""

    @property
    def eps(self) -> float:
        """ε as the layer uses it (rounded to float32 in a float32 layer)."""
        return float(self._option("eps"))

    def config(self) -> Dict[str, Any]:
        return dict(super().config(), eps=self.eps)

    def _extra_repr(self) -> str:
        return f", eps={self.eps:g}" + super()._extra_repr()


class _LogSpace(_WithEps):
    """What NACMul and PosNACMul share: ε, their only option."""

    def __init__(self, in_features: int, out_features: int, *, eps: float = 1e-7,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        eps = _checks.real(eps, "eps", finite=False)  # its range is the C++ layer's rule
        super().__init__(in_features, out_features, dtype, seed, init, eps=eps)


@register
class NACMul(_LogSpace):
    """NAC• (Trask et al. 2018): ``y = exp(log(|x| + eps) @ W.T)`` with the NAC's weight
    ``W = tanh(W_hat) * sigmoid(M_hat)``.

    This is stable-nalu's ``--nac-mul normal`` (exp of a NAC applied to log(|x| + eps)), not its
    ``layer/mnac.py``. Parameters ``W_hat`` and ``M_hat`` (out_features, in_features), initialised
    as the NAC's (``init`` "glorot", the default, or "stable-nalu"). Like the NALU's multiplicative path, y overflows for large
    ``|x| * W`` and ignores the sign of x.

    Parameters
    ----------
    <layer parameters>
    eps : float
        ε of log(|x| + ε), >= 0 (default 1e-7).
    """

    INITS = NAC_INITS

    def _initialise(self, rng: np.random.Generator) -> None:
        if self.init == "stable-nalu":
            nac_stable_nalu_init(rng, self.params.values())
        else:
            super()._initialise(rng)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nac_mul_forward(x, eps=self.eps, **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nac_mul_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        p = self._params64()
        return [nac_weight(p["W_hat"], p["M_hat"])]


def nac_mul_forward(x: Any, W_hat: Any, M_hat: Any, eps: float = 1e-7) -> Tuple[np.ndarray, Cache]:
    """y = exp(log(|x| + eps) @ W.T); x (B, I), W_hat, M_hat (O, I)."""
    x, W_hat, M_hat = f64(x), f64(W_hat), f64(M_hat)
    W = nac_weight(W_hat, M_hat)
    log_x = np.log(np.abs(x) + eps)
    y = np.exp(log_x @ W.T)
    return y, {"x": x, "W_hat": W_hat, "M_hat": M_hat, "W": W, "log_x": log_x, "y": y, "eps": eps}


def nac_mul_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dz = f64(dy) * cache["y"]                      # d exp(z) = exp(z)
    x = cache["x"]
    dx = (dz @ cache["W"]) * (np.sign(x) / (np.abs(x) + cache["eps"]))
    return dx, nac_weight_backward(dz.T @ cache["log_x"], cache["W_hat"], cache["M_hat"])


@register
class PosNACMul(_LogSpace):
    """NAC•,σ (Madsen & Johansen 2020's ablation): the NAC• with ``W = sigmoid(W_hat)``, so every
    weight lies in (0, 1): ``y = exp(log(|x| + eps) @ W.T)``.

    stable-nalu's ``--layer-type PosNAC --nac-mul normal`` (layer/pos_nac.py): one parameter
    ``W_hat`` (out_features, in_features), initialised Glorot-normal as there
    (``torch.nn.init.xavier_normal_``). docs/units.md#posnacmul.

    Parameters
    ----------
    <layer parameters>
    eps : float
        ε of log(|x| + ε), >= 0 (default 1e-7).
    """

    INITS = {"stable-nalu": "W_hat ~ N(0, 2 / (in + out)), Glorot-normal (stable-nalu's layer/pos_nac.py)"}

    def _initialise(self, rng: np.random.Generator) -> None:
        W_hat = self.params["W_hat"]
        W_hat[...] = rng.normal(0.0, math.sqrt(2.0 / (W_hat.shape[0] + W_hat.shape[1])), size=W_hat.shape)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return pos_nac_mul_forward(x, eps=self.eps, **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return pos_nac_mul_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        return [sigmoid(self._params64()["W_hat"])]


def pos_nac_mul_forward(x: Any, W_hat: Any, eps: float = 1e-7) -> Tuple[np.ndarray, Cache]:
    """y = exp(log(|x| + eps) @ sigmoid(W_hat).T); x (B, I), W_hat (O, I)."""
    x, W_hat = f64(x), f64(W_hat)
    W = sigmoid(W_hat)
    log_x = np.log(np.abs(x) + eps)
    y = np.exp(log_x @ W.T)
    return y, {"x": x, "W": W, "log_x": log_x, "y": y, "eps": eps}


def pos_nac_mul_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dz = f64(dy) * cache["y"]                      # d exp(z) = exp(z)
    x, W = cache["x"], cache["W"]
    dx = (dz @ W) * (np.sign(x) / (np.abs(x) + cache["eps"]))
    return dx, {"W_hat": (dz.T @ cache["log_x"]) * W * (1.0 - W)}


@register
class NACMulNMU(_WithEps, _Multiplying):
    """NAC•,NMU (Madsen & Johansen 2020): the NAC• in log space with the NMU's weight,
    ``y = exp(log(|x| + eps) @ clamp(W, 0, 1).T)``, W kept in [0, 1] by ``constraint`` and
    regularized towards {0, 1} as the NMU's.

    stable-nalu's ``--layer-type ReRegualizedLinearPosNAC --nac-mul normal``
    (layer/re_regualized_linear_pos_nac.py): one parameter ``W`` (out_features, in_features),
    initialised U(0.25, 0.75) as the NMU's. docs/units.md#nacmulnmu.

    Parameters
    ----------
    <layer parameters>
    constraint : "clamp", "clip" or "none"
        As the NMU's.
    eps : float
        ε of log(|x| + ε), >= 0 (default 1e-7).
    <schedule parameters>
    """

    INITS = {"stable-nalu": "W ~ U(0.25, 0.75) (stable-nalu's layer/re_regualized_linear_pos_nac.py)"}

    def __init__(self, in_features: int, out_features: int, *, constraint: ConstraintName = "clamp",
                 eps: float = 1e-7, regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        eps = _checks.real(eps, "eps", finite=False)  # its range is the C++ layer's rule
        self._build(in_features, out_features, constraint, regularizer, reg_start, reg_end, dtype, seed, init,
                    {"eps": eps})

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nac_mul_nmu_forward(x, self.params["W"], self.eps, self.constraint)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nac_mul_nmu_backward(dy, cache)


def nac_mul_nmu_forward(x: Any, W: Any, eps: float = 1e-7, constraint: str = "clamp") -> Tuple[np.ndarray, Cache]:
    """y = exp(log(|x| + eps) @ clamp(W, 0, 1).T) (W itself under "none"); x (B, I), W (O, I)."""
    x, W = f64(x), f64(W)
    Wc, passes = _used(W, 0.0, 1.0, constraint)
    log_x = np.log(np.abs(x) + eps)
    y = np.exp(log_x @ Wc.T)
    return y, {"x": x, "Wc": Wc, "passes": passes, "log_x": log_x, "y": y, "eps": eps}


def nac_mul_nmu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dz = f64(dy) * cache["y"]                      # d exp(z) = exp(z)
    x = cache["x"]
    dx = (dz @ cache["Wc"]) * (np.sign(x) / (np.abs(x) + cache["eps"]))
    return dx, {"W": (dz.T @ cache["log_x"]) * cache["passes"]}
