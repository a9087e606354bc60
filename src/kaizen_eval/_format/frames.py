"""Frames for a reader: every cell of a numeric frame written, and a frame that displays so."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kaizen_eval._format.columns import column, guess_kind
from kaizen_eval._format.labels import label


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
