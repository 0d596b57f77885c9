"""Figures (matplotlib, the optional ``[plot]`` extra)."""

from __future__ import annotations

import os
from typing import Union

from .train import History


class PlottingUnavailable(ImportError):
    """matplotlib is not installed."""


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: works without a display
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise PlottingUnavailable(
            "plotting needs matplotlib: pip install 'nalu_ext[plot]'") from err
    return plt


def plot_cost(history: History, path: Union[str, "os.PathLike[str]"], title: str) -> None:
    """The loss of every step on a log scale, written to ``path`` (PNG)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(range(history.steps), history.loss, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cost (sum of squared errors)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.fspath(path))
    plt.close(fig)
