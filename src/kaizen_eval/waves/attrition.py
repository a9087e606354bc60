"""Attrition: which firms were observed in which wave, and why the others were not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns
from kaizen_eval.waves.validate import KNOWN_STATUSES

#: Status of a firm that has no row at all in a wave's delivered file.
NO_RECORD = "no_record"
#: Status of a row in a wave that has no status column (observed: the row is there).
PRESENT = "present"
#: Status of a row whose status value is missing.
MISSING = "missing"


@dataclass(frozen=True, eq=False)
class Attrition:
    """Who was observed in which wave; see :meth:`Panel.attrition`.

    Attributes
    ----------
    status : pandas.DataFrame
        Firms × waves: the delivered interview status (``interviewed``, ``closed``,
        ``not_found``, ``refused``, ...), ``"present"`` for a row of a wave without a status
        column, ``"missing"`` for a row with no status, ``"no_record"`` for a firm absent from
        the wave's file.
    observed : pandas.DataFrame
        Firms × waves, boolean: status is ``interviewed`` (or ``present``).
    counts : pandas.DataFrame
        One row per wave (per arm × wave when an arm is given): the number of firms in each
        status, with firm exit (``closed``) apart from ``not_found``/``refused``, then ``firms``
        (all firms of the panel), ``observed`` and ``share_observed``.
    arm : str or None
        The arm column the counts are split by.
    """

    status: pd.DataFrame
    observed: pd.DataFrame
    counts: pd.DataFrame
    arm: str | None


def _arm_by_firm(frames: Mapping[str, pd.DataFrame], id_col: str, arm: str) -> pd.Series:
    parts = [df[[id_col, arm]] for df in frames.values() if arm in df.columns]
    if not parts:
        raise KaizenError(f"arm column {arm!r} is in none of the waves")
    both = pd.concat(parts, ignore_index=True).dropna(subset=[arm])
    n_values = both.groupby(id_col, sort=False)[arm].nunique()
    conflicting = list(n_values.index[n_values > 1])
    if conflicting:
        shown = ", ".join(map(repr, conflicting[:5]))
        raise KaizenError(
            f"arm column {arm!r} changes across waves for firm(s) {shown}"
            f"{' ...' if len(conflicting) > 5 else ''}; an assignment cannot change"
        )
    return both.drop_duplicates(id_col).set_index(id_col)[arm]


def attrition_table(
    frames: Mapping[str, pd.DataFrame],
    *,
    id_col: str,
    status_col: str | None,
    arm: str | None = None,
) -> Attrition:
    """Build the :class:`Attrition` tables from harmonized waves (see :meth:`Panel.attrition`).

    Examples
    --------
    >>> import pandas as pd
    >>> frames = {"baseline": pd.DataFrame({"firm_id": ["A", "B"], "status": ["interviewed"] * 2}),
    ...           "followup": pd.DataFrame({"firm_id": ["A"], "status": ["closed"]})}
    >>> attrition_table(frames, id_col="firm_id", status_col="status").status.loc["B"].tolist()
    ['interviewed', 'no_record']
    """
    waves = list(frames)
    firms = pd.Index(
        pd.unique(pd.concat([df[id_col] for df in frames.values()], ignore_index=True))
    ).sort_values()
    status = pd.DataFrame(NO_RECORD, index=firms, columns=waves, dtype=object)
    status.index.name = id_col
    for w, df in frames.items():
        if status_col is not None and status_col in df.columns:
            values = df[status_col].astype(object).where(df[status_col].notna(), MISSING)
        else:
            values = pd.Series(PRESENT, index=df.index, dtype=object)
        status.loc[df[id_col].to_numpy(), w] = values.to_numpy()
    observed = status.isin(["interviewed", PRESENT])

    tall = status.stack().rename("status").reset_index().rename(columns={"level_1": "wave"})
    tall.columns = [id_col, "wave", "status"]
    tall["wave"] = pd.Categorical(tall["wave"], categories=waves, ordered=True)
    keys = ["wave"]
    if arm is not None:
        tall[arm] = tall[id_col].map(_arm_by_firm(frames, id_col, arm))
        keys = [arm, "wave"]
    counts = (
        tall.groupby([*keys, "status"], dropna=False, observed=False)
        .size()
        .unstack("status", fill_value=0)
    )
    seen = set(tall["status"])
    order = [s for s in KNOWN_STATUSES if status_col is not None or s in seen]
    order += sorted(seen - set(order) - {PRESENT, MISSING, NO_RECORD})
    order += [s for s in (PRESENT, MISSING, NO_RECORD) if s in seen or s == NO_RECORD]
    counts = counts.reindex(columns=order, fill_value=0).astype("int64")
    counts.columns.name = None
    counts["firms"] = counts[order].sum(axis=1)
    counts["observed"] = counts[[s for s in ("interviewed", PRESENT) if s in counts]].sum(axis=1)
    counts["share_observed"] = counts["observed"] / counts["firms"].where(counts["firms"] > 0)
    if arm is not None:
        counts = counts[counts["firms"] > 0]
    return Attrition(status=status, observed=observed, counts=counts, arm=arm)


#: Interview status → firm still operating (1), closed (0); ``not_found`` is unknown (missing).
OPERATING_BY_STATUS = {"interviewed": 1.0, "refused": 1.0, "closed": 0.0, "not_found": np.nan}


def operating(df: pd.DataFrame, status: str = "status") -> pd.Series:
    """Survival as an outcome: 1 if the firm still operates, 0 if it closed, missing if unknown.

    A firm that refused the interview is known to operate; a firm that was not found may have
    closed or moved, so its survival is missing (it is attrition, not exit).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of a wave (or of the long panel) with an interview status column.
    status : str
        The status column (values as in ``KNOWN_STATUSES``).

    Returns
    -------
    pandas.Series
        Float 1.0 / 0.0 / NaN, aligned with ``df``, named ``"operating"``.

    Raises
    ------
    MissingColumnError
        If ``status`` is not a column; KaizenError if it holds an unknown status.

    Examples
    --------
    >>> import pandas as pd
    >>> operating(pd.DataFrame({"status": ["interviewed", "closed", "not_found"]})).tolist()
    [1.0, 0.0, nan]
    """
    require_columns(df, [status], where="the data")
    values = df[status].astype("string")
    unknown = sorted(set(values.dropna()) - set(OPERATING_BY_STATUS))
    if unknown:
        raise KaizenError(
            f"column {status!r} holds unknown status value(s) {unknown}; known: "
            f"{', '.join(OPERATING_BY_STATUS)}."
        )
    return values.map(OPERATING_BY_STATUS).astype(float).rename("operating")
