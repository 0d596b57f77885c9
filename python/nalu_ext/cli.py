"""The command line: ``python -m nalu_ext <command>``."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from . import __version__


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


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
    d.add_argument("--plot-dir", metavar="DIR",
                   help="write the cost-per-step plots nac_cost.png and nalu_cost.png here "
                        "(needs matplotlib: pip install 'nalu_ext[plot]')")
    d.add_argument("--nac-steps", type=_positive, default=demo.NAC_STEPS, metavar="N",
                   help=f"training steps of the NAC (default {demo.NAC_STEPS})")
    d.add_argument("--nalu-steps", type=_positive, default=demo.NALU_STEPS, metavar="N",
                   help=f"training steps of the NALU (default {demo.NALU_STEPS})")
    d.add_argument("--seed", type=int, default=0, help="seed of the initial parameters (default 0)")
    d.add_argument("--progress", action="store_true", help="show progress bars")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from . import demo

        results = demo.run(nac_steps=args.nac_steps, nalu_steps=args.nalu_steps, seed=args.seed,
                           plot_dir=args.plot_dir, progress=args.progress)
        return 0 if all(r.passed for r in results.values()) else 1
    return 2  # unreachable: argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
