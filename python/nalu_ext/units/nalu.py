"""NALU, the neural arithmetic logic unit (Trask et al. 2018; docs/units.md#nalu), with the
variants the literature compares, and Madsen & Johansen's gated NAU/NMU, a NALU whose paths are a
NAU and an NMU (docs/units.md#gatednaunmu). C++: cpp/nalu/units/nalu/."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks
from .._dtypes import DTypeLike
from .._types import GateName, NaluBase
from ..layers import Layer, SeedLike, glorot_uniform, register
from ..reference import Cache, Grads, f64, nac_weight, nac_weight_backward, sigmoid
from .nac import nac_stable_nalu_init
from .nau import RangedWeight, nau_backward, nau_forward, sparsity_regularizer
from .nmu import nmu_backward, nmu_forward


# The G-NALU's base: phi = (1 + sqrt 5) / 2, and tanh_phi(u) = tanh(u ln phi), sigmoid_phi(u) =
# sigmoid(u ln phi), phi^(z / ln phi) = e^z (bmistry4/nalm-benchmark functional/golden_ratio_base.py).
LN_GOLDEN_RATIO = math.log((1.0 + math.sqrt(5.0)) / 2.0)


@register
class NALU(Layer):
    """Neural arithmetic logic unit (Trask et al. 2018), with tied weights by default.

    ``a = x @ W.T``, ``m = exp(log(|x| + eps) @ W.T)``, ``g = sigmoid(x @ G.T)``,
    ``y = g * a + (1 - g) * m`` with ``W = tanh(W_hat) * sigmoid(M_hat)``.

    Parameters ``W_hat``, ``M_hat`` and ``G``, each (out_features, in_features), are drawn in
    that order from ``numpy.random.default_rng(seed)`` with the scheme ``init``: "glorot" (default)
    draws all three Glorot-uniform; "stable-nalu" draws W_hat and M_hat as stable-nalu's NAC
    (see :class:`NAC`) and G Glorot-uniform (its xavier_uniform with the sigmoid's gain, 1).
    Variants: ``separate_weights=True`` gives the m path its own ``W_hat_m``, ``M_hat_m``;
    ``gate="scalar"`` makes the gate input-independent, ``g = sigmoid(G)`` with ``G`` (out,)
    (initialised to 0: g = 1/2); ``gate_bias=True`` adds ``b`` (out,) inside the input gate,
    ``g = sigmoid(x @ G.T + b)`` (initialised to 0); ``base="golden-ratio"`` is the G-NALU
    (nalm-benchmark's golden-ratio NALU): tanh, sigmoid and exp to the base phi = (1 + sqrt 5) / 2,
    which is the NALU on every parameter times ln(phi).

    The unit's known failure modes are reproduced faithfully: ``m`` overflows to inf for large
    ``|x| * W``, the log path explodes near x = 0 with negative weights, and ``m`` ignores the
    sign of x.

    Parameters
    ----------
    <layer parameters>
    eps : float
        ε of log(|x| + ε), >= 0 (default 1e-7).
    separate_weights : bool
        Give the multiplicative path its own W_hat_m, M_hat_m.
    gate : "input" or "scalar"
        sigmoid(x @ G.T) (the original) or an input-independent sigmoid(G).
    gate_bias : bool
        Add a bias b inside the input gate.
    base : "e" or "golden-ratio"
        The base of the unit's tanh, sigmoid and exp: the NALU's, or the G-NALU's phi.
    """

    GATES = ("input", "scalar")
    BASES = ("e", "golden-ratio")
    INITS = {
        "glorot": "W_hat, M_hat (and W_hat_m, M_hat_m) and G Glorot-uniform; a scalar G and b are 0",
        "stable-nalu": "W_hat, M_hat (and W_hat_m, M_hat_m) as the NAC's stable-nalu scheme, G "
                       "Glorot-uniform (stable-nalu's layer/_abstract_nalu.py); a scalar G and b are 0",
        "flux": "as glorot, and b ~ U(-r, r) with r = sqrt(6 / (1 + out)), Flux's glorot_uniform of a "
                "vector (nmheim/NeuralArithmetic.jl's NALU)",
    }

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        eps: float = 1e-7,
        separate_weights: bool = False,
        gate: GateName = "input",
        gate_bias: bool = False,
        base: NaluBase = "e",
        dtype: DTypeLike = "float32",
        seed: SeedLike = None,
        init: Optional[str] = None,
    ) -> None:
        """Builds the layer; the parameters are described in the class docstring."""
        eps = _checks.real(eps, "eps", finite=False)  # its range is the C++ layer's rule
        _checks.choice(gate, "gate", self.GATES)
        if gate_bias and gate == "scalar":
            raise ValueError("gate_bias=True needs gate='input' (a scalar gate sigmoid(G) has no input to offset)")
        _checks.choice(base, "base", self.BASES)
        self._variant = {"separate_weights": bool(separate_weights), "gate": gate, "gate_bias": bool(gate_bias),
                         "base": base}
        golden = {"golden_ratio": True} if base == "golden-ratio" else {}  # (older files: no such option)
        super().__init__(in_features, out_features, dtype, seed, init, eps=eps,
                         separate_weights=bool(separate_weights), scalar_gate=gate == "scalar",
                         gate_bias=bool(gate_bias), **golden)

    def _initialise(self, rng: np.random.Generator) -> None:
        """The (out, in) weights in parameter order, by the scheme (see INITS); zeros for G (out,)
        and b (b uniform under "flux")."""
        for name, p in self.params.items():
            if name == "b" and self.init == "flux":
                r = np.sqrt(6.0 / (1 + p.shape[0]))
                p[...] = rng.uniform(-r, r, size=p.shape)
            elif p.ndim == 1:
                p[...] = 0.0
            elif self.init == "stable-nalu" and name != "G":
                nac_stable_nalu_init(rng, [p])
            else:
                p[...] = glorot_uniform(rng, *p.shape)

    @property
    def eps(self) -> float:
        """ε as the layer uses it (rounded to float32 in a float32 layer)."""
        return float(self._option("eps"))

    def config(self) -> Dict[str, Any]:
        return dict(super().config(), eps=self.eps, **self._variant)

    def _extra_repr(self) -> str:
        variant = "".join(f", {k}={v!r}" for k, v in self._variant.items()
                          if v != {"separate_weights": False, "gate": "input", "gate_bias": False, "base": "e"}[k])
        return f", eps={self.eps:g}{variant}"

    def _scale(self) -> float:
        """The factor the formulas take the parameters by: 1, or the G-NALU's ln(phi)."""
        return LN_GOLDEN_RATIO if self._variant["base"] == "golden-ratio" else 1.0

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        c = self._scale()
        y, cache = nalu_forward(x, eps=self.eps, **{k: c * v for k, v in self._params64().items()})
        cache["scale"] = c
        return y, cache

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        dx, grads = nalu_backward(dy, cache)
        return dx, {k: cache["scale"] * g for k, g in grads.items()}

    def effective_weights(self) -> List[np.ndarray]:
        p = {k: self._scale() * v for k, v in self._params64().items()}
        weights = [nac_weight(p["W_hat"], p["M_hat"])]
        if "W_hat_m" in p:
            weights.append(nac_weight(p["W_hat_m"], p["M_hat_m"]))
        return weights


def nalu_forward(
    x: Any, W_hat: Any, M_hat: Any, G: Any, eps: float = 1e-7, W_hat_m: Any = None,
    M_hat_m: Any = None, b: Any = None
) -> Tuple[np.ndarray, Cache]:
    """NALU; x (B, I), W_hat, M_hat (O, I).

    a = x W^T,  m = exp(log(|x| + eps) W_m^T),  g = sigmoid(x G^T + b),  y = g a + (1 - g) m,
    with W_m = W (tied) unless W_hat_m, M_hat_m are given; G of shape (O,) is the scalar gate
    g = sigmoid(G); b (O,) is the optional gate bias.
    """
    x, W_hat, M_hat, G = f64(x), f64(W_hat), f64(M_hat), f64(G)
    W = nac_weight(W_hat, M_hat)
    separate = W_hat_m is not None
    W_m = nac_weight(f64(W_hat_m), f64(M_hat_m)) if separate else W
    log_x = np.log(np.abs(x) + eps)
    a = x @ W.T
    m = np.exp(log_x @ W_m.T)
    z_g = np.broadcast_to(G, a.shape) if G.ndim == 1 else x @ G.T
    if b is not None:
        z_g = z_g + f64(b)
    g, one_minus_g = sigmoid(z_g), sigmoid(-z_g)
    y = g * a + one_minus_g * m
    cache = {
        "x": x, "W_hat": W_hat, "M_hat": M_hat, "G": G, "W": W, "W_m": W_m, "eps": eps,
        "log_x": log_x, "a": a, "m": m, "g": g, "one_minus_g": one_minus_g, "separate": separate,
        "hats_m": (f64(W_hat_m), f64(M_hat_m)) if separate else None, "bias": b is not None,
    }
    return y, cache


def nalu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    x, W, W_m, G, eps = cache["x"], cache["W"], cache["W_m"], cache["G"], cache["eps"]
    a, m, g, one_minus_g = cache["a"], cache["m"], cache["g"], cache["one_minus_g"]

    da = dy * g                                # y = g a + (1 - g) m
    dz_m = dy * one_minus_g * m                # m = exp(z_m)
    dz_g = dy * (a - m) * (g * one_minus_g)    # g = sigmoid(z_g)

    dW_a = da.T @ x
    dW_m = dz_m.T @ cache["log_x"]
    scalar_gate = G.ndim == 1
    dG = dz_g.sum(axis=0) if scalar_gate else dz_g.T @ x
    dlog_x = dz_m @ W_m
    dx = da @ W + dlog_x * (np.sign(x) / (np.abs(x) + eps))
    if not scalar_gate:
        dx = dx + dz_g @ G

    if cache["separate"]:
        grads = nac_weight_backward(dW_a, cache["W_hat"], cache["M_hat"])
        gm = nac_weight_backward(dW_m, *cache["hats_m"])
        grads["W_hat_m"], grads["M_hat_m"] = gm["W_hat"], gm["M_hat"]
    else:  # tied weights: both paths' gradients add up in W
        grads = nac_weight_backward(dW_a + dW_m, cache["W_hat"], cache["M_hat"])
    grads["G"] = dG
    if cache["bias"]:
        grads["b"] = dz_g.sum(axis=0)
    return dx, grads


@register
class GatedNAUNMU(RangedWeight):
    """The gated NAU/NMU of Madsen & Johansen 2020 (their NALU table; stable-nalu's
    ``ReRegualizedLinearNALULayer`` with ``--nalu-two-nac --nalu-mul mnac``): a NALU whose
    additive path is a :class:`NAU` and whose multiplicative path an :class:`NMU`.

    ``a = x @ clamp(W_add, -1, 1).T``, ``m_j = prod_i (W_ji x_i + 1 - W_ji)`` with
    ``W = clamp(W_mul, 0, 1)``, ``g = sigmoid(x @ G.T)``, ``y = g * a + (1 - g) * m``.

    Parameters ``W_add``, ``W_mul`` and ``G``, each (out_features, in_features), drawn in that
    order: W_add as the NAU's stable-nalu scheme, W_mul as the NMU's, G Glorot-uniform (stable-nalu's
    xavier_uniform with the sigmoid's gain, 1). The regularizer is the NAU's on W_add plus the
    NMU's on W_mul (the gate has none); both weights follow ``constraint`` as the NAU's and NMU's.

    Parameters
    ----------
    <layer parameters>
    constraint : "clamp", "clip" or "none"
        As the NAU's and the NMU's, for both weights.
    <schedule parameters>
    """

    _RANGE = (-1.0, 1.0)  # W_add's; W_mul's is the NMU's [0, 1]

    INITS = {"stable-nalu": "W_add as the NAU's stable-nalu scheme, W_mul ~ U(0.25, 0.75), G Glorot-uniform "
                            "(stable-nalu's layer/_abstract_nalu.py, re_regualized_linear_nac.py, "
                            "re_regualized_linear_mnac.py)"}

    def _initialise(self, rng: np.random.Generator) -> None:
        W_add, W_mul, G = self.params["W_add"], self.params["W_mul"], self.params["G"]
        r = min(0.5, np.sqrt(3.0) * np.sqrt(2.0 / (W_add.shape[0] + W_add.shape[1])))
        W_add[...] = rng.uniform(-r, r, size=W_add.shape)
        W_mul[...] = rng.uniform(0.25, 0.75, size=W_mul.shape)
        G[...] = glorot_uniform(rng, *G.shape)

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Cache]:
        return gated_nau_nmu_forward(x, self.params["W_add"], self.params["W_mul"], self.params["G"],
                                     self.constraint)

    def reference_backward(self, dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
        return gated_nau_nmu_backward(dy, cache)

    def effective_weights(self) -> List[np.ndarray]:
        """The two paths' weights as the forward uses them (the gate is not a weight the sparsity
        error counts, as stable-nalu logs only the paths' W).

        Returns
        -------
        list of numpy.ndarray
            W_add and W_mul, (out_features, in_features) each, float64.
        """
        p = self._params64()
        if self.constraint == "none":
            return [p["W_add"], p["W_mul"]]
        return [np.clip(p["W_add"], -1.0, 1.0), np.clip(p["W_mul"], 0.0, 1.0)]

    def regularizer_value(self) -> Tuple[float, np.ndarray]:
        """The regularizer on the current weights in NumPy float64.

        Returns
        -------
        R : float
        dR : numpy.ndarray
            dR/dW_add and dR/dW_mul stacked, (2, out_features, in_features).
        """
        R_add, dR_add = sparsity_regularizer(self.params["W_add"], "NAU")
        R_mul, dR_mul = sparsity_regularizer(self.params["W_mul"], "NMU")
        return R_add + R_mul, np.stack([dR_add, dR_mul])


def gated_nau_nmu_forward(x: Any, W_add: Any, W_mul: Any, G: Any, constraint: str = "clamp"
                          ) -> Tuple[np.ndarray, Cache]:
    """y = g a + (1 - g) m with a the NAU's, m the NMU's and g = sigmoid(x G^T); x (B, I), each
    weight (O, I)."""
    x, G = f64(x), f64(G)
    a, cache_add = nau_forward(x, W_add, constraint)
    m, cache_mul = nmu_forward(x, W_mul, constraint)
    z = x @ G.T
    g, one_minus_g = sigmoid(z), sigmoid(-z)
    cache = {"x": x, "G": G, "a": a, "m": m, "g": g, "one_minus_g": one_minus_g, "add": cache_add, "mul": cache_mul}
    return g * a + one_minus_g * m, cache


def gated_nau_nmu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = f64(dy)
    g, one_minus_g = cache["g"], cache["one_minus_g"]
    dx_add, grads_add = nau_backward(dy * g, cache["add"])
    dx_mul, grads_mul = nmu_backward(dy * one_minus_g, cache["mul"])
    dz = dy * (cache["a"] - cache["m"]) * (g * one_minus_g)
    dx = dx_add + dx_mul + dz @ cache["G"]
    return dx, {"W_add": grads_add["W"], "W_mul": grads_mul["W"], "G": dz.T @ cache["x"]}
