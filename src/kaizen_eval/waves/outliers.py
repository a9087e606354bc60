"""Winsorizing and trimming (within arm), and the :class:`Adjustment` every money helper returns.

Accounting outcomes of small firms are noisy and skewed. :func:`winsorize` and :func:`trim`
never act silently: the :class:`Adjustment` carries the new data together with a summary and the
list of every value they changed (:mod:`kaizen_eval.waves.money` re-exports them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._docs import signature_from
from kaizen_eval._validation import KaizenError, as_list, require_columns
from kaizen_eval.waves.errors import NonFiniteValueError

#: numpy quantile methods accepted by :func:`winsorize` and :func:`trim`.
QUANTILE_METHODS = (
    "linear",
    "averaged_inverted_cdf",
    "inverted_cdf",
    "lower",
    "higher",
    "midpoint",
    "nearest",
)


#: largest amount taken as a real value (anything beyond is a data-entry or overflow error).
MAX_AMOUNT = 1e15


def check_finite(
    df: pd.DataFrame, column: str, waves: pd.Series | None, id_col: str = "firm_id"
) -> None:
    """Raise naming the firms (and waves) whose amounts in ``column`` are infinite or too large.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    column : str
        A numeric column of amounts; missing values are allowed.
    waves : pandas.Series, optional
        The wave of each row, to name it (default: the ``wave`` column when there is one).
    id_col : str
        Firm identifier column, to name the firms (rows are numbered when it is absent).

    Raises
    ------
    NonFiniteValueError
        If an amount is infinite or beyond :data:`MAX_AMOUNT` in absolute value.

    Examples
    --------
    >>> import pandas as pd
    >>> check_finite(pd.DataFrame({"firm_id": ["A"], "sales": [1.0]}), "sales", None)
    >>> check_finite(pd.DataFrame({"firm_id": ["A"], "sales": [float("inf")]}), "sales", None)
    Traceback (most recent call last):
    ...
    kaizen_eval.waves.errors.NonFiniteValueError: column 'sales': 1 amount(s) are infinite ...
    """
    values = df[column].to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(values) | (np.abs(np.nan_to_num(values, posinf=0, neginf=0)) > MAX_AMOUNT)
    if not bad.any():
        return
    if waves is None and "wave" in df.columns:
        waves = df["wave"].astype(str)
    who = df[id_col].to_numpy()[bad] if id_col in df.columns else np.flatnonzero(bad).tolist()
    label = "firm" if id_col in df.columns else "row"
    if waves is not None:
        pairs = zip(list(who)[:5], waves.to_numpy()[bad][:5], strict=True)
        where = ", ".join(f"{label} {f!r} in wave {w!r}" for f, w in pairs)
    else:
        where = ", ".join(f"{label} {f!r}" for f in list(who)[:5])
    more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
    raise NonFiniteValueError(
        f"column {column!r}: {int(bad.sum())} amount(s) are infinite or beyond {MAX_AMOUNT:.0e} "
        f"({where}{more}); fix them in the data, or set them to missing first"
    )


@dataclass(frozen=True, eq=False)
class Adjustment:
    """A transformed table and the record of what changed.

    Attributes
    ----------
    data : pandas.DataFrame
        The new table (the input is never modified).
    summary : pandas.DataFrame
        Counts per column (and group): see each function.
    changes : pandas.DataFrame
        One row per value changed, removed or left missing, indexed like ``data``, with columns
        ``column``, ``old``, ``new`` and ``reason``.
    """

    data: pd.DataFrame
    summary: pd.DataFrame
    changes: pd.DataFrame

    def __repr__(self) -> str:
        return f"<Adjustment: {len(self.changes)} value(s) changed>\n{self.summary.to_string()}"


def _changes(rows: list[pd.DataFrame]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({"column": [], "old": [], "new": [], "reason": []}, dtype=object)
    return pd.concat(rows)


def quantile_bounds(
    values: np.ndarray, lower: float | None, upper: float | None, method: str
) -> tuple[float, float]:
    """Return the ``lower`` and ``upper`` quantiles of finite ``values`` (shape (n,)).

    A bound that is ``None`` is returned as −inf/+inf. ``method`` is numpy's quantile method:
    ``"linear"`` is R's type 7; ``"averaged_inverted_cdf"`` is R's type 2, Stata's ``_pctile``.

    Examples
    --------
    >>> quantile_bounds(np.arange(11.0), 0.1, 0.9, "linear")
    (1.0, 9.0)
    """
    lo = -np.inf if lower is None else float(np.quantile(values, lower, method=method))
    hi = np.inf if upper is None else float(np.quantile(values, upper, method=method))
    return lo, hi


def _clip(
    df: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    lower: float | None,
    upper: float | None,
    by: str | Sequence[str] | None,
    method: str,
    remove: bool,
) -> Adjustment:
    cols, keys = as_list(columns), as_list(by)
    require_columns(df, [*cols, *keys], where="the data")
    if method not in QUANTILE_METHODS:
        raise KaizenError(f"`method` must be one of {QUANTILE_METHODS}. You passed: {method!r}.")
    for label, q in (("lower", lower), ("upper", upper)):
        if q is not None and not 0.0 <= q <= 1.0:
            raise KaizenError(f"`{label}` must be a share between 0 and 1; you passed {q!r}")
    if lower is not None and upper is not None and not lower < upper:
        raise KaizenError(f"`lower` ({lower}) must be smaller than `upper` ({upper})")
    for c in cols:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise KaizenError(f"column {c!r} must be numeric; it is {df[c].dtype}")
        check_finite(df, c, None)
    for k in keys:
        if df[k].isna().any():
            raise KaizenError(f"group column {k!r} has {int(df[k].isna().sum())} missing values")
    verb = "set to missing" if remove else "replaced by the bound"
    if keys:
        grouped = df.groupby(keys, sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()
        labels = [k if isinstance(k, tuple) else (k,) for k in grouped.size().index]
    else:
        codes, labels = np.zeros(len(df), dtype=int), [()]
    out = df.copy()
    summary, changes = [], []
    for c in cols:
        column = df[c].to_numpy(dtype=float, na_value=np.nan)
        new_column = column.copy()
        for g, key in enumerate(labels):
            label = dict(zip(keys, key, strict=True))
            member = codes == g
            finite = column[member & ~np.isnan(column)]
            lo, hi = quantile_bounds(finite, lower, upper, method) if finite.size else (np.nan,) * 2
            n_side = {}
            for side, bound, q, hit in (
                ("below", lo, lower, member & (column < lo)),
                ("above", hi, upper, member & (column > hi)),
            ):
                n_side[side] = int(hit.sum())
                if not hit.any():
                    continue
                new_column[hit] = np.nan if remove else bound
                changes.append(
                    pd.DataFrame(
                        {
                            **label,
                            "column": c,
                            "old": column[hit],
                            "new": new_column[hit],
                            "reason": f"{side} the {q} quantile {bound:.6g}: {verb}",
                        },
                        index=df.index[hit],
                    )
                )
            summary.append(
                {
                    **label,
                    "column": c,
                    "n": int(finite.size),
                    "lower_bound": lo,
                    "upper_bound": hi,
                    "n_low": n_side["below"],
                    "n_high": n_side["above"],
                }
            )
        out[c] = new_column
    return Adjustment(data=out, summary=pd.DataFrame(summary), changes=_changes(changes))


def winsorize(
    df: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    lower: float | None = 0.01,
    upper: float | None = 0.99,
    by: str | Sequence[str] | None = None,
    method: str = "linear",
) -> Adjustment:
    """Replace values beyond the ``lower``/``upper`` quantiles by those quantiles.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (not modified).
    columns : str or sequence of str
        Numeric columns; each is winsorized separately, missing values left alone.
    lower, upper : float or None
        Quantile shares (``None``: that tail is left alone).
    by : str or sequence of str, optional
        Compute the quantiles within groups, e.g. within arm (``by="invited"``).
    method : str
        numpy quantile method: ``"linear"`` (R type 7, the default) or
        ``"averaged_inverted_cdf"`` (R type 2, Stata ``_pctile``/``winsor2``), among others.

    Returns
    -------
    Adjustment
        ``.data``; ``.summary`` one row per column (× group) with ``n``, ``lower_bound``,
        ``upper_bound``, ``n_low``, ``n_high`` (values replaced); ``.changes`` every replaced
        value with its old and new value.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sales": [float(v) for v in range(11)]})
    >>> w = winsorize(df, "sales", lower=0.1, upper=0.9)
    >>> w.data["sales"].tolist()[:2], w.summary[["n_low", "n_high"]].to_numpy().tolist()
    ([1.0, 1.0], [[1, 1]])
    """
    return _clip(df, columns, lower=lower, upper=upper, by=by, method=method, remove=False)


@signature_from(winsorize)
def trim(**arguments: Any) -> Adjustment:
    """Set values beyond the ``lower``/``upper`` quantiles to missing (rows are kept).

    Same arguments and summary as :func:`winsorize`; ``n_low``/``n_high`` count the values
    removed, and ``.changes`` lists each one with its old value, so nothing goes silently.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sales": [float(v) for v in range(11)]})
    >>> t = trim(df, "sales", lower=0.1, upper=0.9)
    >>> t.data["sales"].isna().sum().item(), t.changes["old"].tolist()
    (2, [0.0, 10.0])
    """
    return _clip(**arguments, remove=True)
