"""nalu_ext's compiled units as PyTorch modules (the optional ``[torch]`` extra).

``nalu_ext.torch.NALU(100, 2)`` is a ``torch.nn.Module`` for every unit of ``nalu_ext.UNITS``
(same constructor arguments), whose forward and backward run the unit's C++ kernels through a
``torch.autograd.Function``. Its parameters are ``torch.nn.Parameter`` tensors that share memory
with the kernels' buffers (no copies), so torch optimizers, ``state_dict``/``load_state_dict`` and
``torch.autograd.gradcheck`` work as on any module; CPU only, float32 (default) or float64, the
dtype chosen at construction.

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

from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import numpy as np

try:
    import torch
except ImportError as err:  # the optional extra
    raise ImportError("nalu_ext.torch needs PyTorch: pip install 'nalu_ext[torch]'") from err

from .layers import UNITS, Layer

_TORCH_DTYPES = {np.dtype("float32"): torch.float32, np.dtype("float64"): torch.float64}


def _array(t: "torch.Tensor", what: str, dtype: np.dtype) -> np.ndarray:
    """A tensor as a NumPy array of the layer's dtype (no copy when already contiguous)."""
    if t.device.type != "cpu":
        raise TypeError(f"nalu_ext.torch runs on the CPU; {what} is on {t.device}")
    if t.dtype != _TORCH_DTYPES[dtype]:
        raise TypeError(f"{what} must be {_TORCH_DTYPES[dtype]} (the module's dtype), got {t.dtype}; "
                        f"build the module with dtype='{'float64' if t.dtype == torch.float64 else 'float32'}' "
                        "or convert the tensor")
    return t.detach().contiguous().numpy()


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
        error = torch._C._functions.DelayedError(
            b"trying to differentiate twice a nalu_ext.torch unit: its C++ backward is once "
            b"differentiable (no second derivatives: no gradient penalty, no gradgradcheck)",
            len(outputs) + len(linked))
        # None (no gradient for that input) passes through the node, as in torch's own decorator
        aliases: List[Any] = [None if v is None else v.detach().requires_grad_() for v in outputs]
        return tuple(error(*aliases, *linked)[: len(outputs)])

    return wrapper


class _UnitFunction(torch.autograd.Function):
    """y = unit(x) with the parameters given as inputs (so autograd, gradcheck and optimizers see
    them). The layer keeps only its last forward's input; a backward whose forward was not the
    last one runs that forward again first (weight sharing, recurrent use, gradcheck)."""

    @staticmethod
    def forward(ctx: Any, module: "Unit", x: "torch.Tensor", *params: "torch.Tensor") -> "torch.Tensor":
        module._load(params)
        y = module.layer.forward(_array(x, "the input", module.layer.dtype))
        ctx.module = module
        ctx.token = module._forwards = module._forwards + 1
        ctx.save_for_backward(x, *params)
        return torch.from_numpy(y)

    @staticmethod
    @_once_differentiable
    def backward(ctx: Any, dy: "torch.Tensor") -> Tuple[Optional["torch.Tensor"], ...]:
        x, *params = ctx.saved_tensors
        module: Unit = ctx.module
        layer = module.layer
        module._load(params)
        if module._forwards != ctx.token:
            layer.forward(_array(x, "the input", layer.dtype))
            module._forwards += 1
            ctx.token = module._forwards
        need_dx = bool(ctx.needs_input_grad[1])
        dx = layer.backward(_array(dy, "the gradient", layer.dtype), need_dx=need_dx)
        grads = [torch.from_numpy(layer.grads[name].copy()) if needed else None
                 for name, needed in zip(module._names, ctx.needs_input_grad[2:])]
        return (None, torch.from_numpy(dx) if need_dx else None, *grads)


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
    @_once_differentiable
    def backward(ctx: Any, dr: "torch.Tensor") -> Tuple[Optional["torch.Tensor"], ...]:
        return (None, *(dr * torch.from_numpy(g) for g in ctx.gradients))


class Unit(torch.nn.Module):
    """A nalu_ext layer as a ``torch.nn.Module``: ``Unit(nalu_ext.NAU(100, 2))`` wraps an existing
    layer; the unit classes of this module (``nalu_ext.torch.NAU(100, 2, ...)``) build one.

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
        self._forwards = 0
        for name, array in layer.params.items():  # views of the C++ buffers: shared, not copied
            self.register_parameter(name, torch.nn.Parameter(torch.from_numpy(array)))

    def _load(self, params: Tuple["torch.Tensor", ...]) -> None:
        """Makes the layer's buffers hold ``params``: nothing to do for the shared tensors, a copy
        for a tensor that replaced one (e.g. after ``module.double()``: then a dtype error)."""
        for name, p in zip(self._names, params):
            target = self.layer.params[name]
            if p.data_ptr() != target.__array_interface__["data"][0]:
                target[...] = _array(p, f"parameter {name}", self.layer.dtype)

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        """y (batch, out_features) from x (batch, in_features), through the C++ kernels.

        Parameters
        ----------
        x : torch.Tensor
            On the CPU, in the module's dtype.

        Returns
        -------
        torch.Tensor
        """
        return _UnitFunction.apply(self, x, *(getattr(self, n) for n in self._names))

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
        return _RegularizerFunction.apply(self, *(getattr(self, n) for n in self._names))

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


def _unit_class(name: str, layer_class: Type[Layer]) -> Type[Unit]:
    def __init__(self: Unit, in_features: int, out_features: int, **kwargs: Any) -> None:
        Unit.__init__(self, layer_class(in_features, out_features, **kwargs))

    __init__.__doc__ = f"Builds nalu_ext.{name}(in_features, out_features, **kwargs) and wraps it."
    doc = (f"nalu_ext.{name} as a torch.nn.Module (its C++ kernels through autograd); the "
           f"arguments are nalu_ext.{name}'s.\n\n    Parameters\n    ----------\n    in_features, "
           "out_features : int\n    **kwargs\n        nalu_ext." + name + "'s options (dtype, seed, init, ...).\n")
    return type(name, (Unit,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


_CLASSES: Dict[str, Type[Unit]] = {name: _unit_class(name, cls) for name, cls in UNITS.items()}
globals().update(_CLASSES)


__all__ = ["Unit", "regularizer", "after_update", *_CLASSES]
