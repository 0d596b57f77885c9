"""The division units of Mistry, Farrahi & Hare 2022 ("Learning Division with Neural Arithmetic
Logic Modules"): the NMRU (docs/units.md#nmru), an NMU on x and its reciprocal, and the NRU
(docs/units.md#nru), a product of signed powers. C++: cpp/nalu/units/division/."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from .._dtypes import DTypeLike
from .._types import ConstraintName
from ..layers import SeedLike, register
from ..reference import Cache, Grads, f64


from .nau import NAU, RangedWeight, _used
from .nmu import _Multiplying, nmu_backward, nmu_forward


# The NMRU's ε in training: float32's machine epsilon, whatever the dtype (nalm-division's
# torch.finfo(torch.float).eps); 0 in evaluation. Written here only: the layer passes it to C++.
NMRU_EPS = 2.0 ** -23


@register
class NMRU(_Multiplying):
    """Neural multiplicative reciprocal unit (Mistry, Farrahi & Hare 2022, "Learning Division
    with Neural Arithmetic Logic Modules"; bmistry4/nalm-division
    ``stable_nalu/layer/concat_reciprocal_nmu.py``): an NMU on the input and its reciprocal,
    ``y_j = prod_k (W_jk z_k + 1 - W_jk)`` with ``z = [x, 1/(x + eps)]``, so that a weight of 1
    on a reciprocal divides by that input. ``eps`` = 2⁻²³ in training mode and 0 (the exact
    reciprocal) in evaluation mode (:meth:`Layer.train`), as the original.

    Parameter ``W`` (out_features, 2 * in_features), initialised U(0.25, 0.75), clamped into
    [0, 1] as the NMU's (``constraint``). Regularizer R = mean min(|W|, |1 - W|), the NMU's.
    With ``sign_retrieval=True``, the original's SignNMRU (``concat_reciprocal_nmu_sign_retrieval.py``):
    ``y_j = NMU(|z|)_j * cos(pi * sum_k [z_k < 0] W_jk)``, the magnitude and the sign apart.

    Parameters
    ----------
    <layer parameters>
    sign_retrieval : bool
        The SignNMRU (default False: the plain NMRU).
    constraint : "clamp", "clip" or "none"
        As the NMU's (default "clamp": nalm-division's default ``--oob-mode clip``, W clamped
        into [0, 1] after every step).
    <schedule parameters>
    """

    INITS = {"nalm-division": "W ~ U(0.25, 0.75) (bmistry4/nalm-division concat_reciprocal_nmu.py)"}

    def __init__(self, in_features: int, out_features: int, *, sign_retrieval: bool = False,
                 constraint: ConstraintName = "clamp", regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        if not isinstance(sign_retrieval, (bool, np.bool_)):
            raise TypeError(f"sign_retrieval must be True or False, got {sign_retrieval!r}")
        self._build(in_features, out_features, constraint, regularizer, reg_start, reg_end, dtype, seed, init,
                    {"sign_retrieval": bool(sign_retrieval), "training_eps": NMRU_EPS})

    @property
    def sign_retrieval(self) -> bool:
        """Whether the sign comes apart from the magnitude (nalm-division's SignNMRU)."""
        return bool(self._option("sign_retrieval"))

    def config(self) -> Dict[str, Any]:
        return dict(RangedWeight.config(self), sign_retrieval=self.sign_retrieval)

    def _extra_repr(self) -> str:
        return (", sign_retrieval=True" if self.sign_retrieval else "") + RangedWeight._extra_repr(self)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        if self.sign_retrieval:
            return sign_nmru_forward(x, self.params["W"], self.constraint, self.training)
        return nmru_forward(x, self.params["W"], self.constraint, self.training)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return (sign_nmru_backward if "phase" in cache else nmru_backward)(dy, cache)


def nmru_forward(x: Any, W: Any, constraint: str = "clamp", training: bool = True) -> Tuple[np.ndarray, Cache]:
    """The NMU on z = [x, 1/(x + eps)], eps = NMRU_EPS in training and 0 in evaluation."""
    x = f64(x)
    z = np.concatenate([x, 1.0 / (x + (NMRU_EPS if training else 0.0))], axis=1)
    y, cache = nmu_forward(z, W, constraint)
    return y, dict(cache, in_features=x.shape[1])


def nmru_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dz, grads = nmu_backward(dy, cache)
    I = cache["in_features"]
    r = cache["x"][:, I:]  # the NMU's input z: its second half is the reciprocals
    return dz[:, :I] - dz[:, I:] * r * r, grads


def sign_nmru_forward(x: Any, W: Any, constraint: str = "clamp", training: bool = True) -> Tuple[np.ndarray, Cache]:
    """nalm-division's SignNMRU: the NMU of |z| times cos(π [z < 0] Wᵀ) (W unclamped in the phase)."""
    x, W = f64(x), f64(W)
    z = np.concatenate([x, 1.0 / (x + (NMRU_EPS if training else 0.0))], axis=1)
    magnitude, cache = nmu_forward(np.abs(z), W, constraint)
    negative = (z < 0).astype(np.float64)
    phase = np.pi * negative @ W.T
    return magnitude * np.cos(phase), {"nmu": cache, "z": z, "negative": negative, "phase": phase,
                                       "magnitude": magnitude, "in_features": x.shape[1]}


def sign_nmru_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    d_abs, grads = nmu_backward(dy * np.cos(cache["phase"]), cache["nmu"])
    dW = grads["W"] + (dy * cache["magnitude"] * -np.pi * np.sin(cache["phase"])).T @ cache["negative"]
    dz = d_abs * np.sign(cache["z"])
    I = cache["in_features"]
    r = cache["z"][:, I:]
    return dz[:, :I] - dz[:, I:] * r * r, {"W": dW}


# The NRU's A(w) in training mode: tanh²(1000 w), nalm-division's smooth |w| (functional/mnac.py).
NRU_SHARPNESS = 1000.0


@register
class NRU(RangedWeight):
    """Neural reciprocal unit (Mistry, Farrahi & Hare 2022, "Learning Division with Neural
    Arithmetic Logic Modules"; bmistry4/nalm-division ``stable_nalu/layer/reciprocal_nmu.py`` with
    ``functional/mnac.py`` mode "div"):

    ``y_j = prod_i (sign(x_i) |x_i|^W_ji A(W_ji) + 1 - A(W_ji))``, W clamped into [-1, 1],
    ``A(w) = tanh(1000 w)^2`` in training mode and ``|w|`` in evaluation mode
    (:meth:`Layer.train`): a weight of -1 divides by its input, 1 multiplies, 0 leaves it out.

    Parameter ``W`` (out_features, in_features), initialised as the NAU's; the NAU's constraint and
    regularizer R = mean min(|W|, |1 - |W||) (the original's ``support='nac'``). An input of 0
    gives non-finite gradients, as in the original.

    Parameters
    ----------
    <layer parameters>
    constraint : "clamp", "clip" or "none"
        As the NAU's (default "clamp": nalm-division's default ``--oob-mode clip``).
    <schedule parameters>
    """

    _RANGE = (-1.0, 1.0)

    INITS = {"stable-nalu": "W ~ U(-r, r), r = min(0.5, sqrt(3) * sqrt(2 / (in + out))), the NAU's "
                            "(nalm-division reciprocal_nmu.py without --beta-nau)"}

    _initialise = NAU._initialise

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nru_forward(x, self.params["W"], self.constraint, self.training)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nru_backward(dy, cache)


def nru_forward(x: Any, W: Any, constraint: str = "clamp", training: bool = True) -> Tuple[np.ndarray, Cache]:
    """y_j = prod_i (sign(x_i) |x_i|^w A(w) + 1 - A(w)), w = clamp(W, -1, 1)_ji; A = tanh²(1000 w)
    in training, |w| in evaluation."""
    x, W = f64(x), f64(W)
    Wc, passes = _used(W, -1.0, 1.0, constraint)
    w = Wc[None, :, :]
    magnitude, sign = np.abs(x)[:, None, :], np.sign(x)[:, None, :]
    if training:  # 1 − A as sech²(1000 w) = 4e/(1 + e)², e = exp(−2000|w|): 1 − tanh² would cancel
        t, e = np.tanh(NRU_SHARPNESS * w), np.exp(-2.0 * NRU_SHARPNESS * np.abs(w))
        a, complement = t * t, 4.0 * e / (1.0 + e) ** 2
        da = 2.0 * NRU_SHARPNESS * t * complement
    else:
        a, complement, da = np.abs(w), 1.0 - np.abs(w), np.sign(w)
    with np.errstate(all="ignore"):  # x = 0: non-finite gradients, as the original's
        power = magnitude ** w
        dpower_dw = np.where((magnitude == 0) & (w >= 0), 0.0, power * np.log(magnitude))
        dpower_dx = np.where(w == 0, 0.0, w * magnitude ** (w - 1.0))
        factors = sign * power * a + complement                        # (B, O, I)
        cache = {"factors": factors, "passes": passes,
                 "df_dw": sign * a * dpower_dw + (sign * power - 1.0) * da, "df_dx": sign * a * dpower_dx * sign}
    return np.prod(factors, axis=2), cache


def nru_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    """The product of the other factors taken directly, as nmu_backward."""
    dy, factors = f64(dy), cache["factors"]
    others = np.stack([np.prod(np.delete(factors, i, axis=2), axis=2) for i in range(factors.shape[2])], axis=2)
    g = dy[:, :, None] * others
    return np.sum(g * cache["df_dx"], axis=1), {"W": np.sum(g * cache["df_dw"], axis=0) * cache["passes"]}


