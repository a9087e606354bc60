"""Figures for estimates: the coefficient plot. matplotlib is imported only when drawing.

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies);
every label goes through the formatting layer (:mod:`kaizen_eval._format`): variable labels, not
snake_case, and numbers without exponents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval._plot import draw_intervals
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.result import Estimate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


@fill_doc()
def coef_plot(
    results: Mapping[str, Estimate] | Sequence[Estimate],
    *,
    terms: Sequence[str] | None = None,
    alpha: float = 0.05,
    truth: Mapping[str, float] | None = None,
    title: str | None = None,
    xlabel: str = "Estimate",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Plot point estimates with their ``1 - alpha`` confidence intervals.

    Parameters
    ----------
    results : mapping of label to Estimate, or sequence of Estimate
        The estimates to show; each term of each result is one row of the plot.
    terms : sequence of str, optional
        Terms to show (default: all).
    alpha : float, default 0.05
        Interval level.
    truth : mapping of row label to float, optional
        Known true values (synthetic trials) drawn as crosses on the matching rows.
    title, xlabel : str, optional
        Figure annotations; give ``xlabel`` the unit (e.g. ``"Effect (USD per year)"``).
    labels : mapping, optional
        Reader-facing names of outcomes and terms (a codebook's labels) for the row labels;
        ``truth`` keys stay the raw ``"label: term"`` names.

    %(returns_figure)s

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> e = ke.Estimate(terms=("invited",), coef=[2.0], vcov=[[0.25]], dof=98, se_type="HC1",
    ...                 method="OLS", estimand="ITT", outcome="score", nobs=100)
    >>> fig = ke.coef_plot({"score": e})
    >>> len(fig.axes)
    1
    """
    items = (
        list(results.items()) if isinstance(results, Mapping) else [(r.outcome, r) for r in results]
    )
    if not items:
        raise KaizenError("`results` is empty: pass at least one Estimate.")
    rows = []
    for label, r in items:
        tidy = r.tidy(alpha=alpha)
        for term, row in tidy.iterrows():
            if terms is not None and term not in terms:
                continue
            name = label if len(tidy) == 1 else f"{label}: {term}"
            shown = (
                F.label(label, labels)
                if len(tidy) == 1
                else f"{F.label(label, labels)}: {F.label(term, labels)}"
            )
            rows.append((name, shown, row["estimate"], row["ci_low"], row["ci_high"]))
    data = pd.DataFrame(rows, columns=["label", "shown", "estimate", "ci_low", "ci_high"])
    from matplotlib.figure import Figure

    # A bare Figure (no pyplot): nothing is registered globally, it renders on any backend, and
    # a notebook shows it once (as the returned value).
    fig = Figure(figsize=(6.4, 0.5 * len(data) + 1.2))
    ax = fig.subplots()
    y = list(range(len(data)))[::-1]
    label = f"estimate, {round(100 * (1 - alpha))}% CI"
    draw_intervals(
        ax, y, data, fmt="o", color="#0072B2", ecolor="#56B4E9", elinewidth=2, label=label
    )
    if truth:
        ty = [yy for yy, lab in zip(y, data["label"], strict=True) if lab in truth]
        tx = [truth[lab] for lab in data["label"] if lab in truth]
        if tx:
            ax.scatter(tx, ty, marker="x", color="#D55E00", zorder=3, label="truth")
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(data["shown"])
    ax.xaxis.set_major_formatter(tick_formatter(ax.xaxis))
    ax.set_xlabel(xlabel)
    ax.set_ylim(-0.7, len(data) - 0.3)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def tick_formatter(axis: object) -> object:
    """Return axis ticks written by the formatting layer: separators, never exponents.

    Every tick of the axis gets the decimals that its tick step needs (0.05 -> 2, 2,500 -> 0),
    so ``0.0500`` and ``1.27e+04`` do not occur.
    """
    from matplotlib.ticker import FuncFormatter

    def decimals() -> int:
        ticks = sorted(axis.get_majorticklocs())  # type: ignore[attr-defined]
        step = min((b - a for a, b in pairwise(ticks)), default=1.0)
        for d in range(7):
            if abs(round(step, d) - step) <= 1e-9 * max(abs(step), 1.0):
                return d
        return 6

    return FuncFormatter(lambda v, _pos: F.number(0.0 if abs(v) < 1e-12 else v, decimals()))
