"""Duplicate submissions of one firm in a wave (a re-interview, a tablet synced twice).

Like DIME's ``iecompdup``, :func:`duplicate_submissions` lists, for each firm submitted more than
once, the submission keys and the columns in which the submissions differ. Like
``ieduplicates``, the user resolves them in a small table (``duplicates=`` of
:func:`~kaizen_eval.waves.load_waves`): one row per submission key with ``action`` ``"keep"`` or
``"drop"``. Unresolved duplicates that differ are an error (``errors="raise"``) naming the firm,
the keys and the differing columns.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns
from kaizen_eval.waves.errors import DuplicateSubmissionError
from kaizen_eval.waves.harmonize import Errors
from kaizen_eval.waves.issues import id_issue, issue

#: Columns of :func:`duplicate_submissions`' table and of a resolution table.
DUPLICATE_COLUMNS = ("wave", "firm_id", "key", "differs_in")
ACTIONS = ("keep", "drop")


def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b) if not (pd.isna(a) or pd.isna(b)) else False


def duplicate_submissions(
    df: pd.DataFrame, keys: pd.Series, *, wave: str, id_col: str
) -> pd.DataFrame:
    """One row per submission of a firm submitted more than once, with the differing columns.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": ["A", "A", "B"], "sales": [1.0, 2.0, 3.0], "x": [0, 0, 1]})
    >>> keys = pd.Series(["k1", "k2", "k3"])
    >>> duplicate_submissions(df, keys, wave="w", id_col="firm_id").to_numpy().tolist()
    [['w', 'A', 'k1', 'sales'], ['w', 'A', 'k2', 'sales']]
    """
    rows = []
    dup = df[id_col].notna() & df[id_col].duplicated(keep=False)
    for firm, group in df[dup].groupby(id_col, sort=False):
        differ = [
            c
            for c in df.columns
            if c != id_col and not all(_same(group[c].iloc[0], v) for v in group[c].iloc[1:])
        ]
        for i in group.index:
            rows.append((wave, firm, keys.get(i), " ".join(differ)))
    return pd.DataFrame(rows, columns=list(DUPLICATE_COLUMNS))


def read_resolutions(source: pd.DataFrame | str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """Read and check the table resolving duplicates: columns ``key`` and ``action``.

    Examples
    --------
    >>> import pandas as pd
    >>> read_resolutions(pd.DataFrame({"key": ["k1"], "action": ["Drop"]}))["action"].tolist()
    ['drop']
    """
    if source is None:
        return None
    table = source.copy() if isinstance(source, pd.DataFrame) else pd.read_csv(source, dtype=str)
    require_columns(table, ["key", "action"], where="the duplicates table")
    table["key"] = table["key"].astype(str).str.strip()
    table["action"] = table["action"].astype(str).str.strip().str.lower()
    bad = sorted(set(table["action"]) - set(ACTIONS))
    if bad:
        raise KaizenError(
            f"the duplicates table: `action` must be 'keep' or 'drop', got {', '.join(bad)}"
        )
    if table["key"].duplicated().any():
        raise KaizenError(
            "the duplicates table names submission key(s) twice: "
            f"{', '.join(table.loc[table['key'].duplicated(), 'key'])}"
        )
    return table


def resolve_submissions(
    df: pd.DataFrame,
    keys: pd.Series,
    *,
    wave: str,
    id_col: str,
    resolutions: pd.DataFrame | None,
    errors: Errors,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Drop the submissions the resolution table drops; report (or refuse) what remains."""
    records = []
    if resolutions is not None:
        drop_keys = set(resolutions.loc[resolutions["action"] == "drop", "key"])
        drop = keys.reindex(df.index).astype(str).isin(drop_keys)
        for i in df.index[drop]:
            reason = f"duplicate submission {keys[i]} dropped by the duplicates table"
            records.append(id_issue(wave, reason, "dropped", df, i, id_col))
        df = df[~drop]
    found = duplicate_submissions(df, keys, wave=wave, id_col=id_col)
    if found.empty:
        return df, records
    differing = found[found["differs_in"] != ""]
    if errors == "raise" and not differing.empty:
        shown = "; ".join(
            f"firm {firm!r}: submissions {', '.join(map(str, g['key']))} differ in "
            f"{g['differs_in'].iloc[0]}"
            for firm, g in list(differing.groupby("firm_id", sort=False))[:5]
        )
        raise DuplicateSubmissionError(
            f"wave {wave!r}: firms submitted more than once with different answers ({shown}). "
            "Resolve them with `duplicates=` (a table with columns key, action = keep/drop), "
            "or pass errors='flag' to drop every submission of these firms"
        )
    for row in found.itertuples(index=False):
        what = f"differs in {row.differs_in}" if row.differs_in else "identical answers"
        records.append(
            issue(
                wave,
                f"duplicate submission {row.key} ({what})",
                "flagged",
                firm_id=row.firm_id,
                column=id_col,
            )
        )
    return df, records
