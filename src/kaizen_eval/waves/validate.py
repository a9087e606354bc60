"""Row- and column-level checks of delivered waves: ids, duplicates, statuses, renames, labels.

Column types are harmonized across waves in :mod:`kaizen_eval.waves.harmonize` (its names are
re-exported here).

Each check returns the cleaned frame and the issue records of what it dropped, coerced or
flagged (see :mod:`kaizen_eval.waves.issues`), or raises a ``KaizenError`` naming the wave,
column and firms at fault. The index of every frame is the row's position in the delivered
table until :func:`kaizen_eval.load_waves` resets it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.waves.errors import IdPrecisionError, LabelConflictError
from kaizen_eval.waves.harmonize import _SHOW, Errors, _is_missing, _show, kind_of
from kaizen_eval.waves.harmonize import ERRORS as ERRORS
from kaizen_eval.waves.harmonize import NUMERIC_TEXT_SHARE as NUMERIC_TEXT_SHARE
from kaizen_eval.waves.harmonize import Kind as Kind
from kaizen_eval.waves.harmonize import harmonize_types as harmonize_types
from kaizen_eval.waves.harmonize import safe_value as safe_value
from kaizen_eval.waves.issues import issue

#: Interview outcomes the attrition table knows; firm exit (``closed``) is kept apart from
#: firms that could not be found or refused.
KNOWN_STATUSES = ("interviewed", "closed", "not_found", "refused")


def drop_empty_rows(df: pd.DataFrame, wave: str) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Drop rows where every value is missing (blank spreadsheet lines); record each one."""
    blank = df.isna()
    for column in df.columns:
        if not pd.api.types.is_numeric_dtype(df[column]):
            text = df[column].astype(object)
            blank[column] |= text.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    blank = blank.all(axis=1)
    records = [
        issue(wave, "empty row (every value missing)", "dropped", row=int(i))
        for i in df.index[blank]
    ]
    return df[~blank], records


#: Floats above this lose integer digits (2**53): ids stored so cannot be trusted.
_EXACT_FLOAT = 2**53

_DECIMAL_ZERO = re.compile(r"^(\d+)\.0+$")

#: Reasons recorded when the loader changes a delivered firm id (one issue row per id).
ID_REASONS = {
    "space": "firm id repaired: surrounding spaces removed",
    "decimal": "firm id repaired: '.0' suffix of a number stored as decimal removed",
    "case": "firm id repaired: matched to the first wave's id written in other letter case",
    "zeros": "firm id repaired: matched to the first wave's id after leading zeros were lost "
    "(as Excel or Stata do to numbers)",
}


def id_text(value: Any, *, wave: str = "?", row: Any = None) -> str | None:
    """One delivered firm id as text (``None`` when missing); numbers keep every digit.

    Raises
    ------
    IdPrecisionError
        If the id is a floating-point number beyond 2**53 (its last digits are already lost).

    Examples
    --------
    >>> id_text(7), id_text(7.0), id_text(" A1 "), id_text(None)
    ('7', '7', ' A1 ', None)
    """
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not np.isfinite(value) or (value.is_integer() and abs(value) >= _EXACT_FLOAT):
            raise IdPrecisionError(
                f"wave {wave!r}, row {row}: firm id {value!r} is stored as a floating-point "
                "number too large to keep every digit (above 2**53, e.g. a 20-digit id read "
                "as a number); deliver the ids as text (a CSV, or a string column in Stata, "
                "Excel or parquet)"
            )
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def normalize_ids(
    values: pd.Series, *, wave: str = "?"
) -> tuple[pd.Series, list[tuple[Any, str, str, str]]]:
    """Firm ids as text, normalized so that the same firm compares equal in every wave.

    Numbers become their digits (``7.0`` → ``"7"``); text is stripped of surrounding spaces and
    loses a ``.0`` suffix after digits (``"7.0"`` → ``"7"``); empty text is missing. (Letter case
    and lost leading zeros are matched against the first wave by the loader.)
    Returns the ids (object dtype, same index) and, for every id that changed as text,
    ``(index, delivered, normalized, reason)`` so that the loader can report it.

    Examples
    --------
    >>> import pandas as pd
    >>> ids, changed = normalize_ids(pd.Series([1.0, " a1", "7.0"]))
    >>> ids.tolist(), [c[3].split(": ")[1] for c in changed]
    (['1', 'a1', '7'], ['surrounding spaces removed', "'.0' suffix of a number stored as \
decimal removed"])
    """
    out: dict[Any, str | None] = {}
    changed: list[tuple[Any, str, str, str]] = []
    for i, v in values.items():
        text = id_text(v, wave=wave, row=i)
        if text is None:
            out[i] = None
            continue
        new, why = text.strip(), ""
        if new != text:
            why = why or "space"
        m = _DECIMAL_ZERO.match(new)
        if m and isinstance(v, str):
            new, why = m.group(1), why or "decimal"
        out[i] = new or None
        if why and new:
            changed.append((i, str(v), new, ID_REASONS[why]))
    series = pd.Series(out, index=values.index, dtype=object, name=values.name)
    return series, changed


def check_missing_ids(
    df: pd.DataFrame, wave: str, id_col: str, errors: Errors
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Rows without a firm id: an error, or dropped and recorded when ``errors="flag"``."""
    missing = df[id_col].isna()
    if not missing.any():
        return df, []
    rows = [int(i) for i in df.index[missing]]
    if errors == "raise":
        raise KaizenError(
            f"wave {wave!r}: {len(rows)} row(s) have no value in the id column {id_col!r} "
            f"(row positions {_show(rows)}); fix the file, or pass errors='flag' to drop them "
            "(they are then listed in panel.issues)"
        )
    reason = f"missing firm id in {id_col!r}"
    return df[~missing], [issue(wave, reason, "dropped", row=r, column=id_col) for r in rows]


def check_duplicates(
    df: pd.DataFrame, wave: str, id_col: str, errors: Errors
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Duplicate firm ids within a wave.

    With ``errors="raise"`` any duplicate is an error naming the firms. With ``"flag"``, rows
    that repeat another row exactly are dropped (one copy kept); firms whose repeated rows
    differ are dropped entirely, since there is no principled way to pick one. Each dropped row
    is recorded.
    """
    dup = df[id_col].duplicated(keep=False)
    if not dup.any():
        return df, []
    firms = list(pd.unique(df.loc[dup, id_col]))
    if errors == "raise":
        raise KaizenError(
            f"wave {wave!r}: duplicate firm ids in {id_col!r}: {_show(firms)} "
            f"({int(dup.sum())} rows); fix the file, or pass errors='flag' to drop exact "
            "repeats and conflicting rows (listed in panel.issues)"
        )
    exact = df.astype(object).duplicated(keep="first")
    conflicting = df.loc[dup & ~exact].groupby(id_col, sort=False).size()
    conflicting_firms = set(conflicting[conflicting > 1].index)
    drop = exact | df[id_col].isin(conflicting_firms)
    records = []
    for i in df.index[drop]:
        firm = df.at[i, id_col]
        if firm in conflicting_firms:
            reason = "duplicate firm id with differing rows: all rows of this firm dropped"
        else:
            reason = "exact repeat of an earlier row of the same firm"
        records.append(issue(wave, reason, "dropped", firm_id=firm, row=int(i), column=id_col))
    return df[~drop], records


def check_status(df: pd.DataFrame, wave: str, id_col: str, status_col: str) -> list[dict[str, Any]]:
    """Flag rows whose interview status is missing or not one of :data:`KNOWN_STATUSES`.

    Raises
    ------
    KaizenError
        If no row of the wave has a known status (the column needs a codebook recode).
    """
    status = df[status_col].astype(object)
    known = status.isin(KNOWN_STATUSES)
    if len(df) and not known.any():
        raise KaizenError(
            f"wave {wave!r}: status column {status_col!r} holds none of the expected values "
            f"{KNOWN_STATUSES} (it has {_show(pd.unique(status.dropna()))}); recode it with "
            "the codebook"
        )
    records = []
    for i in df.index[~known]:
        value = status[i]
        reason = "missing status" if _is_missing(value) else f"unknown status {value!r}"
        records.append(
            issue(wave, reason, "flagged", firm_id=df.at[i, id_col], row=int(i), column=status_col)
        )
    return records


#: Name similarity (difflib ratio, after lower-casing and dropping punctuation) above which two
#: columns, each present in waves the other is absent from, look like one variable renamed.
TWIN_SIMILARITY = 0.85


def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def renamed_columns(frames: Mapping[str, pd.DataFrame], id_col: str) -> list[dict[str, Any]]:
    """Flag pairs of columns that look like one variable renamed between waves.

    Two columns are twins when no wave has both, and their names are equal up to case and
    punctuation or nearly equal (``employees``/``employes``). Each gets a ``"flagged"`` issue in
    every wave it is in, naming its twin: map them to one name with a codebook.

    Examples
    --------
    >>> import pandas as pd
    >>> frames = {"b": pd.DataFrame({"firm_id": ["A"], "Employees": [3]}),
    ...           "f": pd.DataFrame({"firm_id": ["A"], "employees": [4]})}
    >>> [r["column"] for r in renamed_columns(frames, "firm_id")]
    ['Employees', 'employees']
    """
    import difflib

    where: dict[str, list[str]] = {}
    for w, df in frames.items():
        for c in df.columns:
            if c != id_col:
                where.setdefault(c, []).append(w)
    partial = [c for c, ws in where.items() if len(ws) < len(frames)]
    records = []
    for k, a in enumerate(partial):
        for b in partial[k + 1 :]:
            if set(where[a]) & set(where[b]):
                continue
            ca, cb = _compact(a), _compact(b)
            close = ca == cb or difflib.SequenceMatcher(None, ca, cb).ratio() >= TWIN_SIMILARITY
            if not close:
                continue
            for col, twin in ((a, b), (b, a)):
                for w in where[col]:
                    reason = (
                        f"column looks like {twin!r} of wave(s) {', '.join(map(repr, where[twin]))}"
                        " renamed: map both to one name with a codebook"
                    )
                    records.append(issue(w, reason, "flagged", column=col))
    return records


#: Text columns with at most this many distinct values are compared as answer labels.
MAX_LABELS = 30


def check_value_labels(
    frames: Mapping[str, pd.DataFrame], id_col: str, skip: frozenset[str]
) -> None:
    """Refuse answer labels that spell the same answer differently across waves.

    ``"F"`` in one wave and ``"Female"`` in another (Stata value labels that changed, or a
    re-keyed questionnaire) would make two answers of one; so would ``"female"`` and
    ``"Female"``. A label equal up to case to, or an abbreviation (at most three letters,
    a prefix) of, a label found only in another wave is a
    :class:`~kaizen_eval.waves.errors.LabelConflictError`.

    Examples
    --------
    >>> import pandas as pd
    >>> frames = {"b": pd.DataFrame({"firm_id": ["A", "B"], "sex": ["F", "M"]}),
    ...           "f": pd.DataFrame({"firm_id": ["A", "B"], "sex": ["Female", "Male"]})}
    >>> check_value_labels(frames, "firm_id", frozenset())
    Traceback (most recent call last):
    ...
    kaizen_eval.waves.errors.LabelConflictError: column 'sex' spells the same answers ...
    """
    columns = dict.fromkeys(c for df in frames.values() for c in df.columns)
    for column in columns:
        if column == id_col or column in skip:
            continue
        labels = {}
        for w, df in frames.items():
            if column not in df.columns or kind_of(df[column]) != "string":
                continue
            values = set(df[column].dropna().astype(str))
            if 0 < len(values) <= MAX_LABELS:
                labels[w] = values
        if len(labels) < 2:
            continue
        every = set().union(*labels.values())
        pairs = []
        for w, values in labels.items():
            others = set().union(*(v for o, v in labels.items() if o != w))
            for u in sorted(values - others):
                for v in sorted(others - values):
                    lu, lv = u.strip().lower(), v.strip().lower()
                    short, long = sorted((lu, lv), key=len)
                    if short and (lu == lv or (len(short) <= 3 and long.startswith(short))):
                        pairs.append((u, w, v))
        if pairs and len(every) > 1:
            u, w, v = pairs[0]
            shown = "; ".join(f"{a!r} (wave {x!r}) vs {b!r}" for a, x, b in pairs[:_SHOW])
            raise LabelConflictError(
                f"column {column!r} spells the same answers differently across waves: {shown}. "
                "Harmonize the labels with a codebook recode (e.g. "
                f'{{"{u}": "{v}"}} for wave {w!r})'
            )
