"""What every unit shares: the :class:`Layer` base class, its initialisers, the regularizer
schedule, and the registry ``UNITS`` (name -> class) that each unit's module in
:mod:`nalu_ext.units` joins with :func:`register`.

Every layer keeps its parameters in C++ memory; ``layer.params`` and ``layer.grads`` are read-only
mappings (name -> array) of writable NumPy views of that memory, so writing into ``layer.params["W_hat"]`` changes the layer
and ``layer.grads`` always shows the gradients of the last ``backward``.

Inputs may be any real array-like (floating point or integer); they are converted to the layer's
dtype, and non-contiguous or Fortran-ordered arrays are copied into C order first.
"""

from __future__ import annotations

import math
import weakref
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

import numpy as np

from . import _checks, _core
from ._dtypes import DTypeLike, as_float_dtype

SeedLike = Optional[int]


def glorot_uniform(rng: np.random.Generator, out_features: int, in_features: int) -> np.ndarray:
    """U(-r, r) with r = sqrt(6 / (in + out)), shape (out, in), float64."""
    r = math.sqrt(6.0 / (in_features + out_features))
    return rng.uniform(-r, r, size=(out_features, in_features))


def nac_weight_variance(r: float) -> float:
    """Var(tanh(w) · sigmoid(m)) for w, m ~ U(-r, r) independent: E[tanh²] · E[sigmoid²] =
    (1 − tanh(r)/r) · (r − tanh(r/2)) / (2r) (the mean is 0)."""
    if r == 0:
        return 0.0
    return (1.0 - math.tanh(r) / r) * (r - math.tanh(r / 2.0)) / (2.0 * r)


def stable_nalu_nac_range(in_features: int, out_features: int) -> float:
    """The r of U(-r, r) for a NAC's W_hat and M_hat that gives W = tanh(W_hat)·sigmoid(M_hat) the
    Glorot variance 2 / fan, fan = max(in + out, 5): stable-nalu's ``nac_w_optimal_r`` (its
    layer/nac.py), solved here by bisection on [0, 10] as it does with scipy's bisect."""
    fan = max(in_features + out_features, 5)
    lo, hi = 0.0, 10.0  # fan·Var(r) − 2 is negative at 0 and positive at 10 for every fan ≥ 5
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if fan * nac_weight_variance(mid) - 2.0 < 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# Every Python layer alive: lets an optimizer find the layer that owns a parameter array when it is
# pickled (optim.Optimizer.__reduce__).
_LIVE_LAYERS: "weakref.WeakSet[Layer]" = weakref.WeakSet()


def _bytes(count: int) -> str:
    """A byte count in words: 4.0 TB."""
    value = float(count)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


class Layer:
    """Common behaviour of every unit; use a concrete unit (``nalu_ext.UNITS`` lists them).

    ``params`` and ``grads`` map parameter names to writable NumPy views of the layer's C++
    buffers: write into the arrays (``layer.params["W_hat"][...] = 0``) to change the layer.

    What a unit's class provides (python/nalu_ext/units/<unit>.py): ``_CORE_KIND``, the name of
    its C++ unit (cpp/nalu/units/<unit>/register.cpp; default: the class name), the options it
    passes there, :meth:`_initialise`, :meth:`reference_forward` and :meth:`reference_backward`
    (the NumPy float64 formulas the tests compare the kernels with), :meth:`effective_weights`
    (what the benchmark measures sparsity on) and ``INITS`` (its initialisation schemes by name).
    How a family is trained is the benchmark's (nalu_ext.benchmark.recipes), not the unit's.

    Parameters
    ----------
    in_features, out_features : int
        The layer maps x (batch, in_features) to y (batch, out_features).
    dtype : "float32" or "float64"
        The layer's floating-point type (parameters, inputs, outputs).
    seed : int or None
        Seeds ``numpy.random.default_rng`` for the initialisation (None: fresh entropy).
    init : str or None
        The initialisation scheme, a name of ``INITS`` (None: the first, the unit's default).
    **options
        The unit's own options, passed to its C++ layer by name (a unit's class names them).
    """

    _CORE_KIND: Optional[str] = None
    # the initialisation schemes of the unit, name -> what it draws; the first is the default
    INITS: Mapping[str, str] = {"glorot": "every parameter Glorot-uniform, U(-r, r), r = sqrt(6 / (in + out))"}

    def __init__(self, in_features: int, out_features: int, dtype: DTypeLike, seed: SeedLike,
                 init: Optional[str] = None, **options: Any) -> None:
        """Validates the common arguments, builds the C++ layer of this unit with ``options`` and
        initialises its parameters with the scheme ``init`` (see :meth:`_initialise`)."""
        in_features = _checks.positive(in_features, "in_features")
        out_features = _checks.positive(out_features, "out_features")
        if seed is not None:
            seed = _checks.integer(seed, "seed", maximum=None)  # numpy's SeedSequence takes any size
        self._init: str = _checks.choice(next(iter(self.INITS)) if init is None else init, "init",
                                         tuple(self.INITS))
        dtype_name = str(as_float_dtype(dtype))
        try:
            impl = _core.make_layer(self._CORE_KIND or type(self).__name__, dtype_name, in_features,
                                    out_features, options)
        except MemoryError as err:
            if str(err) != "std::bad_alloc":  # a size that overflows says so itself
                raise
            values = in_features * out_features
            raise MemoryError(
                f"{type(self).__name__}({in_features}, {out_features}): the parameters do not fit in memory "
                f"(one ({out_features}, {in_features}) weight matrix alone is {values:.3g} {dtype_name} values, "
                f"{_bytes(values * np.dtype(dtype_name).itemsize)})") from None
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
        _LIVE_LAYERS.add(self)

    def _initialise(self, rng: np.random.Generator) -> None:
        """Draws the parameters with the scheme :attr:`init`; here Glorot-uniform for every
        parameter, in parameter order, drawn in float64 (a unit with other schemes overrides it)."""
        for p in self.params.values():
            p[...] = glorot_uniform(rng, *p.shape)

    def reset_parameters(self, seed: Union[None, int, Sequence[int]] = None) -> None:
        """Draws the parameters again with the layer's scheme (:attr:`init`), in place (what a
        restart of training does, :class:`nalu_ext.benchmark.training_rules.Reinitialise`).

        Parameters
        ----------
        seed : None, int or sequence of int
            Seeds ``numpy.random.default_rng``; None draws fresh entropy.
        """
        self._initialise(np.random.default_rng(seed))

    @property
    def init(self) -> str:
        """The initialisation scheme the parameters were drawn with (a name of ``INITS``)."""
        return self._init

    @property
    def in_features(self) -> int:
        """Width of the input x (batch, in_features)."""
        return int(self._impl.in_features)

    @property
    def out_features(self) -> int:
        """Width of the output y (batch, out_features)."""
        return int(self._impl.out_features)

    @property
    def dtype(self) -> np.dtype:
        """The layer's floating-point type, float32 or float64."""
        return np.dtype(self._impl.dtype)

    def forward(self, x: Any) -> np.ndarray:
        """y of shape (batch, out_features) from x of shape (batch, in_features).

        The layer keeps a copy of x for :meth:`backward`.

        Parameters
        ----------
        x : array_like, (batch, in_features)
            Any real array-like; converted to the layer's dtype (copied into C order if needed).

        Returns
        -------
        numpy.ndarray, (batch, out_features)
        """
        return self._impl.forward(x)

    __call__ = forward

    def backward(self, dy: Any, *, need_dx: bool = True) -> Optional[np.ndarray]:
        """Gradients of the last :meth:`forward` given dy = dLoss/dy of shape (batch, out_features).

        Overwrites ``self.grads`` with dLoss/dparameter and returns dx = dLoss/dx of shape
        (batch, in_features), or None when ``need_dx`` is False (which skips that work).

        Parameters
        ----------
        dy : array_like, (batch, out_features)
            dLoss/dy for the batch of the last forward.
        need_dx : bool
            Whether to compute dx.

        Returns
        -------
        numpy.ndarray (batch, in_features) or None
        """
        return self._impl.backward(dy, need_dx)

    def config(self) -> Dict[str, Any]:
        """The constructor arguments that rebuild this layer's architecture (not its parameters).

        Returns
        -------
        dict
            ``kind``, ``in_features``, ``out_features``, ``dtype``, ``init`` and the unit's options.
        """
        return {"kind": type(self).__name__, "in_features": self.in_features,
                "out_features": self.out_features, "dtype": str(self.dtype), "init": self.init}

    @property
    def steps(self) -> int:
        """Training steps this layer has taken part in (in any model): the clock t of its
        regularizer schedule λ(t), so a schedule continues across ``fit`` calls."""
        return int(self._impl.steps)

    @property
    def training(self) -> bool:
        """Training mode (True, the default) or evaluation mode: see :meth:`train`."""
        return bool(self._impl.training)

    def train(self, mode: bool = True) -> "Layer":
        """Sets training mode (or evaluation mode with ``mode=False``) and returns the layer.

        Only units whose forward differs between training and evaluation read it (the NMRU's
        reciprocal 1/(x + ε) in training, 1/x in evaluation; the sNMU's noise, in training only;
        docs/units.md); the benchmark
        protocol evaluates in evaluation mode and trains in training mode. A new or loaded layer
        is in training mode.

        Parameters
        ----------
        mode : bool

        Returns
        -------
        Layer
        """
        self._impl.training = bool(mode)
        return self

    def eval(self) -> "Layer":
        """Evaluation mode: ``train(False)``.

        Returns
        -------
        Layer
        """
        return self.train(False)

    @property
    def has_regularizer(self) -> bool:
        """Whether the unit has a regularizer (and a schedule, :meth:`set_regularizer`)."""
        return bool(self._impl.has_regularizer)

    def _extra_repr(self) -> str:
        return ""

    def _option(self, name: str) -> Any:
        """An option of the C++ layer as in effect (eps rounded to float32 in a float32 layer)."""
        return self._impl.options[name]

    def _params64(self) -> Dict[str, np.ndarray]:
        return {k: v.astype(np.float64) for k, v in self.params.items()}

    def reference_forward(self, x: Any) -> Tuple[np.ndarray, Dict[str, Any]]:
        """This layer's forward in NumPy float64 (the test oracle), on its current parameters.

        Parameters
        ----------
        x : array_like, (batch, in_features)

        Returns
        -------
        y : numpy.ndarray, (batch, out_features), float64
        cache : dict
            What :meth:`reference_backward` needs.
        """
        raise NotImplementedError

    def reference_backward(self, dy: Any, cache: Dict[str, Any]) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
        """The backward of :meth:`reference_forward`, in NumPy float64.

        Parameters
        ----------
        dy : array_like, (batch, out_features)
        cache : dict
            The cache :meth:`reference_forward` returned.

        Returns
        -------
        dx : numpy.ndarray, (batch, in_features)
        grads : dict
            dLoss/dparameter by parameter name.
        """
        raise NotImplementedError

    def effective_weights(self) -> List[np.ndarray]:
        """The weights the unit applies (what the benchmark measures sparsity on).

        Returns
        -------
        list of numpy.ndarray
            float64 copies, e.g. tanh(W_hat) * sigmoid(M_hat) for the NAC.
        """
        raise NotImplementedError

    def parameters(self) -> List[np.ndarray]:
        """The parameter arrays, in parameter order: what optimizers take.

        Returns
        -------
        list of numpy.ndarray
            Writable views of the layer's memory.
        """
        return list(self.params.values())

    def after_update(self) -> None:
        """What nalu_ext's optimizers do after each update of this layer's parameters (NAU, NMU:
        clamp W into its range; nothing for the other units). Call it after changing the
        parameters in another way (by hand, or with another library's optimizer)."""
        self._impl.after_update()

    def zero_grad(self) -> None:
        """Sets every gradient to 0 (backward overwrites gradients anyway; for code that reads
        them before the next backward)."""
        for g in self.grads.values():
            g[...] = 0

    def state_dict(self) -> Dict[str, Any]:
        """Copies of the parameters by name, and ``"steps"``, the layer's step count (the clock of
        its regularizer schedule): everything :meth:`load_state_dict` needs to continue training
        exactly. The architecture is :meth:`config`.

        Returns
        -------
        dict
        """
        state: Dict[str, Any] = {name: p.copy() for name, p in self.params.items()}
        state["steps"] = self.steps
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores what :meth:`state_dict` returned: the same parameter names, shapes and dtypes
        (ValueError otherwise, before anything is changed).

        Parameters
        ----------
        state : mapping
            A :meth:`state_dict` of a layer of the same architecture.
        """
        expected = set(self.params) | {"steps"}
        if not isinstance(state, Mapping) or set(state) != expected:
            got = sorted(state) if isinstance(state, Mapping) else type(state).__name__
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {sorted(expected)}, got {got}")
        values = {}
        for name, target in self.params.items():
            value = np.asarray(state[name])
            if value.shape != target.shape or value.dtype != target.dtype:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name} must be {target.dtype}{target.shape}, "
                                 f"got {value.dtype}{value.shape}")
            values[name] = value
        steps = _checks.integer(state["steps"], "steps")
        for name, value in values.items():
            self.params[name][...] = value
        self._impl.steps = steps

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        """Pickling and copy.deepcopy: the architecture and the state (parameters, step count)."""
        return (from_state, (self.config(), self.state_dict()))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_features}, {self.out_features}"
            f"{self._extra_repr()}, dtype='{self.dtype}')"
        )


class Scheduled:
    """The regularizer schedule of a unit, λ(t) at training step t, in one of two shapes:

    - a linear warm-up (``reg_every = 0``): λ(t) = regularizer · max(min((t − reg_start) /
      (reg_end − reg_start), 1), 0) (a step at reg_start if reg_end ≤ reg_start), Madsen &
      Johansen's;
    - geometric steps (``reg_every > 0``): λ(t) = min(reg_initial · reg_growth^⌊t / reg_every⌋,
      regularizer), the NPU papers' β from β_start = reg_initial to β_end = regularizer.
    """

    _impl: Any

    def set_regularizer(self, regularizer: float, reg_start: int = 0, reg_end: int = 0, *,
                        reg_initial: float = 0.0, reg_growth: float = 0.0, reg_every: int = 0) -> None:
        """Sets the schedule λ(t) of the regularizer (see the class docstring).

        Parameters
        ----------
        regularizer : float
            λ̂ >= 0, the full strength.
        reg_start, reg_end : int
            The steps where the linear warm-up starts and reaches λ̂.
        reg_initial, reg_growth : float
            The geometric schedule's first value and factor (>= 0).
        reg_every : int
            Steps between its growths (0: the linear warm-up).
        """
        self._impl.set_regularizer(_checks.real(regularizer, "regularizer", minimum=0.0),
                                   _checks.integer(reg_start, "reg_start"),
                                   _checks.integer(reg_end, "reg_end"),
                                   _checks.real(reg_initial, "reg_initial", minimum=0.0),
                                   _checks.real(reg_growth, "reg_growth", minimum=0.0),
                                   _checks.integer(reg_every, "reg_every"))

    @property
    def regularizer(self) -> float:
        """λ̂ of the schedule."""
        return float(self._impl.regularizer[0])

    @property
    def reg_start(self) -> int:
        """The step where the warm-up of λ(t) starts."""
        return int(self._impl.regularizer[1])

    @property
    def reg_end(self) -> int:
        """The step where λ(t) reaches λ̂."""
        return int(self._impl.regularizer[2])

    @property
    def reg_initial(self) -> float:
        """The geometric schedule's first value."""
        return float(self._impl.regularizer[3])

    @property
    def reg_growth(self) -> float:
        """The geometric schedule's factor."""
        return float(self._impl.regularizer[4])

    @property
    def reg_every(self) -> int:
        """Steps between the geometric schedule's growths (0: the linear warm-up)."""
        return int(self._impl.regularizer[5])

    def regularizer_weight(self, step: int) -> float:
        """λ(step) of the schedule.

        Parameters
        ----------
        step : int

        Returns
        -------
        float
        """
        return float(self._impl.regularizer_weight(int(step)))

    def _schedule_config(self) -> Dict[str, Any]:
        config: Dict[str, Any] = {"regularizer": self.regularizer, "reg_start": self.reg_start,
                                  "reg_end": self.reg_end}
        if self.reg_every:
            config.update(reg_initial=self.reg_initial, reg_growth=self.reg_growth, reg_every=self.reg_every)
        return config

    def _schedule_repr(self) -> str:
        """λ̂ and, where it is not a step at 0, its schedule: what the constructor would be given."""
        if not self.regularizer:
            return ""
        if self.reg_every:
            return (f", regularizer={self.regularizer:g}, reg_initial={self.reg_initial:g}, "
                    f"reg_growth={self.reg_growth:g}, reg_every={self.reg_every}")
        shown = "".join(f", {name}={value}" for name, value in (("reg_start", self.reg_start), ("reg_end", self.reg_end))
                        if value)
        return f", regularizer={self.regularizer:g}" + shown


UNITS: Dict[str, Type[Layer]] = {}

# The parameters every unit's constructor shares, written once: @register puts them where a
# unit's docstring says <layer parameters> (and <schedule parameters> for the regularized ones).
DOC_FRAGMENTS = {
    "    <layer parameters>": """\
    in_features, out_features : int
        The layer maps x (batch, in_features) to y (batch, out_features).
    dtype : "float32" or "float64"
        Default float32.
    seed : int or None
        Seeds the initialisation (``numpy.random.default_rng(seed)``).
    init : str, optional
        The initialisation scheme, a name of the class's ``INITS`` (default: its first).""",
    "    <schedule parameters>": """\
    regularizer : float
        λ̂ of the regularizer's schedule (0: off).
    reg_start, reg_end : int
        The schedule's linear warm-up from step reg_start to reg_end.
    reg_initial, reg_growth : float
        Or geometric steps from reg_initial, times reg_growth every reg_every steps, up to λ̂.
    reg_every : int
        0 (default): the linear warm-up (``Scheduled``).""",
}
LayerClass = TypeVar("LayerClass", bound=Type[Layer])


def register(cls: LayerClass) -> LayerClass:
    """Class decorator: adds a unit to ``UNITS`` under its class name (its public name)."""
    name = cls.__name__
    for marker, text in DOC_FRAGMENTS.items():
        if cls.__doc__:
            cls.__doc__ = cls.__doc__.replace(marker, text)
    if name in UNITS:
        raise RuntimeError(f"two units are called {name!r}")
    UNITS[name] = cls
    return cls


def from_config(config: Mapping[str, Any]) -> Layer:
    """A new layer (seed 0) of the architecture :meth:`Layer.config` describes."""
    options = dict(config)
    kind = options.pop("kind")
    if kind not in UNITS:
        raise ValueError(f"unknown unit {kind!r} (known: {sorted(UNITS)})")
    return UNITS[kind](options.pop("in_features"), options.pop("out_features"), seed=0, **options)


def from_state(config: Mapping[str, Any], state: Mapping[str, Any]) -> Layer:
    """The layer that :meth:`Layer.config` and :meth:`Layer.state_dict` describe (unpickling)."""
    layer = from_config(config)
    layer.load_state_dict(state)
    return layer


def owner_of(param: np.ndarray) -> Tuple[Layer, str]:
    """The layer and the name of a parameter array that a layer handed out (``layer.params``)."""
    address = param.__array_interface__["data"][0]
    for layer in list(_LIVE_LAYERS):
        for name, p in layer.params.items():
            if p.__array_interface__["data"][0] == address and p.shape == param.shape:
                return layer, name
    raise ValueError("the array is not a parameter of a live nalu_ext layer")
