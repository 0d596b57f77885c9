"""The NMU, the neural multiplication unit (Madsen & Johansen 2020; docs/units.md#nau-and-nmu), and
its stochastic variant of Mistry, Farrahi & Hare, the sNMU (docs/units.md#snmu), with reversible
noise in training. C++: cpp/nalu/units/nmu/."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from .. import _checks, _core
from .._dtypes import DTypeLike
from .._types import ConstraintName
from ..layers import SeedLike, register
from ..reference import Cache, Grads, f64


from .nau import RangedWeight, _used


class _Multiplying(RangedWeight):
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
                 noise_seed: Optional[int] = None, constraint: ConstraintName = "clamp", regularizer: float = 0.0,
                 reg_start: int = 0, reg_end: int = 0, dtype: DTypeLike = "float32", seed: SeedLike = None,
                 init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        if noise_seed is None:  # a stream of its own, apart from the initialisation's
            entropy = [] if seed is None else [_checks.integer(seed, "seed", maximum=None)]
            noise_seed = int(np.random.default_rng([*entropy, 0x534E4D55] if entropy else None).integers(2**53))
        noise_seed = _checks.integer(noise_seed, "noise_seed", maximum=2**53 - 1)
        self._build(in_features, out_features, constraint, regularizer, reg_start, reg_end, dtype, seed, init,
                    {"noise_low": _checks.real(noise_low, "noise_low", finite=False),
                     "noise_high": _checks.real(noise_high, "noise_high", finite=False),
                     "noise_seed": float(noise_seed)})

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


