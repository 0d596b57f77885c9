"""Figures (matplotlib, the optional ``[plot]`` extra).

Each figure is a ``matplotlib.figure.Figure`` drawn without pyplot: the user's backend and pyplot's
figure list are never touched, and nothing needs a display.
"""

from __future__ import annotations

import os
from typing import Any, Union

from .train import History


class PlottingUnavailable(ImportError):
    """matplotlib is not installed."""


def new_figure(width: float, height: float) -> Any:
    """A new Figure with its own Agg canvas (not registered with pyplot)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise PlottingUnavailable(
            "plotting needs matplotlib: pip install matplotlib (nalu_ext's [plot] extra)") from err
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def check_plot_path(path: Union[str, "os.PathLike[str]"]) -> None:
    """Raises before any work what writing a figure to ``path`` would raise after it: no
    matplotlib (PlottingUnavailable), or a file name whose extension matplotlib cannot write
    (ValueError, listing the formats)."""
    fig = new_figure(1, 1)
    extension = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    formats = fig.canvas.get_supported_filetypes()
    if extension and extension not in formats:
        raise ValueError(f"cannot write a figure as .{extension}: matplotlib writes {', '.join(sorted(formats))}")


def plot_cost(history: History, path: Union[str, "os.PathLike[str]"], title: str) -> None:
    """The loss of every step on a log scale, written to ``path`` (PNG)."""
    fig = new_figure(7, 4)
    ax = fig.add_subplot()
    ax.plot(range(history.steps), history.loss, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cost (sum of squared errors)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.fspath(path))
