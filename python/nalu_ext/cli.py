"""The command line: ``python -m nalu_ext <command>``."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any, List, Optional

from . import __version__
from ._arguments import directory, existing_path, non_negative, positive
from .errors import UsageError


def build_parser() -> argparse.ArgumentParser:
    from . import demo
    from .benchmark.cli import add_parser

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
    d.add_argument("--plot-dir", metavar="DIR", type=directory,
                   help="write the cost-per-step plots nac_cost.png and nalu_cost.png here "
                        "(needs matplotlib: pip install matplotlib, nalu_ext's [plot] extra)")
    d.add_argument("--nac-steps", type=positive, default=demo.NAC_STEPS, metavar="N",
                   help=f"training steps of the NAC (default {demo.NAC_STEPS})")
    d.add_argument("--nalu-steps", type=positive, default=demo.NALU_STEPS, metavar="N",
                   help=f"training steps of the NALU (default {demo.NALU_STEPS})")
    d.add_argument("--seed", type=non_negative, default=0, help="seed of the initial parameters (default 0)")
    d.add_argument("--progress", action="store_true", help="show progress bars")

    b = add_parser(commands)
    s = commands.add_parser(
        "summarize",
        help="compact summaries of results files, for a study's committed results",
        description=(
            "Write the compact summaries of results files into a directory, one gzip file per unit "
            "family and operation: every run's spec, id and verdicts exactly, its curves thinned to "
            "about 200 points at four significant digits (nalu_ext.benchmark.summaries). The results "
            "files are only read; the directory's summaries are kept and brought up to date. "
            "`benchmark --resume-from DIR` prints a study's tables from them without training."),
    )
    s.add_argument("results", nargs="+", type=existing_path, metavar="RESULTS",
                   help="results files (or directories of summaries) to summarise")
    s.add_argument("--into", required=True, type=directory, metavar="DIR", help="the summaries' directory")
    s.add_argument("--points", type=positive, default=None, metavar="N",
                   help="points kept of each curve (default 200)")
    for command_parser in (d, b, s):  # so that main() can report a usage error as that command's
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
    """nalu_ext's own warnings (a results file's problems) as one line each on stderr, without a
    source location; nothing when stderr is closed."""
    if sys.stderr is None:
        return
    if category.__module__.startswith("nalu_ext."):
        print(f"warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _run(args: argparse.Namespace) -> int:
    if args.command == "benchmark":
        from .benchmark.cli import run_benchmark

        try:
            return run_benchmark(args)
        except UsageError as err:
            args.command_parser.error(str(err))  # exits with status 2
    if args.command == "summarize":
        from .benchmark.results_file import ResultsFileError
        from .benchmark.summaries import CURVE_POINTS, summarize_into

        try:
            written = summarize_into(args.results, args.into, args.points or CURVE_POINTS)
        except ResultsFileError as err:
            args.command_parser.error(str(err))
        print(f"summarize: {sum(written.values())} runs in {len(written)} files in {args.into}")
        return 0
    if args.command == "demo":
        from . import demo

        results = demo.run(nac_steps=args.nac_steps, nalu_steps=args.nalu_steps, seed=args.seed,
                           plot_dir=args.plot_dir, progress=args.progress)
        return 0 if all(r.passed for r in results.values()) else 1
    return 2  # unreachable: argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
