"""`python -m nalu_ext benchmark`: builds the runs of a suite, sweeps them, reports."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
import time
import warnings
from typing import Any, Dict, List, Optional, Tuple

from .._arguments import existing_path, new_file, non_negative, non_negative_real, plot_file, positive, positive_real
from .._types import JudgeName
from ..errors import UsageError
from . import npu_simple, single_module
from .dask_watch import WorkerWatch, WorkersLost
from .published import OP_SYMBOLS, SUITES, comparison_table, suite_pairs
from .results_file import ResultsFileError, ResultsWriteError, read_results, run_id, scan_results
from .sweeps import (FAMILIES, PUBLISHED_COMPARISON, RecipeWarning, SweepInterrupted, SweepSummary, make_run,
                     resume_message, sweep)
from .tasks import OPS, ArithmeticTask, SingleModuleTask, Task, ToyTask, as_intervals


# What a suite runs unless told otherwise: the protocol's length, seeds a user finishes on one
# machine in an afternoon, and its operations.
SUITE_DEFAULTS: Dict[str, Dict[str, Any]] = {
    "arithmetic": {"steps": 100_000, "seeds": 10, "ops": "add,sub,mul"},
    # Mistry, Farrahi & Hare's single-module benchmark: 5e4 steps, 25 seeds, nine ranges
    # (nalm-benchmark's single_layer_benchmark.sh; docs/protocols.md#the-single-module-benchmark)
    "single-module": {"steps": single_module.STEPS, "seeds": single_module.SEEDS, "ops": "add,sub,mul,div"},
    # the NPU paper's simple task: one model learns all four outputs, 2e4 steps, 20 runs
    # (nmheim/NeuralPowerUnits scripts/simple/run.jl; docs/protocols.md#the-npu-papers-simple-task)
    "npu-simple": {"steps": npu_simple.STEPS, "seeds": npu_simple.SEEDS, "ops": ",".join(npu_simple.OPS)},
    # Madsen & Johansen's Table 1: 5e6 steps (lfs_batch_jobs/function_task_static.sh); 10 seeds of
    # its 11 rows take about 2 h on two cores (docs/protocols.md#table-1)
    "table1": {"steps": 5_000_000, "seeds": 10, "ops": "add,sub,mul"},
    # the toy problem: 2e5 steps, 100 seeds (lfs_batch_jobs/simple_mul.sh): a few minutes
    "toy": {"steps": 200_000, "seeds": 100, "ops": "mul"},
    # the ablation table: six models on ×, 5e6 steps, 25 seeds (function_task_static_ablation.sh at
    # stable-nalu@5f0d4e4); its NAC• and NMU rows are Table 1's runs of seeds 0–24
    "ablation": {"steps": 5_000_000, "seeds": 25, "ops": "mul"},
    # the NALU table: the NALU after a NAC+ (tied or separate weights) and the gated NAU/NMU on + and
    # ×, 5e6 steps (function_task_static_nalu.sh; 100 seeds published, 10 here by default as Table 1)
    "nalu-table": {"steps": 5_000_000, "seeds": 10, "ops": "add,mul"},
}


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the ``benchmark`` command to the command line's subparsers; returns its parser."""
    b: argparse.ArgumentParser = commands.add_parser(
        "benchmark",
        help="success rates of units over seeds on the field's arithmetic protocols",
        description=(
            "Train every unit family on every operation for every seed (fresh data each step, "
            "a counter-based stream per seed), judge each run against the nearly-perfect model's "
            "extrapolation MSE, and print success rates with Wilson 95% intervals. Families: "
            + ", ".join(f"{name} ({'->'.join(net)})" for name, net in FAMILIES.items()) + ". "
            "Finished runs are appended to --results; running the same command again resumes."),
    )
    b.add_argument("--suite", choices=("arithmetic", "table1", "toy", "ablation", "nalu-table", "single-module",
                                        "npu-simple"),
                   default="arithmetic",
                   help="arithmetic: the static protocol (100 inputs, U[1,2] -> U[2,6]); table1: its "
                        "rows of Madsen & Johansen's Table 1 at 5e6 steps, beside the published figures "
                        "(--ops div,square,sqrt: the appendix's operations); toy: (x1+x2)(x1+x2+x3+x4), "
                        "2e5 steps, beside the published toy table; ablation: Madsen & Johansen's ablation "
                        "table, NAC•, NAC•,σ and the NMU without its sparsity regularizer and/or weight "
                        "clamp on ×, 5e6 steps, 25 seeds; nalu-table: Madsen & Johansen's NALU table, the "
                        "NALU after a NAC+ with tied and with separate weights and the gated NAU/NMU on + "
                        "and ×, 5e6 steps; single-module: Mistry, Farrahi & "
                        "Hare's benchmark, one unit on x1 op x2 over its nine ranges, 5e4 steps, 25 seeds, "
                        "each unit by its published script's recipe; npu-simple: the NPU paper's task, one "
                        "model learns x+y, xy, x/y and sqrt(x) jointly, 2e4 steps, 20 runs, mean absolute "
                        "error on a grid beside the published table (docs/protocols.md)")
    b.add_argument("--units", default=None,
                   help=f"comma-separated unit families (default: the suite's published rows; for "
                        f"arithmetic {','.join(PUBLISHED_COMPARISON)}, the units of the "
                        "published comparison), or PyTorch models as MODULE:FACTORY (FACTORY(inputs, "
                        "seed=SEED) builds one; MODULE importable from here; torch.optim.Adam, lr "
                        "1e-3, batch 128 unless --lr/--batch-size; needs the [torch] extra)")
    b.add_argument("--ops", default=None, help="comma-separated operations (add, sub, mul, div, square, "
                   "sqrt; default add,sub,mul; single-module add,sub,mul,div; the toy suite is always mul)")
    b.add_argument("--pairs", metavar="FAMILY:OP,...",
                   help="run these unit/operation pairs instead of every --units x --ops combination, "
                        "e.g. NALU:add,NALU:mul,NAC:add")
    b.add_argument("--seeds", type=positive, default=None,
                   help="seeds per unit and operation (default 10; toy 100, single-module 25, npu-simple 20)")
    b.add_argument("--steps", type=positive, default=None,
                   help="training steps per run (default 100000; table1 5000000, toy 200000, single-module 50000, "
                        "npu-simple 20000)")
    recipe = "(default: each family's published recipe, docs/protocols.md#recipes)"
    b.add_argument("--batch-size", type=positive, default=None, help=f"rows per step {recipe}")
    b.add_argument("--lr", type=positive_real, default=None, help=f"the optimizer's learning rate {recipe}")
    b.add_argument("--init", default=None, metavar="SCHEME",
                   help=f"initialisation scheme of both layers, e.g. glorot or stable-nalu {recipe}")
    b.add_argument("--regularizer", type=non_negative_real, default=None,
                   help=f"λ̂ of the NAU/NMU sparsity regularizer {recipe}")
    b.add_argument("--reg-start", type=non_negative, default=None, help=f"step its warm-up starts {recipe}")
    b.add_argument("--reg-end", type=non_negative, default=None, help=f"step it reaches λ̂ {recipe}")
    b.add_argument("--log-every", type=positive, default=1000, help="steps between evaluations (default 1000)")
    b.add_argument("--jobs", type=positive, default=None, help="parallel runs (default: one per core)")
    b.add_argument("--results", metavar="FILE.jsonl", type=new_file,
                   help="append each finished run here; resume from it")
    b.add_argument("--resume-from", metavar="PATH", action="append", default=[], type=existing_path,
                   help="a results file or a directory of summaries (python -m nalu_ext summarize) whose "
                        "finished runs are not run again and join the tables; only read (repeatable)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster (e.g. tcp://host:8786; "
                   "needs Dask: pip install 'dask[distributed]', nalu_ext's [distributed] extra)")
    b.add_argument("--scheduler-timeout", metavar="SECONDS", type=positive_real, default=30.0,
                   help="how long to try to reach --scheduler, and to wait for a worker while none is "
                        "connected before giving up (exit 1, finished runs kept; default 30)")
    b.add_argument("--judge", choices=("final", "published"), default=None,
                   help="which model decides success: the final one (the default of arithmetic), "
                        "or the published analysis' choice (table1, toy, ablation, nalu-table and "
                        "single-module; all but single-module also print the other), the lowest "
                        "validation MSE among the last 5000 logs (every log of a 5e6-step run at the "
                        "default --log-every)")
    b.add_argument("--threshold", choices=("weights", "published"), default=None,
                   help="the success threshold of Madsen & Johansen's suites (arithmetic, table1, toy, "
                        "ablation, nalu-table): published (the default of the published tables' suites), "
                        "the one Madsen & Johansen's tables were judged by (their simulation's 26-input "
                        "subsets, 10^6 rows); weights (the default of arithmetic), the nearly perfect "
                        "model on the dataset's own subsets (docs/protocols.md#success)")
    b.add_argument("--plot", metavar="FILE", type=plot_file,
                   help="write a figure of the success rates with their intervals (.png, .pdf or .svg, by the "
                        "extension; any format matplotlib writes)")
    b.add_argument("--dpi", type=positive, default=None,
                   help="pixels per inch of a .png figure (default 200, for print)")
    b.add_argument("--plot-distributions", metavar="FILE", type=plot_file,
                   help="table1 suite: write the distributions of the successful runs' solved-at steps and "
                        "sparsity errors beside the published seeds', with their KS p")
    b.add_argument("--report-only", action="store_true",
                   help="train nothing: print the tables of the runs --results and --resume-from already hold "
                        "(a study under way: its rows count the seeds done so far)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    return b


def setting(args: argparse.Namespace, name: str) -> Any:
    """An option as given, or the suite's default."""
    value = getattr(args, name)
    return SUITE_DEFAULTS[args.suite][name] if value is None else value


# The success threshold's rule of Madsen & Johansen's suites unless --threshold says otherwise: the
# suites that reproduce a published table are judged by the thresholds that table was judged by.
SUITE_THRESHOLDS = {"arithmetic": "weights", "table1": "published", "toy": "published", "ablation": "published",
                    "nalu-table": "published"}


def suite_tasks(suite: str, ops: List[str], seed: int, threshold: Optional[str] = None) -> List[Task]:
    """The tasks of a suite for one seed; ``threshold``: the success threshold's rule of
    Madsen & Johansen's suites ("weights" or "published": verdicts.success_threshold; default
    SUITE_THRESHOLDS)."""
    rule = threshold or SUITE_THRESHOLDS.get(suite, "weights")
    if suite in ("arithmetic", "table1", "ablation", "nalu-table"):
        return [ArithmeticTask(op, seed=seed, threshold_rule=rule) for op in ops]
    if suite == "toy":
        return [ToyTask(seed=seed, threshold_rule=rule)]
    if threshold is not None:
        raise UsageError(f"--threshold applies to Madsen & Johansen's suites (arithmetic, table1, toy, ablation, "
                         f"nalu-table); the {suite} suite has its own rule")
    return [SingleModuleTask(op, interp, extrap, seed=seed) for op in ops
            for interp, extrap in SingleModuleTask.RANGES
            if op != "sqrt" or _non_negative(interp, extrap)]


def _non_negative(*ranges: Any) -> bool:
    """True when every interval of the ranges starts at 0 or above (what sqrt's task needs)."""
    return min(lo for r in ranges for lo, _ in as_intervals(r, "range")) >= 0


def _names(text: str) -> List[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def is_torch_factory(family: str) -> bool:
    """A --units item naming a PyTorch model factory, MODULE:FACTORY, rather than a family."""
    return ":" in family


def unit_op_pairs(args: argparse.Namespace) -> List[Tuple[str, str]]:
    """The (family, op) pairs to run: --pairs as given; else the published rows of a table1, toy or
    single-module suite (restricted to --units when given; a PyTorch factory among them runs every
    operation of the suite); else every --units x --ops combination."""
    ops = _names(setting(args, "ops"))
    if args.pairs:
        pairs = []
        for item in _names(args.pairs):
            family, sep, op = item.rpartition(":")  # the family may be a MODULE:FACTORY itself
            if not sep or not family:
                raise UsageError(f"--pairs takes FAMILY:OP items, got {item!r}")
            pairs.append((family.strip(), op.strip()))
    elif args.suite in SUITES or args.suite == "single-module":
        chosen = None if args.units is None else _names(args.units)
        if args.suite == "toy" and chosen is not None:  # one task: each family once, on its product
            pairs = [(family, "mul") for family in chosen]
        else:
            published = single_module.pairs(ops) if args.suite == "single-module" else suite_pairs(args.suite, ops)
            pairs = [(f, o) for f, o in published if chosen is None or f in chosen]
            pairs += [(f, o) for o in ops for f in (chosen or []) if is_torch_factory(f)]
    else:
        families = _names(",".join(PUBLISHED_COMPARISON) if args.units is None else args.units)
        pairs = [(f, o) for o in ops for f in families]
    if not pairs:
        raise UsageError("no unit/operation pairs selected: --units and --ops (or --pairs) name none")
    for family, op in pairs:
        if family not in FAMILIES and not is_torch_factory(family):
            raise UsageError(f"unknown unit family {family!r} (known: {', '.join(FAMILIES)}; or "
                             "MODULE:FACTORY, a PyTorch model factory)")
        if op not in OPS:
            raise UsageError(f"unknown operation {op!r} (known: {', '.join(OPS)})")
    return pairs


def npu_simple_runs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """The runs of the npu-simple suite: every model of its table (or --units) and seed, each by
    its published recipe (one model learns the four outputs: --ops, --pairs and the recipe
    options do not apply)."""
    given = [f"--{name.replace('_', '-')}" for name in ("ops", "pairs", "lr", "batch_size", "init", "regularizer",
                                                        "reg_start", "reg_end", "threshold")
             if getattr(args, name) is not None]
    if given:
        raise UsageError(f"the npu-simple suite runs each model by its published recipe on all four outputs; "
                         f"{', '.join(given)} do not apply to it")
    families = list(npu_simple.RECIPES) if args.units is None else _names(args.units)
    unknown = [f for f in families if f not in npu_simple.RECIPES]
    if unknown or not families:
        raise UsageError(f"the npu-simple suite has no recipe for {', '.join(unknown) or 'no unit'} "
                         f"(its models: {', '.join(npu_simple.RECIPES)})")
    return [npu_simple.make_run(f, seed=seed, steps=setting(args, "steps"))
            for seed in range(setting(args, "seeds")) for f in families]


def build_runs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Every run of the command, seed by seed (an interrupted sweep has every row at about the
    same number of seeds); each family's recipe unless an option overrides it."""
    if getattr(args, "plot_distributions", None) and args.suite != "table1":
        raise UsageError(f"--plot-distributions compares with the published seeds of Table 1: it applies to "
                         f"--suite table1, not {args.suite}")
    if args.suite == "npu-simple":
        return npu_simple_runs(args)
    pairs = unit_op_pairs(args)
    if args.suite == "toy":
        pairs = [(family, "mul") for family in dict.fromkeys(f for f, _ in pairs)]
    ops = list(dict.fromkeys(op for _, op in pairs))
    overrides = {name: getattr(args, name) for name in ("lr", "batch_size", "init", "regularizer",
                                                        "reg_start", "reg_end")}
    factories = {family: torch_factory(family) for family, _ in pairs if is_torch_factory(family)}

    def run(family: str, task: Task, seed: int) -> Dict[str, Any]:
        if family in factories:  # Adam, lr 1e-3, batch 128 unless --lr/--batch-size say otherwise
            from .torch_runs import make_run as make_torch_run

            given = {name: overrides[name] for name in ("lr", "batch_size") if overrides[name] is not None}
            return make_torch_run(factories[family], task, seed=seed, steps=setting(args, "steps"),
                                  family=family, log_every=args.log_every, **given)
        recipe = single_module.recipe(family, task.op) if args.suite == "single-module" else None
        return make_run(family, task, seed=seed, steps=setting(args, "steps"), log_every=args.log_every,
                        recipe=recipe, **overrides)

    try:
        with warnings.catch_warnings(record=True) as caught:  # a recipe's warning once, not once per seed
            warnings.simplefilter("always", RecipeWarning)
            runs = [run(family, task, seed)
                    for seed in range(setting(args, "seeds")) for task in suite_tasks(args.suite, ops, seed, args.threshold)
                    for family, op in pairs if op == task.op]
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from None
    # a published table's own runs had these very schedules (the toy problem's NMU regularizer starts
    # after its 2e5 steps in lfs_batch_jobs/simple_mul.sh too): nothing to warn of there
    as_published = args.suite in SUITES and args.steps is None and args.reg_start is None and args.reg_end is None
    for message in dict.fromkeys(str(w.message) for w in caught if not as_published):
        warnings.warn(message, RecipeWarning, stacklevel=2)
    return runs


def torch_factory(name: str) -> Any:
    """The PyTorch model factory MODULE:FACTORY names (MODULE importable from the current
    directory, as `python -m` puts it on the path)."""
    try:
        from .torch_runs import resolve
    except ImportError as err:
        raise UsageError(f"{name}: a PyTorch model factory needs PyTorch: {err}") from None
    try:
        return resolve(name)
    except (ImportError, AttributeError) as err:
        raise UsageError(f"cannot import the PyTorch model factory {name!r}: {err}") from None


def finished_runs(runs: List[Dict[str, Any]], sources: List[str]) -> List[Dict[str, Any]]:
    """The runs that one of the results files or summary directories holds as finished."""
    done = {rid for path in sources for rid, r in read_results(path).items() if r["status"] == "ok"}
    return [spec for spec in runs if run_id(spec) in done]


def executor_for(args: argparse.Namespace) -> Tuple[Optional[cf.Executor], Optional[WorkerWatch]]:
    """The executor of --scheduler (with a watch over its workers) or --jobs; (None, None) for
    the sweep's default thread pool."""
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs Dask: pip install 'dask[distributed]' (nalu_ext's [distributed] extra)") from None
        try:
            client = Client(args.scheduler, timeout=args.scheduler_timeout)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler!r} within "
                             f"{args.scheduler_timeout:g} s: {err}") from None
        executor: cf.Executor = client.get_executor()  # type: ignore[no-untyped-call]
        return executor, WorkerWatch(client, args.scheduler_timeout, say=_say)
    if args.jobs:
        return cf.ThreadPoolExecutor(max_workers=args.jobs), None
    return None, None


def _say(line: str) -> None:
    """A line on stderr, above the progress bar when there is one."""
    if sys.stderr is not None:
        from tqdm.auto import tqdm

        tqdm.write(line, file=sys.stderr)


def judge_of(args: argparse.Namespace) -> JudgeName:
    """--judge, or the suite's: the published selection where the suite reproduces a published
    analysis."""
    return args.judge or ("published" if args.suite in SUITES or args.suite == "single-module" else "final")


def run_benchmark(args: argparse.Namespace) -> int:
    """Exit status: 0 every run finished, 1 some run failed or the work could not go on (a full
    disk, no Dask worker), 130 interrupted (Ctrl-C); UsageError before any run."""
    try:
        return _run_benchmark(args)
    except ResultsWriteError as err:  # a full disk: what was kept is in the message
        print(f"benchmark: {err}", file=sys.stderr)
        return 1
    except ResultsFileError as err:  # not a results file: said before any run
        raise UsageError(str(err)) from None


def _run_benchmark(args: argparse.Namespace) -> int:
    runs = build_runs(args)
    judge = judge_of(args)
    print(f"benchmark: {len(runs)} runs ({args.suite} suite, {setting(args, 'seeds')} seeds, "
          f"{setting(args, 'steps')} steps each)")
    sources = [*([args.results] if args.results else []), *args.resume_from]
    if args.no_progress and sources:  # with a progress bar, sweep says it
        one = len(sources) == 1  # else each source's line says what it holds, and a last line the sum
        for path in sources:
            # the results file's problems are warned once, by the sweep
            stored = scan_results(path).records if path == args.results else None
            print("resuming from " + resume_message(runs, path, stored, starting=one))
        if not one:
            finished = len(finished_runs(runs, sources))
            print(f"benchmark: {finished} of these {len(runs)} runs had finished, starting {len(runs) - finished}")
    if args.report_only:
        runs = finished_runs(runs, sources)
        print(f"benchmark: --report-only: the {len(runs)} of them that have finished")
    executor, watch = executor_for(args)
    start = time.monotonic()
    try:
        summary: Any = sweep(runs, executor=executor, results=args.results, progress=not args.no_progress,
                        judge=judge, summarize=npu_simple.Summary if args.suite == "npu-simple" else None,
                        watch=watch, resume_from=args.resume_from)
    except SweepInterrupted as err:
        print(f"\nbenchmark: {err}", file=sys.stderr)
        return 130
    except WorkersLost as err:
        kept = (f"the runs that finished are in {args.results}: run the same command again to resume"
                if args.results else "pass --results FILE to keep finished runs")
        print(f"\nbenchmark: {err}; {kept}", file=sys.stderr)
        return 1
    finally:
        if isinstance(executor, cf.ThreadPoolExecutor):
            executor.shutdown(cancel_futures=True)
        if watch is not None:
            watch.close()
    report(summary, args)
    if args.suite != "npu-simple":  # its table counts its own
        note = divergence_note(summary)
        if note:
            print(note)
    print(compute_time(summary, time.monotonic() - start))
    if args.plot:
        from ..plot import PlottingUnavailable
        from .plot import DEFAULT_DPI, plot_success

        try:
            shown = args.suite if args.suite in (*SUITES, "single-module", "npu-simple") else None
            plot_success(summary, args.plot, suite=shown, dpi=args.dpi or DEFAULT_DPI)
            print(f"wrote {args.plot}")
        except PlottingUnavailable as err:
            print(f"note: no plot written: {err}")
    if args.plot_distributions:
        from .plot import DEFAULT_DPI, plot_distributions

        plot_distributions(summary, args.plot_distributions, dpi=args.dpi or DEFAULT_DPI)
        print(f"wrote {args.plot_distributions}")
    if summary.failed:
        print(f"benchmark: {summary.failed} of {len(runs)} runs failed", file=sys.stderr)
        return 1
    return 0


def report(summary: Any, args: argparse.Namespace) -> None:
    """The summary; for a suite that reproduces a published table, ours beside it under both
    verdicts (the published selection and the final model)."""
    if args.suite == "npu-simple":
        print(summary)
        return
    if args.suite == "single-module":
        print(single_module.table(summary))
        if summary.failed:
            print(f"({summary.failed} runs failed; the first error: {summary.errors[0]})")
        return
    if args.suite not in SUITES:
        print(summary)
        return
    other: JudgeName = "final" if summary.judge == "published" else "published"
    for judged_summary in (summary, SweepSummary(summary.records, other)):
        print(f"\n{judged_summary.verdict()}")
        print(comparison_table(judged_summary, args.suite))
    if summary.failed:
        print(f"({summary.failed} runs failed; the first error: {summary.errors[0]})")


def divergence_note(summary: SweepSummary, shown: int = 5) -> str:
    """A line naming the runs that diverged (stopped before their last step, judged on their last
    good parameters), or "" when none did; the tables alone would not show them."""
    diverged = [r for r in summary.records if r["status"] == "ok" and r["result"].get("diverged")]
    if not diverged:
        return ""
    named = [f"{r['spec']['family']} {OP_SYMBOLS.get(r['spec']['task']['op'], r['spec']['task']['op'])} "
             f"seed {r['spec']['seed']} after {r['result']['steps']} steps" for r in diverged[:shown]]
    more = f" and {len(diverged) - shown} more" if len(diverged) > shown else ""
    return (f"note: {len(diverged)} run{'s' if len(diverged) > 1 else ''} diverged (a non-finite update, not applied; "
            f"judged on the last good parameters): {', '.join(named)}{more}")


def compute_time(summary: SweepSummary, wall_seconds: float) -> str:
    """The runs' total training time (the sum over every finished run, resumed ones included) and
    this command's wall time."""
    seconds = [r["result"].get("seconds") or 0.0 for r in summary.records if r["status"] == "ok"]
    return (f"compute: {len(seconds)} finished runs took {_duration(sum(seconds))} of training "
            f"(sum over runs); this command ran {_duration(wall_seconds)}")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.2f} h"
