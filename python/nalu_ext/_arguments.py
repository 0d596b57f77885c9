"""The command line's argument types: each converts a string or raises argparse's error with a
sentence saying what was expected and what arrived (checked before any work)."""

from __future__ import annotations

import argparse
import math
import os

from ._checks import new_file as _checked_new_file


def integer(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise argparse.ArgumentTypeError(f"must be {expected}, got {value}")
    return value


def positive(text: str) -> int:
    return integer(text, 1)


def non_negative(text: str) -> int:
    return integer(text, 0)


def real(text: str, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (math.isfinite(value) and (value > 0 or (allow_zero and value == 0))):
        raise argparse.ArgumentTypeError(f"must be a finite number {'>=' if allow_zero else '>'} 0, got {text}")
    return value


def positive_real(text: str) -> float:
    return real(text, allow_zero=False)


def non_negative_real(text: str) -> float:
    return real(text, allow_zero=True)


def new_file(text: str) -> str:
    """A file to write: not a directory, in a directory that exists and can be written (checked
    before any work)."""
    try:
        return _checked_new_file(text, "path")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def plot_file(text: str) -> str:
    """A figure to write: a new file (see new_file), matplotlib installed, a format it writes."""
    from .plot import PlottingUnavailable, check_plot_path

    path = new_file(text)
    try:
        check_plot_path(path)
    except (PlottingUnavailable, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return path


def directory(text: str) -> str:
    """A directory to write into: it may not exist yet, but it must not be a file."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a directory")
    return text


def existing_path(text: str) -> str:
    """A file or directory to read: it must exist."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text!r} does not exist")
    return text
