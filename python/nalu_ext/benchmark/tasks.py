"""The arithmetic benchmark tasks (docs/protocols.md), as seeded, plain-data objects.

A task draws x uniformly from a range (a union of intervals), sums two subsets of x into a and b,
and asks for t = a ∘ b. The data come from a counter-based random stream in C++: value (r, c) of
a stream is a hash of (seed, stream, r, c) only, so a run's data never depend on threads,
chunking, call order or the CPU's instruction set (the hash vectorises; tested bit-identical on
every ISA path). Training batches are fresh rows every step (rows [step·B, (step+1)·B) of the
training stream, interpolation range); the validation (interpolation) and test (extrapolation)
sets are fixed streams of their own.
"""

from __future__ import annotations

import math

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _checks, _core
from .._dtypes import DTypeLike, as_float_dtype

OPS = ("add", "sub", "mul", "div", "square", "sqrt")
Interval = Tuple[float, float]
RangeLike = Union[Interval, Sequence[Interval]]

# each set's stream of the counter-based data (numbered in C++, cpp/nalu/tasks/generator.hpp)
TRAIN_STREAM, VALIDATION_STREAM, TEST_STREAM = (_core.TASK_STREAMS[k] for k in ("train", "validation", "test"))
# How a task's success threshold is set (nalu_ext.benchmark.verdicts.success_threshold): "weights", the MSE
# of a model whose weights are each ε = 1e-5 off (Madsen & Johansen); "output", the MSE of an
# output off by a relative ε = 1e-4 (Mistry, Farrahi & Hare's single-module benchmark).
THRESHOLD_RULES = ("weights", "output", "published")
# The version of the task data's bits (cpp/nalu/tasks/): a change to the generator that changes any
# value of any task bumps it, so that results made on the old data are never resumed as runs of the
# new (tests/benchmark/test_tasks.py pins version 1's bits). A task's description carries it as
# "data_version" from version 2 on; version 1's descriptions predate the field and keep their ids.
DATA_VERSION = 1


def as_intervals(spec: RangeLike, name: str) -> Tuple[Interval, ...]:
    """(lo, hi) or a sequence of them, as a tuple of disjoint, sorted float intervals."""
    try:
        items: List[Any] = [spec] if len(spec) == 2 and not isinstance(spec[0], (tuple, list)) else list(spec)
        pairs = [tuple(item) for item in items]
        if not pairs or any(len(p) != 2 for p in pairs):
            raise ValueError
        intervals = sorted((_checks.real(lo, name, finite=False), _checks.real(hi, name, finite=False))
                           for lo, hi in pairs)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be (lo, hi) or a list of (lo, hi) pairs, got {spec!r}") from None
    for (lo, hi), nxt in zip(intervals, intervals[1:] + [(np.inf, np.inf)]):
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"{name}: every interval needs finite lo < hi, got {spec!r}")
        if hi > nxt[0]:
            raise ValueError(f"{name}: intervals overlap, got {spec!r}")
    return tuple(intervals)


def _subset(spec: Any, name: str, input_size: int) -> Tuple[int, int]:
    """A subset [begin, end) of the inputs: exactly two integers, 0 <= begin < end <= input_size."""
    try:
        begin, end = spec
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (begin, end) of input indices, got {spec!r}") from None
    begin, end = _checks.integer(begin, f"{name}[0]"), _checks.integer(end, f"{name}[1]")
    if not begin < end <= input_size:
        raise ValueError(f"{name} must be a non-empty range [begin, end) inside the {input_size} "
                         f"inputs, got {spec!r}")
    return begin, end


class Task:
    """A task: input size, the two subsets [begin, end), the operation, the two ranges, and the
    rule of its success threshold (one of THRESHOLD_RULES). The rule "published" measures the
    nearly perfect model on ``threshold_subsets``, the subsets of the published analysis' own
    simulation (which are not the dataset's: see verdicts.success_threshold)."""

    def __init__(self, op: str, input_size: int, a: Tuple[int, int], b: Tuple[int, int],
                 interpolation: RangeLike, extrapolation: RangeLike, seed: int,
                 threshold_rule: str = "weights",
                 threshold_subsets: Optional[Tuple[Tuple[int, int], Tuple[int, int]]] = None) -> None:
        self.op = _checks.choice(op, "op", OPS)
        self.threshold_rule = _checks.choice(threshold_rule, "threshold_rule", THRESHOLD_RULES)
        self.input_size = _checks.positive(input_size, "input_size")
        self.a, self.b = _subset(a, "a", self.input_size), _subset(b, "b", self.input_size)
        if (threshold_rule == "published") != (threshold_subsets is not None):
            raise ValueError("threshold_subsets are given with the rule 'published', and only with it")
        self.threshold_subsets = None if threshold_subsets is None else (
            _subset(threshold_subsets[0], "threshold_subsets[0]", self.input_size),
            _subset(threshold_subsets[1], "threshold_subsets[1]", self.input_size))
        self.interpolation = as_intervals(interpolation, "interpolation")
        self.extrapolation = as_intervals(extrapolation, "extrapolation")
        self.seed = _checks.seed(seed)
        if op == "sqrt" and min(lo for lo, _ in self.interpolation + self.extrapolation) < 0:
            raise ValueError("op 'sqrt' needs non-negative ranges (a = sum of x would go negative)")

    def largest_value(self) -> float:
        """An upper bound of |x|, |a|, |b| and |t| over both ranges (for ÷ the bound of |a|: its
        denominator can come near 0 inside a range, whatever the dtype)."""
        x_max = max(max(abs(lo), abs(hi)) for lo, hi in self.interpolation + self.extrapolation)
        a_max = x_max * (self.a[1] - self.a[0])
        b_max = x_max * (self.b[1] - self.b[0])
        t_max = {"add": a_max + b_max, "sub": a_max + b_max, "mul": a_max * b_max, "div": a_max,
                 "square": a_max * a_max, "sqrt": float(np.sqrt(a_max))}[self.op]
        return max(x_max, a_max, b_max, t_max)

    def check_dtype(self, dtype: DTypeLike) -> None:
        """ValueError when the task's values can leave the range of ``dtype`` (they would turn
        into inf and NaN): ranges of 1e30 are fine in float64, not in float32."""
        resolved = as_float_dtype(dtype)
        bound = self.largest_value()
        if not bound <= float(np.finfo(resolved).max):
            raise ValueError(f"this task's values reach about {bound:.3g}, beyond the range of {resolved} "
                             f"({float(np.finfo(resolved).max):.3g}); use float64 or smaller ranges")

    def _rows(self, stream: int, intervals: Tuple[Interval, ...], first_row: int, rows: int,
              dtype: DTypeLike) -> Tuple[np.ndarray, np.ndarray]:
        self.check_dtype(dtype)
        rows = _checks.integer(rows, "n")
        return _core.task_rows(self.input_size, self.a, self.b, self.op, list(intervals), self.seed,
                               stream, first_row, rows, str(as_float_dtype(dtype)))

    def batch(self, step: int, batch_size: int, dtype: DTypeLike = "float32") -> Tuple[np.ndarray, np.ndarray]:
        """Training rows of one step: (x (batch_size, input_size), t (batch_size, 1)), fresh each step."""
        step, batch_size = _checks.integer(step, "step"), _checks.positive(batch_size, "batch_size")
        return self._rows(TRAIN_STREAM, self.interpolation, step * batch_size, batch_size, dtype)

    def validation(self, n: int = 10_000, dtype: DTypeLike = "float32") -> Tuple[np.ndarray, np.ndarray]:
        """The fixed interpolation set."""
        return self._rows(VALIDATION_STREAM, self.interpolation, 0, n, dtype)

    def test(self, n: int = 10_000, dtype: DTypeLike = "float32") -> Tuple[np.ndarray, np.ndarray]:
        """The fixed extrapolation set."""
        return self._rows(TEST_STREAM, self.extrapolation, 0, n, dtype)

    def target(self, x: np.ndarray) -> np.ndarray:
        """t for given rows x, in NumPy float64 (a check of the generator)."""
        x = np.asarray(x, dtype=np.float64)
        a = x[:, self.a[0]:self.a[1]].sum(axis=1)
        b = x[:, self.b[0]:self.b[1]].sum(axis=1)
        return np.asarray({"add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "square": a * a,
                           "sqrt": np.sqrt(a)}[self.op])

    def to_dict(self) -> Dict[str, Any]:
        """Plain data (JSON-serialisable) that rebuilds this task with :func:`task_from_dict`
        (the threshold rule only when it is not the default, so that older descriptions, and the
        run ids made from them, stay as they were)."""
        d = {"kind": "Task", "op": self.op, "input_size": self.input_size, "a": list(self.a),
             "b": list(self.b), "interpolation": [list(i) for i in self.interpolation],
             "extrapolation": [list(i) for i in self.extrapolation], "seed": self.seed}
        if self.threshold_rule != THRESHOLD_RULES[0]:
            d["threshold_rule"] = self.threshold_rule
        if self.threshold_subsets is not None:
            d["threshold_subsets"] = [list(r) for r in self.threshold_subsets]
        if DATA_VERSION != 1:
            d["data_version"] = DATA_VERSION
        return d

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(op={self.op!r}, input_size={self.input_size}, a={self.a}, "
                f"b={self.b}, interpolation={self.interpolation}, extrapolation={self.extrapolation}, "
                f"seed={self.seed}, threshold_rule={self.threshold_rule!r})")


def published_subsets(input_size: int, subset_ratio: float, overlap_ratio: float) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """The subsets of Madsen & Johansen's threshold simulation (stable-nalu
    export/function_task_static_mse_expectation.r, which wrote the published thresholds): with
    s = floor(subset_ratio · n) and o = floor(overlap_ratio · s), R's inclusive ``W[a.start:a.end]``
    with a.end = a.start + s and b.start = a.end − o puts s + 1 weights in each subset, o + 1
    shared: 26 and 13 of 100 inputs, where the dataset has 25 and 12. As 0-based [begin, end) from
    the first input (the inputs are exchangeable, so the place does not matter)."""
    s = int(math.floor(subset_ratio * input_size))
    o = int(math.floor(overlap_ratio * s))
    if 2 * s - o + 1 > input_size:
        raise ValueError(f"the published simulation's subsets of {s + 1} sharing {o + 1} do not fit in {input_size} inputs")
    return (0, s + 1), (s - o, 2 * s - o + 1)


class ArithmeticTask(Task):
    """The static arithmetic protocol of Madsen & Johansen 2020: x in R^input_size, a and b sums
    of two subsets of subset_ratio·input_size elements that share overlap_ratio of them, placed at
    an offset fixed by the seed; t = a ∘ b."""

    def __init__(self, op: str, *, input_size: int = 100, subset_ratio: float = 0.25,
                 overlap_ratio: float = 0.5, interpolation: RangeLike = (1.0, 2.0),
                 extrapolation: RangeLike = (2.0, 6.0), seed: int = 0, threshold_rule: str = "weights") -> None:
        n = _checks.positive(input_size, "input_size")
        subset_ratio = _checks.real(subset_ratio, "subset_ratio")
        overlap_ratio = _checks.real(overlap_ratio, "overlap_ratio")
        # overlap_ratio 1: b is a's subset (a · a on ×), as the published overlap study runs it
        # (stable-nalu lfs_batch_jobs/function_task_static_mul_overlap.sh)
        if not (0.0 < subset_ratio <= 1.0 and 0.0 <= overlap_ratio <= 1.0):
            raise ValueError(f"need 0 < subset_ratio <= 1 and 0 <= overlap_ratio <= 1, got {subset_ratio}, {overlap_ratio}")
        size = max(1, int(round(subset_ratio * n)))
        overlap = int(overlap_ratio * size)           # 0.5 of 25 → 12 shared elements
        span = 2 * size - overlap
        if span > n:
            raise ValueError(f"two subsets of {size} sharing {overlap} do not fit in {n} inputs")
        offset = int(np.random.default_rng([_checks.seed(seed), 0x5EED]).integers(0, n - span + 1))
        self.subset_ratio, self.overlap_ratio = float(subset_ratio), float(overlap_ratio)
        super().__init__(op, n, (offset, offset + size), (offset + size - overlap, offset + span),
                         interpolation, extrapolation, seed, threshold_rule,
                         published_subsets(n, subset_ratio, overlap_ratio) if threshold_rule == "published" else None)


class ToyTask(Task):
    """t = (x1 + x2) · (x1 + x2 + x3 + x4): four inputs, a = x1 + x2, b = x1 + … + x4."""

    def __init__(self, *, interpolation: RangeLike = (1.0, 2.0), extrapolation: RangeLike = (2.0, 6.0),
                 seed: int = 0, threshold_rule: str = "weights") -> None:
        # the published simulation's "simple" case has the dataset's own subsets, x1..x2 and x1..x4
        super().__init__("mul", 4, (0, 2), (0, 4), interpolation, extrapolation, seed, threshold_rule,
                         ((0, 2), (0, 4)) if threshold_rule == "published" else None)


class SingleModuleTask(Task):
    """Two inputs, t = a ∘ b with a = x1, b = x2: the single-module benchmark of Mistry, Farrahi &
    Hare (bmistry4/nalm-benchmark), judged by its threshold rule ("output": docs/protocols.md).
    Its nine published (interpolation, extrapolation) pairs are ``SingleModuleTask.RANGES``."""

    RANGES: Tuple[Tuple[RangeLike, RangeLike], ...] = (
        ((-20.0, -10.0), (-40.0, -20.0)),
        ((-2.0, -1.0), (-6.0, -2.0)),
        ((-1.2, -1.1), (-6.1, -1.2)),
        ((-0.2, -0.1), (-2.0, -0.2)),
        ((-2.0, 2.0), [(-6.0, -2.0), (2.0, 6.0)]),
        ((0.1, 0.2), (0.2, 2.0)),
        ((1.0, 2.0), (2.0, 6.0)),
        ((1.1, 1.2), (1.2, 6.0)),
        ((10.0, 20.0), (20.0, 40.0)),
    )

    def __init__(self, op: str, interpolation: RangeLike, extrapolation: RangeLike, *, seed: int = 0) -> None:
        super().__init__(op, 2, (0, 1), (1, 2), interpolation, extrapolation, seed, threshold_rule="output")


def task_from_dict(d: Dict[str, Any]) -> Task:
    """The task that :meth:`Task.to_dict` described."""
    if d.get("kind") != "Task":
        raise ValueError(f"not a task description: {d!r}")
    version = d.get("data_version", 1)
    if version != DATA_VERSION:
        raise ValueError(f"this task description is of task data version {version!r}; this nalu_ext "
                         f"generates version {DATA_VERSION}, whose data differ: its runs cannot be "
                         "reproduced or resumed here")
    subsets = d.get("threshold_subsets")
    return Task(d["op"], d["input_size"], tuple(d["a"]), tuple(d["b"]),
                [tuple(i) for i in d["interpolation"]], [tuple(i) for i in d["extrapolation"]], d["seed"],
                d.get("threshold_rule", THRESHOLD_RULES[0]),
                None if subsets is None else (tuple(subsets[0]), tuple(subsets[1])))
