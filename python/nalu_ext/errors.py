"""The package's own exception types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .train import History


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped before that step's update.

    The model keeps the parameters of the last step whose loss was finite. Attributes: ``step``
    (0-based index of the step whose loss was not finite, which is also the number of completed
    steps of this run), ``loss`` (that value) and ``history`` (the :class:`History` of the
    completed steps, for ``fit``; None for ``train_step``).
    """

    def __init__(self, step: int, loss: float, history: Optional["History"] = None) -> None:
        self.step, self.loss, self.history = step, loss, history
        super().__init__(
            f"training diverged: the loss was {loss} at step {step}; the model keeps the parameters "
            "of the last step with a finite loss (try a smaller learning rate or gradient clipping)"
        )


class ModelFileError(ValueError):
    """A file given to :func:`nalu_ext.load` is not a readable nalu_ext model file."""
