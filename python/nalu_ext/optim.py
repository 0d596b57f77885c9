"""Optimizers whose update kernels run in C++, with PyTorch's update rules and defaults.

Each takes ``model.parameters()`` (the layers' parameter arrays) and updates them in place from
the layers' gradients on :meth:`Optimizer.step`. Optional gradient clipping, applied in place
before the update: ``clip_value`` clamps each gradient element to [-clip_value, clip_value]
(as ``torch.nn.utils.clip_grad_value_``), then ``clip_norm`` rescales all gradients together so
their global L2 norm is at most ``clip_norm`` (as ``torch.nn.utils.clip_grad_norm_``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core
from . import _checks
from ._checks import optional_real, real
from ._dtypes import core_suffix
from .errors import TrainingDiverged
from .layers import Layer, owner_of


def _parameter_list(params: Iterable[np.ndarray]) -> Tuple[List[np.ndarray], np.dtype]:
    if isinstance(params, np.ndarray):
        raise TypeError("params must be a list of parameter arrays (model.parameters()), got one array")
    items = list(params)
    if not items:
        raise ValueError("the optimizer got an empty parameter list")
    dtypes = {getattr(p, "dtype", None) for p in items}
    if len(dtypes) != 1:
        raise TypeError(f"all parameters must share one dtype, got {sorted(map(str, dtypes))}")
    dtype = dtypes.pop()
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"parameters must be float32 or float64 arrays from model.parameters(), got {dtype}")
    return items, np.dtype(dtype)


class Optimizer:
    """Base of the optimizers: holds the C++ optimizer and the parameter arrays it updates.

    Parameters
    ----------
    kind : str
        The C++ optimizer ("SGD", "Adam", "RMSprop"); use those classes.
    params : iterable of numpy.ndarray
        ``model.parameters()``: views of the layers' parameters, one dtype.
    hyper : dict
        The subclass's keyword arguments (for state_dict and pickling).
    *args : float
        The hyper-parameters in the C++ constructor's order.
    <clip parameters>
    """

    def __init__(self, kind: str, params: Iterable[np.ndarray], hyper: Dict[str, Any], *args: Any,
                 clip_value: Optional[float] = None, clip_norm: Optional[float] = None) -> None:
        """``hyper``: the constructor's keyword arguments (state_dict and pickling rebuild from
        them); ``args``: the real hyper-parameters, in the C++ constructor's order (their ranges
        are checked there)."""
        self._params, self.dtype = _parameter_list(params)
        # the layers (and names) of the parameters, held now: the arrays keep the C++ layer alive,
        # not its Python object, which pickling needs after the caller let go of it
        try:
            self._owners: Optional[List[Tuple[Layer, str]]] = [owner_of(p) for p in self._params]
        except ValueError:  # arrays that are not (or no longer) a live layer's: pickling says so
            self._owners = None
        self._impl = getattr(_core, kind + core_suffix(self.dtype))(
            self._params, *args, optional_real(clip_value, "clip_value"), optional_real(clip_norm, "clip_norm"))
        self._hyper = dict(hyper, clip_value=optional_real(clip_value, "clip_value"),
                           clip_norm=optional_real(clip_norm, "clip_norm"))

    @property
    def lr(self) -> float:
        """The learning rate; may be changed between steps (a schedule)."""
        return float(self._impl.lr)

    @lr.setter
    def lr(self, value: float) -> None:
        self._impl.lr = real(value, "lr")

    @property
    def steps(self) -> int:
        """How many updates this optimizer has applied."""
        return int(self._impl.steps)

    @property
    def params(self) -> List[np.ndarray]:
        """The parameter arrays this optimizer updates (the layers' own memory)."""
        return list(self._params)

    def state_dict(self) -> Dict[str, Any]:
        """Everything that continues training exactly: ``"kind"``, ``"hyper"`` (the constructor's
        keyword arguments, lr as it is now), ``"steps"`` and ``"state"`` (torch's names:
        ``exp_avg``/``exp_avg_sq`` for Adam, ``square_avg`` for RMSprop, ``momentum_buffer`` for
        SGD with momentum; one flat array per parameter).

        Returns
        -------
        dict
        """
        return {"kind": type(self).__name__, "hyper": dict(self._hyper, lr=self.lr), "steps": self.steps,
                "state": {name: [a.copy() for a in self._impl.get_state(name)] for name in self._impl.state_names}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores what :meth:`state_dict` returned (from an optimizer of the same kind over
        parameters of the same sizes): learning rate, step count and state.

        Parameters
        ----------
        state : mapping
            A :meth:`state_dict`.
        """
        if not isinstance(state, Mapping) or state.get("kind") != type(self).__name__:
            got = state.get("kind") if isinstance(state, Mapping) else type(state).__name__
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the state of a "
                             f"{type(self).__name__}, got {got!r}")
        names = set(state.get("state", {}))
        if names != set(self._impl.state_names):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the state {sorted(self._impl.state_names)}, "
                             f"got {sorted(names)}")
        steps = _checks.integer(state["steps"], "steps")
        for name, arrays in state["state"].items():
            self._impl.set_state(name, [np.asarray(a, dtype=self.dtype) for a in arrays])
        self.lr = state["hyper"]["lr"]
        self._impl.steps = steps

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        """Pickling and copy.deepcopy: the optimizer with the layers it updates (pickled along,
        so a model and its optimizer pickled together stay linked) and its state."""
        owners = self._owners if self._owners is not None else [owner_of(p) for p in self._params]
        return (_rebuild, (type(self), owners, self._hyper, self.state_dict()))

    def step(self) -> None:
        """Apply one update from the gradients the layers hold now (after ``backward``).

        Raises :class:`TrainingDiverged` (``cause="update"``) when the update would make a
        parameter or a state value NaN or infinite; nothing is changed then."""
        if not self._impl.step():
            raise TrainingDiverged(self.steps, float("nan"), cause="update")


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``: ``buf = momentum * buf + g``,
    ``p -= lr * buf`` (with ``buf = g`` on the first step; plain ``p -= lr * g`` when momentum is 0).

    Parameters
    ----------
    params : iterable of numpy.ndarray
        ``model.parameters()``.
    lr : float
        Learning rate.
    momentum : float
        0 for plain SGD.
    <clip parameters>
    """

    def __init__(self, params: Iterable[np.ndarray], lr: float, momentum: float = 0.0, *,
                 clip_value: Optional[float] = None, clip_norm: Optional[float] = None) -> None:
        """Builds the optimizer; the parameters are described in the class docstring."""
        lr, momentum = real(lr, "lr"), real(momentum, "momentum")
        super().__init__("SGD", params, {"lr": lr, "momentum": momentum}, lr, momentum,
                         clip_value=clip_value, clip_norm=clip_norm)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (bias-corrected moments, no weight decay, no AMSGrad).

    Parameters
    ----------
    params : iterable of numpy.ndarray
        ``model.parameters()``.
    lr : float
        Learning rate (default 1e-3).
    betas : (float, float)
        Decay rates of the first and second moments (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    <clip parameters>
    """

    def __init__(self, params: Iterable[np.ndarray], lr: float = 1e-3,
                 betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8, *,
                 clip_value: Optional[float] = None, clip_norm: Optional[float] = None) -> None:
        """Builds the optimizer; the parameters are described in the class docstring."""
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        lr, beta1, beta2, eps = real(lr, "lr"), real(betas[0], "betas[0]"), real(betas[1], "betas[1]"), real(eps, "eps")
        super().__init__("Adam", params, {"lr": lr, "betas": (beta1, beta2), "eps": eps}, lr, beta1, beta2, eps,
                         clip_value=clip_value, clip_norm=clip_norm)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``: ``v = alpha v + (1 - alpha) g²``,
    ``p -= lr * g / (sqrt(v) + eps)`` (not centered, no momentum).

    Parameters
    ----------
    params : iterable of numpy.ndarray
        ``model.parameters()``.
    lr : float
        Learning rate (default 1e-2).
    alpha : float
        Decay of the squared-gradient average (default 0.99).
    eps : float
        Added to the denominator (default 1e-8).
    <clip parameters>
    """

    def __init__(self, params: Iterable[np.ndarray], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, *, clip_value: Optional[float] = None,
                 clip_norm: Optional[float] = None) -> None:
        """Builds the optimizer; the parameters are described in the class docstring."""
        lr, alpha, eps = real(lr, "lr"), real(alpha, "alpha"), real(eps, "eps")
        super().__init__("RMSprop", params, {"lr": lr, "alpha": alpha, "eps": eps}, lr, alpha, eps,
                         clip_value=clip_value, clip_norm=clip_norm)


# Every optimizer by its name (a run specification's "kind", a checkpoint's "kind").
OPTIMIZERS: Dict[str, type] = {"Adam": Adam, "SGD": SGD, "RMSprop": RMSprop}

# The clipping parameters every optimizer takes, documented once (where a docstring says
# <clip parameters>).
_CLIP_DOC = """\
    clip_value : float, optional
        Clamp each gradient element to [-clip_value, clip_value] before the update.
    clip_norm : float, optional
        Then rescale all gradients so that their global L2 norm is at most clip_norm."""
for _cls in (Optimizer, SGD, Adam, RMSprop):
    _cls.__doc__ = (_cls.__doc__ or "").replace("    <clip parameters>", _CLIP_DOC)


def _rebuild(cls: Callable[..., Optimizer], owners: List[Tuple[Layer, str]], hyper: Dict[str, Any], state: Mapping[str, Any]) -> Optimizer:
    optimizer = cls([layer.params[name] for layer, name in owners], **hyper)
    optimizer.load_state_dict(state)
    return optimizer
