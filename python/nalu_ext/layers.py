"""The neural arithmetic units as layers: NumPy parameters, C++ forward and backward.

Every layer keeps its parameters in C++ memory; ``layer.params`` and ``layer.grads`` are read-only
mappings (name -> array) of writable NumPy views of that memory, so writing into ``layer.params["W_hat"]`` changes the layer
and ``layer.grads`` always shows the gradients of the last ``backward``.

Inputs may be any real array-like (floating point or integer); they are converted to the layer's
dtype, and non-contiguous or Fortran-ordered arrays are copied into C order first.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional

import numpy as np

from . import _checks, _core
from ._dtypes import DTypeLike, as_float_dtype, core_suffix

SeedLike = Optional[int]


def glorot_uniform(rng: np.random.Generator, out_features: int, in_features: int) -> np.ndarray:
    """U(-r, r) with r = sqrt(6 / (in + out)), shape (out, in), float64."""
    r = math.sqrt(6.0 / (in_features + out_features))
    return rng.uniform(-r, r, size=(out_features, in_features))


class Layer:
    """Common behaviour of every unit; use a concrete unit such as :class:`NAC` or :class:`NALU`.

    ``params`` and ``grads`` map parameter names to writable NumPy views of the layer's C++
    buffers: write into the arrays (``layer.params["W_hat"][...] = 0``) to change the layer.
    """

    def __init__(self, kind: str, in_features: int, out_features: int, dtype: DTypeLike,
                 seed: SeedLike, *core_args: Any) -> None:
        """Validates the common arguments, builds the C++ layer ``<kind>_f32``/``_f64`` and
        initialises its parameters (see :meth:`_initialise`)."""
        in_features = _checks.positive(in_features, "in_features")
        out_features = _checks.positive(out_features, "out_features")
        if seed is not None:
            seed = _checks.integer(seed, "seed", maximum=None)  # numpy's SeedSequence takes any size
        impl = getattr(_core, kind + core_suffix(as_float_dtype(dtype)))(
            in_features, out_features, *core_args)
        self._impl = impl
        # Read-only mappings: replacing an entry would silently unlink it from the layer; writing
        # into the arrays is what changes the layer.
        self.params: Mapping[str, np.ndarray] = MappingProxyType(
            {n: impl.param(n) for n in impl.param_names}
        )
        self.grads: Mapping[str, np.ndarray] = MappingProxyType(
            {n: impl.grad(n) for n in impl.param_names}
        )
        self._initialise(np.random.default_rng(seed))

    def _initialise(self, rng: np.random.Generator) -> None:
        """Glorot-uniform for every parameter, in parameter order, drawn in float64."""
        for p in self.params.values():
            p[...] = glorot_uniform(rng, *p.shape)

    @property
    def in_features(self) -> int:
        return int(self._impl.in_features)

    @property
    def out_features(self) -> int:
        return int(self._impl.out_features)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self._impl.dtype)

    def forward(self, x: Any) -> np.ndarray:
        """y of shape (batch, out_features) from x of shape (batch, in_features).

        The layer keeps a copy of x for :meth:`backward`.
        """
        return self._impl.forward(x)

    __call__ = forward

    def backward(self, dy: Any, *, need_dx: bool = True) -> Optional[np.ndarray]:
        """Gradients of the last :meth:`forward` given dy = dLoss/dy of shape (batch, out_features).

        Overwrites ``self.grads`` with dLoss/dparameter and returns dx = dLoss/dx of shape
        (batch, in_features), or None when ``need_dx`` is False (which skips that work).
        """
        return self._impl.backward(dy, need_dx)

    def config(self) -> Dict[str, Any]:
        """The constructor arguments that rebuild this layer's architecture (not its parameters)."""
        return {"kind": type(self).__name__, "in_features": self.in_features,
                "out_features": self.out_features, "dtype": str(self.dtype)}

    @property
    def steps(self) -> int:
        """Training steps this layer has taken part in (in any model): the clock t of its
        regularizer schedule λ(t), so a schedule continues across ``fit`` calls."""
        return int(self._impl.steps)

    @property
    def has_regularizer(self) -> bool:
        return bool(self._impl.has_regularizer)

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_features}, {self.out_features}"
            f"{self._extra_repr()}, dtype='{self.dtype}')"
        )


class NAC(Layer):
    """Neural accumulator (Trask et al. 2018): ``W = tanh(W_hat) * sigmoid(M_hat)``, ``y = x @ W.T``.

    Parameters ``W_hat`` and ``M_hat``, both (out_features, in_features), are initialised
    Glorot-uniform, U(-r, r) with r = sqrt(6 / (in + out)), drawn in float64 from
    ``numpy.random.default_rng(seed)`` in that order (the same seed gives the same parameters,
    in float64 and, rounded, in float32).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        dtype: DTypeLike = "float32",
        seed: SeedLike = None,
    ) -> None:
        super().__init__("NAC", in_features, out_features, dtype, seed)


class NALU(Layer):
    """Neural arithmetic logic unit (Trask et al. 2018), with tied weights by default.

    ``a = x @ W.T``, ``m = exp(log(|x| + eps) @ W.T)``, ``g = sigmoid(x @ G.T)``,
    ``y = g * a + (1 - g) * m`` with ``W = tanh(W_hat) * sigmoid(M_hat)``.

    Parameters ``W_hat``, ``M_hat`` and ``G``, each (out_features, in_features), are initialised
    Glorot-uniform in that order from ``numpy.random.default_rng(seed)`` (see :class:`NAC`).
    Variants: ``separate_weights=True`` gives the m path its own ``W_hat_m``, ``M_hat_m``;
    ``gate="scalar"`` makes the gate input-independent, ``g = sigmoid(G)`` with ``G`` (out,)
    (initialised to 0: g = 1/2); ``gate_bias=True`` adds ``b`` (out,) inside the input gate,
    ``g = sigmoid(x @ G.T + b)`` (initialised to 0).

    The unit's known failure modes are reproduced faithfully: ``m`` overflows to inf for large
    ``|x| * W``, the log path explodes near x = 0 with negative weights, and ``m`` ignores the
    sign of x.
    """

    GATES = ("input", "scalar")

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        eps: float = 1e-7,
        separate_weights: bool = False,
        gate: str = "input",
        gate_bias: bool = False,
        dtype: DTypeLike = "float32",
        seed: SeedLike = None,
    ) -> None:
        eps = _checks.real(eps, "eps", finite=False)  # its range is the C++ layer's rule
        _checks.choice(gate, "gate", self.GATES)
        if gate_bias and gate == "scalar":
            raise ValueError("gate_bias=True needs gate='input' (a scalar gate sigmoid(G) has no input to offset)")
        self._variant = {"separate_weights": bool(separate_weights), "gate": gate, "gate_bias": bool(gate_bias)}
        super().__init__("NALU", in_features, out_features, dtype, seed, eps, bool(separate_weights),
                         gate == "scalar", bool(gate_bias))

    def _initialise(self, rng: np.random.Generator) -> None:
        """Glorot-uniform for the (out, in) weights, in parameter order; zeros for G (out,) and b."""
        for p in self.params.values():
            p[...] = glorot_uniform(rng, *p.shape) if p.ndim == 2 else 0.0

    @property
    def eps(self) -> float:
        return float(self._impl.eps)

    def config(self) -> Dict[str, Any]:
        return dict(super().config(), eps=self.eps, **self._variant)

    def _extra_repr(self) -> str:
        variant = "".join(f", {k}={v!r}" for k, v in self._variant.items()
                          if v != {"separate_weights": False, "gate": "input", "gate_bias": False}[k])
        return f", eps={self.eps:g}{variant}"


class _Scheduled:
    """The regularizer schedule of a unit: λ(t) = regularizer · max(min((t − reg_start) /
    (reg_end − reg_start), 1), 0), t the training step (a step at reg_start if reg_end ≤ reg_start)."""

    _impl: Any

    def set_regularizer(self, regularizer: float, reg_start: int = 0, reg_end: int = 0) -> None:
        """Sets λ̂ (regularizer), t_start and t_end of the schedule λ(t)."""
        self._impl.set_regularizer(_checks.real(regularizer, "regularizer", minimum=0.0),
                                   _checks.integer(reg_start, "reg_start"),
                                   _checks.integer(reg_end, "reg_end"))

    @property
    def regularizer(self) -> float:
        return float(self._impl.regularizer[0])

    @property
    def reg_start(self) -> int:
        return int(self._impl.regularizer[1])

    @property
    def reg_end(self) -> int:
        return int(self._impl.regularizer[2])

    def regularizer_weight(self, step: int) -> float:
        """λ(step) of the schedule."""
        return float(self._impl.regularizer_weight(int(step)))

    def _schedule_config(self) -> Dict[str, Any]:
        return {"regularizer": self.regularizer, "reg_start": self.reg_start, "reg_end": self.reg_end}

    def _schedule_repr(self) -> str:
        return f", regularizer={self.regularizer:g}" if self.regularizer else ""


class _Regularized(_Scheduled, Layer):
    """A unit with a weight W clamped into its range after every optimizer step (and in forward)
    and the sparsity regularizer of Madsen & Johansen 2020, added to the loss as λ(t) R."""

    _KIND = ""  # the C++ layer kind, set by each subclass

    def __init__(self, in_features: int, out_features: int, *, regularizer: float = 0.0,
                 reg_start: int = 0, reg_end: int = 0, dtype: DTypeLike = "float32",
                 seed: SeedLike = None) -> None:
        Layer.__init__(self, self._KIND, in_features, out_features, dtype, seed)
        self.set_regularizer(regularizer, reg_start, reg_end)

    def config(self) -> Dict[str, Any]:
        return dict(Layer.config(self), **self._schedule_config())

    def _extra_repr(self) -> str:
        return self._schedule_repr()


class NAU(_Regularized):
    """Neural addition unit (Madsen & Johansen 2020): ``y = x @ clamp(W, -1, 1).T``.

    Parameter ``W`` (out_features, in_features), initialised U(-r, r) with
    r = min(0.5, sqrt(3) * sqrt(2 / (in + out))), clamped into [-1, 1] after every optimizer step.
    Regularizer R = mean min(|W|, 1 - |W|), pushing W towards {-1, 0, 1}.
    """

    _KIND = "NAU"

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        r = min(0.5, math.sqrt(3.0) * math.sqrt(2.0 / (W.shape[0] + W.shape[1])))
        W[...] = rng.uniform(-r, r, size=W.shape)


class NMU(_Regularized):
    """Neural multiplication unit (Madsen & Johansen 2020): ``y_j = prod_i (W_ji x_i + 1 - W_ji)``
    with W clamped into [0, 1] (in forward and after every optimizer step).

    Parameter ``W`` (out_features, in_features), initialised U(0.25, 0.75). Regularizer
    R = mean min(W, 1 - W), pushing W towards {0, 1}.
    """

    _KIND = "NMU"

    def _initialise(self, rng: np.random.Generator) -> None:
        W = self.params["W"]
        W[...] = rng.uniform(0.25, 0.75, size=W.shape)


class iNALU(_Scheduled, Layer):  # noqa: N801  (the unit's published name)
    """Improved NALU (Schlör, Ring & Hotho 2020): separate weights for the two paths, a clipped
    exponent, sign recovery and an input-independent gate.

    ``a = x @ W_a.T``, ``m = exp(min(log(max(|x|, eps)) @ W_m.T, omega))``,
    ``s_j = prod_i (sign(x_i) |W_m,ji| + 1 - |W_m,ji|)``, ``g = sigmoid(G)``,
    ``y = g * a + (1 - g) * m * clip(s, -1, 1)`` with ``W_a = tanh(W_hat_a) * sigmoid(M_hat_a)``
    and likewise W_m. Parameters ``W_hat_a``, ``M_hat_a``, ``W_hat_m``, ``M_hat_m`` (out, in) and
    ``G`` (out,), initialised as in the original: W_hat ~ N(0.88, 0.2), M_hat ~ N(0.5, 0.2),
    G ~ N(0, 0.2). The original training clips gradients by value (0.1): pass ``clip_value=0.1``
    to the optimizer; and regularizes R = mean max(0, 20 - |v|) over W_hat_a, M_hat_a, W_hat_m,
    M_hat_m once the loss is small: ``regularizer=`` with ``reg_start``/``reg_end`` (as for NAU).
    """

    def __init__(self, in_features: int, out_features: int, *, eps: float = 1e-7,
                 omega: float = 20.0, regularizer: float = 0.0, reg_start: int = 0, reg_end: int = 0,
                 dtype: DTypeLike = "float32", seed: SeedLike = None) -> None:
        eps = _checks.real(eps, "eps", finite=False)  # their ranges are the C++ layer's rules
        omega = _checks.real(omega, "omega", finite=False)
        Layer.__init__(self, "iNALU", in_features, out_features, dtype, seed, eps, omega)
        self.set_regularizer(regularizer, reg_start, reg_end)

    def _initialise(self, rng: np.random.Generator) -> None:
        means = {"W_hat_a": 0.88, "W_hat_m": 0.88, "M_hat_a": 0.5, "M_hat_m": 0.5, "G": 0.0}
        for name, p in self.params.items():
            p[...] = rng.normal(means[name], 0.2, size=p.shape)

    @property
    def eps(self) -> float:
        return float(self._impl.eps)

    @property
    def omega(self) -> float:
        return float(self._impl.omega)

    def config(self) -> Dict[str, Any]:
        return dict(Layer.config(self), eps=self.eps, omega=self.omega, **self._schedule_config())

    def _extra_repr(self) -> str:
        return f", eps={self.eps:g}, omega={self.omega:g}{self._schedule_repr()}"


class _PowerUnit(Layer):
    """What the NPU and the RealNPU share: the gated input r, its complex logarithm, the init."""

    def __init__(self, real: bool, in_features: int, out_features: int, dtype: DTypeLike,
                 seed: SeedLike) -> None:
        super().__init__("NPU", in_features, out_features, dtype, seed, real)

    def _initialise(self, rng: np.random.Generator) -> None:
        """W_re (or W) Glorot-uniform, W_im = 0, g = 0.5 (Heim et al. 2020)."""
        for name, p in self.params.items():
            if name in ("W_re", "W"):
                p[...] = glorot_uniform(rng, *p.shape)
            else:
                p[...] = 0.5 if name == "g" else 0.0


class NPU(_PowerUnit):
    """Neural power unit (Heim, Pevný & Šmídl 2020), with the complex logarithm for negative inputs:

    ``g_ = clip(g, 0, 1)``, ``r = g_ * (|x| + eps) + 1 - g_``, ``k = pi * g_ * (x < 0)``,
    ``y = exp(log(r) @ W_re.T - k @ W_im.T) * cos(log(r) @ W_im.T + k @ W_re.T)``,
    eps the dtype's machine epsilon. Parameters ``W_re``, ``W_im`` (out, in) and the input
    relevance gate ``g`` (in,); initialised W_re Glorot-uniform, W_im = 0, g = 0.5.
    It learns products, quotients and fractional powers, and the sign of negative inputs:
    with W_re = [[1, 1]] and g = 1 it multiplies (-2, 3) to -6.
    """

    def __init__(self, in_features: int, out_features: int, *, dtype: DTypeLike = "float32",
                 seed: SeedLike = None) -> None:
        super().__init__(False, in_features, out_features, dtype, seed)


class RealNPU(_PowerUnit):
    """The NPU without imaginary weights (Heim et al. 2020):
    ``y = exp(log(r) @ W.T) * cos(k @ W.T)``; parameters ``W`` (out, in) and ``g`` (in,)."""

    def __init__(self, in_features: int, out_features: int, *, dtype: DTypeLike = "float32",
                 seed: SeedLike = None) -> None:
        super().__init__(True, in_features, out_features, dtype, seed)


LAYER_KINDS: Dict[str, type] = {"NAC": NAC, "NALU": NALU, "NAU": NAU, "NMU": NMU, "NPU": NPU,
                                "RealNPU": RealNPU, "iNALU": iNALU}
