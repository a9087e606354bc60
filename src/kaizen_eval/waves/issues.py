"""The loader's record of every row it dropped, value it coerced and column it flagged.

``Panel.issues`` has one row per event, with these columns:

``wave``
    The wave's name.
``firm_id``
    The firm concerned (missing for column-level events such as a flagged identifier column, or
    for a row whose id is itself missing).
``row``
    Position of the row in the delivered table (0-based, header excluded); missing for
    column-level events.
``column``
    The column concerned (missing for whole-row events).
``reason``
    What was wrong, in words.
``action``
    ``"dropped"`` (the row is not in the panel), ``"coerced"`` (the value was set to missing),
    ``"repaired"`` (the value was changed to an unambiguous canonical form: a firm id stripped
    or matched despite lost leading zeros, ``"1,200"`` read as 1200; the reason says how) or
    ``"flagged"`` (kept as delivered, but worth a look).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

Action = Literal["dropped", "flagged", "coerced", "repaired"]

ISSUE_COLUMNS = ("wave", "firm_id", "row", "column", "reason", "action")


def issue(
    wave: str,
    reason: str,
    action: Action,
    *,
    firm_id: Any = None,
    row: int | None = None,
    column: str | None = None,
) -> dict[str, Any]:
    """Build one issue record (a dict with the keys of :data:`ISSUE_COLUMNS`).

    Examples
    --------
    >>> issue("baseline", "empty row", "dropped", row=7)["action"]
    'dropped'
    """
    return {
        "wave": wave,
        "firm_id": firm_id,
        "row": row,
        "column": column,
        "reason": reason,
        "action": action,
    }


def id_issue(
    wave: str, reason: str, action: Action, df: pd.DataFrame, i: Any, id_col: str
) -> dict[str, Any]:
    """Build the issue record of row ``i`` of ``df``, on its firm id column ``id_col``."""
    return issue(wave, reason, action, firm_id=df.at[i, id_col], row=int(i), column=id_col)


def issues_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Collect issue records into the documented DataFrame (empty but typed when none).

    Examples
    --------
    >>> issues_frame([issue("baseline", "empty row", "dropped", row=7)]).columns.tolist()
    ['wave', 'firm_id', 'row', 'column', 'reason', 'action']
    """
    df = pd.DataFrame(list(records), columns=list(ISSUE_COLUMNS))
    df["row"] = df["row"].astype("Int64")
    for col in ("wave", "column", "reason", "action"):
        df[col] = df[col].astype(object)
    df["firm_id"] = df["firm_id"].astype(object)
    return df.reset_index(drop=True)
