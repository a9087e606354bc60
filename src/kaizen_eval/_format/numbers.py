"""Numbers for a reader: thousands separators, never an exponent, sensible rounding.

Money (``12,628``, ``0.52``, ``-1,390``), counts, p-values (``< 0.001``, ``0.043``),
percentages (an internal rate of return of ``10.39`` is ``1,039 %``), shares, ratios (a
benefit-cost ratio of ``18.8``) and significance stars.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kaizen_eval._format.missing import MISSING, is_missing

#: Significance levels and their marks, smallest level first (the esttab/modelsummary default).
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.1, "*"))


def _finite(x: Any) -> float | None:
    """``x`` as a finite float, or None when missing; infinities stay infinities."""
    if is_missing(x):
        return None
    return float(x)


def _blank_when_missing(write: Callable[..., str]) -> Callable[..., str]:
    """Decorate a writer of one number, which then takes any value.

    A missing first argument (``None``, NaN, ``pd.NA``) is written ``MISSING``; any other reaches
    ``write`` as a float (infinities stay infinities).
    """
    signature = inspect.signature(write)

    @functools.wraps(write)
    def call(*args: Any, **kwargs: Any) -> str:
        if not args:  # the value passed by name: bind it as the writer would
            bound = signature.bind(**kwargs)
            args, kwargs = bound.args, bound.kwargs
        v = _finite(args[0])
        return MISSING if v is None else write(v, *args[1:], **kwargs)

    return call


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


@_blank_when_missing
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
    d = _decimals_for(abs(x)) if digits is None else int(digits)
    return _fixed(x, d)


@_blank_when_missing
def cell(x: Any, digits: int | None = None) -> str:
    """Write a table cell: :func:`number`, but blank for an infinite value as for a missing one.

    A table says why a cell is blank in a note; ``inf`` is never printed in a cell.

    Examples
    --------
    >>> cell(1116.2), cell(float("inf")), cell(None)
    ('1,116', '', '')
    """
    return number(x, digits) if math.isfinite(x) else MISSING


@_blank_when_missing
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
    if digits is None:
        a = abs(x)
        d = 0 if a >= 100 or a == 0 else (1 if a >= 10 else 2)
    else:
        d = int(digits)
    text = _fixed(x, d)
    return f"{currency} {text}" if currency else text


@_blank_when_missing
def count(n: Any) -> str:
    """Write a count with thousands separators (``1,234``); missing gives ``""``.

    Examples
    --------
    >>> count(1234), count(7.0), count(None)
    ('1,234', '7', '')
    """
    if math.isinf(n):
        return _fixed(n, 0)
    return f"{round(n):,d}"


@_blank_when_missing
def dof(x: Any) -> str:
    """Write degrees of freedom: a whole number as a count, a fractional one with one decimal.

    Residual df are whole numbers; the Satterthwaite df of a CR2 t-test and the denominator df of
    the HTZ Wald test are not, and rounding them to a count would hide that they are small.

    Examples
    --------
    >>> dof(1234.0), dof(7.43), dof(3.96), dof(None)
    ('1,234', '7.4', '4.0', '')
    """
    if math.isfinite(x) and x != round(x):
        return _fixed(x, 1)
    return count(x)


@_blank_when_missing
def pvalue(p: Any, digits: int = 3) -> str:
    """Write a p-value: ``< 0.001`` below the last shown digit, else ``digits`` decimals.

    Examples
    --------
    >>> pvalue(0.0431), pvalue(1.219e-05), pvalue(0.0), pvalue(1.0), pvalue(float("nan"))
    ('0.043', '< 0.001', '< 0.001', '1.000', '')
    """
    floor = 10.0**-digits
    if p < floor:
        return f"< {floor:.{digits}f}"
    return f"{min(p, 1.0):.{digits}f}"


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


@_blank_when_missing
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
    pct = 100 * x
    d = (0 if abs(pct) >= 100 else 1) if digits is None else int(digits)
    return _fixed(pct, d) + " %"


@_blank_when_missing
def share(x: Any, digits: int = 2) -> str:
    """Write a proportion as a decimal (``0.52``), as in a balance table or take-up row.

    Examples
    --------
    >>> share(0.5234), share(1.0), share(None)
    ('0.52', '1.00', '')
    """
    return _fixed(x, digits)


@_blank_when_missing
def ratio(x: Any, digits: int = 1) -> str:
    """Write a ratio such as a benefit-cost ratio: ``18.8``, ``1,204.5``; never an exponent.

    Examples
    --------
    >>> ratio(18.84), ratio(1204.46), ratio(0.734, 2)
    ('18.8', '1,204.5', '0.73')
    """
    return _fixed(x, digits)


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
