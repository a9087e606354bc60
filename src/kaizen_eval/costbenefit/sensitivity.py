"""Sensitivity of a cost-benefit result: one-way ranges (tornado) and a two-way grid (heatmap).

Each parameter is varied with everything else held at the values of the given
:class:`~kaizen_eval.costbenefit.analysis.CostBenefit`; the gain is its point value (the sampling
uncertainty is what ``CostBenefit.draws`` describes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.costbenefit._docs import DOCS
from kaizen_eval.costbenefit._parameters import (
    METRICS,
    PARAMETERS,
    Metric,
    base_values,
    default_ranges,
    evaluate,
)
from kaizen_eval.costbenefit._parameters import Parameter as Parameter
from kaizen_eval.costbenefit.analysis import CostBenefit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TORNADO_COLUMNS = (
    "parameter",
    "base_value",
    "low_value",
    "high_value",
    "metric_low",
    "metric_high",
    "base_metric",
    "swing",
)


def _check_parameter(cb: CostBenefit, name: str, base: Mapping[str, float], metric: Metric) -> None:
    """Raise unless ``name`` is a parameter that applies to ``cb`` (one of ``base``)."""
    check_option("parameter", name, PARAMETERS)
    if name not in base:
        evaluate(cb, metric, **{name: 1.0})  # raises, saying why it does not apply


@fill_doc(DOCS)
def one_way_sensitivity(
    cb: CostBenefit,
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    parameters: Sequence[str] | None = None,
    metric: Metric = "bcr",
) -> pd.DataFrame:
    """Vary each parameter alone over a (low, high) range: the data of a tornado chart.

    Parameters
    ----------
    %(param_base_result)s
    ranges : dict of str to (float, float), optional
        Ranges overriding :func:`default_ranges`.
    parameters : sequence of str, optional
        Parameters to vary (default: every parameter of :func:`base_values`).
    metric : str
        Metric reported (default ``"bcr"``).

    Returns
    -------
    pandas.DataFrame
        One row per parameter, sorted by decreasing ``swing``; columns ``parameter,
        base_value, low_value, high_value, metric_low, metric_high, base_metric, swing``
        (``swing = |metric_high − metric_low|``).

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> t = one_way_sensitivity(cost_benefit(gain=13_890, cost=740), parameters=["cost", "years"])
    >>> t["parameter"].tolist()
    ['years', 'cost']
    """
    check_option("metric", metric, METRICS)
    base = base_values(cb)
    all_ranges = default_ranges(cb)
    for name, rng in (ranges or {}).items():
        _check_parameter(cb, name, base, metric)
        lo, hi = rng
        all_ranges[name] = (float(lo), float(hi))
    names = list(base) if parameters is None else list(parameters)
    base_metric = float(getattr(cb, metric))
    rows = []
    for name in names:
        _check_parameter(cb, name, base, metric)
        lo, hi = all_ranges[name]
        m_lo = evaluate(cb, metric, **{name: lo})
        m_hi = evaluate(cb, metric, **{name: hi})
        rows.append((name, base[name], lo, hi, m_lo, m_hi, base_metric, abs(m_hi - m_lo)))
    out = pd.DataFrame(rows, columns=list(TORNADO_COLUMNS))
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["metric"] = metric
    return out


@fill_doc(DOCS)
def two_way_sensitivity(
    cb: CostBenefit,
    *,
    rows: str = "years",
    row_values: Sequence[float] = (1, 2, 3, 5, 10),
    columns: str = "discount_rate",
    column_values: Sequence[float] = (0.0, 0.03, 0.05, 0.10),
    metric: Metric = "bcr",
) -> pd.DataFrame:
    """Recompute ``metric`` on a grid of two parameters (default: persistence × discount rate).

    Parameters
    ----------
    %(param_base_result)s
    rows, columns : str
        The two parameters (names as in :func:`base_values`).
    row_values, column_values : sequence of float
        Their values.
    metric : str
        Metric in the cells (default ``"bcr"``).

    Returns
    -------
    pandas.DataFrame
        Index named ``rows`` (its values), columns named ``columns``.

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> g = two_way_sensitivity(cost_benefit(gain=100.0, cost=100.0), row_values=[1, 2],
    ...                         column_values=[0.0])
    >>> g.to_numpy().ravel().tolist()
    [1.0, 2.0]
    """
    check_option("metric", metric, METRICS)
    if rows == columns:
        raise KaizenError(f"`rows` and `columns` must differ. You passed {rows!r} twice.")
    check_option("rows", rows, PARAMETERS)
    check_option("columns", columns, PARAMETERS)
    values = np.array(
        [
            [evaluate(cb, metric, **{rows: float(r), columns: float(c)}) for c in column_values]
            for r in row_values
        ]
    )
    out = pd.DataFrame(
        values,
        index=pd.Index(list(row_values), name=rows),
        columns=pd.Index(list(column_values), name=columns),
    )
    out.attrs["metric"] = metric
    return out


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    from matplotlib.figure import Figure  # lazy: no pyplot, works with any backend

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


@fill_doc(DOCS)
def plot_tornado(table: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Draw a tornado chart from :func:`one_way_sensitivity`'s table.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`one_way_sensitivity`.
    %(param_ax)s

    %(returns_figure)s

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> import io
    >>> fig = plot_tornado(one_way_sensitivity(cost_benefit(gain=13_890, cost=740)))
    >>> fig.savefig(io.BytesIO(), format="png")
    """
    missing = [c for c in TORNADO_COLUMNS if c not in table.columns]
    if missing:
        raise KaizenError(f"not a one_way_sensitivity table: missing columns {missing}.")
    fig, ax = _axes(ax, (7.0, 0.45 * len(table) + 1.5))
    t = table.iloc[::-1].reset_index(drop=True)  # largest swing on top
    base = float(t["base_metric"].iloc[0]) if len(t) else 0.0
    y = np.arange(len(t))
    for col, colour, label in (
        ("metric_low", "#4C72B0", "low"),
        ("metric_high", "#DD8452", "high"),
    ):
        vals = t[col].to_numpy(dtype=float)
        ax.barh(y, vals - base, left=base, color=colour, label=f"parameter at its {label} value")
    labels = [
        _lever_label(p, lo, hi)
        for p, lo, hi in zip(t["parameter"], t["low_value"], t["high_value"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.axvline(base, color="black", linewidth=0.8)
    metric = table.attrs.get("metric", "bcr")
    if metric == "bcr":
        ax.axvline(1.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel(metric.upper() if metric in ("bcr", "npv", "irr") else metric)
    ax.legend(loc="lower right", fontsize="small")
    return fig


#: Levers written as percentages and as money in the tornado's labels.
_RATE_LEVERS = ("discount_rate", "decay", "survival", "takeup")
_MONEY_LEVERS = ("gain", "cost", "spillover_gain", "business_stealing")


def _lever_label(name: str, low: float, high: float) -> str:
    """Label a tornado bar: ``discount rate (3 % – 10 %)``, ``gain (1,270 – 15,700)``."""
    kind = "percent" if name in _RATE_LEVERS else "money" if name in _MONEY_LEVERS else "number"
    if kind == "percent":
        ends = [F.percent(v, 0 if round(100 * v, 6).is_integer() else 1) for v in (low, high)]
    elif kind == "number" and all(float(v).is_integer() for v in (low, high)):
        ends = [F.count(low), F.count(high)]  # years, delay in whole years
    else:
        ends = F.column([low, high], kind)
    return f"{F.heading(name)} ({ends[0]} – {ends[1]})"


@fill_doc(DOCS)
def plot_two_way(grid: pd.DataFrame, *, ax: Axes | None = None, annotate: bool = True) -> Figure:
    """Draw :func:`two_way_sensitivity`'s grid as an annotated heatmap.

    Parameters
    ----------
    grid : pandas.DataFrame
        Output of :func:`two_way_sensitivity`.
    %(param_ax)s
    annotate : bool
        Write each cell's value.

    %(returns_figure)s

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> fig = plot_two_way(two_way_sensitivity(cost_benefit(gain=4_181, cost=2_905)))
    """
    fig, ax = _axes(ax, (6.0, 4.5))
    values = grid.to_numpy(dtype=float)
    im = ax.imshow(values, aspect="auto", cmap="viridis", origin="lower")
    ax.set_xticks(np.arange(grid.shape[1]), [f"{c:g}" for c in grid.columns])
    ax.set_yticks(np.arange(grid.shape[0]), [f"{r:g}" for r in grid.index])
    ax.set_xlabel(F.heading(str(grid.columns.name)))
    ax.set_ylabel(F.heading(str(grid.index.name)))
    metric: Any = grid.attrs.get("metric", "bcr")
    fig.colorbar(im, ax=ax, label=F.label(str(metric)))
    if annotate:  # one precision for the whole grid, no exponents
        flat = F.column(values.ravel(), "ratio" if metric == "bcr" else "number")
        cells = np.array(flat, dtype=object).reshape(values.shape)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                ax.text(j, i, cells[i][j], ha="center", va="center", color="white")
    return fig


@fill_doc(DOCS)
def plot_bcr_distribution(cb: CostBenefit, *, ax: Axes | None = None, bins: int = 60) -> Figure:
    """Draw the distribution of the benefit-cost ratio over the draws of an uncertain gain.

    The histogram is of ``cb.draws["bcr"]``; the point estimate, the percentile interval and the
    break-even line (BCR = 1) are marked, and the title gives P(BCR > 1).

    Parameters
    ----------
    cb : CostBenefit
        A result whose gain was uncertain (an ``Estimate`` or ``gain_draws``).
    %(param_ax)s
    bins : int
        Number of histogram bins.

    %(returns_figure)s

    Raises
    ------
    KaizenError
        If the gain was a plain number (there is no distribution to draw).

    Examples
    --------
    >>> import numpy as np
    >>> from kaizen_eval import cost_benefit
    >>> draws = np.random.default_rng(0).normal(13_890, 7_000, size=2_000)
    >>> fig = plot_bcr_distribution(cost_benefit(gain=13_890, cost=740, gain_draws=draws))
    >>> fig.axes[0].get_xlabel()
    'benefit-cost ratio'
    """
    if cb.draws is None:
        raise KaizenError(
            "this cost-benefit result has a certain gain (a number): pass an Estimate or "
            "gain_draws to cost_benefit to get a BCR distribution."
        )
    fig, ax = _axes(ax, (6.4, 3.6))
    bcr = cb.draws["bcr"].to_numpy(dtype=float)
    ax.hist(bcr, bins=bins, color="#7da7d9", edgecolor="white")
    lo, hi = cb.bcr_interval
    ax.axvline(cb.bcr, color="#1f4e79", linewidth=2, label=f"estimate {F.ratio(cb.bcr)}")
    ax.axvspan(
        lo, hi, color="#1f4e79", alpha=0.08, label=f"{round(100 * (1 - cb.alpha))}% interval"
    )
    ax.axvline(1.0, color="#c0392b", linestyle="--", label="break-even (BCR = 1)")
    ax.set_xlabel("benefit-cost ratio")
    ax.set_ylabel("draws")
    ax.set_title(f"P(BCR > 1) = {F.share(cb.prob_bcr_above_1, 3)}")
    ax.legend(fontsize="small", frameon=False)
    return fig
