"""History, what a training run recorded (its own module: the exceptions carry one too)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """What a :func:`fit` run recorded: ``loss[i]`` is the loss at step i, before its update.

    Parameters
    ----------
    loss : numpy.ndarray
        One loss per applied step.
    steps : int
        Steps applied.
    stopped_early : bool
        A callback returned False.
    regularizer : numpy.ndarray
        Σ over layers of λ(t) R at each step.
    seconds : float
        Wall time of the run.
    """

    loss: np.ndarray
    steps: int
    stopped_early: bool = False  # a callback returned False
    # regularizer[i]: Σ over layers of λ(t) R at step i (zero without regularized units)
    regularizer: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = field(default=0.0, compare=False)

    def __repr__(self) -> str:
        last = f", final loss {self.loss[-1]:.6g}" if self.steps else ""
        return f"History(steps={self.steps}{last}{', stopped early' if self.stopped_early else ''})"
