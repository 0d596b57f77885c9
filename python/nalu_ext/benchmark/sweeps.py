"""Many runs on the benchmark tasks: run specifications as plain data, executed in parallel,
recorded one JSON line each, resumable, summarised per unit × task.

A run specification is a dict (JSON-serialisable, picklable) made by :func:`make_run`; the same
specification always gives the same result, run serially, in threads, or on a Dask cluster
(``executor=client.get_executor()``): the data come from the task's counter-based stream and the
parameters from the seed.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import queue
import sys
import threading
import traceback
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar, Union, overload

from .. import _checks
from .._dtypes import DTypeLike, as_float_dtype
from .._types import JudgeName
from ..errors import Interrupted
from ..optim import OPTIMIZERS
from ..units import UNITS
from . import stats, training_rules
from ._ctrl_c import ctrl_c_as_flag
from .protocol import SELECTION_WINDOW, published_selection, train_task
from .recipes import RECIPES, Recipe
from .results_file import ResultsFileWarning, ResultsWriter, read_results, run_id, warn_problems
from .run_models import FAMILIES as FAMILIES, build_model
from .summaries import is_summary
from .tasks import Task, task_from_dict

# the families of Madsen & Johansen's comparison (their Table 1), the benchmark's default
PUBLISHED_COMPARISON = tuple(name for name, recipe in RECIPES.items() if recipe.published)


def make_run(family: str, task: Task, *, seed: int, steps: int, log_every: int = 1000,
             dtype: DTypeLike = "float32", hidden: Optional[int] = None, lr: Optional[float] = None,
             optimizer: Optional[str] = None, batch_size: Optional[int] = None,
             regularizer: Optional[float] = None, reg_start: Optional[int] = None,
             reg_end: Optional[int] = None, init: Union[None, str, Sequence[str]] = None,
             recipe: Optional[Recipe] = None) -> Dict[str, Any]:
    """A run specification: plain data. Every training setting left at None is the family's
    published recipe (``RECIPES[family]``, docs/protocols.md#recipes): for Madsen & Johansen's
    families their batch scripts' values, e.g. NAU→NAU with λ̂ = 0.01 from step 5000 to 50000 and
    NAU→NMU with λ̂ = 10 from 10⁶ to 2·10⁶, fixed step numbers whatever ``steps`` is. Another
    protocol's recipe (e.g. ``nalu_ext.benchmark.single_module.RECIPES[family]``, one layer) is ``recipe=``.

    Every argument is checked here, so a bad value is an error now, not a failed run later.

    Parameters
    ----------
    family : str
        A unit family's name (``RECIPES[family]`` gives the network and the defaults).
    task : Task
    seed : int
        Seeds the layers (seed·1000 + k for layer k).
    steps, log_every : int
    dtype : "float32" or "float64"
    hidden, batch_size : int, optional
    lr : float, optional
    optimizer : "Adam", "SGD" or "RMSprop", optional
    regularizer : float, optional
        λ̂ of the sparsity regularizer of the layers that take it (NAU, NMU).
    reg_start, reg_end : int, optional
        Its warm-up, in steps.
    init : str or tuple of str, optional
        The initialisation scheme of every layer, or of each (names of the units' ``INITS``).
    recipe : Recipe, optional
        The recipe to default to instead of ``RECIPES[family]``.

    Returns
    -------
    dict
        The run specification (JSON-serialisable).

    Warns
    -----
    RecipeWarning
        When the regularizer's schedule starts, or reaches its full weight, after the run's last
        step (the NMU's published 10⁶ to 2·10⁶ in a shorter run): it names the schedule and how to
        move it.
    """
    family = _checks.choice(family, "family", tuple(FAMILIES))
    if recipe is None:
        recipe = RECIPES[family]
    elif not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a nalu_ext.benchmark.Recipe, got {type(recipe).__name__}")
    if not isinstance(task, Task):
        raise TypeError(f"task must be a nalu_ext.benchmark.tasks.Task, got {type(task).__name__}")
    optimizer = _checks.choice(recipe.optimizer if optimizer is None else optimizer, "optimizer", tuple(OPTIMIZERS))
    steps = _checks.integer(steps, "steps")
    dtype_name = str(as_float_dtype(dtype))
    task.check_dtype(dtype)

    def given(value: Any, default: Any) -> Any:
        return default if value is None else value

    optimizer_spec: Dict[str, Any] = {"kind": optimizer, "lr": _checks.real(given(lr, recipe.lr), "lr", minimum=0.0),
                                      **recipe.optimizer_options}
    for clip in ("clip_value", "clip_norm"):  # only when set: older specs (and their ids) stay as they were
        if getattr(recipe, clip) is not None:
            optimizer_spec[clip] = _checks.real(getattr(recipe, clip), clip, minimum=0.0)
    spec: Dict[str, Any] = {
        "family": family, "task": task.to_dict(),
        "seed": _checks.integer(seed, "seed", maximum=None),  # of the layers: seed·1000 + k
        "steps": steps, "hidden": _checks.positive(given(hidden, recipe.hidden), "hidden"),
        "optimizer": optimizer_spec,
        "batch_size": _checks.positive(given(batch_size, recipe.batch_size), "batch_size"),
        "log_every": _checks.positive(log_every, "log_every"), "dtype": dtype_name,
        "regularizer": {
            "regularizer": _checks.real(given(regularizer, recipe.regularizer), "regularizer", minimum=0.0),
            "reg_start": _checks.integer(given(reg_start, recipe.reg_start), "reg_start"),
            "reg_end": _checks.integer(given(reg_end, recipe.reg_end), "reg_end")},
        "init": _layer_inits(recipe, init),
    }
    if recipe.reg_every:  # the geometric schedule; only then, so that older specs keep their ids
        spec["regularizer"].update(reg_initial=_checks.real(recipe.reg_initial, "reg_initial", minimum=0.0),
                                   reg_growth=_checks.real(recipe.reg_growth, "reg_growth", minimum=0.0),
                                   reg_every=_checks.integer(recipe.reg_every, "reg_every"))
    if tuple(recipe.network) != tuple(FAMILIES[family]):  # another protocol's network
        spec["network"] = list(recipe.network)
    if any(recipe.options):  # the layers' unit options, only when there are any (older ids stay)
        if len(recipe.options) != len(recipe.network):
            raise ValueError(f"the recipe's options must be one dict per layer ({len(recipe.network)}), "
                             f"got {recipe.options!r}")
        spec["options"] = [dict(o) for o in recipe.options]
    if recipe.train_options:  # train_task's rules, only when there are any (older ids stay)
        spec["train_options"] = {name: dict(fields) for name, fields in recipe.train_options.items()}
        if "reinit" in spec["train_options"]:
            spec["train_options"]["reinit"].setdefault("seed", seed)
        training_rules.from_dict(spec["train_options"])  # checked now, not when the run starts
    _warn_if_the_schedule_misses_the_run(family, spec, from_recipe=reg_start is None and reg_end is None)
    return spec


class RecipeWarning(UserWarning):
    """A run whose length leaves part of its recipe out: its regularizer starts, or reaches its
    full weight, after the run's last step (e.g. the NMU's published schedule, 10⁶ to 2·10⁶, in a
    run of 10⁵ steps): the unit is then unlikely to reach the sparse solution its recipe aims at."""


def _warn_if_the_schedule_misses_the_run(family: str, spec: Dict[str, Any], from_recipe: bool) -> None:
    schedule, steps = spec["regularizer"], spec["steps"]
    if not schedule["regularizer"] or "reg_every" in schedule:  # (the NPU's geometric growth has no end)
        return
    start, end = schedule["reg_start"], schedule["reg_end"]
    if start < steps and end <= steps:
        return
    whose = f"{family}'s published recipe" if from_recipe else f"this {family} run's schedule"
    what = (f"starts at step {start}, after the run's {steps} steps: it never acts" if start >= steps else
            f"reaches its full weight at step {end}, after the run's {steps} steps")
    warnings.warn(f"{whose} schedules the sparsity regularizer (λ̂ = {schedule['regularizer']:g} from step {start} "
                  f"to {end}), which {what}, so the unit is unlikely to reach a sparse solution; run more steps, or "
                  "move the schedule inside the run (reg_start=, reg_end=; --reg-start, --reg-end)",
                  RecipeWarning, stacklevel=3)


def _layer_inits(recipe: Recipe, init: Union[None, str, Sequence[str]]) -> List[str]:
    """Each layer's initialisation scheme: the recipe's, or ``init`` for both, or one per layer;
    each must be a scheme of its layer's unit."""
    if init is None:
        schemes = list(recipe.init)
    elif isinstance(init, str):
        schemes = [init] * len(recipe.network)
    else:
        schemes = list(init)
        if len(schemes) != len(recipe.network) or not all(isinstance(s, str) for s in schemes):
            raise ValueError(f"init must be a scheme name or one per layer ({len(recipe.network)}), got {init!r}")
    for unit, scheme in zip(recipe.network, schemes):
        _checks.choice(scheme, f"init of the {unit} layer", tuple(UNITS[unit].INITS))
    return schemes


def execute(spec: Dict[str, Any], stop: Optional[threading.Event] = None) -> Dict[str, Any]:
    """Runs one specification; returns {"id", "spec", "status": "ok", "result"} (a module-level
    function, so that process pools and Dask workers can pickle it). ``stop``: see train_task.
    A specification of a PyTorch model (``nalu_ext.benchmark.torch_runs.make_run``) runs the Python loop."""
    if "factory" in spec:
        from .torch_runs import execute as execute_torch

        return execute_torch(spec, stop)
    if spec.get("protocol") == "npu-simple":
        from .npu_simple import result_of

        return {"id": run_id(spec), "spec": spec, "status": "ok", "result": result_of(spec, stop)}
    model = build_model(spec)
    settings = dict(spec["optimizer"])
    opt = OPTIMIZERS[settings.pop("kind")](model.parameters(), **settings)
    result = train_task(model, task_from_dict(spec["task"]), opt, steps=spec["steps"],
                        batch_size=spec["batch_size"], log_every=spec["log_every"], stop=stop,
                        **training_rules.from_dict(spec.get("train_options", {})))
    return {"id": run_id(spec), "spec": spec, "status": "ok", "result": result.to_dict()}


def resume_message(runs: Sequence[Dict[str, Any]], results: str, stored: Optional[Dict[str, Dict[str, Any]]] = None,
                   starting: bool = True) -> str:
    """What resuming ``runs`` from the results file finds: the records it loaded, how many of the
    runs had finished and (``starting``) how many it starts; without it, for one of several
    sources, whose starts only all of them together decide. ``stored``: the file's records if
    already read."""
    stored = read_results(results) if stored is None else stored
    ids = {run_id(spec) for spec in runs}
    finished = sum(1 for rid in ids if stored.get(rid, {}).get("status") == "ok")
    return (f"{results}: loaded {len(stored)} records; {finished} of these {len(ids)} runs had finished"
            + (f", starting {len(ids) - finished}" if starting else " there"))


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`sweep`: queued runs were cancelled and running ones stopped; every run
    that had finished is in the results file. Attributes: ``finished``, ``total``, ``results``."""

    def __init__(self, finished: int, total: int, results: Optional[str]) -> None:
        self.finished, self.total, self.results = finished, total, results
        where = (f"recorded in {results}; run the same sweep again to resume the other "
                 f"{total - finished}" if results else
                 "lost with this call; pass results=FILE to keep finished runs across calls")
        super().__init__(f"sweep interrupted: {finished} of {total} runs finished, {where}")


JUDGES = ("final", "published")


def check_judge(judge: str) -> str:
    if judge not in JUDGES:
        raise ValueError(f"judge must be one of {JUDGES}, got {judge!r}")
    return judge


def judged(result: Dict[str, Any], judge: str) -> Tuple[bool, float]:
    """A run's verdict and the sparsity error of the model it judges. "final" judges the last
    model (RunResult.success); "published" the model the published analysis picks from the logged
    curves (protocol.published_selection; picked from the curves, so results files written before
    the selection fields existed are judged alike; their sparsity at that log is unknown: nan)."""
    if check_judge(judge) == "final":
        sparsity = result["sparsity_error"]  # None in the file stands for NaN (RunResult.to_dict)
        return bool(result["success"]), float("nan") if sparsity is None else float(sparsity)
    if is_summary(result):  # its curves are thinned: the selection made from the full ones
        sparsity = result.get("selected_sparsity_error")
        return bool(result["selected_success"]), float("nan") if sparsity is None else float(sparsity)
    index, _, success = published_selection(result["interpolation_mse"], result["extrapolation_mse"],
                                            result["threshold"])
    curve = result.get("sparsity_error_curve") or []
    value = curve[index] if index is not None and index < len(curve) else None
    return success, float("nan") if value is None else float(value)


class SweepSummary:
    """One row per unit family × task: success rate with its Wilson interval, solved-at, sparsity
    error, and how many runs reached the criterion at some logged step. `judge` says which model
    decides success and whose sparsity is reported: the final one, or the one the published
    analysis picks.

    Parameters
    ----------
    records : iterable of dict
        Records of a results file (``{"id", "spec", "status", "result"}``).
    judge : "final" or "published"
    """

    def __init__(self, records: Iterable[Dict[str, Any]], judge: JudgeName = "final") -> None:
        """Groups and summarises the records; see the class docstring."""
        self.judge = check_judge(judge)
        self.records = list(records)  # so that the same runs can be summarised under the other judge
        groups: Dict[Tuple[Any, ...], List[Dict[str, Any]]] = {}
        self.failed = 0
        self.errors: List[str] = []  # of the failed runs, in record order
        for r in self.records:
            if r["status"] != "ok":
                self.failed += 1
                self.errors.append(str(r.get("error", "unknown error")))
                continue
            task = r["spec"]["task"]
            label = (r["spec"]["family"], task["op"], json.dumps(task["interpolation"]), task["input_size"])
            groups.setdefault(label, []).append(r["result"])
        self.rows = []
        for (family, op, interp, size), results in sorted(groups.items()):
            verdicts = [judged(r, judge) for r in results]
            row = stats.summarize([v[0] for v in verdicts], [r["solved_at"] for r in results],
                                  [v[1] for v in verdicts])
            row.update(family=family, op=op, interpolation=json.loads(interp), input_size=size)
            self.rows.append(row)

    def verdict(self) -> str:
        """What decides success in this summary, in words.

        Returns
        -------
        str
        """
        return "success: " + ("the final model's test MSE below the threshold" if self.judge == "final"
                              else "the published selection (lowest validation MSE of the last "
                                   f"{SELECTION_WINDOW} logs) below the threshold")

    def __str__(self) -> str:
        width = max([8, *(len(r["family"]) for r in self.rows)])  # PyTorch runs' family names are free text
        lines = [f"{'unit':{width}s} {'op':6s} {'success':>8s} {'95% interval':>15s} {'solved at (median)':>19s} "
                 f"{'sparsity':>9s} {'runs':>5s} {'reached':>8s}"]
        for r in self.rows:
            solved = "-" if r["solved_at_median"] is None else f"{r['solved_at_median']:.0f}"
            sparsity = "-" if r["sparsity_error_mean"] is None else f"{r['sparsity_error_mean']:.1e}"
            lines.append(f"{r['family']:{width}s} {r['op']:6s} {100 * r['rate']:7.0f}% "
                         f"{100 * r['rate_low']:6.0f}%–{100 * r['rate_high']:3.0f}%  {solved:>19s} "
                         f"{sparsity:>9s} {r['runs']:5d} {r['reached']:8d}")
        lines.append(self.verdict())
        if self.failed:
            lines.append(f"({self.failed} runs failed; the first error: {self.errors[0]})")
        return "\n".join(lines)


Summary = TypeVar("Summary")


@overload
def sweep(runs: Sequence[Dict[str, Any]], *, executor: "Optional[cf.Executor]" = None,
          results: Optional[str] = None, progress: bool = True, judge: JudgeName = "final",
          summarize: None = None, watch: Optional[Callable[[], None]] = None,
          resume_from: Sequence[str] = ()) -> "SweepSummary": ...


@overload
def sweep(runs: Sequence[Dict[str, Any]], *, executor: "Optional[cf.Executor]" = None,
          results: Optional[str] = None, progress: bool = True, judge: JudgeName = "final",
          summarize: Callable[[List[Dict[str, Any]]], Summary], watch: Optional[Callable[[], None]] = None,
          resume_from: Sequence[str] = ()) -> Summary: ...


def sweep(runs: Sequence[Dict[str, Any]], *, executor: Optional[cf.Executor] = None,
          results: Optional[str] = None, progress: bool = True, judge: JudgeName = "final",
          summarize: Optional[Callable[[List[Dict[str, Any]]], Any]] = None,
          watch: Optional[Callable[[], None]] = None, resume_from: Sequence[str] = ()) -> Any:
    """Executes every run (skipping those a results file already holds as finished), appending each
    finished or failed run to ``results`` as one flushed JSON line, and summarises them all.

    ``executor``: any concurrent.futures.Executor (e.g. a Dask client's ``get_executor()``); by
    default a thread pool with one thread per core (the C++ loops release the GIL). A failing run
    is recorded with its error and retried on the next call; it never stops the others.
    ``judge``: which model decides success in the summary (see SweepSummary).

    Ctrl-C cancels the queued runs, stops the running ones within a fraction of a second (on a
    thread pool; other executors' running tasks are cancelled as they allow), writes every run
    that finished, and raises :class:`SweepInterrupted`, which says how to resume.

    Parameters
    ----------
    runs : sequence of dict
        Specifications from :func:`make_run`.
    executor : concurrent.futures.Executor, optional
    results : str, optional
        The results file (JSON lines; gzip when it ends in .gz), appended to and resumed from.
    progress : bool
    judge : "final" or "published"
    summarize : callable, optional
        Makes the returned summary from the records (default: a SweepSummary under ``judge``;
        ``nalu_ext.benchmark.npu_simple.Summary`` for that protocol's runs).
    watch : callable, optional
        Called between waits (about every 0.1 s), e.g. a :class:`~nalu_ext.benchmark.dask_watch.WorkerWatch`.
        An exception it raises stops the sweep as a full disk does: queued runs are cancelled,
        running ones stopped, finished ones kept, and the exception propagates.
    resume_from : sequence of str
        Results files or directories of summaries (:mod:`~nalu_ext.benchmark.summaries`), only
        read: their finished runs are not run again and are part of the summary.

    Returns
    -------
    SweepSummary, or what ``summarize`` returns
    """
    check_judge(judge)  # before any run: a typo must not cost a sweep
    out = None
    if results is not None:  # opened first: it is read under its lock, its torn end cut off
        out = ResultsWriter(_checks.new_file(results, "results"))
        warn_problems(results, out.scan.problems)
        if out.note:
            warnings.warn(out.note, ResultsFileWarning, stacklevel=2)
    done: Dict[str, Dict[str, Any]] = {}
    for path in resume_from:
        done.update((rid, r) for rid, r in read_results(path).items() if r["status"] == "ok")
    for rid, r in (out.scan.records.items() if out is not None else ()):
        if r["status"] == "ok" or rid not in done:
            done[rid] = r
    by_id = {run_id(spec): spec for spec in runs}
    todo = [spec for rid, spec in by_id.items() if done.get(rid, {}).get("status") != "ok"]
    own = executor is None
    pool: cf.Executor = executor if executor is not None else cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    # runs in threads of this process can be told to stop; elsewhere they can only be cancelled
    stop = threading.Event() if isinstance(pool, cf.ThreadPoolExecutor) else None
    bar = None
    if progress and sys.stderr is not None:  # no progress bar where there is no stderr (2>&-)
        from tqdm.auto import tqdm

        if results:
            tqdm.write("sweep: " + resume_message(runs, results, done), file=sys.stderr)
        bar = tqdm(total=len(by_id), initial=len(by_id) - len(todo), unit="run", dynamic_ncols=True,
                   file=sys.stderr)
    futures: "Dict[cf.Future[Dict[str, Any]], Dict[str, Any]]" = {}
    recorded: "set[cf.Future[Dict[str, Any]]]" = set()

    def record(future: "cf.Future[Dict[str, Any]]") -> None:
        """Writes a completed future's record (only this thread writes)."""
        recorded.add(future)
        spec = futures[future]
        try:
            entry = future.result()
        except Interrupted:  # stopped before it finished: it runs again on resume
            return
        except Exception as err:  # a failed run is data, not the end of the sweep
            entry = {"id": run_id(spec), "spec": spec, "status": "failed",
                     "error": "".join(traceback.format_exception_only(type(err), err)).strip()}
        done[entry["id"]] = entry
        if out is not None:
            out.write(entry)
        if bar is not None:
            bar.update(1)

    def stop_all() -> None:
        """Cancels the queued runs and stops the running ones (on a thread pool)."""
        if stop is not None:
            stop.set()
        for future in futures:
            future.cancel()

    try:
        with ctrl_c_as_flag() as ctrl_c:
            try:
                completed: "queue.SimpleQueue[cf.Future[Dict[str, Any]]]" = queue.SimpleQueue()
                for spec in todo:
                    future = pool.submit(execute, spec, stop) if stop else pool.submit(execute, spec)
                    futures[future] = spec
                    future.add_done_callback(completed.put)
                while len(recorded) < len(futures) and not ctrl_c.pressed:
                    try:  # short waits, so that a press is seen within 0.1 s
                        record(completed.get(timeout=0.1))
                    except queue.Empty:
                        pass
                    if watch is not None:
                        watch()
            except KeyboardInterrupt:  # raised by a SIGINT handler the caller installed
                ctrl_c.press()
            except Exception:  # a full disk (ResultsWriteError), a watch that gave up: nothing more runs
                stop_all()
                raise
            if ctrl_c.pressed:
                stop_all()
                if stop is not None:  # the running ones stop within one chunk of their loop
                    cf.wait(futures)
                for future in futures:
                    if future not in recorded and future.done() and not future.cancelled():
                        record(future)
                finished = sum(1 for rid in by_id if done.get(rid, {}).get("status") == "ok")
                raise SweepInterrupted(finished, len(by_id), results)
    finally:
        if bar is not None:
            bar.close()
        if out is not None:
            out.close()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    records = [done[rid] for rid in by_id if rid in done]
    return summarize(records) if summarize is not None else SweepSummary(records, judge)
