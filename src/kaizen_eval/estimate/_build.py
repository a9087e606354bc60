"""Shared steps of the public estimators: checks on the assignment and wrapping a fit."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.linear import LinearFit
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.result import Estimate

SE_NOTES = {
    "classical": "homoskedastic (classical) standard errors",
    "HC0": "heteroskedasticity-robust standard errors (HC0)",
    "HC1": "heteroskedasticity-robust standard errors (HC1, Stata `robust`)",
    "HC2": "heteroskedasticity-robust standard errors (HC2)",
    "HC3": "heteroskedasticity-robust standard errors (HC3)",
    "CR0": "cluster-robust standard errors (CR0) with G - 1 degrees of freedom",
    "CR1": "cluster-robust standard errors (CR1, Stata `vce(cluster)`) with G - 1 degrees of "
    "freedom",
    "CR2": "cluster-robust standard errors (CR2, Bell-McCaffrey) with Pustejovsky-Tipton "
    "degrees of freedom",
}


def check_varies(
    data: pd.DataFrame, cols: Sequence[str], fixed_effects: Sequence[str], role: str
) -> list[str]:
    """Raise if a column does not vary (overall or within every fixed-effect level).

    Returns notes about fixed-effect levels without variation (they do not contribute).
    """
    notes: list[str] = []
    for c in cols:
        if data[c].nunique(dropna=True) < 2:
            raise KaizenError(
                f"{role} {c!r} does not vary in the estimation sample (all "
                f"{len(data)} rows have {data[c].iloc[0]!r}); nothing to estimate"
            )
        for fe in fixed_effects:
            varies = data.groupby(fe, observed=True, sort=False)[c].nunique() > 1
            if not varies.any():
                raise KaizenError(
                    f"{role} {c!r} does not vary within any level of the fixed effect {fe!r}; "
                    f"it is absorbed and cannot be estimated"
                )
            if not varies.all():
                bad = list(varies.index[~varies])
                shown = ", ".join(map(str, bad[:5])) + (" ..." if len(bad) > 5 else "")
                msg = (
                    f"{role} {c!r} does not vary within {len(bad)} of {len(varies)} levels of "
                    f"{fe!r} ({shown}); those rows identify only the fixed effects"
                )
                warnings.warn(msg, UserWarning, stacklevel=3)
                notes.append(msg)
    return notes


def wrap(
    fit: LinearFit,
    terms: Sequence[str],
    *,
    estimand: str,
    outcome: str,
    dropped: pd.DataFrame,
    notes: Sequence[str],
    control_mean: float | None,
    alpha: float,
    extra: dict[str, Any],
) -> Estimate:
    """Turn the rows ``terms`` of a :class:`LinearFit` into an :class:`Estimate`."""
    idx = [fit.index(t) for t in terms]
    all_notes = [SE_NOTES[fit.se_type], *notes]
    return Estimate(
        terms=tuple(terms),
        coef=fit.coef[idx],
        vcov=fit.vcov[np.ix_(idx, idx)],
        dof=fit.df[idx],
        se_type=fit.se_type,
        method=fit.method,
        estimand=estimand,
        outcome=outcome,
        nobs=fit.nobs,
        n_clusters=fit.n_clusters,
        alpha=alpha,
        control_mean=control_mean,
        dropped=dropped,
        notes=tuple(all_notes),
        extra={"fit": fit, **extra},
    )


def weighted_mean(v: np.ndarray, w: np.ndarray | None) -> float:
    """Mean of ``v`` (weighted by ``w`` if given)."""
    return float(np.average(v, weights=w)) if len(v) else float("nan")
