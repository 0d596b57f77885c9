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


def _figure(width: float, height: float) -> Any:
    """A new Figure with its own Agg canvas (not registered with pyplot)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise PlottingUnavailable(
            "plotting needs matplotlib: pip install 'nalu_ext[plot]'") from err
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_cost(history: History, path: Union[str, "os.PathLike[str]"], title: str) -> None:
    """The loss of every step on a log scale, written to ``path`` (PNG)."""
    fig = _figure(7, 4)
    ax = fig.add_subplot()
    ax.plot(range(history.steps), history.loss, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cost (sum of squared errors)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.fspath(path))


def plot_success(summary: Any, path: Union[str, "os.PathLike[str]"]) -> None:
    """Success rate of each unit × operation with its Wilson 95% interval, as a bar chart."""
    rows = summary.rows
    labels = [f"{r['family']}\n{r['op']}" for r in rows]
    rates = [100 * r["rate"] for r in rows]
    low = [100 * (r["rate"] - r["rate_low"]) for r in rows]
    high = [100 * (r["rate_high"] - r["rate"]) for r in rows]
    fig = _figure(max(4, 0.9 * len(rows) + 2), 4)
    ax = fig.add_subplot()
    ax.bar(range(len(rows)), rates, yerr=[low, high], capsize=4, color="#4c72b0")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels)
    ax.set_ylim(0, 105)
    ax.set_ylabel("success rate (%), Wilson 95% interval")
    judged = {"final": "final model", "published": "published selection"}.get(getattr(summary, "judge", ""), "")
    ax.set_title("extrapolation success over seeds" + (f" ({judged})" if judged else ""))
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.fspath(path))
