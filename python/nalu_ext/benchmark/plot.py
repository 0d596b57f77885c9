"""The benchmark's figures (matplotlib, the optional ``[plot]`` extra): success rates with their
intervals beside the published ones, the single-module benchmark's grid, the NPU paper's simple
task. Drawn as nalu_ext.plot draws (no pyplot, nothing needs a display)."""

from __future__ import annotations

import os
from typing import Any, Optional, Union

from ..plot import new_figure

# Resolution of the written figures: a column of a paper printed at 300 dpi wants about this many
# pixels per inch of figure (the PNGs are 8 inches wide); .pdf and .svg are vector formats.
DEFAULT_DPI = 200


def study_caption(records: Any, suite: Optional[str] = None) -> str:
    """What a figure of these runs shows, in words: the protocol, the steps per run, the seeds."""
    done = [r["spec"] for r in records if r.get("status") == "ok"]
    steps = sorted({spec.get("steps") for spec in done if spec.get("steps")})
    seeds = {spec.get("seed") for spec in done}
    protocol = {"table1": "Madsen & Johansen's Table 1", "toy": "Madsen & Johansen's toy problem",
                "ablation": "Madsen & Johansen's ablation table", "nalu-table": "Madsen & Johansen's NALU table",
                "single-module": "the single-module benchmark", "npu-simple": "the NPU paper's simple task",
                None: "the arithmetic protocol"}.get(suite, suite or "")
    length = (f"{steps[0]:,} steps per run" if len(steps) == 1 else
              f"{steps[0]:,} to {steps[-1]:,} steps per run" if steps else "no finished run")
    return f"{protocol}: {len(done)} finished runs, {length}, {len(seeds)} seeds per row at most"


def plot_success(summary: Any, path: Union[str, "os.PathLike[str]"], suite: Optional[str] = None,
                 dpi: int = DEFAULT_DPI) -> None:
    """:func:`success_figure` (or for the single-module suite :func:`single_module_figure`)
    written to ``path`` (.png, .pdf, .svg: any format matplotlib writes, by the extension),
    cropped to what it draws (nothing cut), with a caption naming the protocol, the steps and the
    seeds.

    Parameters
    ----------
    summary : SweepSummary
    path : str or os.PathLike
    suite : "table1", "toy", "ablation", "nalu-table", "single-module", "npu-simple" or None
    dpi : int
        Pixels per inch of a raster format (default 200).
    """
    if suite == "npu-simple":
        fig = npu_simple_figure(summary)
    elif suite == "single-module":
        fig = single_module_figure(summary)
    else:
        fig = success_figure(summary, suite)
    _save(fig, path, study_caption(getattr(summary, "records", []), suite), dpi)


def _save(fig: Any, path: Union[str, "os.PathLike[str]"], caption: str, dpi: int) -> None:
    fig.text(0.0, 0.0, caption, fontsize=8, color="#444444", ha="left", va="top")
    fig.savefig(os.fspath(path), bbox_inches="tight", dpi=dpi)


def single_module_figure(summary: Any) -> Any:
    """The single-module benchmark as its paper draws it: one panel per operation, the success
    rate on each interpolation range with its Wilson 95% interval, one marker per unit.

    Parameters
    ----------
    summary : SweepSummary

    Returns
    -------
    matplotlib.figure.Figure
    """
    import json

    from .published import OP_SYMBOLS
    from .single_module import PAIRS, families, range_label
    from .tasks import SingleModuleTask, as_intervals

    ranges = [json.dumps([list(i) for i in as_intervals(r[0], "range")]) for r in SingleModuleTask.RANGES]
    ops = [op for op in PAIRS if any(r["op"] == op for r in summary.rows)]
    ops += sorted({r["op"] for r in summary.rows} - set(ops))
    fig = new_figure(11, 2.6 * max(len(ops), 1) + 0.6)
    markers = "osD^vP*Xh<>"
    # one colour and marker per unit in every panel
    style = {unit: k for k, unit in enumerate(dict.fromkeys([*families(), *(r["family"] for r in summary.rows)]))}
    for k, op in enumerate(ops):
        ax = fig.add_subplot(len(ops), 1, k + 1)
        rows = [r for r in summary.rows if r["op"] == op]
        units = list(dict.fromkeys([f for f in PAIRS.get(op, ()) if any(r["family"] == f for r in rows)]
                                   + [r["family"] for r in rows]))
        width = 0.8 / max(len(units), 1)
        for u, unit in enumerate(units):
            for r in rows:
                if r["family"] == unit and json.dumps(r["interpolation"]) in ranges:
                    x = ranges.index(json.dumps(r["interpolation"])) - 0.4 + (u + 0.5) * width
                    ax.errorbar([x], [100 * r["rate"]], yerr=_whisker(r), fmt=markers[style[unit] % len(markers)],
                                color=f"C{style[unit] % 10}", markersize=4, capsize=2, label=unit)
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        ax.set_xticks(range(len(ranges)))
        ax.set_xticklabels([range_label(json.loads(r)) for r in ranges], fontsize=8)
        ax.set_xlim(-0.5, len(ranges) - 0.5)
        ax.set_ylim(-5, 105)
        ax.set_ylabel(f"{OP_SYMBOLS.get(op, op)}  success (%)")
        ax.grid(True, axis="y", alpha=0.3)
    fig.axes[-1].set_xlabel("interpolation range (training); Wilson 95% intervals")
    runs = max((r["runs"] for r in summary.rows), default=0)
    fig.axes[0].set_title(f"Single-module benchmark (Mistry, Farrahi & Hare): up to {runs} seeds per point, "
                          "judged on the published selection", fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def _whisker(row: Any) -> Any:
    """A row's Wilson interval as errorbar's [[below], [above]], in percent; None for a published
    row without one (the ablation table prints none)."""
    if row["rate_low"] is None:
        return None
    return [[100 * (row["rate"] - row["rate_low"])], [100 * (row["rate_high"] - row["rate"])]]


def success_figure(summary: Any, suite: Optional[str] = None) -> Any:
    """Success rate of each unit × operation with its Wilson 95% interval (a marker with a
    whisker, so a 0% row shows), one row each, labelled with its runs and how many reached the
    criterion at some log; with ``suite`` (a published table's: "table1", "toy", "ablation",
    "nalu-table") the published rate and interval beside each row.

    Parameters
    ----------
    summary : SweepSummary
    suite : "table1", "toy", "ablation", "nalu-table" or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .published import OP_SYMBOLS, in_published_order, label, published_row, published_table

    rows = in_published_order(summary.rows, suite) if suite is not None else list(summary.rows)
    n = len(rows)
    fig = new_figure(8, 1.2 + 0.42 * max(n, 1))
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]  # the first row at the top
    for y, r in zip(ys, rows):
        ax.errorbar([100 * r["rate"]], [y], xerr=_whisker(r), fmt="o", color="#1f5fa8", capsize=3, clip_on=False, zorder=3,
                    label="ours" if y == ys[0] else None)
        p = published_row(suite, r["family"], r["op"]) if suite else None
        if p is not None:
            ax.errorbar([100 * p["rate"]], [y - 0.3], xerr=_whisker(p), fmt="D", mfc="white", color="#c4561d", capsize=3, clip_on=False, zorder=3,
                        label="published" if y == ys[0] else None)
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{OP_SYMBOLS.get(r['op'], r['op'])}  {label(r['family'])}   ({r['runs']} runs, "
                        f"{r['reached']} reached the threshold at some log)" for r in rows])
    ax.set_xlim(-4, 104)
    ax.set_ylim(-0.8, n - 0.4)
    ax.set_xlabel("runs that succeeded (%), with the Wilson 95% interval of the rate")
    judged = {"final": "final model", "published": "published selection"}.get(getattr(summary, "judge", ""), "")
    title = "Extrapolation success over seeds" + (f", judged on the {judged}" if judged else "")
    if suite is not None:
        table = published_table(suite)
        title += f"\npublished: {table['seeds']} seeds, {table['source']['repository']} {table['source']['file']}"
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(True, axis="x", alpha=0.3)
    if suite is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: never over a row
    return fig


def npu_simple_figure(summary: Any) -> Any:
    """The NPU paper's simple task: each model's mean absolute error per output (log scale), the
    mean over runs with ±2 standard errors, beside the published mean ± 2 standard errors.

    Parameters
    ----------
    summary : nalu_ext.benchmark.npu_simple.Summary

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .npu_simple import OPS, SYMBOLS, published

    fig = new_figure(11, 3.4)
    models = list(dict.fromkeys(r["family"] for r in summary.rows))
    for k, op in enumerate(OPS):
        ax = fig.add_subplot(1, len(OPS), k + 1)
        for m, family in enumerate(models):
            row = next((r for r in summary.rows if r["family"] == family and r["op"] == op), None)
            if row is None:
                continue
            ax.errorbar([m - 0.15], [row["mean"]], yerr=[[min(2 * row["se"], 0.999 * row["mean"])], [2 * row["se"]]],
                        fmt="o", color="#1f5fa8", capsize=3, label="ours" if m == 0 else None)
            p = row["published"]
            if p is not None:
                ax.errorbar([m + 0.15], [p["mae_mean"]], yerr=[[min(2 * p["mae_se"], 0.999 * p["mae_mean"])],
                                                             [2 * p["mae_se"]]],
                            fmt="D", mfc="white", color="#c4561d", capsize=3, label="published" if m == 0 else None)
        ax.set_yscale("log")
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models, rotation=45, fontsize=8)
        ax.set_title(f"{SYMBOLS[op]}", fontsize=11)
        ax.grid(True, axis="y", which="both", alpha=0.3)
        if k == 0:
            ax.set_ylabel("mean absolute error on the grid")
            ax.legend(fontsize=8, loc="lower left")
    source = published()["source"]
    fig.suptitle(f"NPU paper's simple task: mean ± 2 s.e. over runs; published: {published()['seeds']} runs, "
                 f"{source['repository']} {source['file']}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_distributions(summary: Any, path: Union[str, "os.PathLike[str]"], dpi: int = DEFAULT_DPI) -> None:
    """:func:`distribution_figure` written to ``path`` (its format by the extension), cropped to
    what it draws, with the caption of :func:`plot_success`."""
    _save(distribution_figure(summary), path, study_caption(getattr(summary, "records", []), "table1"), dpi)


def distribution_figure(summary: Any) -> Any:
    """For each Table 1 row with successful runs on both sides, the empirical distribution
    functions of the successful runs' solved-at steps and sparsity errors, ours beside the
    published seeds' (``published.published_seeds``), each panel titled with its two-sample KS p.

    Parameters
    ----------
    summary : SweepSummary of --suite table1 runs

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .published import OP_SYMBOLS, distribution_p, in_published_order, label, published_successes

    panels = []
    for r in in_published_order(summary.rows, "table1"):
        theirs = published_successes(r["family"], r["op"])
        if theirs is None or not r["solved_at_values"] or not theirs[0]:
            continue
        panels.append((r, (r["solved_at_values"], r["sparsity_errors"]), theirs, distribution_p(r, r["family"], r["op"])))
    fig = new_figure(9, 0.6 + 2.3 * max(len(panels), 1))
    if not panels:
        fig.text(0.5, 0.5, "no Table 1 row has successful runs on both sides", ha="center", va="center")
        return fig
    axes = fig.subplots(len(panels), 2, squeeze=False)
    for (r, mine, theirs, ks), row_axes in zip(panels, axes):
        name = f"{OP_SYMBOLS.get(r['op'], r['op'])} {label(r['family'])}"
        for ax, ours, published, p, what in zip(row_axes, mine, theirs, ks, ("solved at (step)", "sparsity error")):
            for values, style, who in ((ours, dict(color="#1f5fa8"), "ours"),
                                       (published, dict(color="#c4561d", linestyle="--"), "published")):
                if values:
                    x = sorted(values)
                    ax.step(x, [(k + 1) / len(x) for k in range(len(x))], where="post",
                            label=f"{who} (n={len(x)})", **style)
            if what == "sparsity error" and min([*ours, *published], default=1.0) > 0:
                from matplotlib.ticker import NullFormatter

                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # within a decade the labels overlap
            ax.set_ylim(0, 1.02)
            ax.set_xlabel(what)
            ax.set_ylabel("share of successful runs")
            ax.set_title(f"{name}: {what}, KS p = " + ("-" if p is None else f"{p:.3g}"), fontsize=9, loc="left")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
