"""NPU and RealNPU, the neural power units (Heim, Pevný & Šmídl 2020; docs/units.md#npu-and-realnpu),
and their forms without the relevance gate, NaiveNPU and RealNaiveNPU: one C++ unit whose option
``real`` drops the imaginary weights and ``naive`` the gate. C++: cpp/nalu/units/npu/."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .._dtypes import DTypeLike
from ..layers import Layer, Scheduled, SeedLike, glorot_uniform, register
from ..reference import Cache, Grads, f64



class PowerUnit(Scheduled, Layer):
    """What the NPU and the RealNPU share: the gated input r, its complex logarithm, the init, and
    the L1 regularizer R = Σ|p| over every parameter, added to the loss as λ(t) R (the NPU papers'
    β; usually the geometric schedule, ``reg_initial``/``reg_growth``/``reg_every``)."""

    _CORE_KIND = "NPU"

    INITS = {"glorot": "W_re (or W) Glorot-uniform, W_im = 0, g = 0.5 (Heim et al. 2020)",
             "nalm-benchmark": "W_re (or W) Glorot-uniform, W_im = 0, g = 1 (bmistry4/nalm-benchmark's "
                               "layer/npu.py and npu_real.py)"}

    def __init__(self, real: bool, in_features: int, out_features: int, dtype: DTypeLike,
                 seed: SeedLike, init: Optional[str], schedule: Dict[str, Any], naive: bool = False) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        options = {"real": real, "naive": True} if naive else {"real": real}  # (older files: no "naive")
        Layer.__init__(self, in_features, out_features, dtype, seed, init, **options)
        self.set_regularizer(**schedule)

    def config(self) -> Dict[str, Any]:
        return dict(Layer.config(self), **self._schedule_config())

    def _extra_repr(self) -> str:
        return self._schedule_repr()

    def _initialise(self, rng: np.random.Generator) -> None:
        """W_re (or W) Glorot-uniform, W_im = 0, g = 0.5 (or 1: INITS)."""
        gate = 1.0 if self.init == "nalm-benchmark" else 0.5
        for name, p in self.params.items():
            if name in ("W_re", "W"):
                p[...] = glorot_uniform(rng, *p.shape)
            else:
                p[...] = gate if name == "g" else 0.0

    def _eps(self) -> float:
        """The kernels' ε: the machine epsilon of the layer's dtype."""
        return float(np.finfo(self.dtype).eps)


@register
class NPU(PowerUnit):
    """Neural power unit (Heim, Pevný & Šmídl 2020), with the complex logarithm for negative inputs:

    ``g_ = clip(g, 0, 1)``, ``r = g_ * (|x| + eps) + 1 - g_``, ``k = pi * g_ * (x < 0)``,
    ``y = exp(log(r) @ W_re.T - k @ W_im.T) * cos(log(r) @ W_im.T + k @ W_re.T)``,
    eps the dtype's machine epsilon. Parameters ``W_re``, ``W_im`` (out, in) and the input
    relevance gate ``g`` (in,); initialised W_re Glorot-uniform, W_im = 0, g = 0.5.
    It learns products, quotients and fractional powers, and the sign of negative inputs:
    with W_re = [[1, 1]] and g = 1 it multiplies (-2, 3) to -6.

    Parameters
    ----------
    <layer parameters>
    <schedule parameters>
    """

    def __init__(self, in_features: int, out_features: int, *, regularizer: float = 0.0, reg_start: int = 0,
                 reg_end: int = 0, reg_initial: float = 0.0, reg_growth: float = 0.0, reg_every: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        super().__init__(False, in_features, out_features, dtype, seed, init,
                         dict(regularizer=regularizer, reg_start=reg_start, reg_end=reg_end,
                              reg_initial=reg_initial, reg_growth=reg_growth, reg_every=reg_every))

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return npu_forward(x, eps=self._eps(), **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return npu_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        p = self._params64()
        return [p["W_re"], p["W_im"]]


@register
class RealNPU(PowerUnit):
    """The NPU without imaginary weights (Heim et al. 2020):
    ``y = exp(log(r) @ W.T) * cos(k @ W.T)``; parameters ``W`` (out, in) and ``g`` (in,).

    Parameters
    ----------
    <layer parameters>
    <schedule parameters>
    """

    def __init__(self, in_features: int, out_features: int, *, regularizer: float = 0.0, reg_start: int = 0,
                 reg_end: int = 0, reg_initial: float = 0.0, reg_growth: float = 0.0, reg_every: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        super().__init__(True, in_features, out_features, dtype, seed, init,
                         dict(regularizer=regularizer, reg_start=reg_start, reg_end=reg_end,
                              reg_initial=reg_initial, reg_growth=reg_growth, reg_every=reg_every))

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return real_npu_forward(x, eps=self._eps(), **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return real_npu_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        return [self._params64()["W"]]


class _Naive(PowerUnit):
    """What the NaiveNPU and the RealNaiveNPU share: the NPU's formula at g = 1 (r = |x| + eps,
    k = pi [x < 0]), g no parameter."""

    _REAL: bool
    INITS = {"glorot": "W_re (or W) Glorot-uniform, W_im = 0 (nmheim/NeuralArithmetic.jl's NaiveNPU)"}

    def __init__(self, in_features: int, out_features: int, *, regularizer: float = 0.0, reg_start: int = 0,
                 reg_end: int = 0, reg_initial: float = 0.0, reg_growth: float = 0.0, reg_every: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        super().__init__(self._REAL, in_features, out_features, dtype, seed, init,
                         dict(regularizer=regularizer, reg_start=reg_start, reg_end=reg_end,
                              reg_initial=reg_initial, reg_growth=reg_growth, reg_every=reg_every), naive=True)

    def _ones(self) -> np.ndarray:
        return np.ones(self.in_features)


@register
class NaiveNPU(_Naive):
    """The NPU without its relevance gate (nmheim/NeuralArithmetic.jl's ``NaiveNPU``, a row of the
    NPU paper's large-scale table): ``r = |x| + eps``, ``k = pi * (x < 0)``,
    ``y = exp(log(r) @ W_re.T - k @ W_im.T) * cos(log(r) @ W_im.T + k @ W_re.T)``, the NPU at
    g = 1. Parameters ``W_re``, ``W_im`` (out, in); W_re Glorot-uniform, W_im = 0.

    Parameters
    ----------
    <layer parameters>
    <schedule parameters>
    """

    _REAL = False

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return npu_forward(x, eps=self._eps(), g=self._ones(), **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        dx, grads = npu_backward(dy, cache)
        return dx, {"W_re": grads["W_re"], "W_im": grads["W_im"]}

    def effective_weights(self) -> List[np.ndarray]:
        p = self._params64()
        return [p["W_re"], p["W_im"]]


@register
class RealNaiveNPU(_Naive):
    """The RealNPU without its relevance gate (nmheim/NeuralArithmetic.jl's ``RealNaiveNPU``):
    ``y = exp(log(|x| + eps) @ W.T) * cos(pi * (x < 0) @ W.T)``. Parameter ``W`` (out, in),
    Glorot-uniform.

    Parameters
    ----------
    <layer parameters>
    <schedule parameters>
    """

    _REAL = True

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return real_npu_forward(x, eps=self._eps(), g=self._ones(), **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        dx, grads = real_npu_backward(dy, cache)
        return dx, {"W": grads["W"]}

    def effective_weights(self) -> List[np.ndarray]:
        return [self._params64()["W"]]


# eps is the dtype's machine epsilon; g is clipped into [0, 1] (gradient passes inside, edges
# included); k = pi g [x < 0] is piecewise constant in x (no gradient to x through k).


def npu_forward(x: Any, W_re: Any, W_im: Any, g: Any, eps: float = float(np.finfo(np.float64).eps)
                ) -> Tuple[np.ndarray, Cache]:
    """y = Re(exp(log_complex(r) @ (W_re + i W_im).T)) with the complex log of the gated input:
    log|r| + i pi g [x < 0]. x (B, I), W_re, W_im (O, I), g (I,)."""
    x, W_re, W_im, g = f64(x), f64(W_re), f64(W_im), f64(g)
    gc = np.clip(g, 0.0, 1.0)
    r = gc * (np.abs(x) + eps) + (1.0 - gc)
    k = np.pi * gc * (x < 0)
    log_r = np.log(r)
    exponent = log_r @ W_re.T - k @ W_im.T
    phase = log_r @ W_im.T + k @ W_re.T
    y = np.exp(exponent) * np.cos(phase)
    cache = {"x": x, "W_re": W_re, "W_im": W_im, "g": g, "gc": gc, "r": r, "k": k, "log_r": log_r,
             "exponent": exponent, "phase": phase, "eps": eps}
    return y, cache


def npu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    c = cache
    mag = np.exp(c["exponent"])
    d_exp = dy * mag * np.cos(c["phase"])
    d_phase = -dy * mag * np.sin(c["phase"])
    dW_re = d_exp.T @ c["log_r"] + d_phase.T @ c["k"]
    dW_im = -d_exp.T @ c["k"] + d_phase.T @ c["log_r"]
    d_log_r = d_exp @ c["W_re"] + d_phase @ c["W_im"]
    d_k = -d_exp @ c["W_im"] + d_phase @ c["W_re"]
    dr = d_log_r / c["r"]
    x, gc = c["x"], c["gc"]
    dg = np.sum(dr * (np.abs(x) + c["eps"] - 1.0) + d_k * np.pi * (x < 0), axis=0)
    dg = dg * ((c["g"] >= 0.0) & (c["g"] <= 1.0))
    dx = dr * gc * np.sign(x)
    return dx, {"W_re": dW_re, "W_im": dW_im, "g": dg}


def real_npu_forward(x: Any, W: Any, g: Any, eps: float = float(np.finfo(np.float64).eps)
                     ) -> Tuple[np.ndarray, Cache]:
    """y = exp(log(r) @ W.T) * cos(k @ W.T): the NPU with W_im = 0. y is computed without the
    imaginary terms, as the unit defines it: through them an infinite log r would give inf · 0 =
    NaN where the RealNPU gives inf or 0. The cache (for the backward) is the NPU's."""
    W = f64(W)
    _, cache = npu_forward(x, W, np.zeros_like(W), g, eps)
    return np.exp(cache["log_r"] @ W.T) * np.cos(cache["k"] @ W.T), cache


def real_npu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dx, grads = npu_backward(dy, cache)
    return dx, {"W": grads["W_re"], "g": grads["g"]}
