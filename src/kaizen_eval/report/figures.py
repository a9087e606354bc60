"""Figures for estimates: the coefficient plot. matplotlib is imported only when drawing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.result import Estimate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def coef_plot(
    results: Mapping[str, Estimate] | Sequence[Estimate],
    *,
    terms: Sequence[str] | None = None,
    alpha: float = 0.05,
    truth: Mapping[str, float] | None = None,
    title: str | None = None,
    xlabel: str = "Estimate",
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
        Figure annotations.

    Returns
    -------
    matplotlib.figure.Figure

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
            rows.append((name, row["estimate"], row["ci_low"], row["ci_high"]))
    data = pd.DataFrame(rows, columns=["label", "estimate", "low", "high"])
    from matplotlib.figure import Figure

    # A bare Figure (no pyplot): nothing is registered globally, it renders on any backend, and
    # a notebook shows it once (as the returned value).
    fig = Figure(figsize=(6.4, 0.5 * len(data) + 1.2))
    ax = fig.subplots()
    y = list(range(len(data)))[::-1]
    ax.errorbar(
        data["estimate"],
        y,
        xerr=[data["estimate"] - data["low"], data["high"] - data["estimate"]],
        fmt="o",
        color="#1f4e79",
        ecolor="#7da7d9",
        elinewidth=2,
        capsize=3,
        label=f"estimate, {round(100 * (1 - alpha))}% CI",
    )
    if truth:
        ty = [yy for yy, lab in zip(y, data["label"], strict=True) if lab in truth]
        tx = [truth[lab] for lab in data["label"] if lab in truth]
        if tx:
            ax.scatter(tx, ty, marker="x", color="#c0392b", zorder=3, label="truth")
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(data["label"])
    ax.set_xlabel(xlabel)
    ax.set_ylim(-0.7, len(data) - 0.3)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small", frameon=False)
    fig.tight_layout()
    return fig
