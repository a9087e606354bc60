"""Covariates with the baseline column(s), each with McKenzie's missing dummy (ITT, 2SLS, RI)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, as_list, finite_column
from kaizen_eval.estimate._frame import design_columns


def covariate_block(
    data: pd.DataFrame,
    covariates: Sequence[str],
    baseline: str | Sequence[str] | None,
) -> tuple[np.ndarray, list[str], list[str]]:
    """Covariates of the estimation sample, with the baseline column(s) and their missing dummies.

    McKenzie (2012): a missing baseline value is set to 0 and flagged by an indicator
    ``<baseline>_missing`` so that no firm is dropped for it. Several baseline columns (the
    baseline outcome and, say, baseline employment) each get their own indicator.
    """
    x, names = design_columns(data, covariates)
    notes: list[str] = []
    for col in as_list(baseline):
        block, bnames, bnotes = _baseline_columns(data, col)
        x = np.hstack([x, block])
        names.extend(bnames)
        notes.extend(bnotes)
    return x, names, notes


def _baseline_columns(data: pd.DataFrame, baseline: str) -> tuple[np.ndarray, list[str], list[str]]:
    """One baseline column, 0 where missing, and its ``_missing`` dummy when any is missing."""
    b = data[baseline]
    if not (pd.api.types.is_numeric_dtype(b) or pd.api.types.is_bool_dtype(b)):
        raise KaizenError(f"baseline {baseline!r} must be numeric; it has dtype {b.dtype}")
    miss = b.isna().to_numpy()
    finite_column(data.loc[~miss], baseline, "baseline")  # inf or a typo: an error
    vals = b.to_numpy(dtype=float, na_value=np.nan)
    cols = [np.where(miss, 0.0, vals)]
    names, notes = [baseline], []
    if miss.all():
        raise KaizenError(f"baseline {baseline!r} is missing for every row of the sample")
    if miss.any():
        cols.append(miss.astype(float))
        names.append(f"{baseline}_missing")
        notes.append(
            f"baseline {baseline!r} missing for {int(miss.sum())} of {len(miss)} rows: set "
            f"to 0 and flagged by {baseline + '_missing'!r} (McKenzie 2012), so none is "
            f"dropped"
        )
    return np.column_stack(cols), names, notes
