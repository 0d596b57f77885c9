"""Rules that change a task run on its validation error, as the iNALU's training does (Schlör,
Ring & Hotho 2020, as bmistry4/nalm-benchmark's experiments/single_layer_benchmark.py runs it
with ``--reinit``; docs/protocols.md#the-single-module-benchmark---suite-single-module):

- :class:`Reinitialise`: re-draw the parameters when the validation error has stagnated;
- :class:`RegularizeWhen`: apply the regularized layers' regularizer only while the validation
  error is small.

``train_task(..., reinit=, regularize_when=)`` takes them. Both read "the validation error" as the
script does: the interpolation MSE of the last log (the log before training included), which
stays the same for every step until the next log.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _checks


@dataclasses.dataclass(frozen=True)
class Reinitialise:
    """Re-draw every layer's parameters (its own init scheme, a fresh seed) when the validation
    error has stagnated at a high value. One entry per step, the step's validation error, is kept;
    every ``check_every`` steps (step > 0) once more than ``min_entries`` are kept, the run
    restarts when the mean of the first half of the entries is at most the mean plus the standard
    deviation of the second half, and that mean is above ``threshold``; the entries are then
    cleared. The optimizer's state and the step count are kept (the script's
    ``model.reset_parameters()``). The defaults are the script's.

    Parameters
    ----------
    check_every : int
        Steps between checks (``--reinit-epoch-interval``, 10).
    min_entries : int
        Entries needed before a check (``--reinit-max-stored-losses``, 5000).
    threshold : float
        The second half's mean error must be above it (``--reinit-loss-thr``, 1).
    seed : int
        The k-th restart draws layer j's parameters from ``numpy.random.default_rng([seed, k, j])``.
    """

    check_every: int = 10
    min_entries: int = 5000
    threshold: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        _checks.positive(self.check_every, "check_every")
        _checks.integer(self.min_entries, "min_entries")
        _checks.real(self.threshold, "threshold")
        _checks.integer(self.seed, "seed", maximum=None)


@dataclasses.dataclass(frozen=True)
class RegularizeWhen:
    """Each regularized layer's regularizer at the constant strength ``strength`` on the steps after
    step ``after`` whose validation error is below ``below``, and off otherwise (it replaces those
    layers' schedules). The script's iNALU term, ``0.05 * R if interpolation_error < 1 and epoch_i
    > 10000``, by default.
    """

    strength: float = 0.05
    after: int = 10_000
    below: float = 1.0

    def __post_init__(self) -> None:
        _checks.real(self.strength, "strength", minimum=0.0)
        _checks.integer(self.after, "after")
        _checks.real(self.below, "below")

    def strength_at(self, validation_error: float) -> float:
        """λ for the steps after ``after`` while the last validation error is ``validation_error``."""
        return self.strength if validation_error < self.below else 0.0


def from_dict(options: Dict[str, Any]) -> Dict[str, Any]:
    """``train_task`` keyword arguments from a run specification's "train_options"
    ({"reinit": {...}, "regularize_when": {...}}; fields as the classes')."""
    known = {"reinit": Reinitialise, "regularize_when": RegularizeWhen}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"unknown train options {unknown} (known: {sorted(known)})")
    return {name: known[name](**fields) for name, fields in options.items()}


class StagnationWatch:
    """The entries of :class:`Reinitialise` as runs of equal values (one run per log interval),
    so that a check costs the number of logs since the last restart, not the number of steps."""

    def __init__(self, rule: Reinitialise) -> None:
        self.rule = rule
        self.runs: List[List[float]] = []  # [value, count]
        self.entries = 0

    def clear(self) -> None:
        self.runs, self.entries = [], 0

    def first_restart(self, first: int, end: int, value: float) -> Optional[int]:
        """Appends ``value`` for the steps [first, end) one by one and returns the first step
        whose check restarts the run (its entry appended; the steps after it are not), else None."""
        rule = self.rule
        step = first
        while step < end:
            # the next step checked: > 0, a multiple of check_every, and with more than
            # min_entries entries once its own is appended (self.entries + due + 1 - step of them)
            due = max(step, 1, step + rule.min_entries - self.entries)
            due = -(-due // rule.check_every) * rule.check_every
            if due >= end:
                break
            self._append(value, due + 1 - step)
            if self._stagnated():
                return due
            step = due + 1
        self._append(value, end - step)
        return None

    def _append(self, value: float, count: int) -> None:
        if count <= 0:
            return
        if self.runs and self.runs[-1][0] == value:
            self.runs[-1][1] += count
        else:
            self.runs.append([value, count])
        self.entries += count

    def _stagnated(self) -> bool:
        if self.entries <= self.rule.min_entries:
            return False
        half = self.entries // 2
        early, late = _split(self.runs, half)
        late_mean = _mean(late)
        late_std = math.sqrt(_mean([(v - late_mean) ** 2 for v in late[0]], late[1]) if late[0] else 0.0)
        return _mean(early) <= late_mean + late_std and late_mean > self.rule.threshold


def _split(runs: List[List[float]], half: int) -> Tuple[Tuple[List[float], List[int]], Tuple[List[float], List[int]]]:
    """The runs' entries [0, half) and [half, end) as (values, counts)."""
    early: Tuple[List[float], List[int]] = ([], [])
    late: Tuple[List[float], List[int]] = ([], [])
    seen = 0
    for value, count in runs:
        n_early = int(min(max(half - seen, 0), count))
        if n_early:
            early[0].append(value)
            early[1].append(n_early)
        if count - n_early:
            late[0].append(value)
            late[1].append(int(count - n_early))
        seen += int(count)
    return early, late


def _mean(values: Any, counts: Optional[List[int]] = None) -> float:
    """The mean of ``values`` repeated ``counts`` times (values may be a (values, counts) pair);
    numpy's order-independent sum, as np.mean of the expanded list up to rounding."""
    if counts is None:
        values, counts = values
    weights = np.asarray(counts, dtype=float)
    return float(np.dot(np.asarray(values, dtype=float), weights) / weights.sum())


class ActiveRules:
    """The rules of one ``train_task`` run: runs each log interval's steps, applying them."""

    def __init__(self, model: Any, reinit: Optional[Reinitialise], regularize_when: Optional[RegularizeWhen]) -> None:
        if reinit is not None and not isinstance(reinit, Reinitialise):
            raise TypeError(f"reinit must be a nalu_ext.benchmark.training_rules.Reinitialise, got {reinit!r}")
        if regularize_when is not None and not isinstance(regularize_when, RegularizeWhen):
            raise TypeError(f"regularize_when must be a nalu_ext.benchmark.training_rules.RegularizeWhen, got {regularize_when!r}")
        self.model = model
        self.regularize_when = regularize_when
        self.watch = None if reinit is None else StagnationWatch(reinit)
        self.regularized = [layer for layer in model.layers if hasattr(layer, "set_regularizer")]
        if regularize_when is not None and not self.regularized:
            raise ValueError("regularize_when needs a layer with a regularizer; the model has none")
        self.restarts: List[int] = []  # the steps after which the parameters were re-drawn

    def run_interval(self, runner: Any, end: int, losses: np.ndarray, regularizers: np.ndarray, first: int,
                     validation: float) -> Any:
        """Runs the steps up to ``end`` (``LoopRunner.run_until``'s arguments) while the last
        validation error is ``validation``; returns what run_until returns."""
        rule = self.regularize_when
        if rule is not None:
            for layer in self.regularized:  # λ from step `after` + 1 on (the layer's own step count)
                layer.set_regularizer(rule.strength_at(validation), rule.after + 1, rule.after + 1)
        watch = self.watch
        while True:
            restart = None if watch is None else watch.first_restart(runner.done, end, validation)
            divergence = runner.run_until(end if restart is None else restart + 1, losses, regularizers, first)
            if divergence is not None or restart is None or watch is None:
                return divergence
            for j, layer in enumerate(self.model.layers):
                layer.reset_parameters([watch.rule.seed, len(self.restarts), j])
            self.restarts.append(restart + 1)
            watch.clear()
