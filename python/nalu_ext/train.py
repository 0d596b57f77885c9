"""fit: the multi-step training loop, run in C++ in chunks, with progress and callbacks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _core
from ._dtypes import core_suffix
from .errors import TrainingDiverged
from .layers import Layer
from .model import Sequential, as_sequential, check_loss, check_optimizer
from .optim import Optimizer

Callback = Callable[[int, float], Optional[bool]]

# Chunks grow or shrink so that each C++ call lasts about this long: progress bars stay live and
# Ctrl-C is answered within a fraction of a second, at a per-chunk cost of microseconds.
_TARGET_CHUNK_SECONDS = (0.05, 0.2)


@dataclass
class History:
    """What a :func:`fit` run recorded: ``loss[i]`` is the loss at step i, before its update."""

    loss: np.ndarray
    steps: int
    stopped_early: bool = False  # a callback returned False
    # regularizer[i]: Σ over layers of λ(t) R at step i (zero without regularized units)
    regularizer: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = field(default=0.0, compare=False)

    def __repr__(self) -> str:
        last = f", final loss {self.loss[-1]:.6g}" if self.steps else ""
        return f"History(steps={self.steps}{last}{', stopped early' if self.stopped_early else ''})"


def positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return int(value)


def fit(
    model: Union[Sequential, Layer],
    optimizer: Optimizer,
    x: Any,
    y: Any,
    *,
    steps: int,
    batch_size: Optional[int] = None,
    loss: str = "mse",
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
    every layer that has one (NAU, NMU, iNALU) before training; ``History.regularizer`` reports
    the term.

    Raises :class:`TrainingDiverged` when the loss becomes NaN or infinite: the model keeps the
    parameters of the last step with a finite loss and the exception carries the partial history.
    """
    seq = as_sequential(model)
    check_optimizer(seq, optimizer)
    if regularizer is not None:
        scheduled = [layer for layer in seq.layers if layer.has_regularizer]
        if not scheduled:
            raise ValueError("regularizer= was given but no layer of this model has a regularizer "
                             "(NAU, NMU and iNALU have one)")
        for layer in scheduled:
            layer.set_regularizer(regularizer, reg_start, reg_end)  # type: ignore[attr-defined]
    steps = positive_int(steps, "steps", allow_zero=True)
    callback_every = positive_int(callback_every, "callback_every")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    rows = np.shape(x)[0] if np.ndim(x) >= 1 else 0
    full_batch = batch_size is None
    batch = rows if full_batch else positive_int(batch_size, "batch_size")
    run_seed = int(np.random.default_rng(seed).integers(0, 2**63)) if seed is None else int(seed)
    if run_seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    fitter = getattr(_core, "Fitter" + core_suffix(seq.dtype))(
        seq._impl, optimizer._impl, x, y, batch, bool(shuffle) and not full_batch, run_seed,
        check_loss(loss))

    losses = np.empty(steps, dtype=np.float64)
    regs = np.zeros(steps, dtype=np.float64)
    done, stopped, chunk = 0, False, 16
    next_callback = callback_every
    bar = _progress_bar(steps) if progress else None
    start = time.perf_counter()
    try:
        while done < steps and not stopped:
            n = min(chunk, steps - done)
            if callback is not None:
                n = min(n, next_callback - done)
            t0 = time.perf_counter()
            completed, diverged, bad_loss = fitter.run(losses[done:done + n], regs[done:done + n])
            elapsed = time.perf_counter() - t0
            done += completed
            if bar is not None:
                bar.update(completed)
                if done:
                    bar.set_postfix(loss=f"{losses[done - 1]:.4g}", refresh=False)
            if diverged:
                history = History(losses[:done].copy(), done, regularizer=regs[:done].copy(),
                                  seconds=time.perf_counter() - start)
                raise TrainingDiverged(done, float(bad_loss), history)
            if callback is not None and done == next_callback:
                next_callback += callback_every
                stopped = callback(done, float(losses[done - 1])) is False
            if elapsed < _TARGET_CHUNK_SECONDS[0]:
                chunk *= 2
            elif elapsed > _TARGET_CHUNK_SECONDS[1] and chunk > 1:
                chunk //= 2
    finally:
        if bar is not None:
            bar.close()
    return History(losses[:done].copy(), done, stopped, regularizer=regs[:done].copy(),
                   seconds=time.perf_counter() - start)


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", dynamic_ncols=True)
