"""One formatting layer: how every number, label and missing cell is written for a reader.

Every printer of the package (``__str__``, ``summary()``, the CLI, the paper tables and the
report) writes numbers through these functions, so that the same quantity always reads the
same way: money with thousands separators and never an exponent (``12,628``, ``0.52``,
``-1,390``), p-values as ``< 0.001`` or ``0.043``, a benefit-cost ratio as ``18.8``, an internal
rate of return of ``10.39`` as ``1,039 %``, and a missing value as a blank cell whose reason goes
in a footnote (never ``NaN``). :func:`label` turns variable names into headers a reader can read
(``ci_low`` -> ``CI low``, ``invited[female=0.0]`` -> ``invited, female = 0``), and
:func:`column` writes a whole column with one precision, so that ``580.4`` never sits beside
``1,116``.

The functions return plain text (ASCII hyphen for the minus sign, so that a value pasted into a
spreadsheet stays a number); :mod:`kaizen_eval._render` adapts it to LaTeX, Markdown and HTML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kaizen_eval._validation import check_option

#: What a missing value is written as in every table and printout.
MISSING = ""

#: Significance levels and their marks, smallest level first (the esttab/modelsummary default).
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.1, "*"))

#: The kinds of column :func:`column` knows.
Kind = Literal["number", "money", "count", "pvalue", "percent", "share", "ratio", "text"]
KINDS: tuple[str, ...] = ("number", "money", "count", "pvalue", "percent", "share", "ratio", "text")

#: Words written in capitals wherever they appear in a name.
_ACRONYMS = {
    "ci": "CI",
    "se": "SE",
    "sd": "SD",
    "bcr": "BCR",
    "irr": "IRR",
    "npv": "NPV",
    "pv": "PV",
    "itt": "ITT",
    "late": "LATE",
    "att": "ATT",
    "ate": "ATE",
    "tot": "TOT",
    "ols": "OLS",
    "2sls": "2SLS",
    "iv": "IV",
    "fe": "FE",
    "ri": "RI",
    "wtp": "WTP",
    "mde": "MDE",
    "icc": "ICC",
    "id": "ID",
    "ar": "AR",
    "hc0": "HC0",
    "hc1": "HC1",
    "hc2": "HC2",
    "hc3": "HC3",
    "cr0": "CR0",
    "cr1": "CR1",
    "cr2": "CR2",
    "fdr": "FDR",
    "fwer": "FWER",
    "usd": "USD",
}

#: Names with a fixed reader-facing label (columns of the package's tidy frames and tables).
_KNOWN = {
    "estimate": "Estimate",
    "std_error": "SE",
    "statistic": "t",
    "pvalue": "p-value",
    "p_value": "p-value",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "df": "df",
    "nobs": "N",
    "n": "N",
    "n_obs": "N",
    "n_clusters": "Clusters",
    "control_mean": "Control mean",
    "mean_control": "Control mean",
    "prob_bcr_above_1": "P(BCR > 1)",
    "pv_gains": "PV of gains",
    "payback_years": "Payback (years)",
    "breakeven_years": "Break-even (years)",
    "breakeven_gain": "Break-even gain",
    "normalized_diff": "Norm. diff.",
    "discount_rate": "Discount rate",
    "tau2": "tau²",
    "i2": "I²",
    "value": "Value",
    "gain": "Gain",
    "cost": "Cost",
    "bcr": "BCR",
    "irr": "IRR",
    "npv": "NPV",
    "not_found": "Not found",
}

_BRACKET = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<inner>[^\[\]]*)\]$")


def is_missing(x: Any) -> bool:
    """Whether ``x`` is a missing value (None, NaN, pandas NA/NaT).

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(None), is_missing(0.0)
    (True, True, False)
    """
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN, NaT and pd.NA (whose comparison raises) are missing
    except (TypeError, ValueError):
        return True


def _finite(x: Any) -> float | None:
    """``x`` as a finite float, or None when missing; infinities stay infinities."""
    if is_missing(x):
        return None
    return float(x)


def _decimals_for(magnitude: float) -> int:
    """Decimals that show about three significant figures, none for 100 and above."""
    if magnitude == 0 or not math.isfinite(magnitude):
        return 0
    if magnitude >= 100:
        return 0
    if magnitude >= 10:
        return 1
    if magnitude >= 1:
        return 2
    # below one: three significant figures, at most 7 decimals (1e-9 prints as 0.0000000)
    return min(7, 2 - math.floor(math.log10(magnitude)))


def _fixed(x: float, decimals: int) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:,.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # -0.00 is 0.00
    return text


def number(x: Any, digits: int | None = None) -> str:
    """Write a number with thousands separators and never an exponent.

    Parameters
    ----------
    x : float
        The value; missing values give ``""``.
    digits : int, optional
        Decimals to show; default: about three significant figures (none at 100 and above).

    Returns
    -------
    str

    Examples
    --------
    >>> number(12627.8), number(580.44), number(0.5234), number(3.14159, 3), number(float("nan"))
    ('12,628', '580', '0.523', '3.142', '')
    >>> number(1.219e-05)
    '0.0000122'
    """
    v = _finite(x)
    if v is None:
        return MISSING
    d = _decimals_for(abs(v)) if digits is None else int(digits)
    return _fixed(v, d)


def cell(x: Any, digits: int | None = None) -> str:
    """Write a table cell: :func:`number`, but blank for an infinite value as for a missing one.

    A table says why a cell is blank in a note; ``inf`` is never printed in a cell.

    Examples
    --------
    >>> cell(1116.2), cell(float("inf")), cell(None)
    ('1,116', '', '')
    """
    v = _finite(x)
    if v is None or not math.isfinite(v):
        return MISSING
    return number(v, digits)


def money(x: Any, *, currency: str | None = None, digits: int | None = None) -> str:
    """Write an amount of money: thousands separators, never an exponent, sensible rounding.

    Parameters
    ----------
    x : float
        The amount; missing values give ``""``.
    currency : str, optional
        Currency code written before the amount (``"USD 12,628"``); a table shows it once in
        its header or caption instead.
    digits : int, optional
        Decimals; default none for 100 and above, one from 10, two below 10.

    Returns
    -------
    str

    Examples
    --------
    >>> money(12627.8), money(0.5234), money(-1390.2), money(27290.6, currency="USD")
    ('12,628', '0.52', '-1,390', 'USD 27,291')
    >>> money(2e4)
    '20,000'
    """
    v = _finite(x)
    if v is None:
        return MISSING
    if digits is None:
        a = abs(v)
        d = 0 if a >= 100 or a == 0 else (1 if a >= 10 else 2)
    else:
        d = int(digits)
    text = _fixed(v, d)
    return f"{currency} {text}" if currency else text


def count(n: Any) -> str:
    """Write a count with thousands separators (``1,234``); missing gives ``""``.

    Examples
    --------
    >>> count(1234), count(7.0), count(None)
    ('1,234', '7', '')
    """
    v = _finite(n)
    if v is None:
        return MISSING
    if math.isinf(v):
        return _fixed(v, 0)
    return f"{round(v):,d}"


def pvalue(p: Any, digits: int = 3) -> str:
    """Write a p-value: ``< 0.001`` below the last shown digit, else ``digits`` decimals.

    Examples
    --------
    >>> pvalue(0.0431), pvalue(1.219e-05), pvalue(0.0), pvalue(1.0), pvalue(float("nan"))
    ('0.043', '< 0.001', '< 0.001', '1.000', '')
    """
    v = _finite(p)
    if v is None:
        return MISSING
    floor = 10.0**-digits
    if v < floor:
        return f"< {floor:.{digits}f}"
    return f"{min(v, 1.0):.{digits}f}"


def p_clause(p: Any, digits: int = 3) -> str:
    """Write a p-value as a clause: ``p = 0.043`` or ``p < 0.001`` (never ``p = 0.000``).

    Examples
    --------
    >>> p_clause(0.0431), p_clause(2e-7), p_clause(float("nan"))
    ('p = 0.043', 'p < 0.001', 'p not defined')
    """
    text = pvalue(p, digits)
    if not text:
        return "p not defined"
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def percent(x: Any, digits: int | None = None) -> str:
    """Write a fraction as a percentage: ``0.523`` -> ``52.3 %``, ``10.39`` -> ``1,039 %``.

    Parameters
    ----------
    x : float
        The fraction (1 is 100 %).
    digits : int, optional
        Decimals of the percentage; default one below 100 %, none from 100 %.

    Examples
    --------
    >>> percent(0.523), percent(10.39), percent(0.05, 0)
    ('52.3 %', '1,039 %', '5 %')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    pct = 100 * v
    d = (0 if abs(pct) >= 100 else 1) if digits is None else int(digits)
    return _fixed(pct, d) + " %"


def share(x: Any, digits: int = 2) -> str:
    """Write a proportion as a decimal (``0.52``), as in a balance table or take-up row.

    Examples
    --------
    >>> share(0.5234), share(1.0), share(None)
    ('0.52', '1.00', '')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    return _fixed(v, digits)


def ratio(x: Any, digits: int = 1) -> str:
    """Write a ratio such as a benefit-cost ratio: ``18.8``, ``1,204.5``; never an exponent.

    Examples
    --------
    >>> ratio(18.84), ratio(1204.46), ratio(0.734, 2)
    ('18.8', '1,204.5', '0.73')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    return _fixed(v, digits)


def stars(p: Any, levels: Sequence[tuple[float, str]] = STAR_LEVELS) -> str:
    """Significance stars for a p-value (``***`` below 0.01, ...); ``""`` when missing.

    Examples
    --------
    >>> stars(0.004), stars(0.03), stars(0.07), stars(0.5)
    ('***', '**', '*', '')
    """
    v = _finite(p)
    if v is None:
        return ""
    for level, mark in sorted(levels):
        if v < level:
            return mark
    return ""


def stars_legend(levels: Sequence[tuple[float, str]] = STAR_LEVELS) -> str:
    """Return the legend of :func:`stars`: ``* p < 0.1, ** p < 0.05, *** p < 0.01``.

    Examples
    --------
    >>> stars_legend()
    '* p < 0.1, ** p < 0.05, *** p < 0.01'
    """
    return ", ".join(f"{mark} p < {level:g}" for level, mark in sorted(levels, reverse=True))


def yes_no(x: Any) -> str:
    """Write a boolean for a reader (``yes``/``no``), never ``True``/``False``.

    Examples
    --------
    >>> yes_no(True), yes_no(np.False_), yes_no(None)
    ('yes', 'no', '')
    """
    if is_missing(x):
        return MISSING
    return "yes" if bool(x) else "no"


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


def _word(token: str) -> str:
    low = token.lower()
    if low in _ACRONYMS:
        return _ACRONYMS[low]
    return token


def _value(text: str) -> str:
    """Write a level in a term name: ``0.0`` -> ``0``, ``1.50`` -> ``1.5``, words kept."""
    try:
        v = float(text)
    except ValueError:
        return text.strip().strip("'\"")
    return f"{v:g}"


def label(name: Any, labels: Mapping[str, str] | None = None) -> str:
    """Write a name for a reader: a codebook label when one is given, never raw snake_case.

    Parameters
    ----------
    name : str or tuple
        A variable, column or term name; a tuple (a MultiIndex key) is joined with ``", "``.
    labels : mapping, optional
        Labels by name (a codebook's variable labels); they win over the built-in rules.

    Returns
    -------
    str

    Notes
    -----
    The rules, in order: an entry of ``labels``; a known column name (``ci_low`` -> ``CI low``,
    ``prob_bcr_above_1`` -> ``P(BCR > 1)``, ``std_error`` -> ``SE``); a term of the form
    ``base[var=level]`` -> ``base, var = level`` (each part labelled by the same rules);
    otherwise underscores become spaces and known abbreviations are capitalised
    (``late_value_added`` -> ``LATE value added``).

    Examples
    --------
    >>> label("ci_low"), label("prob_bcr_above_1"), label("invited[female=0.0]")
    ('CI low', 'P(BCR > 1)', 'invited, female = 0')
    >>> label(("ghana", "LATE", "attended")), label("va", {"va": "Value added (USD)"})
    ('ghana, LATE, attended', 'Value added (USD)')
    """
    if isinstance(name, tuple):
        return ", ".join(label(part, labels) for part in name if not is_missing(part))
    if is_missing(name):
        return MISSING
    text = str(name)
    if labels and text in labels:
        return str(labels[text])
    if text in _KNOWN:
        return _KNOWN[text]
    m = _BRACKET.match(text)
    if m:
        parts = [label(m["base"].strip(), labels)]
        for piece in m["inner"].split(","):
            var, sep, level = piece.partition("=")
            if sep:
                parts.append(f"{label(var.strip(), labels)} = {_value(level)}")
            elif piece.strip():
                parts.append(_value(piece))
        return ", ".join(parts)
    if "_" in text:
        return " ".join(_word(t) for t in text.split("_") if t)
    return _word(text)


def heading(name: Any, labels: Mapping[str, str] | None = None) -> str:
    """Write a name as a heading: :func:`label` with a capital first letter.

    A label given in ``labels`` is used exactly as written.

    Examples
    --------
    >>> heading("value_added"), heading("discount_rate"), heading("y", {"y": "log sales"})
    ('Value added', 'Discount rate', 'log sales')
    """
    text = label(name, labels)
    if labels and str(name) in labels:
        return text
    return text[:1].upper() + text[1:]


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
    if kind == "pvalue":
        return pvalue(x) if digits is None else pvalue(x, digits)
    if kind == "percent":
        return percent(x, digits)
    if kind == "share":
        return share(x) if digits is None else share(x, digits)
    if kind == "ratio":
        return ratio(x) if digits is None else ratio(x, digits)
    return number(x, digits)


def column_decimals(values: Iterable[Any], kind: str = "number") -> int:
    """Return the one number of decimals a column of ``kind`` is written with.

    The largest finite magnitude decides (none at 100 and above, one from 10, two from 1, and
    about three significant figures below 1), so that a column never mixes ``580.4`` with
    ``1,116``.

    Examples
    --------
    >>> column_decimals([580.4, 1116.2]), column_decimals([0.52, 3.1]), column_decimals([0.012])
    (0, 2, 4)
    """
    finite = [abs(float(v)) for v in values if not is_missing(v) and math.isfinite(float(v))]
    if not finite:
        return 0
    top = max(finite)
    if kind == "money":
        return 0 if top >= 100 or top == 0 else (1 if top >= 10 else 2)
    return _decimals_for(top)


def column(values: Iterable[Any], kind: str = "number", digits: int | None = None) -> list[str]:
    """Write a whole column with one precision (see :func:`column_decimals`).

    Parameters
    ----------
    values : iterable
        The column's values; missing ones become ``""``.
    kind : {"number", "money", "count", "pvalue", "percent", "share", "ratio", "text"}
        How the values are written; p-values, counts, percentages, shares and ratios keep their
        own fixed rules.
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
        "df",
        "df1",
        "df2",
    ) or key.startswith("n_"):
        return "count"
    if key.startswith("prob_") or key.startswith("share_"):
        return "share"
    vals = [v for v in values if not is_missing(v)]
    if vals and all(isinstance(v, bool | np.bool_) for v in vals):
        return "text"
    if vals and any(isinstance(v, str | tuple) for v in vals):
        return "text"
    return "number"


def missing_note(reasons: Mapping[str, str] | Iterable[str]) -> str:
    """Return the footnote for blank cells: ``Blank cells: <reason>; <reason>.``; ``""`` when none.

    Examples
    --------
    >>> missing_note(["no control group in this sample"])
    'Blank cells: no control group in this sample.'
    """
    items = list(reasons.values()) if isinstance(reasons, Mapping) else list(reasons)
    items = list(dict.fromkeys(r.rstrip(".") for r in items if r))
    return f"Blank cells: {'; '.join(items)}." if items else ""


def sentence(text: str) -> str:
    """Write ``text`` as a sentence: capital first letter, a full stop, no code backticks.

    Notes run together without their full stop, and backticks (Markdown code) are raw text in
    LaTeX and HTML cells, so every note of a table or summary passes through here.

    Examples
    --------
    >>> sentence("standard errors in parentheses"), sentence("Done.")
    ('Standard errors in parentheses.', 'Done.')
    >>> sentence("cluster-robust (CR1, Stata `vce(cluster)`)")
    'Cluster-robust (CR1, Stata vce(cluster)).'
    """
    text = text.replace("`", "").strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:" else text + "."


def frame(
    df: pd.DataFrame,
    *,
    kinds: Mapping[Any, str] | None = None,
    labels: Mapping[str, str] | None = None,
    digits: Mapping[Any, int] | None = None,
    index: bool = True,
) -> pd.DataFrame:
    """Write every cell of a numeric frame for a reader, one precision per column.

    Parameters
    ----------
    df : pandas.DataFrame
        The numbers (a tidy frame, a balance or cost-benefit table).
    kinds : mapping, optional
        Kind of each column (see :data:`KINDS`); others are guessed by :func:`guess_kind`.
    labels : mapping, optional
        Reader-facing names; columns and index entries pass through :func:`label`.
    digits : mapping, optional
        Decimals of some columns.
    index : bool, default True
        Label the index entries too.

    Returns
    -------
    pandas.DataFrame
        Strings only, with labelled columns (and index).

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [580.4, 1116.2], "pvalue": [0.0001, 0.2]},
    ...                  index=["invited[female=0.0]", "invited[female=1.0]"])
    >>> frame(t)
                        Estimate  p-value
    invited, female = 0      580  < 0.001
    invited, female = 1    1,116    0.200
    """
    kinds = dict(kinds or {})
    digits = dict(digits or {})
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        values = list(df[col])
        kind = kinds.get(col) or guess_kind(col, values)
        out[col] = column(values, kind, digits.get(col))
    out.columns = [label(c, labels) for c in df.columns]
    if index:
        out.index = pd.Index([label(i, labels) for i in df.index], name=None)
    return out


class TidyFrame(pd.DataFrame):
    """A numeric DataFrame that displays every column, without exponents, one precision each.

    The values stay the numbers (``tidy()`` is numeric); only ``repr`` and the notebook's HTML
    display are written through :func:`frame`, so that pandas neither truncates the columns
    nor prints ``1.263e+04``. Any operation on it returns a plain :class:`pandas.DataFrame`.

    Examples
    --------
    >>> t = TidyFrame({"estimate": [12627.8], "pvalue": [1.2e-5]}, index=["attended"])
    >>> t
             estimate   pvalue
    attended   12,628  < 0.001
    >>> type(t * 2).__name__, float(t.loc["attended", "estimate"])
    ('DataFrame', 12627.8)
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _shown(self) -> pd.DataFrame:
        plain = pd.DataFrame(self)
        out = frame(plain, index=False)
        out.columns = list(plain.columns)
        return out

    def __repr__(self) -> str:
        with pd.option_context("display.max_columns", None, "display.width", None):
            return self._shown().to_string()

    def _repr_html_(self) -> str:
        with pd.option_context("display.max_columns", None):
            return self._shown().to_html(border=0)
