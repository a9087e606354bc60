"""From a DataFrame to the arrays of a fit: the estimation sample and what was dropped, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, finite_column, require_columns


@dataclass(frozen=True)
class Sample:
    """The rows used by an estimator.

    Attributes
    ----------
    data : pandas.DataFrame
        The used rows (original index), only the columns the estimator needs.
    dropped : pandas.DataFrame
        The rows not used (all input columns) plus a ``reason`` column.
    """

    data: pd.DataFrame
    dropped: pd.DataFrame


def estimation_sample(
    df: pd.DataFrame,
    roles: Sequence[tuple[str, Sequence[str]]],
    *,
    where: str,
    keep: Sequence[str] = (),
) -> Sample:
    """Keep the rows where every needed column is observed; record the others with a reason.

    Parameters
    ----------
    df : pandas.DataFrame
    roles : sequence of (role, columns)
        E.g. ``[("outcome", ["y"]), ("treatment", ["invited"]), ("covariate", ["age"])]``;
        a dropped row's reason names the first role (in this order) and column it misses.
    where : str
        Name of the calling function, for error messages.
    keep : sequence of str
        Further columns carried into ``data`` that may be missing (e.g. a baseline outcome).

    Returns
    -------
    Sample
    """
    if not isinstance(df, pd.DataFrame):
        raise KaizenError(f"{where} needs a pandas DataFrame; got {type(df).__name__}")
    cols: list[str] = []
    for _, names in roles:
        cols.extend(c for c in names if c not in cols)
    require_columns(df, [*cols, *keep], where=f"the data passed to {where}")
    flat = [(role, c) for role, names in roles for c in names]
    missing = df[[c for _, c in flat]].isna().to_numpy()
    used = ~missing.any(axis=1)
    _refuse_missing(df, flat, missing, where, roles=("cluster",))
    # the reason of a dropped row names the first role and column (in `roles` order) it misses
    first = missing.argmax(axis=1)
    labels = np.array([f"missing {role} {c!r}" for role, c in flat], dtype=object)
    dropped = df.loc[~used].copy()
    dropped["reason"] = labels[first[~used]] if len(flat) else []
    take = cols + [c for c in dict.fromkeys(keep) if c not in cols]
    data = df.loc[used, take].copy() if not used.all() else df[take].copy()
    if len(data) == 0:
        counts = dropped["reason"].value_counts()
        raise KaizenError(
            f"{where}: no rows left to estimate on ("
            + "; ".join(f"{n} rows {r}" for r, n in counts.items())
            + ")"
        )
    return Sample(data=data, dropped=dropped)


def _refuse_missing(
    df: pd.DataFrame,
    flat: Sequence[tuple[str, str]],
    missing: np.ndarray,
    where: str,
    roles: Sequence[str],
) -> None:
    """Raise for rows complete but for a column of ``roles``: those rows are not droppable.

    A firm whose cluster is unknown cannot be dropped silently (it would change the clusters
    and the sample); the user must fill it or drop the rows.
    """
    for j, (role, col) in enumerate(flat):
        if role not in roles:
            continue
        others = np.delete(missing, j, axis=1).any(axis=1) if missing.shape[1] > 1 else False
        bad = missing[:, j] & ~others
        if bad.any():
            shown = ", ".join(map(repr, list(df.index[bad][:3])))
            raise KaizenError(
                f"{where}: {role} {col!r} is missing for {int(bad.sum())} rows that are otherwise "
                f"complete (rows {shown}{' ...' if bad.sum() > 3 else ''}); every row needs its "
                f"{role}: fill it, or drop those rows first."
            )


def numeric_column(data: pd.DataFrame, col: str, role: str) -> np.ndarray:
    """Return a column as finite floats; raise naming it if it is text, categorical or inf."""
    return finite_column(data, col, role)


def design_columns(data: pd.DataFrame, cols: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric covariates as they are; text/categorical ones as dummies (first level dropped)."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for c in cols:
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            blocks.append(finite_column(data, c, "covariate")[:, None])
            names.append(c)
        else:
            dummies = pd.get_dummies(s.astype("category"), prefix=c, prefix_sep="=", dtype=float)
            dummies = dummies.loc[:, dummies.sum() > 0].iloc[:, 1:]
            blocks.append(dummies.to_numpy())
            names.extend(map(str, dummies.columns))
    if not blocks:
        return np.empty((len(data), 0)), []
    return np.hstack(blocks), names


def fe_codes(data: pd.DataFrame, cols: Sequence[str]) -> np.ndarray | None:
    """Integer codes of the fixed-effect columns (``None`` if there are none)."""
    if not cols:
        return None
    return np.column_stack([pd.factorize(data[c])[0] for c in cols])


def fe_parameters(data: pd.DataFrame, cols: Sequence[str]) -> int:
    """Parameters absorbed by the fixed effects (the levels, less one per extra dimension)."""
    return sum(int(data[c].nunique()) for c in cols) - max(len(cols) - 1, 0)
