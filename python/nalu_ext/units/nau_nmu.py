"""NAU and NMU, the neural addition and multiplication units (Madsen & Johansen 2020;
docs/units.md#nau-and-nmu): one family, one clamped weight W and one sparsity regularizer; and
two NMU variants of Mistry, Farrahi & Hare: the sNMU (docs/units.md#snmu), with reversible noise
in training, and the NMRU (docs/units.md#nmru), an NMU on x and its reciprocal.
C++: cpp/nalu/units/nau_nmu/."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks, _core
from .._dtypes import DTypeLike
from ..layers import Layer, Scheduled, SeedLike, glorot_uniform, register
from ..reference import Cache, Grads, f64


# How W is kept in range; the position is the C++ option's number (cpp/nalu/units/nau_nmu/layer.hpp).
#   clamp: Madsen & Johansen's: clamped in forward and into range after every optimizer step;
#   clip:  the NPU paper's (NeuralArithmetic.jl's NMU): clamped in forward only, W itself free;
#   none:  W as it is (NeuralArithmetic.jl's NAU, an unconstrained W·x).
CONSTRAINTS = ("clamp", "clip", "none")


class NauNmu(Scheduled, Layer):
    """What the NAU and the NMU share: a weight W kept in its range (``constraint``) and the
    sparsity regularizer of Madsen & Johansen 2020, added to the loss as λ(t) R."""

    _RANGE: Tuple[float, float]

    def __init__(self, in_features: int, out_features: int, *, constraint: str = "clamp",
                 regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None,
                 **options: Any) -> None:
        """Builds the layer; the parameters are described in the class docstring (``options``: a
        variant's own C++ options, already checked)."""
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
class NAU(NauNmu):
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


class _Multiplying(NauNmu):
    """What the NMU and its variants (sNMU, NMRU) share: W in [0, 1], initialised U(0.25, 0.75)."""

    _RANGE = (0.0, 1.0)

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        W[...] = rng.uniform(0.0, 1.0, size=W.shape) if self.init == "uniform" else rng.uniform(0.25, 0.75, size=W.shape)


@register
class NMU(_Multiplying):
    """Neural multiplication unit (Madsen & Johansen 2020): ``y_j = prod_i (W_ji x_i + 1 - W_ji)``
    with W clamped into [0, 1] (in forward and after every optimizer step).

    Parameter ``W`` (out_features, in_features), initialised U(0.25, 0.75). Regularizer
    R = mean min(|W|, |1 - W|), pushing W towards {0, 1}.

    Parameters
    ----------
    <layer parameters>
    constraint : "clamp", "clip" or "none"
        "clamp" (default): as above; "clip": clamped in forward only (the NPU paper's NMU);
        "none": W used unclamped.
    <schedule parameters>
    """

    INITS = {"stable-nalu": "W ~ U(0.25, 0.75) (stable-nalu's layer/re_regualized_linear_mnac.py)",
             "uniform": "W ~ U(0, 1) (nmheim/NeuralArithmetic.jl's NMU: Julia's rand)"}

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return nmu_forward(x, self.params["W"], self.constraint)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return nmu_backward(dy, cache)


@register
class sNMU(_Multiplying):  # noqa: N801  (the unit's published name)
    """Stochastic NMU (Mistry, Farrahi & Hare, "Improving the Robustness of Neural Multiplication
    Units with Reversible Stochasticity"; bmistry4/nalm-robust-nmu, ``--nmu-noise``): in training
    mode ``y = NMU(x * n) / NMU(n)`` with noise n ~ U[noise_low, noise_high) for every input value,
    which the division removes again; in evaluation mode (:meth:`Layer.train`) the plain NMU.

    The noise is reproducible: the forward at the layer's step t (``layer.steps``) uses rows
    [0, batch) of stream t of the task generator's hash under ``noise_seed`` (:meth:`noise`). W,
    its initialisation, constraint and regularizer are the NMU's.

    Parameters
    ----------
    <layer parameters>
    constraint : "clamp", "clip" or "none"
        As the NMU's.
    noise_low, noise_high : float
        The noise range, 0 < noise_low <= noise_high (default [1, 5), the original's default).
    noise_seed : int, optional
        Seeds the noise, 0 <= noise_seed < 2**53; default: drawn from ``seed`` (a fresh one when
        ``seed`` is None).
    <schedule parameters>
    """

    INITS = {"stable-nalu": "W ~ U(0.25, 0.75), the NMU's"}

    def __init__(self, in_features: int, out_features: int, *, noise_low: float = 1.0, noise_high: float = 5.0,
                 noise_seed: Optional[int] = None, constraint: str = "clamp", regularizer: float = 0.0,
                 reg_start: int = 0, reg_end: int = 0, dtype: DTypeLike = "float32", seed: SeedLike = None,
                 init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        if noise_seed is None:  # a stream of its own, apart from the initialisation's
            entropy = [] if seed is None else [_checks.integer(seed, "seed", maximum=None)]
            noise_seed = int(np.random.default_rng([*entropy, 0x534E4D55] if entropy else None).integers(2**53))
        noise_seed = _checks.integer(noise_seed, "noise_seed", maximum=2**53 - 1)
        super().__init__(in_features, out_features, constraint=constraint, regularizer=regularizer,
                         reg_start=reg_start, reg_end=reg_end, dtype=dtype, seed=seed, init=init,
                         noise_low=_checks.real(noise_low, "noise_low", finite=False),
                         noise_high=_checks.real(noise_high, "noise_high", finite=False),
                         noise_seed=float(noise_seed))

    @property
    def noise_range(self) -> Tuple[float, float]:
        """(noise_low, noise_high)."""
        return float(self._option("noise_low")), float(self._option("noise_high"))

    @property
    def noise_seed(self) -> int:
        """The noise's seed."""
        return int(self._option("noise_seed"))

    def noise(self, rows: int) -> np.ndarray:
        """The noise (rows, in_features) a training-mode forward of ``rows`` rows uses at the
        layer's current step (the same call of the C++ generator).

        Parameters
        ----------
        rows : int

        Returns
        -------
        numpy.ndarray
        """
        low, high = self.noise_range
        return _core.task_rows(self.in_features, (0, 1), (0, 1), "add", [(low, high)], self.noise_seed,
                               self.steps, 0, _checks.integer(rows, "rows"), str(self.dtype))[0]

    def config(self) -> Dict[str, Any]:
        low, high = self.noise_range
        return dict(super().config(), noise_low=low, noise_high=high, noise_seed=self.noise_seed)

    def _extra_repr(self) -> str:
        low, high = self.noise_range
        noise = "" if (low, high) == (1.0, 5.0) else f", noise_low={low:g}, noise_high={high:g}"
        return noise + super()._extra_repr()

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return snmu_forward(x, self.params["W"], self.noise(np.shape(x)[0]) if self.training else None,
                            self.constraint)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return snmu_backward(dy, cache)


def snmu_forward(x: Any, W: Any, noise: Optional[Any], constraint: str = "clamp") -> Tuple[np.ndarray, Cache]:
    """NMU(x * noise) / NMU(noise); the plain NMU when noise is None (evaluation)."""
    if noise is None:
        y, cache = nmu_forward(x, W, constraint)
        return y, dict(cache, noisy=False)
    n = f64(noise)
    p_z, cache_z = nmu_forward(f64(x) * n, W, constraint)
    p_n, cache_n = nmu_forward(n, W, constraint)
    y = p_z / p_n
    return y, {"noisy": True, "z": cache_z, "n": cache_n, "p_n": p_n, "y": y}


def snmu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    if not cache["noisy"]:
        return nmu_backward(dy, cache)
    dy = f64(dy)
    dz, grads_z = nmu_backward(dy / cache["p_n"], cache["z"])
    _, grads_n = nmu_backward(-dy * cache["y"] / cache["p_n"], cache["n"])
    return dz * cache["n"]["x"], {"W": grads_z["W"] + grads_n["W"]}


# nalm-division's ε of the training-mode reciprocal 1/(x + ε): torch.finfo(torch.float).eps, 2⁻²³.
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
                 constraint: str = "clamp", regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        if not isinstance(sign_retrieval, (bool, np.bool_)):
            raise TypeError(f"sign_retrieval must be True or False, got {sign_retrieval!r}")
        super().__init__(in_features, out_features, constraint=constraint, regularizer=regularizer,
                         reg_start=reg_start, reg_end=reg_end, dtype=dtype, seed=seed, init=init,
                         sign_retrieval=bool(sign_retrieval))

    @property
    def sign_retrieval(self) -> bool:
        """Whether the sign comes apart from the magnitude (nalm-division's SignNMRU)."""
        return bool(self._option("sign_retrieval"))

    def config(self) -> Dict[str, Any]:
        return dict(NauNmu.config(self), sign_retrieval=self.sign_retrieval)

    def _extra_repr(self) -> str:
        return (", sign_retrieval=True" if self.sign_retrieval else "") + NauNmu._extra_repr(self)

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
class NRU(NauNmu):
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


def nmu_forward(x: Any, W: Any, constraint: str = "clamp") -> Tuple[np.ndarray, Cache]:
    """y_j = prod_i (Wc_ji x_i + 1 - Wc_ji), Wc = clamp(W, 0, 1) (W itself under "none"); x (B, I), W (O, I)."""
    x, W = f64(x), f64(W)
    Wc, passes = _used(W, 0.0, 1.0, constraint)
    factors = Wc[None, :, :] * x[:, None, :] + 1.0 - Wc[None, :, :]  # (B, O, I)
    return np.prod(factors, axis=2), {"x": x, "Wc": Wc, "passes": passes, "factors": factors}


def nmu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    """The product of the other factors is taken directly (no division by a factor that may be 0)."""
    dy = f64(dy)
    x, Wc, factors = cache["x"], cache["Wc"], cache["factors"]
    I = factors.shape[2]
    others = np.stack([np.prod(np.delete(factors, i, axis=2), axis=2) for i in range(I)], axis=2)
    g = dy[:, :, None] * others                                       # (B, O, I)
    dW = np.sum(g * (x[:, None, :] - 1.0), axis=0)
    dx = np.sum(g * Wc[None, :, :], axis=1)
    return dx, {"W": dW * cache["passes"]}


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
