"""Missing values: what a blank cell is written as, how one is recognised, and its footnote.

A missing value is never printed as ``NaN``: it is a blank cell (:data:`MISSING`) whose reason
goes in a footnote (:func:`missing_note`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: What a missing value is written as in every table and printout.
MISSING = ""


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
