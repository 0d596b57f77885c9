"""nalu_ext's compiled units as PyTorch modules (the optional ``[torch]`` extra).

``nalu_ext.torch.NALU(100, 2)`` is a ``torch.nn.Module`` for every unit of ``nalu_ext.UNITS``
(same constructor arguments), whose forward and backward run the unit's C++ kernels as PyTorch
custom operators (``torch.ops.nalu_ext.unit_forward``, ``unit_backward``, with their autograd
formula and fake kernels), so ``torch.compile(fullgraph=True)``, ``torch.export`` and
``torch.library.opcheck`` work; TorchScript does not. Its parameters are ``torch.nn.Parameter``
tensors that share memory with the kernels' buffers (no copies), so torch optimizers,
``state_dict``/``load_state_dict`` and ``torch.autograd.gradcheck`` work as on any module. Inputs
may have any leading dimensions, as ``torch.nn.Linear``'s; CPU only, float32 (default) or float64
(``dtype=`` at construction, or ``module.to(torch.float64)`` / ``.double()`` later).

As in stable-nalu's training loop, two things are the caller's: the sparsity regularizer
(``module.regularizer()``, or :func:`regularizer` over a whole model: R unscaled, differentiable,
to be weighted by λ(t) in the loss) and the step after an optimizer update
(``module.after_update()``, or :func:`after_update` over a model: the NAU and NMU clamp their
weights into range, which nalu_ext's own optimizers do themselves). docs/units.md describes each
unit. A module is for one thread at a time, like the layer it wraps. The backward is once
differentiable: a second derivative through a unit (a gradient penalty, ``create_graph=True``,
``gradgradcheck``) raises PyTorch's "differentiate twice" RuntimeError instead of being zero.

Any PyTorch model (these modules or plain ones) runs the benchmark protocol:
``nalu_ext.benchmark.train_task(model, task, torch_optimizer, steps=...)`` trains it on the same
C++ task data as a compiled run and returns the same RunResult; ``nalu_ext.benchmark.torch_runs``
makes run specifications of module-level factories, which the benchmark's ``sweep`` runs beside
compiled ones (same results file, same summaries). What the loop asks of a model: its docstring.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

import numpy as np

try:
    import torch
except ImportError as err:  # the optional extra
    raise ImportError("nalu_ext.torch needs PyTorch; install it beside nalu_ext (the CPU build: pip install torch "
                      "--index-url https://download.pytorch.org/whl/cpu)") from err

from .layers import UNITS, Layer, from_config
from .units.division import NMRU as _NMRU, NRU as _NRU
from .units.inalu import iNALU as _iNALU
from .units.linear import Dense as _Dense, Linear as _Linear
from .units.nac import NAC as _NAC
from .units.nac_mul import NACMul as _NACMul, NACMulNMU as _NACMulNMU, PosNACMul as _PosNACMul
from .units.nalu import NALU as _NALU, GatedNAUNMU as _GatedNAUNMU
from .units.nau import NAU as _NAU
from .units.nmu import NMU as _NMU, sNMU as _sNMU
from .units.npu import NPU as _NPU, NaiveNPU as _NaiveNPU, RealNaiveNPU as _RealNaiveNPU, RealNPU as _RealNPU

_TORCH_DTYPES: Dict[np.dtype, Any] = {np.dtype("float32"): torch.float32, np.dtype("float64"): torch.float64}
_NUMPY_DTYPES: Dict[Any, np.dtype] = {torch_dtype: numpy_dtype for numpy_dtype, torch_dtype in _TORCH_DTYPES.items()}


def _array(t: "torch.Tensor", what: str, dtype: np.dtype) -> np.ndarray:
    """A tensor as a NumPy array of the layer's dtype (no copy when already contiguous)."""
    _check_tensor(t, what, dtype)
    return t.detach().contiguous().numpy()


def _check_tensor(t: "torch.Tensor", what: str, dtype: np.dtype) -> None:
    if t.device.type != "cpu":
        raise TypeError(f"nalu_ext.torch runs on the CPU; {what} is on {t.device}")
    if t.dtype != _TORCH_DTYPES[dtype]:
        raise TypeError(f"{what} must be {_TORCH_DTYPES[dtype]} (the module's dtype), got {t.dtype}; "
                        f"convert the module (module.to({t.dtype}) for float32 or float64) or the tensor")


# The modules by handle: what the custom operators below receive instead of the module (an
# operator's arguments are tensors and plain values). A module holds its handle for its life.
_MODULES: "weakref.WeakValueDictionary[int, Unit]" = weakref.WeakValueDictionary()
_HANDLES = itertools.count()


def _module(handle: int) -> "Unit":
    try:
        return _MODULES[handle]
    except KeyError:
        raise RuntimeError(f"nalu_ext.torch: no live unit has the handle {handle} (a graph exported from "
                           "another process, or from a unit that was deleted, cannot run)") from None


# The kernels as PyTorch custom operators (torch.library), so that torch.compile(fullgraph=True),
# torch.export and torch.library.opcheck see one operator with a known output shape instead of
# opaque Python. The parameters are passed as tensors (autograd and optimizers see them); the
# module's handle says whose C++ layer runs them.

_TWICE = ("trying to differentiate twice a nalu_ext.torch unit: its C++ backward is once differentiable (no "
          "second derivatives: no gradient penalty, no gradgradcheck)")


@torch.library.custom_op("nalu_ext::unit_forward", mutates_args=())
def _unit_forward(x: torch.Tensor, params: List[torch.Tensor], handle: int) -> torch.Tensor:
    return _unit_forward_kernel(x, params, handle)


def _unit_forward_kernel(x: torch.Tensor, params: Sequence[torch.Tensor], handle: int) -> torch.Tensor:
    module = _module(handle)
    module._load(params)
    y = module.layer.forward(_array(x, "the input", module.layer.dtype))
    module._last_forward = module._fingerprint(x, params)
    return torch.from_numpy(y)


@_unit_forward.register_fake
def _(x: torch.Tensor, params: List[torch.Tensor], handle: int) -> torch.Tensor:
    return x.new_empty((x.shape[0], _module(handle).layer.out_features))


@torch.library.custom_op("nalu_ext::unit_backward", mutates_args=())
def _unit_backward(dy: torch.Tensor, x: torch.Tensor, params: List[torch.Tensor], handle: int,
                   need_dx: bool) -> List[torch.Tensor]:
    """[dx (empty when not needed), the gradient of each parameter]."""
    return _unit_backward_kernel(dy, x, params, handle, need_dx)


def _unit_backward_kernel(dy: torch.Tensor, x: torch.Tensor, params: Sequence[torch.Tensor], handle: int,
                          need_dx: bool) -> List[torch.Tensor]:
    """The layer keeps only its last forward's input: a backward whose forward was not the last
    one (weight sharing, recurrent use, gradcheck) runs its forward again first."""
    module = _module(handle)
    layer = module.layer
    module._load(params)
    if module._last_forward != module._fingerprint(x, params):
        layer.forward(_array(x, "the input", layer.dtype))
        module._last_forward = module._fingerprint(x, params)
    dx = layer.backward(_array(dy, "the gradient", layer.dtype), need_dx=need_dx)
    grads = [torch.from_numpy(layer.grads[name].copy()) for name in module._names]
    return [torch.from_numpy(dx) if dx is not None else x.new_empty(0), *grads]


@_unit_backward.register_fake
def _(dy: torch.Tensor, x: torch.Tensor, params: List[torch.Tensor], handle: int,
      need_dx: bool) -> List[torch.Tensor]:
    return [torch.empty_like(x) if need_dx else x.new_empty(0), *(torch.empty_like(p) for p in params)]


def _forward_context(ctx: Any, inputs: Tuple[Any, ...], output: torch.Tensor) -> None:
    x, params, handle = inputs
    ctx.save_for_backward(x, *params)
    ctx.handle = handle


def _forward_gradient(ctx: Any, dy: torch.Tensor) -> Tuple[Optional[torch.Tensor], List[Optional[torch.Tensor]], None]:
    x, *params = ctx.saved_tensors
    need_dx, need_params = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    dx, *grads = _unit_backward(dy, x, params, ctx.handle, bool(need_dx))
    return (dx if need_dx else None), [g if needed else None for g, needed in zip(grads, need_params)], None


def _second_derivative(ctx: Any, *grads: Any) -> None:
    raise RuntimeError(_TWICE)


_unit_forward.register_autograd(_forward_gradient, setup_context=_forward_context)
_unit_backward.register_autograd(_second_derivative, setup_context=lambda ctx, inputs, output: None)


def _once_differentiable(backward: Callable[..., Tuple[Optional["torch.Tensor"], ...]]) -> Callable[..., Any]:
    """``torch.autograd.function.once_differentiable``, but also when only the saved tensors (the
    parameters, the input) require grad: a gradient penalty sum((dL/dx)²) has a constant dy, so
    torch's version left dL/dx without a graph and W.grad silently None. The C++ backward has no
    graph of its own: with create_graph=True its results are wired to a node that raises when a
    second derivative is asked of it."""

    def wrapper(ctx: Any, *grads: "torch.Tensor") -> Tuple[Optional["torch.Tensor"], ...]:
        with torch.no_grad():
            outputs = backward(ctx, *grads)
        linked = [t for t in (*grads, *ctx.saved_tensors) if isinstance(t, torch.Tensor) and t.requires_grad]
        if not torch.is_grad_enabled() or not linked:
            return outputs
        # the node takes the tensors the true second derivative depends on as inputs too, so that
        # asking for a gradient with respect to any of them reaches it (and raises)
        error = torch._C._functions.DelayedError(_TWICE.encode(), len(outputs) + len(linked))
        # None (no gradient for that input) passes through the node, as in torch's own decorator
        aliases: List[Any] = [None if v is None else v.detach().requires_grad_() for v in outputs]
        return tuple(error(*aliases, *linked)[: len(outputs)])

    return wrapper


class _UnitFunction(torch.autograd.Function):
    """The eager path of the same kernels as the custom operators: a torch.autograd.Function costs
    a fraction of a custom operator's dispatch (measured: a NALU 100→2→1 step with Adam took 1.7×
    as long through the operators), so the operators are used only where a graph is captured
    (torch.compile, torch.export: ``torch.compiler.is_compiling()``). Both run the same code."""

    @staticmethod
    def forward(ctx: Any, handle: int, x: "torch.Tensor", *params: "torch.Tensor") -> "torch.Tensor":
        ctx.handle = handle
        ctx.save_for_backward(x, *params)
        return _unit_forward_kernel(x, params, handle)

    @staticmethod
    @_once_differentiable
    def backward(ctx: Any, dy: "torch.Tensor") -> Tuple[Optional["torch.Tensor"], ...]:
        x, *params = ctx.saved_tensors
        need_dx = bool(ctx.needs_input_grad[1])
        dx, *grads = _unit_backward_kernel(dy, x, params, ctx.handle, need_dx)
        return (None, dx if need_dx else None, *(g if needed else None for g, needed in zip(grads, ctx.needs_input_grad[2:])))


class _RegularizerFunction(torch.autograd.Function):
    """R(params) of the unit's sparsity regularizer, unscaled (0 for a unit without one)."""

    @staticmethod
    def forward(ctx: Any, module: "Unit", *params: "torch.Tensor") -> "torch.Tensor":
        module._load(params)
        layer = module.layer
        layer.zero_grad()
        value = layer._impl.regularize(1.0)  # adds dR/dparams to the (zeroed) gradients
        ctx.gradients = [layer.grads[name].copy() for name in module._names]
        return torch.tensor(value, dtype=_TORCH_DTYPES[layer.dtype])

    @staticmethod
    def backward(ctx: Any, dr: "torch.Tensor") -> Tuple[Optional["torch.Tensor"], ...]:
        return (None, *(dr * torch.from_numpy(g) for g in ctx.gradients))


class Unit(torch.nn.Module):
    """A nalu_ext layer as a ``torch.nn.Module``: ``Unit(nalu_ext.NAU(100, 2))`` wraps an existing
    layer; the unit classes of this module (``nalu_ext.torch.NAU(100, 2, ...)``) build one.

    Like ``torch.nn.Linear`` it maps x (*, in_features) to y (*, out_features), any number of
    leading dimensions; ``module.to(torch.float64)``, ``.double()`` and ``.float()`` convert it
    (its layer is rebuilt in that dtype, the parameters stay the same Parameter objects); other
    dtypes and devices are refused at the call. TorchScript is not supported (``torch.jit.script``
    raises TypeError): ``torch.compile(fullgraph=True)`` and ``torch.export`` are, the kernels being
    custom operators (``torch.ops.nalu_ext.unit_forward``).

    Parameters
    ----------
    layer : nalu_ext.Layer
        The layer whose kernels and buffers the module uses (its parameters become the module's).
    """

    def __init__(self, layer: Layer) -> None:
        """Wraps ``layer``; see the class docstring."""
        super().__init__()
        if not isinstance(layer, Layer):
            raise TypeError(f"layer must be a nalu_ext layer, got {type(layer).__name__}")
        self.layer = layer
        self._names: List[str] = list(layer.params)
        self._handle = next(_HANDLES)
        _MODULES[self._handle] = self
        self._last_forward: Tuple[Any, ...] = ()
        for name, array in layer.params.items():  # views of the C++ buffers: shared, not copied
            self.register_parameter(name, torch.nn.Parameter(torch.from_numpy(array)))

    def __setstate__(self, state: Dict[str, Any]) -> None:
        """Unpickling and ``copy.deepcopy``: a handle of its own (a copied one would run the
        original's layer), and the parameters pointed at the copied layer's buffers again."""
        super().__setstate__(state)  # type: ignore[no-untyped-call]
        self._handle = next(_HANDLES)
        _MODULES[self._handle] = self
        self._last_forward = ()
        for name in self._names:
            param = getattr(self, name)
            self.layer.params[name][...] = _array(param, f"parameter {name}", self.layer.dtype)
            param.data = torch.from_numpy(self.layer.params[name])

    def _fingerprint(self, x: torch.Tensor, params: Sequence[torch.Tensor]) -> Tuple[Any, ...]:
        """What a forward's result depends on: the input's and the parameters' memory and version
        counters (an in-place update bumps them), the step (the sNMU's noise) and the mode."""
        return (x.data_ptr(), x._version, tuple(x.shape), tuple(x.stride()),
                tuple((p.data_ptr(), p._version) for p in params), self.layer.steps, self.layer.training)

    def _load(self, params: Sequence["torch.Tensor"]) -> None:
        """Makes the layer's buffers hold ``params``: nothing to do for the shared tensors, a copy
        for a tensor that replaced one."""
        for name, p in zip(self._names, params):
            target = self.layer.params[name]
            if p.data_ptr() != target.__array_interface__["data"][0]:
                target[...] = _array(p, f"parameter {name}", self.layer.dtype)

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        """y (*, out_features) from x (*, in_features), through the C++ kernels.

        Parameters
        ----------
        x : torch.Tensor
            On the CPU, in the module's dtype; any number of leading dimensions.

        Returns
        -------
        torch.Tensor
        """
        _check_tensor(x, "the input", self.layer.dtype)
        if x.dim() == 0 or x.shape[-1] != self.layer.in_features:
            raise ValueError(f"the input must have {self.layer.in_features} features in its last dimension, "
                             f"got the shape {tuple(x.shape)}")
        batch = x.dim() == 2  # (no reshape then: two more autograd nodes per call)
        rows = x if batch else x.reshape(-1, self.layer.in_features)
        params = [getattr(self, n) for n in self._names]
        if torch.compiler.is_compiling():
            y = torch.ops.nalu_ext.unit_forward(rows, params, self._handle)
        else:
            y = _UnitFunction.apply(self._handle, rows, *params)  # type: ignore[no-untyped-call]
        out: torch.Tensor = y if batch else y.reshape(*x.shape[:-1], self.layer.out_features)
        return out

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> "Unit":
        """What ``.to()``, ``.double()``, ``.float()``, ``.half()``, ``.cuda()`` call: float32 and
        float64 on the CPU are carried out (the layer rebuilt in that dtype), anything else is
        refused here, before any parameter changed."""
        probe = fn(torch.empty(0, dtype=_TORCH_DTYPES[self.layer.dtype]))
        if probe.device.type != "cpu":
            raise TypeError(f"nalu_ext.torch runs on the CPU; a unit cannot move to {probe.device}")
        if probe.dtype not in _NUMPY_DTYPES:
            raise TypeError(f"a nalu_ext.torch unit is float32 or float64; it cannot become {probe.dtype}")
        if _NUMPY_DTYPES[probe.dtype] != self.layer.dtype:
            self._convert(_NUMPY_DTYPES[probe.dtype])
        return self

    def _convert(self, dtype: np.dtype) -> None:
        """Rebuilds the layer in ``dtype`` (the same parameters, step count and mode) and points
        each Parameter (the same objects, as torch's own conversions keep them) at its buffers."""
        old = self.layer
        state = old.state_dict()
        layer = from_config({**old.config(), "dtype": str(dtype)})
        layer.load_state_dict({name: (value.astype(dtype) if name in old.params else value)
                               for name, value in state.items()})
        layer.train(old.training)
        self.layer = layer
        self._last_forward = ()
        for name in self._names:
            param = getattr(self, name)
            param.data = torch.from_numpy(layer.params[name])
            if param.grad is not None:
                param.grad = param.grad.to(_TORCH_DTYPES[dtype])

    def __prepare_scriptable__(self) -> "Unit":
        raise TypeError("nalu_ext.torch units do not support TorchScript (torch.jit.script); use "
                        "torch.compile or torch.export, which see the kernels as custom operators")

    def train(self, mode: bool = True) -> "Unit":
        """torch's training/evaluation mode, passed on to the layer (:meth:`nalu_ext.Layer.train`:
        the units whose forward differs between the two read it); ``eval()`` calls this too.

        Parameters
        ----------
        mode : bool

        Returns
        -------
        Unit
        """
        super().train(mode)
        self.layer.train(mode)
        return self

    def regularizer(self) -> "torch.Tensor":
        """The unit's sparsity regularizer R (NAU, NMU: mean min(|W|, |1 − |W||) and mean
        min(|W|, |1 − W|); iNALU: its saturation term; 0 for the others), unscaled and
        differentiable: add λ(t)·R to the loss.

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        value: torch.Tensor = _RegularizerFunction.apply(  # type: ignore[no-untyped-call]
            self, *(getattr(self, n) for n in self._names))
        return value

    def after_update(self) -> None:
        """What nalu_ext's training loop does after each update: the unit's own step (NAU, NMU:
        clamp W into range) and counting the step (``layer.steps``, which moves the sNMU's noise
        on); call it after a torch optimizer's ``step()``."""
        self._load(tuple(getattr(self, n) for n in self._names))
        self.layer.after_update()
        self.layer._impl.steps = self.layer.steps + 1

    def extra_repr(self) -> str:
        return repr(self.layer)


def regularizer(model: "torch.nn.Module") -> "torch.Tensor":
    """The sum of the regularizers of every nalu_ext unit in ``model`` (stable-nalu's
    ``model.regualizer()``), differentiable.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    torch.Tensor
    """
    terms = [m.regularizer() for m in model.modules() if isinstance(m, Unit)]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def after_update(model: "torch.nn.Module") -> None:
    """Calls :meth:`Unit.after_update` on every nalu_ext unit in ``model`` (stable-nalu's
    ``model.optimize()``); after each optimizer step.

    Parameters
    ----------
    model : torch.nn.Module
    """
    for m in model.modules():
        if isinstance(m, Unit):
            m.after_update()


class _Built(Unit):
    """A unit module that builds its layer: ``nalu_ext.torch.NAU(in, out, **options)`` wraps
    ``nalu_ext.NAU(in, out, **options)`` (the options are the layer's: dtype, seed, init, ...)."""

    _layer_class: Type[Layer]

    def __init__(self, in_features: int, out_features: int, **options: Any) -> None:
        """Builds the layer of this unit with these arguments and wraps it."""
        Unit.__init__(self, self._layer_class(in_features, out_features, **options))


# One class per unit, named as nalu_ext's (tests/test_torch_bridge.py checks them against UNITS).
class NAU(_Built):
    """nalu_ext.NAU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NAU's."""
    _layer_class = _NAU


class NMU(_Built):
    """nalu_ext.NMU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NMU's."""
    _layer_class = _NMU


class sNMU(_Built):
    """nalu_ext.sNMU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.sNMU's."""
    _layer_class = _sNMU


class NRU(_Built):
    """nalu_ext.NRU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NRU's."""
    _layer_class = _NRU


class NMRU(_Built):
    """nalu_ext.NMRU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NMRU's."""
    _layer_class = _NMRU


class iNALU(_Built):
    """nalu_ext.iNALU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.iNALU's."""
    _layer_class = _iNALU


class Linear(_Built):
    """nalu_ext.Linear as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.Linear's."""
    _layer_class = _Linear


class Dense(_Built):
    """nalu_ext.Dense as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.Dense's."""
    _layer_class = _Dense


class NAC(_Built):
    """nalu_ext.NAC as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NAC's."""
    _layer_class = _NAC


class NACMul(_Built):
    """nalu_ext.NACMul as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NACMul's."""
    _layer_class = _NACMul


class PosNACMul(_Built):
    """nalu_ext.PosNACMul as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.PosNACMul's."""
    _layer_class = _PosNACMul


class NACMulNMU(_Built):
    """nalu_ext.NACMulNMU as a torch.nn.Module (see :class:`Unit`); its arguments are
    nalu_ext.NACMulNMU's."""
    _layer_class = _NACMulNMU


class NALU(_Built):
    """nalu_ext.NALU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NALU's."""
    _layer_class = _NALU


class GatedNAUNMU(_Built):
    """nalu_ext.GatedNAUNMU as a torch.nn.Module (see :class:`Unit`); its arguments are
    nalu_ext.GatedNAUNMU's."""
    _layer_class = _GatedNAUNMU


class NPU(_Built):
    """nalu_ext.NPU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NPU's."""
    _layer_class = _NPU


class RealNPU(_Built):
    """nalu_ext.RealNPU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.RealNPU's."""
    _layer_class = _RealNPU


class NaiveNPU(_Built):
    """nalu_ext.NaiveNPU as a torch.nn.Module (see :class:`Unit`); its arguments are nalu_ext.NaiveNPU's."""
    _layer_class = _NaiveNPU


class RealNaiveNPU(_Built):
    """nalu_ext.RealNaiveNPU as a torch.nn.Module (see :class:`Unit`); its arguments are
    nalu_ext.RealNaiveNPU's."""
    _layer_class = _RealNaiveNPU


_CLASSES: Dict[str, Type[Unit]] = {cls._layer_class.__name__: cls for cls in _Built.__subclasses__()}

__all__ = ["Unit", "regularizer", "after_update", *_CLASSES]
