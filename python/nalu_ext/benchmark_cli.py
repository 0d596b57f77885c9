"""`python -m nalu_ext benchmark`: builds the runs of a suite, sweeps them, reports."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
from typing import Any, Dict, List, Optional, Tuple

from .sweeps import FAMILIES, make_run, sweep
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
                raise SystemExit(f"benchmark: --pairs takes FAMILY:OP items, got {item!r}")
            pairs.append((family.strip(), op.strip()))
    else:
        pairs = [(f.strip(), o.strip()) for o in args.ops.split(",") if o.strip()
                 for f in args.units.split(",") if f.strip()]
    for family, op in pairs:
        if family not in FAMILIES:
            raise SystemExit(f"benchmark: unknown unit family {family!r} (known: {', '.join(FAMILIES)})")
        if op not in OPS:
            raise SystemExit(f"benchmark: unknown operation {op!r} (known: {', '.join(OPS)})")
    return pairs


def build_runs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    pairs = unit_op_pairs(args)
    if args.suite == "toy":  # one task, whatever the operations: each family once
        pairs = [(family, "mul") for family in dict.fromkeys(f for f, _ in pairs)]
    ops = list(dict.fromkeys(op for _, op in pairs))
    return [make_run(family, task, seed=seed, steps=args.steps, lr=args.lr,
                     batch_size=args.batch_size, log_every=args.log_every)
            for seed in range(args.seeds) for task in suite_tasks(args.suite, ops, seed)
            for family, op in pairs if op == task.op]


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
        summary = sweep(runs, executor=executor, results=args.results, progress=not args.no_progress,
                        judge=args.judge)
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
