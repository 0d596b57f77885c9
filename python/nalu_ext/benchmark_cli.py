"""`python -m nalu_ext benchmark`: builds the runs of a suite, sweeps them, reports."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
from typing import Any, Dict, List, Optional

from .sweeps import FAMILIES, make_run, sweep
from .tasks import OPS, ArithmeticTask, SingleModuleTask, Task, ToyTask


def suite_tasks(suite: str, ops: List[str], seed: int) -> List[Task]:
    if suite == "arithmetic":
        return [ArithmeticTask(op, seed=seed) for op in ops]
    if suite == "toy":
        return [ToyTask(seed=seed)]
    return [SingleModuleTask(op, interp, extrap, seed=seed) for op in ops
            for interp, extrap in SingleModuleTask.RANGES
            if op != "sqrt" or min(lo for lo, _ in Task("add", 1, (0, 1), (0, 1), interp, extrap, 0).interpolation) >= 0]


def build_runs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    families = [u.strip() for u in args.units.split(",") if u.strip()]
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    for f in families:
        if f not in FAMILIES:
            raise SystemExit(f"benchmark: unknown unit family {f!r} (known: {', '.join(FAMILIES)})")
    for o in ops:
        if o not in OPS:
            raise SystemExit(f"benchmark: unknown operation {o!r} (known: {', '.join(OPS)})")
    return [make_run(f, task, seed=seed, steps=args.steps, lr=args.lr, batch_size=args.batch_size,
                     log_every=args.log_every)
            for seed in range(args.seeds) for task in suite_tasks(args.suite, ops, seed) for f in families]


def executor_for(args: argparse.Namespace) -> Optional[cf.Executor]:
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise SystemExit("benchmark: --scheduler needs Dask: pip install 'nalu_ext[distributed]'") from None
        return Client(args.scheduler).get_executor()
    if args.jobs:
        return cf.ThreadPoolExecutor(max_workers=args.jobs)
    return None


def run_benchmark(args: argparse.Namespace) -> int:
    runs = build_runs(args)
    print(f"benchmark: {len(runs)} runs ({args.suite} suite, {args.seeds} seeds, {args.steps} steps each)")
    executor = executor_for(args)
    try:
        summary = sweep(runs, executor=executor, results=args.results, progress=not args.no_progress)
    finally:
        if isinstance(executor, cf.ThreadPoolExecutor):
            executor.shutdown()
    print(summary)
    if args.plot:
        from .plot import PlottingUnavailable, plot_success

        try:
            plot_success(summary, args.plot)
            print(f"wrote {args.plot}")
        except PlottingUnavailable as err:
            print(f"note: no plot written: {err}")
    return 0
