"""Sequential: a stack of layers trained as one, with its forward, backward and fused train_step."""

from __future__ import annotations

import contextlib
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _checks, _core, serialize
from ._dtypes import core_suffix
from ._types import LossName
from .errors import ModelFileError, TrainingDiverged
from .layers import Layer
from .optim import OPTIMIZERS, Optimizer

def check_optimizer(model: "Sequential", optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a nalu_ext optimizer (SGD, Adam, RMSprop), got {type(optimizer).__name__}")
    if optimizer.dtype != model.dtype:
        raise TypeError(f"the optimizer updates {optimizer.dtype} parameters but the model is {model.dtype}")


class Sequential:
    """Layers applied in order; the output width of each must be the input width of the next.

    A layer may appear only once (it keeps one forward cache). All layers share one dtype.

    Parameters
    ----------
    *layers : Layer
        The layers, first to last; all of one dtype.
    """

    def __init__(self, *layers: Layer) -> None:
        """Stacks the layers; see the class docstring."""
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a nalu_ext layer")
        dtypes = {layer.dtype for layer in layers}
        if len(dtypes) != 1:
            raise TypeError(f"Sequential: all layers must share one dtype, got {sorted(map(str, dtypes))}")
        self._layers = list(layers)
        self.dtype: np.dtype = layers[0].dtype
        self._impl = getattr(_core, "Sequential" + core_suffix(self.dtype))([l._impl for l in layers])

    @property
    def layers(self) -> List[Layer]:
        """The layers, first to last (a new list; the layers themselves are the model's)."""
        return list(self._layers)

    @property
    def in_features(self) -> int:
        """Width of the model's input."""
        return self._layers[0].in_features

    @property
    def out_features(self) -> int:
        """Width of the model's output."""
        return self._layers[-1].out_features

    @property
    def params(self) -> List[Mapping[str, np.ndarray]]:
        """Each layer's ``params`` mapping, in layer order."""
        return [layer.params for layer in self._layers]

    @property
    def grads(self) -> List[Mapping[str, np.ndarray]]:
        """Each layer's ``grads`` mapping, in layer order."""
        return [layer.grads for layer in self._layers]

    def parameters(self) -> List[np.ndarray]:
        """Every parameter array, layer by layer in each layer's parameter order: what optimizers take.

        Returns
        -------
        list of numpy.ndarray
            Writable views of the layers' memory.
        """
        return [p for layer in self._layers for p in layer.params.values()]

    def forward(self, x: Any) -> np.ndarray:
        """The model's output; see :meth:`Layer.forward`.

        Parameters
        ----------
        x : array_like, (batch, in_features)

        Returns
        -------
        numpy.ndarray, (batch, out_features)
        """
        y: np.ndarray = self._impl.forward(x)
        return y

    __call__ = forward

    @property
    def training(self) -> bool:
        """Whether every layer is in training mode (see :meth:`Layer.train`)."""
        return all(layer.training for layer in self._layers)

    def train(self, mode: bool = True) -> "Sequential":
        """Sets every layer's mode (see :meth:`Layer.train`); returns the model.

        Parameters
        ----------
        mode : bool

        Returns
        -------
        Sequential
        """
        for layer in self._layers:
            layer.train(mode)
        return self

    def eval(self) -> "Sequential":
        """Evaluation mode for every layer: ``train(False)``.

        Returns
        -------
        Sequential
        """
        return self.train(False)

    @contextlib.contextmanager
    def evaluating(self) -> Iterator["Sequential"]:
        """``with model.evaluating():`` every layer in evaluation mode inside the block, each back
        in its own mode after it.

        Returns
        -------
        context manager
            Entering it yields this model.
        """
        modes = [layer.training for layer in self._layers]
        self.eval()
        try:
            yield self
        finally:
            for layer, mode in zip(self._layers, modes):
                layer.train(mode)

    def predict(self, x: Any) -> np.ndarray:
        """The model's output, for inference: the same values as :meth:`forward`, without a copy of
        ``x`` kept for :meth:`backward` (which then needs a :meth:`forward` first). Evaluating a
        large set this way costs no copy of it.

        Parameters
        ----------
        x : array_like, (batch, in_features)

        Returns
        -------
        numpy.ndarray, (batch, out_features)
        """
        y: np.ndarray = self._impl.predict(x)
        return y

    def backward(self, dy: Any, *, need_dx: bool = True) -> Optional[np.ndarray]:
        """Fills every layer's ``grads`` for the last forward.

        Parameters
        ----------
        dy : array_like, (batch, out_features)
            dLoss/dy.
        need_dx : bool
            Whether to compute dLoss/dx.

        Returns
        -------
        numpy.ndarray (batch, in_features) or None
        """
        dx: Optional[np.ndarray] = self._impl.backward(dy, need_dx)
        return dx

    def train_step(self, x: Any, y: Any, optimizer: Optimizer, loss: LossName = "mse") -> float:
        """Forward, loss, backward and optimizer update in one C++ call; returns the loss before
        the update (the data loss; a unit's regularizer term λ(t) R is added to what is optimised,
        see :func:`fit` for its value). Raises :class:`TrainingDiverged` when the loss or the
        update is not finite; the step is then not applied at all.

        Parameters
        ----------
        x : array_like, (batch, in_features)
        y : array_like, (batch, out_features)
            The targets.
        optimizer : Optimizer
            One built on this model's parameters().
        loss : "mse" or "sse"

        Returns
        -------
        float
            The loss of this step, before its update.
        """
        check_optimizer(self, optimizer)
        value, divergence, _ = self._impl.train_step(x, y, optimizer._impl, loss)
        if divergence is not None:
            raise TrainingDiverged(int(self._impl.steps), float(value), cause=divergence)
        return float(value)

    def save(self, path: Union[str, "os.PathLike[str]"], optimizer: Optional[Optimizer] = None) -> None:
        """Write architecture, parameters and step counts to one .npz file, atomically; see
        :func:`nalu_ext.load`. With ``optimizer`` (one built on ``self.parameters()``), its state
        too: :func:`nalu_ext.load_checkpoint` then restores both, and training continues exactly
        as it would have.

        Parameters
        ----------
        path : str or os.PathLike
            The .npz file to write (replaced atomically).
        optimizer : Optimizer, optional
            Its state is saved beside the model's.
        """
        optimizer_state = None
        if optimizer is not None:
            check_optimizer(self, optimizer)
            if len(optimizer.params) != len(self.parameters()) or any(
                    p.__array_interface__ != q.__array_interface__ for p, q in zip(optimizer.params, self.parameters())):
                raise ValueError("save(optimizer=): the optimizer must update exactly this model's parameters(), in order")
            optimizer_state = optimizer.state_dict()
        serialize.save_model(self, path, optimizer_state)

    def zero_grad(self) -> None:
        """Sets every layer's gradients to 0."""
        for layer in self._layers:
            layer.zero_grad()

    @property
    def steps(self) -> int:
        """Training steps this model has taken (train_step, fit, train_task)."""
        return int(self._impl.steps)

    def state_dict(self) -> Dict[str, Any]:
        """``"layers.<i>.<name>"`` for every parameter (copies taken under the layers' locks: one
        consistent snapshot even while another thread trains), ``"layers.<i>.steps"`` and
        ``"steps"``: what :meth:`load_state_dict` needs to continue training exactly.

        Returns
        -------
        dict
        """
        state: Dict[str, Any] = {}
        params, layer_steps, steps = self._impl.snapshot()
        for i, (values, layer_step) in enumerate(zip(params, layer_steps)):
            state.update({f"layers.{i}.{name}": value for name, value in values.items()})
            state[f"layers.{i}.steps"] = int(layer_step)
        state["steps"] = int(steps)
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores what :meth:`state_dict` returned, for a model of the same architecture.

        Parameters
        ----------
        state : mapping
            A :meth:`state_dict`.
        """
        if not isinstance(state, Mapping) or "steps" not in state:
            raise ValueError("Sequential.load_state_dict: expected the mapping Sequential.state_dict() returns")
        per_layer: List[Dict[str, Any]] = [{} for _ in self._layers]
        for key, value in state.items():
            if key == "steps":
                continue
            parts = key.split(".", 2)
            if len(parts) != 3 or parts[0] != "layers" or not parts[1].isdigit() or int(parts[1]) >= len(self._layers):
                raise ValueError(f"Sequential.load_state_dict: unexpected key {key!r}")
            per_layer[int(parts[1])][parts[2]] = value
        steps = _checks.integer(state["steps"], "steps")
        for layer, layer_state in zip(self._layers, per_layer):  # each checks its keys before writing
            layer.load_state_dict(layer_state)
        self._impl.steps = steps

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        """Pickling and copy.deepcopy: the layers (pickled with their state) and the step count."""
        return (_rebuild, (self._layers, self.steps))

    def config(self) -> List[Dict[str, Any]]:
        """The architecture: each layer's constructor arguments.

        Returns
        -------
        list of dict
            One :meth:`Layer.config` per layer.
        """
        return [layer.config() for layer in self._layers]

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self._layers)
        return f"Sequential(\n{inner}\n)"


def _rebuild(layers: List[Layer], steps: int) -> Sequential:
    model = Sequential(*layers)
    model._impl.steps = steps
    return model


def as_sequential(model: Union[Sequential, Layer]) -> Sequential:
    if isinstance(model, Sequential):
        return model
    if isinstance(model, Layer):
        return Sequential(model)
    raise TypeError(f"model must be a nalu_ext Sequential or layer, got {type(model).__name__}")



def load(path: Union[str, "os.PathLike[str]"]) -> Sequential:
    """The model saved at ``path`` by :meth:`Sequential.save`, with bit-identical parameters.

    Raises FileNotFoundError for a missing file and :class:`ModelFileError` for a file that is not
    a complete nalu_ext model file (truncated, corrupt, inconsistent, or something else).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Sequential
    """
    return _from_file(serialize.read_model(path))


def load_checkpoint(path: Union[str, "os.PathLike[str]"]) -> Tuple[Sequential, Optimizer]:
    """The model and the optimizer saved at ``path`` by ``model.save(path, optimizer=opt)``:
    training continues bit-identically. ModelFileError when the file holds no optimizer.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    model : Sequential
    optimizer : Optimizer
        Built on ``model.parameters()``, with the saved learning rate, step count and state.
    """
    stored = serialize.read_model(path)
    if stored.optimizer is None:
        raise ModelFileError(f"{path} holds a model without an optimizer (save it with model.save(path, optimizer=opt))")
    model = _from_file(stored)
    state = stored.optimizer
    try:
        optimizer = OPTIMIZERS[state["kind"]](model.parameters(), **state["hyper"])
        optimizer.load_state_dict(state)
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: the stored optimizer cannot be restored: {err}") from None
    return model, optimizer


def _from_file(stored: "serialize.StoredModel") -> Sequential:
    model = Sequential(*stored.layers)
    model._impl.steps = stored.steps
    return model
