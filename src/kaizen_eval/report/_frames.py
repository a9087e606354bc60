"""A report table from a plain DataFrame: cells through the formatting layer, labels for readers.

:func:`frame_table` turns the numeric DataFrames that the pipeline's sections produce (design
cells, attrition counts, balance, compliance, randomization inference, cost-benefit grids) into
the render model of :mod:`kaizen_eval._render`, so that every table of the report is written by
the one formatting layer (:mod:`kaizen_eval._format`): thousands separators, one precision per
column, ``< 0.001`` for small p-values, ``yes``/``no`` for flags, blank missing cells with a note
saying why, and labels (a ``labels`` mapping, else the layer's rules) instead of snake_case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render as R

#: The note under a table with blank cells when the caller gives no reason.
BLANK_REASON = "not applicable or not estimable in this sample"


def _blank_repeats(shown: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Blank a key cell that repeats the row above (within the same outer keys), as papers do."""
    out = shown.copy()
    for depth, key in enumerate(keys[:-1] if len(keys) > 1 else []):
        outer = [shown[k] for k in keys[: depth + 1]]
        same = pd.Series(True, index=shown.index)
        for col in outer:
            same &= col.eq(col.shift())
        out.loc[same, key] = ""
    return out


def _rows(
    df: pd.DataFrame,
    data: pd.DataFrame,
    col_kinds: list[str],
    kinds: Mapping[str, str],
    named: set[str] | None,
) -> pd.DataFrame:
    """Format ``data`` row by row: each row's numbers share one precision (and the row's kind)."""
    out = pd.DataFrame({i: [""] * len(data) for i in range(len(data.columns))}, dtype=object)
    numeric = [
        j
        for j, k in enumerate(col_kinds)
        if k not in ("text", "pvalue", "count", "dof")
        and (named is None or data.columns[j] in named)
    ]
    for j, k in enumerate(col_kinds):
        if j not in numeric:
            out[j] = F.column(list(data.iloc[:, j]), k)
    for i, key in enumerate(df.index):
        name = key if not isinstance(key, tuple) else key[-1]
        kind = kinds.get(str(name), "number")
        cells = F.column([data.iloc[i, j] for j in numeric], kind)
        for j, c in zip(numeric, cells, strict=True):
            out.iat[i, j] = c
    return out


def _head(name: str, labels: Mapping[str, str] | None) -> str:
    """Return a column header: the label, with a capital first letter."""
    text = F.label(name, labels) if name else ""
    if text.startswith(("p-", "q-")):  # p-value, q-value: lower case by convention
        return text
    return text[:1].upper() + text[1:]


def frame_table(
    df: pd.DataFrame,
    *,
    caption: str = "",
    notes: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    blank: str | None = None,
    kinds: Mapping[str, str] | None = None,
    by_row: bool | Sequence[str] = False,
) -> R.Table:
    """Return the render model of ``df``: formatted cells, labelled headers, notes.

    Parameters
    ----------
    df : pandas.DataFrame
        Numbers (any index: a named or multi-level index becomes leading label columns).
    caption : str
        Title of the table.
    notes : sequence of str
        Lines under the table; each is written as a sentence.
    labels : mapping, optional
        Reader-facing names of columns, index entries and levels (a codebook's labels).
    blank : str, optional
        Why some cells are blank (a note is added whenever a cell is missing; default
        :data:`BLANK_REASON`).
    kinds : mapping, optional
        Kind of some columns (``"money"``, ``"share"``, ...; see ``kaizen_eval._format.KINDS``),
        or of some rows (by their index entry) with ``by_row``.
    by_row : bool or sequence of str, default False
        One precision per row instead of per column (in all numeric columns, or in the columns
        named): for tables whose rows are variables in different units (balance,
        characteristics by compliance type, cost-benefit metrics).

    Returns
    -------
    kaizen_eval._render.Table

    Examples
    --------
    >>> df = pd.DataFrame({"mean_control": [27287.3, 0.1], "pvalue": [0.00001, None]},
    ...                   index=pd.Index(["value_added", "female"], name="covariate"))
    >>> t = frame_table(df, labels={"value_added": "Value added (USD)"})
    >>> t.header, t.body[0]
    ((('Covariate', 'Control mean', 'p-value'),), ('Value added (USD)', '27,287', '< 0.001'))
    >>> t.notes
    ('Blank cells: not applicable or not estimable in this sample.',)
    """
    keys: list[str] = []
    if isinstance(df.index, pd.MultiIndex) or df.index.name is not None:
        keys = [str(n) if n is not None else f"level_{i}" for i, n in enumerate(df.index.names)]
        data = df.copy()
        data.index = data.index.set_names(keys)
        data = data.reset_index()
    elif isinstance(df.index, pd.RangeIndex):
        data = df.reset_index(drop=True)
    else:  # unnamed labels (e.g. covariates): the first column, headed blank
        keys = [""]
        data = df.copy()
        data.insert(0, "", list(df.index))
        data = data.reset_index(drop=True)
    data.columns = [str(c) if not isinstance(c, tuple) else c for c in data.columns]
    # label the key columns' values (term and variable names) as well as the headers
    for k in keys:
        data[k] = [F.label(v, labels) if isinstance(v, str) else v for v in data[k]]
    kinds = {**{k: "text" for k in keys}, **dict(kinds or {})}
    col_kinds = [kinds.get(c) or F.guess_kind(c, list(data[c])) for c in data.columns]
    if by_row:
        named = None if by_row is True else {str(c) for c in by_row}  # type: ignore[union-attr]
        shown = _rows(df, data, col_kinds, kinds, named)
    else:
        shown = pd.DataFrame(
            {
                i: F.column(list(data[c]), k)
                for i, (c, k) in enumerate(zip(data.columns, col_kinds, strict=True))
            }
        )
    heads = [_head(c, labels) for c in data.columns]
    shown.columns = heads
    shown = _blank_repeats(shown, heads[: len(keys)])
    align = "".join("l" if k == "text" else "r" for k in col_kinds)
    lines = [F.sentence(n) for n in notes if n and n.strip()]
    if data.drop(columns=keys).isna().to_numpy().any():
        lines.append(F.missing_note([blank or BLANK_REASON]))
    return R.Table.from_frame(
        shown, index=False, caption=F.sentence(caption) if caption else "", notes=lines,
        align=align,
    )  # fmt: skip
