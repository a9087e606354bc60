"""Shared steps of the public estimators: checks on the assignment and wrapping a fit."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.linear import LinearFit, check_parameters  # noqa: F401 (re-exported)
from kaizen_eval._validation import (
    KaizenError,
    KaizenWarning,
    check_binary,
    check_clusters,
    check_variation,
    check_weights,
    finite_column,
)
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
                f"{len(data)} rows have {str(data[c].iloc[0])!r}); nothing to estimate"
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
                warnings.warn(msg, KaizenWarning, stacklevel=3)
                notes.append(msg)
    return notes


def check_fixed_effects(data: pd.DataFrame, fixed_effects: Sequence[str], where: str) -> None:
    """Raise for a fixed effect that cannot be one: a level per row, or a continuous column.

    A continuous column (fractional values) or an id with a level for every row absorbs the
    whole sample; it belongs in ``covariates`` (or nowhere).
    """
    n = len(data)
    for fe in fixed_effects:
        s = data[fe]
        levels = s.nunique()
        continuous = pd.api.types.is_float_dtype(s) and not np.all(np.mod(s.to_numpy(), 1) == 0)
        if continuous or (levels >= n and n > 1):
            why = (
                "has fractional values (it looks continuous)"
                if continuous
                else (f"has a level for every row ({levels} levels in {n} rows)")
            )
            raise KaizenError(
                f"{where}: fixed effect {fe!r} {why}; absorbing it leaves nothing to estimate. "
                "Pass a grouping column (strata, waves) as `fixed_effects`, and a continuous one "
                "in `covariates`."
            )


def check_assignment(
    data: pd.DataFrame,
    cols: Sequence[str],
    role: str,
    *,
    where: str,
    dose: bool,
    declared: str = "dose=True",
) -> np.ndarray:
    """Return the assignment (or take-up) columns as floats, 0/1 unless ``dose`` is declared.

    ``declared`` is the keyword the error offers for other codings (``""`` where none does).
    """
    out = []
    for c in cols:
        v = finite_column(data, c, role, where=where)
        if not dose:
            check_binary(v, c, role, where=where, declared=declared)
        out.append(v)
    return np.column_stack(out)


def check_outcome(data: pd.DataFrame, col: str, *, where: str) -> np.ndarray:
    """Return the outcome as finite floats; a constant outcome is an error (nothing to fit)."""
    y = finite_column(data, col, "outcome", where=where)
    check_variation(y, col, "outcome", where=where)
    return y


def regression_outcome(
    data: pd.DataFrame, col: str, fixed_effects: Sequence[str], *, where: str
) -> np.ndarray:
    """Return the outcome of a regression that absorbs ``fixed_effects``, both checked.

    See :func:`check_fixed_effects` and :func:`check_outcome`.
    """
    check_fixed_effects(data, fixed_effects, where)
    return check_outcome(data, col, where=where)


def check_cluster_column(
    data: pd.DataFrame,
    cluster: str | None,
    *,
    where: str,
    warn: bool = True,
    stacklevel: int = 4,
) -> np.ndarray | None:
    """Return the cluster values after the count check (error < 2; warning < 20 clusters).

    ``warn=False`` where the inference is already built for few clusters (CR2 with
    Bell–McCaffrey degrees of freedom, the wild bootstrap). ``stacklevel`` counts from
    :func:`~kaizen_eval._validation.check_clusters` (4: the caller of a public function that
    calls this directly).
    """
    if cluster is None:
        return None
    values = data[cluster].to_numpy()
    check_clusters(
        values, cluster, where=where, warn_below=20 if warn else 2, stacklevel=stacklevel
    )
    return values


def weight_column(data: pd.DataFrame, weights: str | None, *, where: str) -> np.ndarray | None:
    """Positive finite regression weights (``None`` without ``weights``)."""
    if weights is None:
        return None
    return check_weights(finite_column(data, weights, "weight", where=where), weights, where=where)


def fit_estimate(
    fit: LinearFit,
    terms: Sequence[str],
    *,
    rows: np.ndarray | None = None,
    dof: np.ndarray | None = None,
    coef: np.ndarray | None = None,
    vcov: np.ndarray | None = None,
    **fields: Any,
) -> Estimate:
    """Return the :class:`Estimate` of the coefficients ``terms`` of ``fit``.

    With ``rows`` (a matrix ``L``) and ``dof``, the reported terms are the linear combinations
    ``L β̂`` with covariance ``L V Lᵀ`` (effects at chosen values of a moderator); ``coef`` and
    ``vcov`` replace the fit's (coefficients of several fits stacked). The fit gives the
    standard-error type, method and counts; ``fields`` are the estimate's other fields.
    """
    if rows is None:
        idx = [fit.index(t) for t in terms]
        rows = np.eye(len(fit.coef))[idx]
        dof = fit.df[idx]
    coef = fit.coef if coef is None else coef
    vcov = fit.vcov if vcov is None else vcov
    return Estimate(
        terms=tuple(terms),
        coef=rows @ coef,
        vcov=rows @ vcov @ rows.T,
        dof=dof,
        se_type=fit.se_type,
        method=fit.method,
        nobs=fit.nobs,
        n_clusters=fit.n_clusters,
        **fields,
    )


@dataclass(frozen=True)
class Reporting:
    """What an estimator reports beside its fit, the same for each of its fits.

    Built once by an estimator (``itt``, ``late``) and used by its plain and moderated fits.
    """

    estimand: str
    outcome: str
    dropped: pd.DataFrame
    control_mean: float | None
    alpha: float

    def estimate(
        self,
        fit: LinearFit,
        terms: Sequence[str],
        *,
        notes: Sequence[str],
        extra: dict[str, Any],
        **combination: Any,
    ) -> Estimate:
        """Return the :class:`Estimate` of ``terms`` (``combination``: as in :func:`fit_estimate`).

        Its notes are the standard-error note of the fit, then ``notes``.
        """
        notes = (SE_NOTES[fit.se_type], *notes)
        return fit_estimate(fit, terms, notes=notes, extra=extra, **combination, **vars(self))

    def wrap(
        self,
        fit: LinearFit,
        terms: Sequence[str],
        *,
        notes: Sequence[str],
        extra: dict[str, Any],
        rows: np.ndarray | None = None,
        dof: np.ndarray | None = None,
    ) -> Estimate:
        """:meth:`estimate` of the rows ``L`` of one fit, kept whole in ``extra["fit"]``."""
        extra = {"fit": fit, **extra}
        return self.estimate(fit, terms, notes=notes, extra=extra, rows=rows, dof=dof)


def weighted_mean(v: np.ndarray, w: np.ndarray | None) -> float:
    """Mean of ``v`` (weighted by ``w`` if given)."""
    return float(np.average(v, weights=w)) if len(v) else float("nan")


def control_mean(y: np.ndarray, control: np.ndarray, w: np.ndarray | None) -> float | None:
    """Return the (weighted) mean outcome of the ``control`` rows; ``None`` when there are none."""
    mean = weighted_mean(y[control], w[control] if w is not None else None)
    return mean if control.any() else None
