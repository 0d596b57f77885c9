"""iNALU, the improved NALU (Schlör, Ring & Hotho 2020; docs/units.md#inalu).
C++: cpp/nalu/units/inalu/."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks
from .._dtypes import DTypeLike
from .._types import GateName, RegularizerFormName
from ..layers import Layer, Scheduled, SeedLike, glorot_uniform, register
from ..reference import Cache, Grads, f64, nac_weight, nac_weight_backward, sigmoid

# the saturation regularizer's forms: Schlör et al.'s and bmistry4/nalm-benchmark's (docs/units.md#inalu)
REGULARIZER_FORMS = ("schlor", "nalm-benchmark")



@register
class iNALU(Scheduled, Layer):  # noqa: N801  (the unit's published name)
    """Improved NALU (Schlör, Ring & Hotho 2020): separate weights for the two paths, a clipped
    exponent, sign recovery and a gate, input-independent by default.

    ``a = x @ W_a.T``, ``m = exp(min(log(max(|x|, eps)) @ W_m.T, omega))``,
    ``s_j = prod_i (sign(x_i) |W_m,ji| + 1 - |W_m,ji|)``, ``g = sigmoid(G)``,
    ``y = g * a + (1 - g) * m * clip(s, -1, 1)`` with ``W_a = tanh(W_hat_a) * sigmoid(M_hat_a)``
    and likewise W_m. Parameters ``W_hat_a``, ``M_hat_a``, ``W_hat_m``, ``M_hat_m`` (out, in) and
    ``G`` (out,), or with ``gate="input"`` ``g = sigmoid(x @ G.T)`` and ``G`` (out, in) (the
    gate of NeuralArithmetic.jl's iNALU, which the NPU paper compares; docs/units.md#inalu).
    Initialised as in the original (``init="glorot"``: every parameter Glorot-uniform, as
    NeuralArithmetic.jl): W_hat ~ N(0.88, 0.2), M_hat ~ N(0.5, 0.2),
    G ~ N(0, 0.2). The original training clips gradients by value (0.1): pass ``clip_value=0.1``
    to the optimizer; and regularizes R = mean max(0, 20 - |v|) over W_hat_a, M_hat_a, W_hat_m,
    M_hat_m once the loss is small: ``regularizer=`` with ``reg_start``/``reg_end`` (the schedule λ(t)
    of every unit with a regularizer; ``train_task``'s ``regularize_when`` starts it on the loss).

    Parameters
    ----------
    <layer parameters>
    eps : float
        ε of log(max(|x|, ε)), > 0 (default 1e-7).
    omega : float
        ω, the clip of the exponent (default 20).
    gate : "scalar" or "input"
        The gate σ(G) per output (default), or σ(x Gᵀ) per row and output.
    regularizer_form : "schlor" or "nalm-benchmark"
        R as above (default), or as bmistry4/nalm-benchmark's inalu.py: the sum over W_hat_a,
        M_hat_a, W_hat_m, M_hat_m and G of each array's mean of max(0, 20 - |v|).
    <schedule parameters>
    """

    INITS = {"inalu": "W_hat ~ N(0.88, 0.2), M_hat ~ N(0.5, 0.2), G ~ N(0, 0.2) (Schlör et al. 2020)",
             "glorot": "every parameter Glorot-uniform, a scalar-gate G as a column (out, 1) "
                       "(nmheim/NeuralArithmetic.jl's iNALU)"}

    def __init__(self, in_features: int, out_features: int, *, eps: float = 1e-7,
                 omega: float = 20.0, gate: GateName = "scalar", regularizer_form: RegularizerFormName = "schlor",
                 regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0, dtype: DTypeLike = "float32",
                 seed: SeedLike = None, init: Optional[str] = None) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        eps = _checks.real(eps, "eps", finite=False)  # their ranges are the C++ layer's rules
        omega = _checks.real(omega, "omega", finite=False)
        input_gate = _checks.choice(gate, "gate", ("scalar", "input")) == "input"
        benchmark = _checks.choice(regularizer_form, "regularizer_form", REGULARIZER_FORMS) == "nalm-benchmark"
        Layer.__init__(self, in_features, out_features, dtype, seed, init, eps=eps, omega=omega,
                       input_gate=input_gate, benchmark_regularizer=benchmark)
        self.set_regularizer(regularizer, reg_start, reg_end)

    def _initialise(self, rng: np.random.Generator) -> None:
        if self.init == "glorot":
            for p in self.params.values():
                p[...] = glorot_uniform(rng, *(p.shape if p.ndim == 2 else (p.shape[0], 1))).reshape(p.shape)
            return
        means = {"W_hat_a": 0.88, "W_hat_m": 0.88, "M_hat_a": 0.5, "M_hat_m": 0.5, "G": 0.0}
        for name, p in self.params.items():
            p[...] = rng.normal(means[name], 0.2, size=p.shape)

    @property
    def eps(self) -> float:
        """ε as the layer uses it (rounded to float32 in a float32 layer)."""
        return float(self._option("eps"))

    @property
    def omega(self) -> float:
        """ω as the layer uses it."""
        return float(self._option("omega"))

    @property
    def gate(self) -> str:
        """"scalar" (σ(G) per output) or "input" (σ(x Gᵀ))."""
        return "input" if self._option("input_gate") else "scalar"

    @property
    def regularizer_form(self) -> str:
        """"schlor" or "nalm-benchmark" (see the class docstring)."""
        return REGULARIZER_FORMS[bool(self._option("benchmark_regularizer"))]

    def config(self) -> Dict[str, Any]:
        form = {} if self.regularizer_form == "schlor" else {"regularizer_form": self.regularizer_form}
        return dict(Layer.config(self), eps=self.eps, omega=self.omega, gate=self.gate, **form,
                    **self._schedule_config())

    def _extra_repr(self) -> str:
        gate = "" if self.gate == "scalar" else ", gate='input'"
        form = "" if self.regularizer_form == "schlor" else f", regularizer_form={self.regularizer_form!r}"
        return f", eps={self.eps:g}, omega={self.omega:g}{gate}{form}{self._schedule_repr()}"

    def regularizer_value(self) -> Tuple[float, Grads]:
        """The reference (float64) of the regularizer R at the current parameters, in the layer's
        ``regularizer_form``, and its gradient.

        Returns
        -------
        (float, dict)
            R, and dR/dparam for each parameter name.
        """
        p = self._params64()
        return inalu_regularizer(p["W_hat_a"], p["M_hat_a"], p["W_hat_m"], p["M_hat_m"], p["G"], form=self.regularizer_form)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return inalu_forward(x, eps=self.eps, omega=self.omega, **self._params64())

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return inalu_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        p = self._params64()
        return [nac_weight(p["W_hat_a"], p["M_hat_a"]), nac_weight(p["W_hat_m"], p["M_hat_m"])]


# One-sided choices at the kinks: min(., omega) and clip(s, -1, 1) pass gradient at equality;
# max(|x|, eps) passes it only where |x| > eps; d|W|/dW = sign(W) (sign(0) = 0); the sign path
# sign(x) gives no gradient to x.


def inalu_forward(x: Any, W_hat_a: Any, M_hat_a: Any, W_hat_m: Any, M_hat_m: Any, G: Any,
                  eps: float = 1e-7, omega: float = 20.0) -> Tuple[np.ndarray, Cache]:
    x = f64(x)
    W_a, W_m, G = nac_weight(f64(W_hat_a), f64(M_hat_a)), nac_weight(f64(W_hat_m), f64(M_hat_m)), f64(G)
    log_x = np.log(np.maximum(np.abs(x), eps))
    a = x @ W_a.T
    z = log_x @ W_m.T
    m = np.exp(np.minimum(z, omega))
    # sign(x)|W| + 1 - |W|, arranged as 1 + |W| (sign(x) - 1): exactly 1 for positive x
    factors = 1.0 + np.abs(W_m)[None, :, :] * (np.sign(x)[:, None, :] - 1.0)  # (B, O, I)
    s = np.prod(factors, axis=2)
    sc = np.clip(s, -1.0, 1.0)
    logit = x @ G.T if G.ndim == 2 else G  # the input-dependent gate's G is (O, I)
    g, one_minus_g = sigmoid(logit), sigmoid(-logit)
    y = g * a + one_minus_g * (m * sc)
    cache = {"x": x, "W_a": W_a, "W_m": W_m, "G": G, "eps": eps, "omega": omega, "log_x": log_x,
             "a": a, "z": z, "m": m, "factors": factors, "s": s, "sc": sc, "g": g,
             "one_minus_g": one_minus_g,
             "hats": (f64(W_hat_a), f64(M_hat_a), f64(W_hat_m), f64(M_hat_m))}
    return y, cache


def inalu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    c = cache
    x, W_a, W_m, g, gc, m, sc = c["x"], c["W_a"], c["W_m"], c["g"], c["one_minus_g"], c["m"], c["sc"]
    da = dy * g
    dz = dy * gc * sc * m * (c["z"] <= c["omega"])
    ds = dy * gc * m * ((c["s"] >= -1.0) & (c["s"] <= 1.0))
    dlogit = dy * (c["a"] - m * sc) * (g * gc)
    dG = dlogit.T @ x if c["G"].ndim == 2 else np.sum(dlogit, axis=0)
    factors = c["factors"]
    I = factors.shape[2]
    others = np.stack([np.prod(np.delete(factors, i, axis=2), axis=2) for i in range(I)], axis=2)
    dW_sign = np.sum(ds[:, :, None] * others * (np.sign(x)[:, None, :] - 1.0), axis=0) * np.sign(W_m)
    dW_a = da.T @ x
    dW_m = dz.T @ c["log_x"] + dW_sign
    ax = np.abs(x)
    dlog = np.where(ax > c["eps"], np.sign(x) / np.where(ax > c["eps"], ax, 1.0), 0.0)
    dx = da @ W_a + (dz @ W_m) * dlog + (dlogit @ c["G"] if c["G"].ndim == 2 else 0.0)
    W_hat_a, M_hat_a, W_hat_m, M_hat_m = c["hats"]
    ga, gm = nac_weight_backward(dW_a, W_hat_a, M_hat_a), nac_weight_backward(dW_m, W_hat_m, M_hat_m)
    return dx, {"W_hat_a": ga["W_hat"], "M_hat_a": ga["M_hat"], "W_hat_m": gm["W_hat"],
                "M_hat_m": gm["M_hat"], "G": dG}


def inalu_regularizer(W_hat_a: Any, M_hat_a: Any, W_hat_m: Any, M_hat_m: Any, G: Any = None, *,
                      form: str = "schlor", bound: float = 20.0) -> Tuple[float, Dict[str, np.ndarray]]:
    """(R, dR/dparams): form "schlor", R = mean over the four weight arrays together of
    max(0, bound - |v|); form "nalm-benchmark", R = the sum over the four and G of each array's
    mean (G required)."""
    _checks.choice(form, "form", REGULARIZER_FORMS)
    arrays = {"W_hat_a": f64(W_hat_a), "M_hat_a": f64(M_hat_a), "W_hat_m": f64(W_hat_m),
              "M_hat_m": f64(M_hat_m)}
    if form == "nalm-benchmark":
        arrays["G"] = f64(G)
        spans = [{k: a} for k, a in arrays.items()]
    else:
        spans = [arrays]
    R, grads = 0.0, {}
    for span in spans:
        n = sum(a.size for a in span.values())
        R += sum(float(np.sum(np.maximum(0.0, bound - np.abs(a)))) for a in span.values()) / n
        grads.update({k: -np.sign(a) * (np.abs(a) < bound) / n for k, a in span.items()})
    return R, grads
