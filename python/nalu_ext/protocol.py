"""Training on the benchmark tasks and judging a run the way the literature does.

`train_task` trains on fresh rows of a task every step (the loop of `fit`, run in C++, with the
task's generator as its data source), logs the interpolation (validation) and extrapolation (test) MSE after each
chunk, and judges the run: it succeeds when its final extrapolation MSE is below the MSE of a
"nearly perfect" model whose first-layer weights are all off by ε = 1e-5 from the exact solution
(`success_threshold`, computed once per task and cached).

The published analysis judged a different model: among the last 5000 logged ones, the one with the
lowest validation MSE (Madsen & Johansen's export/function_task_static.r, `best.range = 5000`, the
version that wrote the paper's table; with its log every 1000 steps that is any model of a
5·10⁶-step run). `published_selection` applies that rule to the logged curves; a RunResult carries
both verdicts and the sparsity error of both models, and a sweep's summary can be made under
either (`judge="final"` or `"published"`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union, cast

import numpy as np

from . import _checks, _core
from ._types import LossName
from .layers import Layer
from .model import Sequential, as_sequential, check_optimizer
from .optim import Optimizer
from .tasks import Task
from .train import LoopRunner

EPSILON = 1e-5
_THRESHOLDS: Dict[Tuple[str, float, int], float] = {}


def success_threshold(task: Task, epsilon: float = EPSILON, n_test: int = 10_000) -> float:
    """Test MSE of the nearly perfect model: its first layer has 1 - ε on the two subsets and ε
    everywhere else (every weight ε from the exact solution, towards the inside of its range, as
    in Madsen & Johansen's export/function_task_static_mse_expectation.r), the rest is exact.
    float64, cached per task.

    Parameters
    ----------
    task : Task
    epsilon : float
        How far each weight of the nearly perfect model is from the exact solution.
    n_test : int
        Rows of the test set.

    Returns
    -------
    float
    """
    key = (json.dumps(task.to_dict(), sort_keys=True), float(epsilon), int(n_test))
    if key not in _THRESHOLDS:
        x, t = task.test(n_test, "float64")
        total = x.sum(axis=1)
        a = x[:, task.a[0]:task.a[1]].sum(axis=1)
        b = x[:, task.b[0]:task.b[1]].sum(axis=1)
        a_eps = (1.0 - epsilon) * a + epsilon * (total - a)
        b_eps = (1.0 - epsilon) * b + epsilon * (total - b)
        with np.errstate(all="ignore"):
            near = {"add": a_eps + b_eps, "sub": a_eps - b_eps, "mul": a_eps * b_eps,
                    "div": a_eps / b_eps, "square": a_eps * a_eps, "sqrt": np.sqrt(a_eps)}[task.op]
        _THRESHOLDS[key] = float(np.mean((near - t[:, 0]) ** 2))
    return _THRESHOLDS[key]


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


def sparsity_error(model: Union[Sequential, Layer]) -> float:
    """max over every weight of min(|W|, |1 - |W||): 0 when all weights are in {-1, 0, 1}.

    Parameters
    ----------
    model : Sequential or Layer
        Measured on each unit's :meth:`Layer.effective_weights`.

    Returns
    -------
    float
    """
    seq = as_sequential(model)
    return float(max(np.max(np.minimum(np.abs(w), np.abs(1.0 - np.abs(w))))
                     for layer in seq.layers for w in layer.effective_weights()))


@dataclass
class RunResult:
    """One run on one task: the logged curves and the verdict (what :func:`train_task` returns).

    Parameters
    ----------
    steps, logged_steps, interpolation_mse, extrapolation_mse, train_loss, success, solved_at, sparsity_error, threshold, test_mse, diverged, seconds, selected_step, selected_test_mse, selected_success, selected_sparsity_error, sparsity_error_curve
        As the comments of the fields say: the steps done, the logged curves, the final verdict,
        and the published analysis' verdict (see :func:`published_selection`).
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


def _mse(model: Sequential, x: np.ndarray, t: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.mean((model.predict(x).astype(np.float64) - t.astype(np.float64)) ** 2))


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


def train_task(model: Union[Sequential, Layer], task: Task, optimizer: Optimizer, *, steps: int,
               batch_size: int = 128, log_every: int = 1000, stop_when_solved: bool = False,
               progress: bool = False, loss: LossName = "mse", n_eval: int = 10_000,
               stop: Optional[threading.Event] = None) -> RunResult:
    """Train ``model`` on ``task`` for ``steps`` steps of fresh rows; see the module docstring.

    The loop runs in C++ in chunks of about 0.05-0.2 s whatever ``log_every`` is, so Ctrl-C is
    answered promptly, and so is ``stop``: when that event is set (from another thread), training
    stops after the current chunk and :class:`nalu_ext.errors.Interrupted` is raised. Either way
    the model keeps the parameters of its last applied step. A step whose loss or update is not
    finite ends the run (``RunResult.diverged``) without being applied.

    Parameters
    ----------
    model : Sequential, Layer or torch.nn.Module
        in_features = task.input_size, out_features = 1. A PyTorch model is trained in a Python
        loop on the same data and judged alike (with a torch optimizer; nalu_ext.torch's module
        docstring says what the loop asks of it).
    task : Task
        ArithmeticTask, ToyTask or SingleModuleTask.
    optimizer : Optimizer or torch.optim.Optimizer
        Built on the model's parameters().
    steps : int
    batch_size : int
        Rows per step (default 128).
    log_every : int
        Steps between evaluations (default 1000).
    stop_when_solved : bool
        End at the first log that meets the success criterion.
    progress : bool
        Show a tqdm bar.
    loss : "mse" or "sse"
    n_eval : int
        Rows of the validation and test sets (default 10^4).
    stop : threading.Event, optional
        Set from another thread to end the run (:class:`nalu_ext.errors.Interrupted`).

    Returns
    -------
    RunResult
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):  # a PyTorch model: the Python loop
        if loss != "mse":
            raise ValueError(f"a PyTorch model is trained on the MSE loss, got loss={loss!r}")
        from ._torch_protocol import train_task as train_torch_task

        return train_torch_task(model, task, cast(Any, optimizer), steps=steps, batch_size=batch_size, log_every=log_every,
                                stop_when_solved=stop_when_solved, progress=progress, n_eval=n_eval, stop=stop)
    seq = as_sequential(model)
    check_optimizer(seq, optimizer)
    steps = _checks.integer(steps, "steps")
    log_every = _checks.positive(log_every, "log_every")
    batch_size = _checks.positive(batch_size, "batch_size")
    n_eval = _checks.positive(n_eval, "n_eval")
    task.check_dtype(seq.dtype)
    loop = _core.task_loop(seq._impl, optimizer._impl, task.input_size, task.a, task.b, task.op,
                           list(task.interpolation), task.seed, batch_size, loss)
    curves = Curves(success_threshold(task))
    xv, tv = task.validation(n_eval, seq.dtype)
    xt, tt = task.test(n_eval, seq.dtype)
    # one log interval's per-step values, reused: a 5e6-step run keeps its curves per log, not per
    # step; the mean is taken over the whole interval, so it does not depend on the chunking
    interval = min(log_every, steps)
    losses, regs = np.empty(interval), np.empty(interval)
    diverged = False
    runner = LoopRunner(loop, steps, progress, stop)
    try:
        while runner.done < steps:
            first = runner.done
            end = min(first + log_every, steps)
            if runner.run_until(end, losses, regs, first) is not None:
                diverged = True
                break
            solved = curves.log(end, float(np.mean(losses[:end - first])), _mse(seq, xv, tv),
                                _mse(seq, xt, tt), sparsity_error(seq))
            if solved and stop_when_solved:
                break
    finally:
        runner.close()
    return curves.result(runner.done, diverged, sparsity_error(seq), lambda: _mse(seq, xt, tt))
