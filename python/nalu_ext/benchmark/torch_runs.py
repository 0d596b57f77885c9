"""The benchmark protocol for PyTorch models (used through :mod:`nalu_ext.torch`): a Python loop
over exactly the C++ task data of a compiled run, the same validation and test sets, logs and
verdicts (protocol.Curves), the same RunResult and results-file records. A new unit written in
PyTorch is so judged beside the compiled ones on the same seeds and criterion.

What the loop asks of a model (all optional, after stable-nalu's training loop):
``model.regularizer(step)``, a term added to the loss at that step (e.g. λ(t)·R; or None); the
compiled units inside it (nalu_ext.torch units) add λ(t)·R on their own layers' schedules;
``model.after_update()``, called after each optimizer step (e.g. clamping weights), besides the
compiled units' own; ``model.effective_weights()``, the arrays the sparsity error is measured on
(default: the compiled units' effective weights, else every parameter of two or more dimensions).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from .. import _checks
from .._types import DTypeName
from ..errors import Interrupted
from ..layers import Scheduled
from ..torch import Unit, after_update  # first: without PyTorch, nalu_ext.torch's clear ImportError
import torch  # noqa: E402
from .results_file import run_id
from .tasks import Task, task_from_dict
from .verdicts import Curves, RunResult, success_threshold, weights_sparsity_error

OPTIMIZERS = ("Adam", "SGD", "RMSprop")  # the torch.optim classes a run specification may name

_DTYPES: Dict["torch.dtype", DTypeName] = {torch.float32: "float32", torch.float64: "float64"}


def _dtype_of(model: "torch.nn.Module") -> DTypeName:
    dtypes = {p.dtype for p in model.parameters()}
    if len(dtypes) != 1 or next(iter(dtypes)) not in _DTYPES:
        raise TypeError(f"the model's parameters must all be float32 or all float64, got {sorted(map(str, dtypes))}")
    return _DTYPES[next(iter(dtypes))]


def _weights(model: "torch.nn.Module") -> List[np.ndarray]:
    own = _method(model, "effective_weights")
    if own is not None:
        return [np.asarray(w.detach().numpy() if isinstance(w, torch.Tensor) else w, dtype=np.float64)
                for w in own()]
    units = [m for m in model.modules() if isinstance(m, Unit)]
    if units:
        return [w for u in units for w in u.layer.effective_weights()]
    return [p.detach().numpy().astype(np.float64) for p in model.parameters() if p.dim() >= 2]


def _sparsity(model: "torch.nn.Module") -> float:
    return weights_sparsity_error(_weights(model))


def _method(model: "torch.nn.Module", name: str) -> Optional[Callable[..., Any]]:
    """A model's own method of the loop's protocol (not a compiled unit's, which the loop calls
    itself), or None."""
    method = getattr(model, name, None)
    return method if callable(method) and not isinstance(model, Unit) else None


def _regularizer(model: "torch.nn.Module", step: int) -> Optional["torch.Tensor"]:
    terms = [u.layer.regularizer_weight(step) * u.regularizer() for u in model.modules()
             if isinstance(u, Unit) and isinstance(u.layer, Scheduled) and u.layer.regularizer_weight(step) > 0]
    own = _method(model, "regularizer")
    term = own(step) if own is not None else None
    if term is not None:
        terms.append(term)
    return sum(terms[1:], terms[0]) if terms else None


def train_torch_model(model: "torch.nn.Module", task: Task, optimizer: "torch.optim.Optimizer", *, steps: int,
               batch_size: int = 128, log_every: int = 1000, stop_when_solved: bool = False,
               progress: bool = False, n_eval: int = 10_000, stop: Optional[threading.Event] = None) -> RunResult:
    """:func:`nalu_ext.benchmark.train_task` for a PyTorch model (see the module docstring): MSE loss, the
    task's C++ batches as tensors, one optimizer step per batch. A step whose loss is not finite
    is not taken, and one that makes a parameter non-finite is undone; either ends the run as
    diverged with the last good parameters."""
    steps = _checks.integer(steps, "steps")
    log_every = _checks.positive(log_every, "log_every")
    batch_size = _checks.positive(batch_size, "batch_size")
    dtype = _dtype_of(model)
    task.check_dtype(dtype)
    curves = Curves(success_threshold(task))
    xv, tv = (torch.from_numpy(a) for a in task.validation(n_eval, dtype))
    xt, tt = (torch.from_numpy(a) for a in task.test(n_eval, dtype))

    def mse(x: "torch.Tensor", t: "torch.Tensor") -> float:
        """In evaluation mode (model.eval()), as the compiled protocol; the mode is restored after."""
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return float(((model(x).double() - t.double()) ** 2).mean())
        finally:
            model.train(was_training)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, unit="step", dynamic_ncols=True)
    done, diverged, losses = 0, False, []
    params = list(model.parameters())
    try:
        while done < steps:
            if stop is not None and stop.is_set():
                raise Interrupted(f"train_task stopped after {done} of {steps} steps")
            x, t = (torch.from_numpy(a) for a in task.batch(done, batch_size, dtype))
            loss = ((model(x) - t) ** 2).mean()
            reg = _regularizer(model, done)
            total = loss if reg is None else loss + reg
            if not torch.isfinite(total):
                diverged = True
                break
            optimizer.zero_grad()
            total.backward()
            before = [p.detach().clone() for p in params]
            optimizer.step()
            if not all(bool(torch.isfinite(p).all()) for p in params):  # keep the last good parameters
                with torch.no_grad():
                    for p, old in zip(params, before):
                        p.copy_(old)
                diverged = True
                break
            after_update(model)
            own_after_update = _method(model, "after_update")
            if own_after_update is not None:
                own_after_update()
            losses.append(loss.detach().item())
            done += 1
            if bar is not None:
                bar.update(1)
            if done % log_every == 0 or done == steps:
                solved = curves.log(done, float(np.mean(losses)), mse(xv, tv), mse(xt, tt), _sparsity(model))
                losses = []
                if solved and stop_when_solved:
                    break
    finally:
        if bar is not None:
            bar.close()
    return curves.result(done, diverged, _sparsity(model), lambda: mse(xt, tt))


def execute(spec: Dict[str, Any], stop: Optional[threading.Event] = None) -> Dict[str, Any]:
    """Runs a specification of :func:`make_run` (as :func:`nalu_ext.benchmark.sweeps.execute` does a
    compiled one)."""
    task = task_from_dict(spec["task"])
    torch.set_num_threads(1)  # one run per core, as the compiled runs: a sweep runs several at once
    torch.manual_seed(spec["seed"])
    model = resolve(spec["factory"])(task.input_size, seed=spec["seed"], **spec["kwargs"])
    optimizer = getattr(torch.optim, spec["optimizer"]["kind"])(model.parameters(), lr=spec["optimizer"]["lr"])
    result = train_torch_model(model, task, optimizer, steps=spec["steps"], batch_size=spec["batch_size"],
                        log_every=spec["log_every"], stop=stop)
    return {"id": run_id(spec), "spec": spec, "status": "ok", "result": result.to_dict()}


def factory_name(factory: Callable[..., Any]) -> str:
    """'module:qualified.name' of a module-level function or class (what a specification records)."""
    module, name = getattr(factory, "__module__", None), getattr(factory, "__qualname__", "")
    try:
        found = module and name and "<" not in name and resolve(f"{module}:{name}") is factory
    except (ImportError, AttributeError):
        found = False
    if not found:
        raise ValueError(f"the factory must be a module-level function or class, importable by name; got {factory!r}")
    return f"{module}:{name}"


def resolve(name: str) -> Callable[..., Any]:
    """The callable that :func:`factory_name` named."""
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    factory: Callable[..., Any] = obj
    return factory


def make_run(factory: Callable[..., Any], task: Task, *, seed: int, steps: int, family: Optional[str] = None,
             kwargs: Optional[Dict[str, Any]] = None, optimizer: str = "Adam", lr: float = 1e-3,
             batch_size: int = 128, log_every: int = 1000) -> Dict[str, Any]:
    """A run specification of a PyTorch model: plain data like :func:`nalu_ext.benchmark.make_run`'s.
    ``factory(task.input_size, seed=seed, **kwargs)`` builds the model (after
    ``torch.manual_seed(seed)``); ``family`` names its rows in summaries (default: the factory's
    name)."""
    if not isinstance(task, Task):
        raise TypeError(f"task must be a nalu_ext.benchmark.tasks.Task, got {type(task).__name__}")
    name = factory_name(factory)
    return {
        "family": family or name.rpartition(":")[2], "factory": name, "kwargs": dict(kwargs or {}),
        "task": task.to_dict(), "seed": _checks.integer(seed, "seed", maximum=None),
        "steps": _checks.integer(steps, "steps"),
        "optimizer": {"kind": _checks.choice(optimizer, "optimizer", OPTIMIZERS), "lr": _checks.real(lr, "lr", minimum=0.0)},
        "batch_size": _checks.positive(batch_size, "batch_size"), "log_every": _checks.positive(log_every, "log_every"),
    }
