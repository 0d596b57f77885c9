"""Sequential: a stack of layers trained as one, with its forward, backward and fused train_step."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as np

from . import _core, serialize
from ._dtypes import core_suffix
from .errors import TrainingDiverged
from .layers import Layer
from .optim import Optimizer

def check_optimizer(model: "Sequential", optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a nalu_ext optimizer (SGD, Adam, RMSprop), got {type(optimizer).__name__}")
    if optimizer.dtype != model.dtype:
        raise TypeError(f"the optimizer updates {optimizer.dtype} parameters but the model is {model.dtype}")


class Sequential:
    """Layers applied in order; the output width of each must be the input width of the next.

    A layer may appear only once (it keeps one forward cache). All layers share one dtype.
    """

    def __init__(self, *layers: Layer) -> None:
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
        return list(self._layers)

    @property
    def in_features(self) -> int:
        return self._layers[0].in_features

    @property
    def out_features(self) -> int:
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
        """Every parameter array, layer by layer in each layer's parameter order: what optimizers take."""
        return [p for layer in self._layers for p in layer.params.values()]

    def forward(self, x: Any) -> np.ndarray:
        """y (batch, out_features) from x (batch, in_features); see :meth:`Layer.forward`."""
        return self._impl.forward(x)

    __call__ = forward

    def backward(self, dy: Any, *, need_dx: bool = True) -> Optional[np.ndarray]:
        """Fills every layer's ``grads`` from dy; returns dx, or None when ``need_dx`` is False."""
        return self._impl.backward(dy, need_dx)

    def train_step(self, x: Any, y: Any, optimizer: Optimizer, loss: str = "mse") -> float:
        """Forward, loss, backward and optimizer update in one C++ call; returns the loss before
        the update (the data loss; a unit's regularizer term λ(t) R is added to what is optimised,
        see :func:`fit` for its value). Raises :class:`TrainingDiverged` when the loss or the
        update is not finite; the step is then not applied at all."""
        check_optimizer(self, optimizer)
        value, divergence, _ = self._impl.train_step(x, y, optimizer._impl, loss)
        if divergence is not None:
            raise TrainingDiverged(int(self._impl.steps), float(value), cause=divergence)
        return float(value)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write architecture and parameters to one .npz file, atomically; see :func:`nalu_ext.load`."""
        serialize.save_model(self, path)

    def config(self) -> List[Dict[str, Any]]:
        """The architecture: each layer's constructor arguments."""
        return [layer.config() for layer in self._layers]

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self._layers)
        return f"Sequential(\n{inner}\n)"


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
    """
    return Sequential(*serialize.read_layers(path))
