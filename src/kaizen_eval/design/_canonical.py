"""Canonical text form of a frame, and its SHA-256, so that hashes do not depend on the machine.

Every value is written as text: integers (and integer-valued floats) as decimal integers, other
floats by Python's shortest round-trip ``repr``, booleans as ``0``/``1``, strings as themselves
and missing values as JSON ``null``. A parquet file and a CSV of the same data (``1`` read as
``int64`` in one and ``float64`` or ``"1"`` in the other) therefore hash the same way, and the
assignment drawn from them is the same: the drawing only sees this text form.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd


def canonical_value(value: Any) -> str | None:
    """Return the canonical text of one cell (``None`` when missing).

    Examples
    --------
    >>> canonical_value(3.0), canonical_value("A"), canonical_value(0.1), canonical_value(None)
    ('3', 'A', '0.1', None)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isfinite(v) and v.is_integer():
            return str(int(v))
        return repr(v)
    return str(value)


def canonical_column(values: pd.Series | Sequence[Any]) -> list[str | None]:
    """Canonical text of every cell of a column (see :func:`canonical_value`)."""
    return [canonical_value(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]


def sha256_of_table(columns: Sequence[str], data: Sequence[Sequence[str | None]]) -> str:
    """SHA-256 of a table given as column names and canonical column values (column-major).

    The digest is taken over compact JSON ``{"columns": [...], "data": [[...], ...]}``.
    """
    payload = json.dumps(
        {"columns": list(columns), "data": [list(c) for c in data]},
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def sha256_of_frame(df: pd.DataFrame, columns: Sequence[str]) -> str:
    """SHA-256 of ``df[columns]`` in canonical text form, rows in the order given."""
    return sha256_of_table(list(columns), [canonical_column(df[c]) for c in columns])
