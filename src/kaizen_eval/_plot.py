"""Drawing shared by the figures of every stage: estimates with their intervals, their colours.

The forest plot, the event study's plot and ``ke.coef_plot`` draw their intervals with
:func:`draw_intervals`. Nothing here imports matplotlib: the caller hands in its ``Axes``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["ESTIMATE_COLOURS", "SHRUNK_COLOURS", "draw_intervals"]

#: Marker and interval colours of an estimate (dark and light blue: a site's own, an event
#: time's) and of a site's shrunk estimate (dark and light red).
ESTIMATE_COLOURS = {"color": "#1f4e79", "ecolor": "#7da7d9"}
SHRUNK_COLOURS = {"color": "#c0392b", "ecolor": "#e6a29a"}


def draw_intervals(
    ax: Any, at: Any, frame: pd.DataFrame, *, vertical: bool = False, **style: Any
) -> Any:
    """Draw the ``estimate`` column of ``frame`` with its ``ci_low`` to ``ci_high`` intervals.

    Capped error bars on ``ax``; the intervals need not be symmetric.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    at : array-like
        Position of each row of ``frame`` on the other axis (a row of the plot, an event time).
    frame : pandas.DataFrame
        Columns ``estimate``, ``ci_low`` and ``ci_high`` (a ``tidy()`` table, say).
    vertical : bool, default False
        Estimates on the y axis (``at`` on x); default on the x axis, one row each.
    **style
        Passed to ``Axes.errorbar`` (``fmt``, ``color``, ``ecolor``, ``label``, ...).

    Returns
    -------
    matplotlib.container.ErrorbarContainer

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> rows = pd.DataFrame({"estimate": [1.0, 2.0], "ci_low": [0.5, 1.0], "ci_high": [2.0, 2.5]})
    >>> bars = draw_intervals(Figure().subplots(), [0, 1], rows, fmt="o", **ESTIMATE_COLOURS)
    >>> bars.has_xerr, bars.has_yerr
    (True, False)
    """
    estimate = frame["estimate"]
    err = [estimate - frame["ci_low"], frame["ci_high"] - estimate]
    if vertical:
        return ax.errorbar(at, estimate, yerr=err, capsize=3, **style)
    return ax.errorbar(estimate, at, xerr=err, capsize=3, **style)
