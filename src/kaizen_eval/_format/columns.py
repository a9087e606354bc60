"""Columns for a reader: each value written as its kind, a whole column with one precision.

:func:`column` writes a column with one precision, so that ``580.4`` never sits beside
``1,116``; :func:`fmt` writes one value as its kind (:data:`KINDS`), and :func:`guess_kind`
guesses the kind of a column from its name and values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, get_args

import numpy as np

from kaizen_eval._format.labels import label
from kaizen_eval._format.missing import MISSING, is_missing
from kaizen_eval._format.numbers import (
    column_decimals,
    count,
    dof,
    money,
    number,
    percent,
    pvalue,
    ratio,
    share,
)
from kaizen_eval._format.text import yes_no
from kaizen_eval._validation import check_option

#: The kinds of column :func:`column` knows.
Kind = Literal["number", "money", "count", "dof", "pvalue", "percent", "share", "ratio", "text"]
KINDS: tuple[str, ...] = get_args(Kind)


def interval(low: Any, high: Any, kind: str = "number", digits: int | None = None) -> str:
    """Write an interval ``[low, high]`` with both ends alike (never ``[923.9, 15,750]``).

    Examples
    --------
    >>> interval(923.87, 15750.2, "money")
    '[924, 15,750]'
    >>> interval(-0.123, 0.456)
    '[-0.123, 0.456]'
    """
    a, b = column([low, high], kind, digits=digits)
    return f"[{a}, {b}]"


def fmt(x: Any, kind: str = "number", digits: int | None = None) -> str:
    """One value written as ``kind`` (see :data:`KINDS`); the dispatcher behind :func:`column`.

    Examples
    --------
    >>> fmt(0.0004, "pvalue"), fmt(12627.8, "money"), fmt(True, "text")
    ('< 0.001', '12,628', 'yes')
    """
    check_option("kind", kind, KINDS)
    if kind == "text":
        if isinstance(x, bool | np.bool_):
            return yes_no(x)
        if isinstance(x, tuple):
            return label(x)
        return MISSING if is_missing(x) else str(x)
    if isinstance(x, bool | np.bool_):
        return yes_no(x)
    if kind == "money":
        return money(x, digits=digits)
    if kind == "count":
        return count(x)
    if kind == "dof":
        return dof(x)
    if kind == "pvalue":
        return pvalue(x) if digits is None else pvalue(x, digits)
    if kind == "percent":
        return percent(x, digits)
    if kind == "share":
        return share(x) if digits is None else share(x, digits)
    if kind == "ratio":
        return ratio(x) if digits is None else ratio(x, digits)
    return number(x, digits)


def column(values: Iterable[Any], kind: str = "number", digits: int | None = None) -> list[str]:
    """Write a whole column with one precision (see :func:`column_decimals`).

    Parameters
    ----------
    values : iterable
        The column's values; missing ones become ``""``.
    kind : {"number", "money", "count", "dof", "pvalue", "percent", "share", "ratio", "text"}
        How the values are written; p-values, counts, degrees of freedom, percentages, shares and
        ratios keep their own fixed rules.
    digits : int, optional
        Decimals for the whole column; default from the column's largest value.

    Returns
    -------
    list of str

    Examples
    --------
    >>> column([580.4, 1116.2, float("nan")])
    ['580', '1,116', '']
    >>> column([0.52, 3.14159], "money")
    ['0.52', '3.14']
    """
    check_option("kind", kind, KINDS)
    vals = list(values)
    if kind in ("number", "money") and digits is None:
        numeric = [v for v in vals if not isinstance(v, bool | np.bool_ | str)]
        digits = column_decimals(numeric, kind)
    return [fmt(v, kind, digits) for v in vals]


def guess_kind(name: Any, values: Sequence[Any] = ()) -> str:
    """Guess the kind of a column from its name and values (p-values, counts, text, numbers).

    Examples
    --------
    >>> guess_kind("pvalue"), guess_kind("nobs"), guess_kind("estimate"), guess_kind("x", ["a"])
    ('pvalue', 'count', 'number', 'text')
    """
    key = str(name).lower()
    if key in ("pvalue", "p_value", "p-value", "q_pvalue") or key.endswith(("_pvalue", "_p")):
        return "pvalue"
    if key in (
        "n",
        "nobs",
        "n_obs",
        "n_clusters",
        "clusters",
    ) or key.startswith("n_"):
        return "count"
    if key in ("df", "df1", "df2", "dof", "df_resid"):
        return "dof"
    if key.startswith("prob_") or key.startswith("share_"):
        return "share"
    vals = [v for v in values if not is_missing(v)]
    if vals and all(isinstance(v, bool | np.bool_) for v in vals):
        return "text"
    if vals and any(isinstance(v, str | tuple) for v in vals):
        return "text"
    return "number"
