"""`python -m nalu_ext benchmark`: builds the runs of a suite, sweeps them, reports."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
from typing import Any, Dict, List, Optional, Tuple

from .errors import UsageError
from .sweeps import FAMILIES, SweepInterrupted, make_run, read_results, run_id, sweep
from .tasks import OPS, ArithmeticTask, SingleModuleTask, Task, ToyTask, as_intervals


def suite_tasks(suite: str, ops: List[str], seed: int) -> List[Task]:
    if suite == "arithmetic":
        return [ArithmeticTask(op, seed=seed) for op in ops]
    if suite == "toy":
        return [ToyTask(seed=seed)]
    return [SingleModuleTask(op, interp, extrap, seed=seed) for op in ops
            for interp, extrap in SingleModuleTask.RANGES
            if op != "sqrt" or _non_negative(interp, extrap)]


def _non_negative(*ranges: Any) -> bool:
    """True when every interval of the ranges starts at 0 or above (what sqrt's task needs)."""
    return min(lo for r in ranges for lo, _ in as_intervals(r, "range")) >= 0


def unit_op_pairs(args: argparse.Namespace) -> List[Tuple[str, str]]:
    """The (family, op) pairs to run: --pairs as given, else every --units x --ops combination."""
    if args.pairs:
        pairs = []
        for item in (p.strip() for p in args.pairs.split(",") if p.strip()):
            family, sep, op = item.partition(":")
            if not sep:
                raise UsageError(f"--pairs takes FAMILY:OP items, got {item!r}")
            pairs.append((family.strip(), op.strip()))
    else:
        pairs = [(f.strip(), o.strip()) for o in args.ops.split(",") if o.strip()
                 for f in args.units.split(",") if f.strip()]
    if not pairs:
        raise UsageError("no unit/operation pairs selected: --units and --ops (or --pairs) name none")
    for family, op in pairs:
        if family not in FAMILIES:
            raise UsageError(f"unknown unit family {family!r} (known: {', '.join(FAMILIES)})")
        if op not in OPS:
            raise UsageError(f"unknown operation {op!r} (known: {', '.join(OPS)})")
    return pairs


def build_runs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    pairs = unit_op_pairs(args)
    if args.suite == "toy":  # one task, whatever the operations: each family once
        pairs = [(family, "mul") for family in dict.fromkeys(f for f, _ in pairs)]
    ops = list(dict.fromkeys(op for _, op in pairs))
    try:
        return [make_run(family, task, seed=seed, steps=args.steps, lr=args.lr,
                         batch_size=args.batch_size, log_every=args.log_every)
                for seed in range(args.seeds) for task in suite_tasks(args.suite, ops, seed)
                for family, op in pairs if op == task.op]
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from None


def executor_for(args: argparse.Namespace) -> Optional[cf.Executor]:
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs Dask: pip install 'nalu_ext[distributed]'") from None
        try:
            return Client(args.scheduler, timeout=args.scheduler_timeout).get_executor()
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler!r} within "
                             f"{args.scheduler_timeout:g} s: {err}") from None
    if args.jobs:
        return cf.ThreadPoolExecutor(max_workers=args.jobs)
    return None


def run_benchmark(args: argparse.Namespace) -> int:
    """Exit status: 0 every run finished, 1 some run failed, 130 interrupted (Ctrl-C)."""
    runs = build_runs(args)
    print(f"benchmark: {len(runs)} runs ({args.suite} suite, {args.seeds} seeds, {args.steps} steps each)")
    if args.results:
        stored = read_results(args.results)
        finished = sum(1 for spec in runs if stored.get(run_id(spec), {}).get("status") == "ok")
        print(f"resuming from {args.results}: {finished} of {len(runs)} runs already finished, "
              f"{len(runs) - finished} to run")
    executor = executor_for(args)
    try:
        summary = sweep(runs, executor=executor, results=args.results, progress=not args.no_progress,
                        judge=args.judge)
    except SweepInterrupted as err:
        print(f"\nbenchmark: {err}", file=sys.stderr)
        return 130
    finally:
        if isinstance(executor, cf.ThreadPoolExecutor):
            executor.shutdown(cancel_futures=True)
    print(summary)
    if args.plot:
        from .plot import PlottingUnavailable, plot_success

        try:
            plot_success(summary, args.plot)
            print(f"wrote {args.plot}")
        except PlottingUnavailable as err:
            print(f"note: no plot written: {err}")
    if summary.failed:
        print(f"benchmark: {summary.failed} of {len(runs)} runs failed", file=sys.stderr)
        return 1
    return 0
