"""How a run is judged, the way the literature does (Madsen & Johansen 2020), whatever trained it:
the success threshold of a task, the published analysis' selection of a logged model, the curves
a run logs and the RunResult made from them. The compiled loop (protocol.train_task) and the
Python loop of PyTorch models (torch_runs.py) both build on it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .tasks import Task

def weights_sparsity_error(weights: Sequence[np.ndarray]) -> float:
    """max over every weight of min(|W|, |1 − |W||): 0 when all weights are in {−1, 0, 1}; NaN
    when there are none."""
    if not weights:
        return float("nan")
    return float(max(np.max(np.minimum(np.abs(w), np.abs(1.0 - np.abs(w)))) for w in weights))


EPSILON = 1e-5
# the single-module benchmark's ε and sample count (nalm-benchmark's
# export/single_layer_task/benchmark/generate_exp_thresholds.r: 1e-4, 10^6 samples)
OUTPUT_EPSILON = 1e-4
OUTPUT_SAMPLES = 1_000_000
_THRESHOLDS: Dict[Tuple[str, float, int], float] = {}


def success_threshold(task: Task, epsilon: Optional[float] = None, n_test: Optional[int] = None) -> float:
    """The MSE below which a run counts as a success, by the task's ``threshold_rule``:

    - ``"weights"`` (Madsen & Johansen; export/function_task_static_mse_expectation.r): the test
      MSE of the nearly perfect model, whose first layer has 1 - ε on the two subsets and ε
      everywhere else (every weight ε from the exact solution, towards the inside of its range),
      the rest exact; ε = 1e-5 on the 10⁴ rows of the test set.
    - ``"output"`` (Mistry, Farrahi & Hare's single-module benchmark; its
      generate_exp_thresholds.r): the MSE of an output off by a relative ε on every input,
      t_ε − t = −ε Σ|x| for + and −, ((1 − ε)² − 1) t for ×, ((1 − ε)/(1 + ε) − 1) t for ÷, times
      Π(1 − ε|x_i|) over inputs outside both subsets for × and ÷; ε = 1e-4 over 10⁶ rows of
      the extrapolation range (the test stream's first 10⁶ rows; the script drew 10⁶ samples).
      z² and √z, which that benchmark does not run, take the "weights" rule.
    - ``"published"`` (the thresholds Madsen & Johansen's tables were judged by: stable-nalu
      export/function_task_static_mse_expectation.r, in paper/results/sft-last.csv): the
      "weights" rule measured on the simulation's own subsets (``task.threshold_subsets``: R's
      inclusive ranges, 26 of 100 inputs where the dataset has 25), with its ε = 1e-5, over 10⁶
      rows of the extrapolation range (the test stream's first 10⁶; the script drew 10⁶ samples).
      The nearly perfect and the exact model are both evaluated there, as the script does.

    float64, cached per task.

    Parameters
    ----------
    task : Task
    epsilon : float, optional
        ε of the rule (default 1e-5, or 1e-4 for "output").
    n_test : int, optional
        Rows it is measured on (default 10⁴, or 10⁶ for "output").

    Returns
    -------
    float
    """
    output_rule = task.threshold_rule == "output" and task.op in ("add", "sub", "mul", "div")
    published = task.threshold_rule == "published"
    epsilon = float((OUTPUT_EPSILON if output_rule else EPSILON) if epsilon is None else epsilon)
    n_test = int((OUTPUT_SAMPLES if output_rule or published else 10_000) if n_test is None else n_test)
    key = (json.dumps(task.to_dict(), sort_keys=True), epsilon, n_test)
    if key not in _THRESHOLDS:
        x, t = task.test(n_test, "float64")
        with np.errstate(all="ignore"):
            if output_rule:
                error = _output_error(task, x, t[:, 0], epsilon)
            elif published:
                assert task.threshold_subsets is not None
                a, b = task.threshold_subsets
                error = _weights_error(task.op, x, a, b, epsilon) - _weights_error(task.op, x, a, b, 0.0)
            else:
                error = _weights_error(task.op, x, task.a, task.b, epsilon) - t[:, 0]
        _THRESHOLDS[key] = float(np.mean(error ** 2))
    return _THRESHOLDS[key]


def _weights_error(op: str, x: np.ndarray, a_range: Tuple[int, int], b_range: Tuple[int, int],
                   epsilon: float) -> np.ndarray:
    """The output of the nearly perfect model on subsets a_range, b_range, by the "weights" rule:
    1 − ε on each subset, ε everywhere else (ε = 0: the exact model)."""
    total = x.sum(axis=1)
    a = x[:, a_range[0]:a_range[1]].sum(axis=1)
    b = x[:, b_range[0]:b_range[1]].sum(axis=1)
    a_eps = (1.0 - epsilon) * a + epsilon * (total - a)
    b_eps = (1.0 - epsilon) * b + epsilon * (total - b)
    return np.asarray({"add": a_eps + b_eps, "sub": a_eps - b_eps, "mul": a_eps * b_eps,
                       "div": a_eps / b_eps, "square": a_eps * a_eps, "sqrt": np.sqrt(a_eps)}[op])


def _output_error(task: Task, x: np.ndarray, t: np.ndarray, epsilon: float) -> np.ndarray:
    """t_ε − t by the "output" rule (see success_threshold)."""
    if task.op in ("add", "sub"):
        return np.asarray(-epsilon * np.abs(x).sum(axis=1))
    relevant = np.zeros(task.input_size, dtype=bool)
    relevant[task.a[0]:task.a[1]] = relevant[task.b[0]:task.b[1]] = True
    irrelevant = np.prod(1.0 - epsilon * np.abs(x[:, ~relevant]), axis=1)
    factor = (1.0 - epsilon) ** 2 if task.op == "mul" else (1.0 - epsilon) / (1.0 + epsilon)
    return np.asarray(factor * t * irrelevant - t)


# logs the published analysis chooses among (an earlier revision of its script used 100; the one
# behind the paper's table uses 5000, so every log of a 5e6-step run at one log per 1000 steps)
SELECTION_WINDOW = 5000


def published_selection(interpolation_mse: Sequence[float], extrapolation_mse: Sequence[float],
                        threshold: float, window: int = SELECTION_WINDOW) -> Tuple[Optional[int], float, bool]:
    """(index, test MSE, success) of the logged model the published analysis judges: the lowest
    validation MSE among the last `window` logs (the first such on ties), judged on its test MSE.
    (None, nan, False) when nothing was logged. A missing value (None, as results files store
    NaN and infinities, or NaN) is no model to select in the validation curve and no success in
    the test curve."""
    interp = np.asarray(interpolation_mse, dtype=np.float64)
    if interp.size == 0:
        return None, float("nan"), False
    start = max(interp.size - window, 0)
    tail = np.where(np.isnan(interp[start:]), np.inf, interp[start:])
    index = start + int(np.argmin(tail))
    # None (a results file's JSON null) or NaN: a non-finite test MSE, never a success
    test_mse = float(np.asarray(extrapolation_mse, dtype=np.float64)[index])
    return index, test_mse, bool(test_mse < threshold)


@dataclass
class RunResult:
    """One run on one task: the logged curves and the verdict (what :func:`train_task` returns).

    Parameters
    ----------
    steps, logged_steps, interpolation_mse, extrapolation_mse, train_loss, success, solved_at, sparsity_error, threshold, test_mse, diverged, seconds, selected_step, selected_test_mse, selected_success, selected_sparsity_error, sparsity_error_curve, restarts
        As the comments of the fields say: the steps done, the logged curves, the final verdict,
        the published analysis' verdict (see :func:`published_selection`), and the restarts.
    """

    steps: int                          # training steps done
    logged_steps: np.ndarray            # the step after which each entry below was measured
    interpolation_mse: np.ndarray       # validation set (interpolation range)
    extrapolation_mse: np.ndarray       # test set (extrapolation range)
    train_loss: np.ndarray              # mean training loss of the steps since the previous log
    success: bool                       # final test MSE below the threshold
    solved_at: Optional[int]            # first logged step below the threshold, or None
    sparsity_error: float               # of the final model
    threshold: float
    test_mse: float                     # final extrapolation MSE
    diverged: bool = False              # a non-finite loss stopped training
    seconds: float = field(default=0.0, compare=False)
    # the published analysis' verdict (see published_selection): the model it judges, and whether
    # its test MSE is below the threshold
    selected_step: Optional[int] = None
    selected_test_mse: float = float("nan")
    selected_success: bool = False
    selected_sparsity_error: float = float("nan")
    sparsity_error_curve: np.ndarray = field(default_factory=lambda: np.empty(0))  # at each log
    restarts: List[int] = field(default_factory=list)  # steps after which train_task's reinit re-drew the parameters

    def to_dict(self) -> Dict[str, Any]:
        """Plain data (lists, numbers) that strict JSON allows: one line of a sweep's results file.
        NaN and ±inf (a diverged model's MSE, a sparsity not measured) become None (JSON null);
        :meth:`from_dict` reads them back as NaN.

        Returns
        -------
        dict
        """
        return {k: _json_number(v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "RunResult":
        """The RunResult that :meth:`to_dict` wrote (fields added since are given their default)."""
        known = {f.name: f for f in fields(cls)}
        values: Dict[str, Any] = {}
        for name, value in d.items():
            if name not in known:
                continue
            if known[name].type == "np.ndarray":  # the curves; None in them stands for NaN
                value = np.array(value, dtype=np.int64 if name == "logged_steps" else np.float64)
            elif known[name].type == "float" and value is None:
                value = float("nan")
            values[name] = value
        return cls(**values)


def _json_number(value: Any) -> Any:
    """value with every non-finite float (also inside lists) replaced by None."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, list):
        return [_json_number(v) for v in value]
    return value


class Curves:
    """What a run logs, and the RunResult made from it: shared by the compiled loop
    (:func:`train_task`) and the Python loop of PyTorch models (:mod:`nalu_ext.torch`), so both
    are judged alike."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.logged: List[int] = []
        self.train_loss: List[float] = []
        self.interp: List[float] = []
        self.extrap: List[float] = []
        self.sparsity: List[float] = []
        self.solved_at: Optional[int] = None
        self.start = time.perf_counter()

    def log(self, step: int, train_loss: float, interp: float, extrap: float, sparsity: float) -> bool:
        """Records one log; True when it is the first below the threshold."""
        self.logged.append(step)
        self.train_loss.append(train_loss)
        self.interp.append(interp)
        self.extrap.append(extrap)
        self.sparsity.append(sparsity)
        if self.solved_at is None and extrap < self.threshold:
            self.solved_at = step
            return True
        return False

    def result(self, done: int, diverged: bool, final_sparsity: float, final_test_mse: Callable[[], float]) -> RunResult:
        """The run's RunResult: its curves, the final verdict and the published selection's."""
        test_mse = self.extrap[-1] if self.extrap else final_test_mse()
        index, selected_mse, selected_success = published_selection(self.interp, self.extrap, self.threshold)
        return RunResult(done, np.array(self.logged, dtype=np.int64), np.array(self.interp),
                         np.array(self.extrap), np.array(self.train_loss),
                         bool(not diverged and test_mse < self.threshold), self.solved_at, final_sparsity,
                         self.threshold, test_mse, diverged, time.perf_counter() - self.start,
                         None if index is None else self.logged[index], selected_mse, selected_success,
                         float("nan") if index is None else self.sparsity[index], np.array(self.sparsity))
