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

import sys
import threading
from typing import Any, Optional, Union, cast

import numpy as np

from .. import _checks, _core
from .._types import LossName
from ..layers import Layer
from ..model import Sequential, as_sequential, check_optimizer
from ..optim import Optimizer
from ..train import LoopRunner
from .tasks import Task
from .training_rules import ActiveRules, RegularizeWhen, Reinitialise
from .verdicts import (EPSILON, SELECTION_WINDOW, Curves, RunResult, published_selection, success_threshold,
                       weights_sparsity_error)

__all__ = ["EPSILON", "SELECTION_WINDOW", "Curves", "RunResult", "published_selection", "success_threshold",
           "sparsity_error", "train_task"]

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
    return weights_sparsity_error([w for layer in as_sequential(model).layers for w in layer.effective_weights()])


# Rows per evaluation chunk: a multiple of every kernel's block of rows (2, 4, and the 16 float32
# lanes of AVX-512), so that each row's output is the same bits as in one call over the whole set.
_EVAL_CHUNK_ROWS = 512


def _rows_are_batch_independent(model: Sequential) -> bool:
    """True when model.predict gives every row the same bits whatever the batch it is in: in
    evaluation mode (the sNMU's noise is off), when no layer has both at least
    _core.BLAS_MIN_DIMENSION inputs and outputs (BLAS, whose use depends on the batch, takes only
    products with every dimension that large)."""
    return all(not layer.training and min(layer.in_features, layer.out_features) < _core.BLAS_MIN_DIMENSION
               for layer in model.layers)


def _predict(model: Sequential, x: np.ndarray) -> np.ndarray:
    """model.predict(x), in chunks of _EVAL_CHUNK_ROWS rows where that gives the same bits: a chunk's
    work arrays stay in the cache, where the whole set's (the 10⁴-row validation and test sets)
    would go out to memory and back."""
    if len(x) <= _EVAL_CHUNK_ROWS or not _rows_are_batch_independent(model):
        return model.predict(x)
    return np.concatenate([model.predict(x[i:i + _EVAL_CHUNK_ROWS]) for i in range(0, len(x), _EVAL_CHUNK_ROWS)])


def _mse(model: Sequential, x: np.ndarray, t: np.ndarray) -> float:
    """The MSE of the model in evaluation mode (each layer's mode is restored after)."""
    with model.evaluating(), np.errstate(all="ignore"):
        return float(np.mean((_predict(model, x).astype(np.float64) - t.astype(np.float64)) ** 2))


def train_task(model: Union[Sequential, Layer], task: Task, optimizer: Optimizer, *, steps: int,
               batch_size: int = 128, log_every: int = 1000, stop_when_solved: bool = False,
               progress: bool = False, loss: LossName = "mse", n_eval: int = 10_000,
               stop: Optional[threading.Event] = None, reinit: Optional[Reinitialise] = None,
               regularize_when: Optional[RegularizeWhen] = None) -> RunResult:
    """Train ``model`` on ``task`` for ``steps`` steps of fresh rows; see the module docstring.

    The loop runs in C++ in chunks of about 0.05-0.2 s whatever ``log_every`` is, so Ctrl-C is
    answered promptly, and so is ``stop``: when that event is set (from another thread), training
    stops after the current chunk and :class:`nalu_ext.errors.Interrupted` is raised. Either way
    the model keeps the parameters of its last applied step. A step whose loss or update is not
    finite ends the run (``RunResult.diverged``) without being applied. The steps run in the
    layers' mode as given (a new layer is in training mode); the validation and test errors are
    measured in evaluation mode (:meth:`Layer.train`).

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
    reinit : nalu_ext.benchmark.training_rules.Reinitialise, optional
        Re-draw the parameters when the validation error stagnates (the iNALU's training);
        ``RunResult.restarts`` lists the steps after which it did.
    regularize_when : nalu_ext.benchmark.training_rules.RegularizeWhen, optional
        Apply the layers' regularizer only while the validation error is small (the iNALU's).

    Returns
    -------
    RunResult
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):  # a PyTorch model: the Python loop
        if reinit is not None or regularize_when is not None:
            raise ValueError("reinit and regularize_when are for nalu_ext models, not PyTorch ones")
        if loss != "mse":
            raise ValueError(f"a PyTorch model is trained on the MSE loss, got loss={loss!r}")
        from .torch_runs import train_torch_model

        return train_torch_model(model, task, cast(Any, optimizer), steps=steps, batch_size=batch_size, log_every=log_every,
                                stop_when_solved=stop_when_solved, progress=progress, n_eval=n_eval, stop=stop)
    seq = as_sequential(model)
    check_optimizer(seq, optimizer)
    rules = None if reinit is None and regularize_when is None else ActiveRules(seq, reinit, regularize_when)
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
    validation = _mse(seq, xv, tv) if rules is not None else float("nan")  # the rules' log before training
    try:
        while runner.done < steps:
            first = runner.done
            end = min(first + log_every, steps)
            divergence = (runner.run_until(end, losses, regs, first) if rules is None
                          else rules.run_interval(runner, end, losses, regs, first, validation))
            if divergence is not None:
                diverged = True
                break
            validation = _mse(seq, xv, tv)
            solved = curves.log(end, float(np.mean(losses[:end - first])), validation,
                                _mse(seq, xt, tt), sparsity_error(seq))
            if solved and stop_when_solved:
                break
    finally:
        runner.close()
    result = curves.result(runner.done, diverged, sparsity_error(seq), lambda: _mse(seq, xt, tt))
    if rules is not None:
        result.restarts = list(rules.restarts)
    return result
