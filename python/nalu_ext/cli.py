"""The command line: ``python -m nalu_ext <command>``."""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from typing import Any, List, Optional

from . import __version__
from ._checks import new_file
from .errors import UsageError
from .results_file import ResultsFileError, ResultsFileWarning, ResultsWriteError
from .sweeps import FAMILIES, PUBLISHED_COMPARISON


def _integer(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise argparse.ArgumentTypeError(f"must be {expected}, got {value}")
    return value


def _positive(text: str) -> int:
    return _integer(text, 1)


def _non_negative(text: str) -> int:
    return _integer(text, 0)


def _real(text: str, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (math.isfinite(value) and (value > 0 or (allow_zero and value == 0))):
        raise argparse.ArgumentTypeError(f"must be a finite number {'>=' if allow_zero else '>'} 0, got {text}")
    return value


def _positive_real(text: str) -> float:
    return _real(text, allow_zero=False)


def _non_negative_real(text: str) -> float:
    return _real(text, allow_zero=True)


def _new_file(text: str) -> str:
    """A file to write: not a directory, in a directory that exists and can be written (checked
    before any work)."""
    try:
        return new_file(text, "path")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _plot_file(text: str) -> str:
    """A figure to write: a new file (see _new_file), matplotlib installed, a format it writes."""
    from .plot import PlottingUnavailable, check_plot_path

    path = _new_file(text)
    try:
        check_plot_path(path)
    except (PlottingUnavailable, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return path


def _directory(text: str) -> str:
    """A directory to write into: it may not exist yet, but it must not be a file."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a directory")
    return text


def build_parser() -> argparse.ArgumentParser:
    from . import demo

    parser = argparse.ArgumentParser(
        prog="python -m nalu_ext",
        description="Neural arithmetic units (NAC, NALU, ...) with C++ kernels.",
    )
    parser.add_argument("--version", action="version", version=f"nalu_ext {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    d = commands.add_parser(
        "demo",
        help="the seed article: a NAC learns addition, a NALU multiplication (the main job)",
        description=(
            "Train a NAC on x1 + x2 and a NALU on x1 * x2 with the seed article's data "
            "(numpy.arange rows, Adam lr 0.05, sum of squared errors, full batch); print the "
            "learned weights and the errors on the article's test set and on an extrapolation "
            "set outside the training range. Exits with status 1 if a unit did not learn."),
    )
    d.add_argument("--plot-dir", metavar="DIR", type=_directory,
                   help="write the cost-per-step plots nac_cost.png and nalu_cost.png here "
                        "(needs matplotlib: pip install 'nalu_ext[plot]')")
    d.add_argument("--nac-steps", type=_positive, default=demo.NAC_STEPS, metavar="N",
                   help=f"training steps of the NAC (default {demo.NAC_STEPS})")
    d.add_argument("--nalu-steps", type=_positive, default=demo.NALU_STEPS, metavar="N",
                   help=f"training steps of the NALU (default {demo.NALU_STEPS})")
    d.add_argument("--seed", type=_non_negative, default=0, help="seed of the initial parameters (default 0)")
    d.add_argument("--progress", action="store_true", help="show progress bars")

    b = commands.add_parser(
        "benchmark",
        help="success rates of units over seeds on the field's arithmetic protocols",
        description=(
            "Train every unit family on every operation for every seed (fresh data each step, "
            "a counter-based stream per seed), judge each run against the nearly-perfect model's "
            "extrapolation MSE, and print success rates with Wilson 95% intervals. Families: "
            + ", ".join(f"{name} ({'->'.join(net)})" for name, net in FAMILIES.items()) + ". "
            "Finished runs are appended to --results; running the same command again resumes."),
    )
    b.add_argument("--suite", choices=("arithmetic", "table1", "toy", "single-module", "npu-simple"), default="arithmetic",
                   help="arithmetic: the static protocol (100 inputs, U[1,2] -> U[2,6]); table1: its "
                        "rows of Madsen & Johansen's Table 1 at 5e6 steps, beside the published figures "
                        "(--ops div,square,sqrt: the appendix's operations); toy: (x1+x2)(x1+x2+x3+x4), "
                        "2e5 steps, beside the published toy table; single-module: Mistry, Farrahi & "
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
    b.add_argument("--seeds", type=_positive, default=None,
                   help="seeds per unit and operation (default 10; toy 100, single-module 25, npu-simple 20)")
    b.add_argument("--steps", type=_positive, default=None,
                   help="training steps per run (default 100000; table1 5000000, toy 200000, single-module 50000, "
                        "npu-simple 20000)")
    recipe = "(default: each family's published recipe, docs/protocols.md#recipes)"
    b.add_argument("--batch-size", type=_positive, default=None, help=f"rows per step {recipe}")
    b.add_argument("--lr", type=_positive_real, default=None, help=f"the optimizer's learning rate {recipe}")
    b.add_argument("--init", default=None, metavar="SCHEME",
                   help=f"initialisation scheme of both layers, e.g. glorot or stable-nalu {recipe}")
    b.add_argument("--regularizer", type=_non_negative_real, default=None,
                   help=f"λ̂ of the NAU/NMU sparsity regularizer {recipe}")
    b.add_argument("--reg-start", type=_non_negative, default=None, help=f"step its warm-up starts {recipe}")
    b.add_argument("--reg-end", type=_non_negative, default=None, help=f"step it reaches λ̂ {recipe}")
    b.add_argument("--log-every", type=_positive, default=1000, help="steps between evaluations (default 1000)")
    b.add_argument("--jobs", type=_positive, default=None, help="parallel runs (default: one per core)")
    b.add_argument("--results", metavar="FILE.jsonl", type=_new_file,
                   help="append each finished run here; resume from it")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster (e.g. tcp://host:8786; "
                   "needs pip install 'nalu_ext[distributed]')")
    b.add_argument("--scheduler-timeout", metavar="SECONDS", type=_positive_real, default=30.0,
                   help="how long to try to reach --scheduler, and to wait for a worker while none is "
                        "connected before giving up (exit 1, finished runs kept; default 30)")
    b.add_argument("--judge", choices=("final", "published"), default=None,
                   help="which model decides success: the final one (the default of arithmetic), "
                        "or the published analysis' choice (table1, toy and single-module; table1 and "
                        "toy also print the other), the lowest validation MSE among the last 5000 logs (every log of "
                        "a 5e6-step run at the default --log-every)")
    b.add_argument("--plot", metavar="FILE.png", type=_plot_file,
                   help="write a figure of the success rates with their intervals")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    for command_parser in (d, b):  # so that main() can report a usage error as that command's
        command_parser.set_defaults(command_parser=command_parser)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs a command; returns its exit status (0 success, 1 the work failed, 2 usage error,
    130 interrupted by Ctrl-C). Output cut short by its reader (``| head``) ends it quietly,
    every finished run recorded."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _run(args)
    except KeyboardInterrupt:  # a second Ctrl-C while the first one is being handled
        resume = (f"; the runs that finished are in {args.results}: run the same command again to "
                  "resume" if getattr(args, "results", None) else "")
        print(f"\n{args.command}: interrupted{resume}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout's reader is gone: nothing more can be said there
        devnull = os.open(os.devnull, os.O_WRONLY)  # so that the interpreter's final flush cannot fail
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                  line: Optional[str] = None) -> None:
    """A results file's problems as one line each on stderr (no source location); nothing when
    stderr is closed."""
    if sys.stderr is None:
        return
    if issubclass(category, ResultsFileWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _run(args: argparse.Namespace) -> int:
    if args.command == "benchmark":
        from .benchmark_cli import run_benchmark

        try:
            return run_benchmark(args)
        except ResultsWriteError as err:  # a full disk: what was kept is in the message
            print(f"{args.command}: {err}", file=sys.stderr)
            return 1
        except (UsageError, ResultsFileError) as err:  # a results file is checked before any run
            args.command_parser.error(str(err))  # exits with status 2
    if args.command == "demo":
        from . import demo

        results = demo.run(nac_steps=args.nac_steps, nalu_steps=args.nalu_steps, seed=args.seed,
                           plot_dir=args.plot_dir, progress=args.progress)
        return 0 if all(r.passed for r in results.values()) else 1
    return 2  # unreachable: argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
