"""The cost-benefit figures of a plan's report: a titled tornado and a readable heatmap.

They wrap :func:`~kaizen_eval.plot_tornado` and :func:`~kaizen_eval.plot_two_way` (the drawing
is theirs) and fix what a reader sees: titles, labels from the formatting layer, levers that do
not move the ratio named instead of drawn as zero-width bars, and cell values in black on light
cells and white on dark ones (never white on yellow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.report.figures import tick_formatter

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


#: How the levers of :func:`~kaizen_eval.one_way_sensitivity` are named and written.
_LEVERS = {
    "gain": ("annual gain (USD)", "money"),
    "cost": ("cost (USD)", "money"),
    "years": ("years the gain lasts", "count"),
    "discount_rate": ("discount rate", "percent"),
    "decay": ("yearly decay of the gain", "percent"),
    "takeup": ("take-up", "percent"),
    "survival": ("survival", "percent"),
    "delay": ("delay (years)", "number"),
}


def tornado_figure(table: pd.DataFrame, *, title: str) -> tuple[Figure, list[str]]:
    """Draw a titled tornado chart; levers that do not move the ratio are left out and named.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`~kaizen_eval.one_way_sensitivity`.
    title : str
        Title of the chart.

    Returns
    -------
    (matplotlib.figure.Figure, list of str)
        The figure and the labels of the levers left out (zero width: the ratio does not change
        over their range, e.g. the decay of a one-year gain).

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> fig, dropped = tornado_figure(
    ...     ke.one_way_sensitivity(ke.cost_benefit(gain=13_890, cost=740)), title="Ghana")
    >>> fig.axes[0].get_title(), dropped
    ('Ghana', ['yearly decay of the gain'])
    """
    from matplotlib.figure import Figure

    from kaizen_eval.costbenefit import plot_tornado

    flat = (table["metric_high"] - table["metric_low"]).abs() <= 1e-12 * table[
        "base_metric"
    ].abs().clip(lower=1.0)
    dropped = [_LEVERS.get(p, (F.label(p), "number"))[0] for p in table.loc[flat, "parameter"]]
    kept = table.loc[~flat]
    fig = Figure(figsize=(7.0, 0.45 * len(kept) + 1.7), layout="constrained")
    ax = fig.add_subplot()
    plot_tornado(kept, ax=ax)
    names = []
    for p, lo, hi in zip(kept["parameter"], kept["low_value"], kept["high_value"], strict=True):
        name, kind = _LEVERS.get(p, (F.label(p), "number"))
        low, high = F.column([lo, hi], kind)
        names.append(f"{name}: {low} to {high}")
    ax.set_yticks(ax.get_yticks(), names[::-1])
    ax.set_xlabel("Benefit-cost ratio")
    ax.xaxis.set_major_formatter(tick_formatter(ax.xaxis))
    ax.set_title(title)
    return fig, dropped


@fill_doc(DOCS)
def heatmap_figure(grid: pd.DataFrame, *, title: str) -> Figure:
    """Draw the two-way grid of benefit-cost ratios with readable labels and annotations.

    The cell values are written in black on light cells and in white on dark ones (never white
    on yellow); ticks are percentages (discount rate) and years.

    Parameters
    ----------
    grid : pandas.DataFrame
        Output of :func:`~kaizen_eval.two_way_sensitivity` (years × discount rate).
    title : str
        Title of the chart.

    %(returns_figure)s

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> grid = ke.two_way_sensitivity(ke.cost_benefit(gain=4_181, cost=2_905))
    >>> fig = heatmap_figure(grid, title="Tanzania")
    >>> fig.axes[0].get_xlabel()
    'Discount rate (per year)'
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    from kaizen_eval.costbenefit import plot_two_way

    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    plot_two_way(grid, ax=ax, annotate=False)
    values = grid.to_numpy(dtype=float)
    norm = Normalize(np.nanmin(values), np.nanmax(values))
    cmap = colormaps["viridis"]
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            r, g, b, _ = cmap(norm(values[i, j]))
            light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45
            ax.text(
                j,
                i,
                F.ratio(values[i, j]),
                ha="center",
                va="center",
                color="black" if light else "white",
                fontsize="small",
            )
    ax.set_xticks(np.arange(grid.shape[1]), [F.percent(c) for c in grid.columns])
    ax.set_yticks(np.arange(grid.shape[0]), [F.count(r) for r in grid.index])
    ax.set_xlabel("Discount rate (per year)")
    ax.set_ylabel("Years the gain lasts")
    fig.axes[-1].set_ylabel("Benefit-cost ratio")
    ax.set_title(title)
    return fig
