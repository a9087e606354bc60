"""The forest plot of a pooled estimate; matplotlib is imported only when drawing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from kaizen_eval._docs import fill_doc
from kaizen_eval._plot import ESTIMATE_COLOURS, SHRUNK_COLOURS, draw_intervals
from kaizen_eval.estimate._docs_pooling import DOCS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


@fill_doc(DOCS)
def forest_plot(pooled: Any, *, title: str | None = None, xlabel: str = "Effect") -> Figure:
    """Draw each site raw and shrunk, the pooled diamond and a new site's prediction interval.

    Parameters
    ----------
    pooled : PooledEstimate
        The result of :func:`~kaizen_eval.estimate.pooling.pool_sites`.
    title, xlabel : str, optional
        Figure annotations.

    %(returns_figure)s

    Examples
    --------
    %(example_three_sites)s
    >>> fig = forest_plot(ke.pool_sites(t, method="bayes", prior="half_normal", prior_scale=2))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['new site', 'pooled (bayes)', 'a', 'b', 'c']
    """
    from matplotlib.figure import Figure

    sites = pooled.sites
    tidy = pooled.tidy()
    level = round(100 * (1 - pooled.alpha))
    z = stats.norm.ppf(1 - pooled.alpha / 2)
    k = len(sites)
    fig = Figure(figsize=(6.4, 0.45 * k + 2.0))
    ax = fig.subplots()
    y = np.arange(k)[::-1] + 2.0
    half = z * sites["std_error"]
    raw = sites.assign(ci_low=sites["estimate"] - half, ci_high=sites["estimate"] + half)
    label = f"site estimate, {level}% CI"
    draw_intervals(ax, y + 0.15, raw, fmt="s", label=label, **ESTIMATE_COLOURS)
    label = "shrunk (posterior)" if pooled.method == "bayes" else "shrunk (BLUP)"
    draw_intervals(ax, y - 0.15, tidy.iloc[2:], fmt="o", label=label, **SHRUNK_COLOURS)
    mu, lo, hi = pooled.mu, pooled.ci_low, pooled.ci_high
    ax.fill(
        [lo, mu, hi, mu],
        [1.0, 1.25, 1.0, 0.75],
        color="#2c3e50",
        label=f"pooled mu, {level}% interval",
    )
    plo, phi = pooled.prediction_interval
    ax.plot(
        [plo, phi],
        [0.4, 0.4],
        color="#7f8c8d",
        linewidth=3,
        label=f"a new site, {level}% prediction",
    )
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.axvline(mu, color="#2c3e50", linewidth=0.6, linestyle=":")
    ax.set_yticks([0.4, 1.0, *y])
    randomized = pooled.experimental.to_numpy()
    labels = [
        s if r else f"{s} (not randomized)" for s, r in zip(sites.index, randomized, strict=True)
    ]
    ax.set_yticklabels(["new site", f"pooled ({pooled.method})", *labels])
    if not randomized.all():  # non-randomized sites apart: hollow markers over the raw ones
        ax.plot(
            sites["estimate"][~randomized],
            (y + 0.15)[~randomized],
            "s",
            markerfacecolor="white",
            markeredgecolor="#1f4e79",
            label="not randomized (DiD)",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylim(0.0, k + 2.6)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    fig.tight_layout()
    return fig
