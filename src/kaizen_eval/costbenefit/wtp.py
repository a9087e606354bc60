"""Willingness to pay (WTP) for training, asked on a price list before and after.

The ``wtp`` column (see ``docs/data_schema.md``) is the highest price (USD) a firm accepted on the
price list, so a firm is willing to pay ``p`` when ``wtp >= p``. Missing answers are never
dropped silently: functions raise unless ``dropna=True``, and tables report ``n_missing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, as_list, check_alpha, require_columns
from kaizen_eval.costbenefit._docs import DOCS
from kaizen_eval.costbenefit.analysis import CostBenefit
from kaizen_eval.costbenefit.costs import Cost, CostStructure


def _answers(
    df: pd.DataFrame, wtp: str, by: list[str], dropna: bool, where: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Return the rows with a WTP answer and the count of missing answers per group."""
    require_columns(df, [wtp, *by], where=where)
    values = pd.to_numeric(df[wtp], errors="coerce")
    bad = values.isna() & df[wtp].notna()
    if bad.any():
        raise KaizenError(
            f"column {wtp!r} has non-numeric values in {where} (rows {list(df.index[bad][:5])})."
        )
    if (values < 0).any():
        rows = list(df.index[values < 0][:5])
        raise KaizenError(f"column {wtp!r} has negative prices in {where} (rows {rows}).")
    for col in by:
        if df[col].isna().any():
            raise KaizenError(f"column {col!r} has missing values in {where}; every row needs one.")
    frame = df[by].copy()
    frame["_wtp"] = values
    missing = frame["_wtp"].isna()
    if missing.any() and not dropna:
        raise KaizenError(
            f"{int(missing.sum())} rows of {where} have no {wtp!r} answer (e.g. rows "
            f"{list(df.index[missing][:5])}); pass `dropna=True` to leave them out (they are "
            f"then counted in `n_missing`)."
        )
    if by:
        n_missing = missing.groupby([frame[c] for c in by], sort=True).sum()
    else:
        n_missing = pd.Series([int(missing.sum())], index=pd.Index(["all"], name="group"))
    return frame.loc[~missing], n_missing


def _groups(frame: pd.DataFrame, by: list[str]) -> list[tuple[object, pd.DataFrame]]:
    if not by:
        return [("all", frame)]
    key = by[0] if len(by) == 1 else by
    return list(frame.groupby(key, sort=True))


def _answers_by_group(
    df: pd.DataFrame, wtp: str, by: list[str], dropna: bool
) -> list[tuple[tuple[object, ...], np.ndarray, int]]:
    """Each group's key values, WTP answers and number of missing answers (groups sorted)."""
    frame, n_missing = _answers(df, wtp, by, dropna, "the WTP data")
    out = []
    for key, part in _groups(frame, by):
        keys = key if isinstance(key, tuple) else (key,)
        miss = int(n_missing.loc[key]) if by else int(n_missing.iloc[0])
        out.append((keys, part["_wtp"].to_numpy(dtype=float), miss))
    return out


@fill_doc(DOCS)
def wtp_demand(
    df: pd.DataFrame,
    *,
    prices: Sequence[float] | None = None,
    wtp: str = "wtp",
    by: str | Sequence[str] | None = None,
    dropna: bool = False,
) -> pd.DataFrame:
    """Return the demand curve: the share of firms willing to pay each price.

    Parameters
    ----------
    %(param_wtp_frame)s
    prices : sequence of float, optional
        Prices at which to evaluate demand (default: 0 and every distinct answer).
    %(param_wtp_column)s
    by : str or list of str, optional
        Group columns (e.g. the arm); one curve per group.
    %(param_wtp_dropna)s

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, price, n, n_missing, willing, share, std_error``: ``willing`` firms have
        ``wtp >= price``; ``share = willing / n``; ``std_error = sqrt(share (1 − share) / n)``.

    Examples
    --------
    >>> df = pd.DataFrame({"wtp": [0, 50, 100, 400]})
    >>> wtp_demand(df, prices=[50, 400])[["price", "share"]].to_numpy().tolist()
    [[50.0, 0.75], [400.0, 0.25]]
    """
    cols = as_list(by)
    groups = _answers_by_group(df, wtp, cols, dropna)
    if prices is None:
        grid = np.unique(np.concatenate([[0.0], *(w for _, w, _ in groups)]))
    else:
        grid = np.asarray(prices, dtype=float).reshape(-1)
        if grid.size == 0 or not np.all(np.isfinite(grid)):
            raise KaizenError("`prices` must be a non-empty list of finite prices.")
    rows = []
    for keys, w, miss in groups:
        n = w.size
        for p in grid:
            willing = int(np.sum(w >= p))
            share = willing / n if n else np.nan
            se = np.sqrt(share * (1 - share) / n) if n else np.nan
            rows.append((*(keys if cols else ()), float(p), n, miss, willing, share, se))
    columns = [*cols, "price", "n", "n_missing", "willing", "share", "std_error"]
    return pd.DataFrame(rows, columns=columns)


@fill_doc(DOCS)
def wtp_share(
    df: pd.DataFrame,
    price: float,
    *,
    wtp: str = "wtp",
    by: str | Sequence[str] | None = None,
    dropna: bool = False,
) -> float | pd.Series:
    """Return the share of firms willing to pay ``price`` (``wtp >= price``).

    Parameters
    ----------
    %(param_wtp_frame)s
    price : float
        The price (USD), e.g. 400 for the training the papers asked about.
    %(param_wtp_column)s
    by : str or list of str, optional
        Group columns; the result is then a Series indexed by group.
    %(param_wtp_dropna)s

    Returns
    -------
    float or pandas.Series

    Examples
    --------
    >>> df = pd.DataFrame({"wtp": [0, 50, 100, 400], "arm": [0, 0, 1, 1]})
    >>> wtp_share(df, 100)
    0.5
    >>> wtp_share(df, 100, by="arm").tolist()
    [0.0, 1.0]
    """
    table = wtp_demand(df, prices=[price], wtp=wtp, by=by, dropna=dropna)
    cols = as_list(by)
    if not cols:
        return float(table["share"].iloc[0])
    return table.set_index(cols)["share"]


@dataclass(frozen=True)
class WTPChange:
    """Change in WTP between two waves, by arm.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm: ``n`` (firms answering in both waves), ``n_unpaired`` (in one wave
        only), ``mean_before``, ``mean_after``, ``mean_change``, ``std_error`` (of the mean
        change), ``statistic``, ``pvalue`` (paired t test of no change), ``ci_low``, ``ci_high``.
    difference : pandas.Series or None
        With two arms: ``mean_change`` of the higher-valued arm minus the lower's (e.g.
        participants − controls), with Welch ``std_error``, ``statistic``, ``df``, ``pvalue``.
    paired : pandas.DataFrame
        The paired firm-level data: ``id``, ``arm``, ``before``, ``after``, ``change``.
    """

    table: pd.DataFrame
    difference: pd.Series | None
    paired: pd.DataFrame


@fill_doc(DOCS)
def wtp_change(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    arm: str,
    id_col: str = "firm_id",
    wtp: str = "wtp",
    alpha: float = 0.05,
    dropna: bool = False,
) -> WTPChange:
    """Compare WTP before and after training, by arm (e.g. participants vs controls).

    A rise among controls is a sign of spillovers (hearsay about the training).

    Parameters
    ----------
    before, after : pandas.DataFrame
        The two waves (e.g. baseline and the last follow-up), one row per firm.
    arm : str
        Arm column (e.g. ``"attended"`` or ``"invited"``), taken from ``after`` if present there,
        else from ``before``.
    id_col : str
        Firm identifier.
    %(param_wtp_column)s
    alpha : float
        Level of the per-arm intervals.
    dropna : bool
        Leave out firms whose answer is missing in a wave (otherwise they raise).

    Returns
    -------
    WTPChange

    Examples
    --------
    >>> b = pd.DataFrame({"firm_id": list("abcd"), "wtp": [10, 20, 10, 20]})
    >>> a = pd.DataFrame({"firm_id": list("abcd"), "wtp": [50, 70, 10, 30],
    ...                   "attended": [1, 1, 0, 0]})
    >>> r = wtp_change(b, a, arm="attended")
    >>> r.table["mean_change"].tolist(), float(r.difference["estimate"])
    ([5.0, 45.0], 40.0)
    """
    alpha = check_alpha(alpha)
    require_columns(before, [id_col, wtp], where="`before`")
    require_columns(after, [id_col, wtp], where="`after`")
    source = after if arm in after.columns else before
    require_columns(source, [arm], where="`after` or `before`")
    for name, frame in (("before", before), ("after", after)):
        dup = frame[id_col].duplicated()
        if dup.any():
            raise KaizenError(
                f"`{name}` has several rows for firms {list(frame.loc[dup, id_col][:5])}; "
                "WTP needs one row per firm and wave."
            )
    b, miss_b = _answers(before.set_index(id_col), wtp, [], dropna, "`before`")
    a, miss_a = _answers(after.set_index(id_col), wtp, [], dropna, "`after`")
    arms = source.set_index(id_col)[arm]
    if arms.isna().any():
        raise KaizenError(
            f"column {arm!r} is missing for firms {list(arms.index[arms.isna()][:5])}."
        )
    common = b.index.intersection(a.index)
    paired = pd.DataFrame(
        {
            "id": common,
            "before": b.loc[common, "_wtp"].to_numpy(dtype=float),
            "after": a.loc[common, "_wtp"].to_numpy(dtype=float),
        }
    )
    unknown = common.difference(arms.index)
    if len(unknown):
        raise KaizenError(f"no {arm!r} value for firms {list(unknown[:5])}.")
    paired["arm"] = arms.loc[common].to_numpy()
    paired["change"] = paired["after"] - paired["before"]
    everyone = pd.Series(arms.loc[arms.index.isin(b.index.union(a.index))])
    rows = []
    for value, part in paired.groupby("arm", sort=True):
        n = len(part)
        d = part["change"].to_numpy()
        mean = float(d.mean()) if n else np.nan
        se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        dfree = n - 1
        stat = mean / se if n > 1 and se > 0 else np.nan
        pval = float(2 * stats.t(dfree).sf(abs(stat))) if np.isfinite(stat) else np.nan
        q = float(stats.t(dfree).ppf(1 - alpha / 2)) if n > 1 else np.nan
        rows.append(
            {
                arm: value,
                "n": n,
                "n_unpaired": int((everyone == value).sum()) - n,
                "mean_before": float(part["before"].mean()),
                "mean_after": float(part["after"].mean()),
                "mean_change": mean,
                "std_error": se,
                "statistic": stat,
                "pvalue": pval,
                "ci_low": mean - q * se,
                "ci_high": mean + q * se,
            }
        )
    table = pd.DataFrame(rows)
    table.attrs["n_missing"] = {"before": int(miss_b.iloc[0]), "after": int(miss_a.iloc[0])}
    difference = None
    if len(table) == 2 and table["n"].min() > 1:
        lo_arm, hi_arm = table[arm].tolist()
        x = paired.loc[paired["arm"] == hi_arm, "change"].to_numpy()
        y = paired.loc[paired["arm"] == lo_arm, "change"].to_numpy()
        test = stats.ttest_ind(x, y, equal_var=False)
        vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
        difference = pd.Series(
            {
                "estimate": x.mean() - y.mean(),
                "std_error": np.sqrt(vx + vy),
                "statistic": float(test.statistic),
                "df": float(test.df),
                "pvalue": float(test.pvalue),
            },
            name=f"{arm}={hi_arm} minus {arm}={lo_arm}",
        )
    return WTPChange(table=table, difference=difference, paired=paired)


@fill_doc(DOCS)
def wtp_compare(
    df: pd.DataFrame,
    *,
    benefit: float | CostBenefit,
    cost: float | Cost | CostStructure | None = None,
    wtp: str = "wtp",
    by: str | Sequence[str] | None = None,
    dropna: bool = False,
) -> pd.DataFrame:
    """Compare WTP with the estimated benefit and the cost per participant.

    Parameters
    ----------
    %(param_wtp_frame)s
    benefit : float or CostBenefit
        Benefit per participant: a number (e.g. the annual gain), or a per-participant
        ``CostBenefit`` whose present value of gains (``pv_gains``) is used.
    cost : float, Cost or CostStructure, optional
        Cost per participant (default: the ``CostBenefit``'s cost). A ``Cost`` must be per
        participant (or convertible without a take-up rate, i.e. already per participant).
    %(param_wtp_column)s
    by : str or list of str, optional
        Group columns.
    %(param_wtp_dropna)s

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n``, ``n_missing``, ``mean_wtp``, ``median_wtp``, ``benefit``,
        ``cost``, ``share_wtp_ge_cost``, ``share_wtp_ge_benefit``, ``mean_wtp_over_cost``,
        ``mean_wtp_over_benefit``.

    Examples
    --------
    >>> df = pd.DataFrame({"wtp": [0, 100, 400, 800]})
    >>> wtp_compare(df, benefit=4_038, cost=2_043)[["mean_wtp", "share_wtp_ge_cost"]]
       mean_wtp  share_wtp_ge_cost
    0     325.0                0.0
    """
    if isinstance(benefit, CostBenefit):
        if benefit.basis != "participant":
            raise KaizenError(
                "`benefit` is a cost-benefit result per invited firm; WTP is what a participant "
                "would pay: use a per-participant result (a LATE/ATT gain)."
            )
        value = benefit.pv_gains
        if cost is None:
            cost = benefit.cost
    else:
        value = float(benefit)
    if cost is None:
        raise KaizenError("`cost` is needed when `benefit` is a number.")
    if isinstance(cost, Cost | CostStructure):
        c = cost.per_participant()
    else:
        c = float(cost)
    cols = as_list(by)
    rows = []
    for keys, w, miss in _answers_by_group(df, wtp, cols, dropna):
        mean = float(w.mean()) if w.size else np.nan
        rows.append(
            {
                **dict(zip(cols, keys, strict=False)),
                "n": int(w.size),
                "n_missing": miss,
                "mean_wtp": mean,
                "median_wtp": float(np.median(w)) if w.size else np.nan,
                "benefit": value,
                "cost": c,
                "share_wtp_ge_cost": float(np.mean(w >= c)) if w.size else np.nan,
                "share_wtp_ge_benefit": float(np.mean(w >= value)) if w.size else np.nan,
                "mean_wtp_over_cost": mean / c if c > 0 else np.nan,
                "mean_wtp_over_benefit": mean / value if value != 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)
