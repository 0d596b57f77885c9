"""The package's own exception types."""

from __future__ import annotations

import math
from typing import Optional

from .history import History


class TrainingDiverged(RuntimeError):
    """A training step could not be applied: its loss was NaN or infinite (``cause="loss"``), or
    its update would have made a parameter or an optimizer state value NaN or infinite
    (``cause="update"``).

    Training is all or nothing per step: nothing of the failed step was kept. The model's
    parameters, the optimizer's state (moments, step count) and the layers' step counts (their
    regularizer clocks) are exactly as after the last applied step. Attributes: ``step`` (0-based
    index of the failed step, which is also the number of steps of this run that were applied),
    ``loss`` (the failed step's loss), ``cause`` and ``history`` (the :class:`History` of the
    applied steps, for ``fit``; None for ``train_step``).
    """

    def __init__(self, step: int, loss: float, history: Optional[History] = None,
                 cause: str = "loss") -> None:
        """See the class docstring."""
        self.step, self.loss, self.history, self.cause = step, loss, history, cause
        what = (f"the loss was {loss}" if cause == "loss" else
                ("" if math.isnan(loss) else f"the loss was {loss:.6g} but ") +
                "the update would have made a parameter or an optimizer state value non-finite")
        super().__init__(
            f"training diverged at step {step}: {what}. That step was not applied; the model and "
            f"the optimizer are as after the {step} steps before it (try a smaller learning rate "
            "or gradient clipping, or check the data for NaN and Inf)")


class ModelFileError(ValueError):
    """A file given to :func:`nalu_ext.load` is not a readable nalu_ext model file."""


class Interrupted(Exception):
    """A run was stopped from outside (its ``stop`` event was set) before it finished; the model
    keeps the parameters of the last applied step."""


class UsageError(Exception):
    """A command line's arguments make no sense together (the CLI reports it as argparse does,
    with exit status 2)."""
