"""fit: the multi-step training loop, run in C++ in chunks, with progress and callbacks."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _checks, _core
from ._types import LossName
from .errors import Interrupted, TrainingDiverged
from .history import History as History
from .layers import Layer
from .model import Sequential, as_sequential, check_optimizer
from .optim import Optimizer

Callback = Callable[[int, float], Optional[bool]]


class ChunkSizer:
    """How many steps the next C++ call runs: chunks grow or shrink so that each call lasts about
    0.05-0.2 s. Progress bars stay live and Ctrl-C (which Python sees only between C++ calls) is
    answered within a fraction of a second, at a per-call cost of microseconds. The chunking never
    changes a result: a loop run in chunks computes exactly what one long call would."""

    TARGET_SECONDS = (0.05, 0.2)

    def __init__(self) -> None:
        self._size = 16
        self._started = 0.0

    def next(self, limit: int) -> int:
        """Steps for the next call, at most ``limit``; starts its clock."""
        self._started = time.perf_counter()
        return min(self._size, limit)

    def done(self) -> None:
        """The call has returned: adapt the size to how long it took."""
        elapsed = time.perf_counter() - self._started
        if elapsed < self.TARGET_SECONDS[0]:
            self._size *= 2
        elif elapsed > self.TARGET_SECONDS[1] and self._size > 1:
            self._size //= 2


@dataclass
class Divergence:
    """Why a step was not applied: ``cause`` "loss" or "update", and that step's loss."""

    cause: str
    loss: float


class LoopRunner:
    """Drives a C++ training loop (``_core.array_loop`` or ``_core.task_loop``) for ``fit`` and
    ``train_task`` alike: chunk sizes (:class:`ChunkSizer`), the progress bar, the stop event and
    the detection of a step that was not applied live here once."""

    def __init__(self, loop: Any, total: int, progress: bool,
                 stop: Optional[threading.Event] = None) -> None:
        self._loop = loop
        self._sizer = ChunkSizer()
        self._stop = stop
        self.total = total
        self.done = 0  # steps applied
        self.bar = _progress_bar(total) if progress else None

    def run_until(self, end: int, losses: np.ndarray, regularizers: np.ndarray,
                  first: int = 0) -> Optional[Divergence]:
        """Runs steps [done, end), writing step k's loss and regularizer term to index k - first
        of the arrays; returns the divergence that stopped it early, else None. Raises
        :class:`Interrupted` when the stop event is set (checked after every chunk)."""
        while self.done < end:
            n = self._sizer.next(end - self.done)
            at = self.done - first
            completed, cause, bad_loss = self._loop.run(losses[at:at + n], regularizers[at:at + n])
            self._sizer.done()
            self.done += completed
            if self.bar is not None:
                self.bar.update(completed)
                if self.done > first:
                    self.bar.set_postfix(loss=f"{losses[self.done - first - 1]:.4g}", refresh=False)
            if cause is not None:
                return Divergence(cause, float(bad_loss))
            if self._stop is not None and self._stop.is_set():
                raise Interrupted(f"training stopped at step {self.done} of {self.total}")
        return None

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def fit(
    model: Union[Sequential, Layer],
    optimizer: Optimizer,
    x: Any,
    y: Any,
    *,
    steps: int,
    batch_size: Optional[int] = None,
    loss: LossName = "mse",
    shuffle: bool = True,
    seed: Optional[int] = None,
    progress: bool = False,
    callback: Optional[Callback] = None,
    callback_every: int = 1000,
    regularizer: Optional[float] = None,
    reg_start: int = 0,
    reg_end: int = 0,
) -> History:
    """Train ``model`` for ``steps`` optimizer steps on (x, y); the loop runs in C++.

    ``batch_size=None`` uses every row each step (full batch, in order). Otherwise each step takes
    ``batch_size`` rows, drawn in C++: in a fresh random order each epoch when ``shuffle`` (seeded
    by ``seed``; the same seed gives identical results), else in order. ``progress=True`` shows a
    tqdm bar. ``callback(step, loss)`` is called after every ``callback_every`` steps with the
    number of completed steps and the last loss; returning False stops training.
    ``regularizer`` (with ``reg_start``, ``reg_end``), when given, sets the regularizer schedule of
    every layer that has one (``layer.has_regularizer``) before training; ``History.regularizer`` reports
    the term.

    Raises :class:`TrainingDiverged` when a step's loss, or its update, is NaN or infinite: that
    step is not applied, so the model and the optimizer are exactly as after the steps before it,
    and the exception carries their history. A ``KeyboardInterrupt`` (answered within about 0.2 s)
    likewise leaves the model as after the last applied step.

    Parameters
    ----------
    model : Sequential or Layer
    optimizer : Optimizer
        Built on the model's parameters().
    x : array_like, (rows, in_features)
    y : array_like, (rows, out_features)
    steps : int
    batch_size : int, optional
        Rows per step; None for the full batch.
    loss : "mse" or "sse"
    shuffle : bool
        Reshuffle the rows every epoch (minibatches only).
    seed : int, optional
        Seeds the shuffle.
    progress : bool
        Show a tqdm bar.
    callback : callable, optional
        ``callback(step, loss)`` every ``callback_every`` steps; returning False stops training.
    callback_every : int
    regularizer, reg_start, reg_end : float, int, int
        When regularizer is given, the schedule of every layer that has a regularizer.

    Returns
    -------
    History
    """
    seq = as_sequential(model)
    check_optimizer(seq, optimizer)
    steps = _checks.integer(steps, "steps")
    callback_every = _checks.positive(callback_every, "callback_every")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    rows = np.shape(x)[0] if np.ndim(x) >= 1 else 0
    full_batch = batch_size is None
    batch = rows if full_batch else _checks.positive(batch_size, "batch_size")
    run_seed = int(np.random.default_rng().integers(0, 2**63)) if seed is None else _checks.seed(seed)
    loop = _core.array_loop(seq._impl, optimizer._impl, x, y, batch, bool(shuffle) and not full_batch,
                            run_seed, loss)
    if regularizer is not None:  # after every other check: a rejected call changes nothing
        scheduled = [layer for layer in seq.layers if layer.has_regularizer]
        if not scheduled:
            raise ValueError("regularizer= was given but no layer of this model has a regularizer "
                             "(see each unit's has_regularizer)")
        for layer in scheduled:
            layer.set_regularizer(regularizer, reg_start, reg_end)  # type: ignore[attr-defined]

    losses = np.empty(steps, dtype=np.float64)
    regs = np.zeros(steps, dtype=np.float64)
    runner = LoopRunner(loop, steps, progress)
    stopped = False
    next_callback = callback_every if callback is not None else steps
    start = time.perf_counter()
    try:
        while runner.done < steps and not stopped:
            divergence = runner.run_until(min(steps, next_callback), losses, regs)
            done = runner.done
            if divergence is not None:
                history = History(losses[:done].copy(), done, regularizer=regs[:done].copy(),
                                  seconds=time.perf_counter() - start)
                raise TrainingDiverged(done, divergence.loss, history, cause=divergence.cause)
            if callback is not None and done == next_callback:
                next_callback += callback_every
                stopped = callback(done, float(losses[done - 1])) is False
    finally:
        runner.close()
    done = runner.done
    return History(losses[:done].copy(), done, stopped, regularizer=regs[:done].copy(),
                   seconds=time.perf_counter() - start)


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", dynamic_ncols=True)
