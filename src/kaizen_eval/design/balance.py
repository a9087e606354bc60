"""Covariate balance between arms: :func:`balance` and the :class:`BalanceTable` it returns.

Per covariate, the difference between each arm and control is the coefficient of the arm's
dummy in an OLS regression of the covariate on the arm dummies (with strata fixed effects when
``strata`` is given, so the difference is within strata, as the design compares), with the
chosen covariance; the joint test regresses each arm's dummy (arm vs control units) on all
covariates (+ strata fixed effects) and tests that every covariate coefficient is zero with a
Wald F under the same covariance. The regressions and covariances are those of
:func:`kaizen_eval.fit_ols` and :func:`kaizen_eval.wald_test`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._core.linear import LinearFit, fit_ols
from kaizen_eval._core.wald import wald_test
from kaizen_eval._validation import KaizenError, as_list, require_columns
from kaizen_eval.design._balance_table import JOINT_COLUMNS, TABLE_COLUMNS, BalanceTable, cell

__all__ = [
    "JOINT_COLUMNS",
    "TABLE_COLUMNS",
    "BalanceTable",
    "PreparedArms",
    "balance",
    "cell",
    "difference_rows",
    "prepare_arms",
]


# --------------------------------------------------------------------------------------------
def _label_codes(df: pd.DataFrame, cols: Sequence[str]) -> np.ndarray | None:
    """One integer label per row for the interaction of ``cols`` (``None`` without columns)."""
    if not cols:
        return None
    codes = df.groupby(list(cols), sort=True, dropna=False).ngroup()
    return codes.to_numpy()


def _numeric(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise KaizenError(f"{role} `{col}` must be numeric; it has dtype {s.dtype}.")
    return s.to_numpy(dtype=float, na_value=np.nan)


def _fit(
    y: np.ndarray,
    d: np.ndarray,
    names: list[str],
    se: str,
    clusters: np.ndarray | None,
    fe: np.ndarray | None,
) -> LinearFit:
    x = d if fe is not None else np.column_stack([np.ones(len(y)), d])
    nm = names if fe is not None else ["(Intercept)", *names]
    return fit_ols(y, x, se=se, clusters=clusters, fixed_effects=fe, names=nm)


def _pvalue(coef: float, se: float, df: float) -> float:
    if not se > 0:
        return float("nan")
    return float(2 * stats.t.sf(abs(coef / se), df))


@dataclass(frozen=True, eq=False)
class PreparedArms:
    """Validated arms of a comparison (internal to the design stage).

    ``d`` (n, J) holds the 0/1 arm dummies, ``control`` (n,) the rows with 0 in every arm,
    ``fe`` (n,) strata labels or ``None``, ``clusters`` (n,) or ``None``.
    """

    data: pd.DataFrame
    arms: list[str]
    d: np.ndarray
    control: np.ndarray
    fe: np.ndarray | None
    clusters: np.ndarray | None
    se_type: str
    strata: list[str]


def prepare_arms(
    df: pd.DataFrame,
    treatment: str | Sequence[str],
    covariates: Sequence[str],
    strata: str | Sequence[str] | None,
    cluster: str | None,
    se: str | None,
    id_col: str | None,
    *,
    where: str,
) -> PreparedArms:
    """Validate the arms, strata, clusters and covariance type of a comparison between arms."""
    arms = as_list(treatment)
    strata_cols = as_list(strata)
    if not arms:
        raise KaizenError("`treatment` names no column.")
    overlap = set(arms) & set(covariates)
    if overlap:
        raise KaizenError(f"{sorted(overlap)} are both treatment and compared variables.")
    cols = [*arms, *covariates, *strata_cols, *([cluster] if cluster else [])]
    require_columns(df, cols + ([id_col] if id_col else []), where=where)
    se_type = check_se_type(("CR2" if cluster else "HC2") if se is None else se, bool(cluster))
    data = df.reset_index(drop=True)
    names = (
        data[id_col].astype(str).to_numpy()
        if id_col
        else np.asarray([f"row {i}" for i in df.index], dtype=object)
    )

    def who(mask: np.ndarray) -> str:
        vals = names[mask].tolist()
        return ", ".join(vals[:10]) + (f" ... ({len(vals)} in all)" if len(vals) > 10 else "")

    d = np.column_stack([_numeric(data, a, "treatment") for a in arms])
    for j, a in enumerate(arms):
        miss = np.isnan(d[:, j])
        if miss.any():
            raise KaizenError(f"treatment `{a}` is missing for {who(miss)}.")
        bad = ~np.isin(d[:, j], (0.0, 1.0))
        if bad.any():
            raise KaizenError(f"treatment `{a}` must be 0/1; other values for {who(bad)}.")
    both = d.sum(axis=1) > 1
    if both.any():
        raise KaizenError(
            f"arms {arms} overlap ({who(both)} are in several): several treatment columns must be "
            "mutually exclusive arms; for a cross-randomized factor use one factor at a time."
        )
    for c in [*strata_cols, *([cluster] if cluster else [])]:
        miss = data[c].isna().to_numpy()
        if miss.any():
            raise KaizenError(f"`{c}` is missing for {who(miss)}.")
    control = d.sum(axis=1) == 0
    for j, a in enumerate(arms):
        if d[:, j].sum() == 0:
            raise KaizenError(f"no unit is in arm `{a}`.")
    if not control.any():
        raise KaizenError("no control unit (a row with 0 in every treatment column).")
    return PreparedArms(
        data=data,
        arms=arms,
        d=d,
        control=control,
        fe=_label_codes(data, strata_cols),
        clusters=data[cluster].to_numpy() if cluster else None,
        se_type=se_type,
        strata=strata_cols,
    )


def difference_rows(x: np.ndarray, names: Sequence[str], prep: PreparedArms) -> pd.DataFrame:
    """Per variable (columns of ``x``, shape (n, p)) and arm: means, difference, SE, p-value.

    Each variable is regressed on the arm dummies (+ strata fixed effects) on the rows where it
    is observed; returns the rows of :attr:`BalanceTable.table`.
    """
    d, control, arms = prep.d, prep.control, prep.arms
    rows = []
    for k, c in enumerate(names):
        obs = ~np.isnan(x[:, k])
        if not obs.any():
            raise KaizenError(f"`{c}` is missing for every row.")
        fit = _fit(
            x[obs, k],
            d[obs],
            arms,
            prep.se_type,
            None if prep.clusters is None else prep.clusters[obs],
            None if prep.fe is None else prep.fe[obs],
        )
        xc = x[obs & control, k]
        for j, a in enumerate(arms):
            xa = x[obs & (d[:, j] == 1), k]
            i = fit.index(a)
            coef, sei = float(fit.coef[i]), float(fit.std_error[i])
            if np.ptp(x[obs, k]) == 0:  # a constant: rounding noise, not a difference
                coef, sei = 0.0, 0.0
            s0 = float(np.std(xc, ddof=1)) if len(xc) > 1 else float("nan")
            s1 = float(np.std(xa, ddof=1)) if len(xa) > 1 else float("nan")
            m0 = float(np.mean(xc)) if len(xc) else float("nan")
            m1 = float(np.mean(xa)) if len(xa) else float("nan")
            pooled = np.sqrt((s0**2 + s1**2) / 2)
            rows.append(
                {
                    "covariate": c,
                    "arm": a,
                    "n": int(obs.sum()),
                    "n_missing": int((~obs).sum()),
                    "mean_control": m0,
                    "mean_arm": m1,
                    "sd_control": s0,
                    "sd_arm": s1,
                    "difference": coef,
                    "std_error": sei,
                    "pvalue": _pvalue(coef, sei, float(fit.df[i])),
                    "df": float(fit.df[i]),
                    "normalized_diff": (m1 - m0) / pooled if pooled > 0 else float("nan"),
                }
            )
    return pd.DataFrame(rows).set_index(["covariate", "arm"])


def _joint_tests(
    x: np.ndarray, covs: Sequence[str], prep: PreparedArms
) -> tuple[pd.DataFrame, list[str]]:
    """Per arm: regress the arm dummy on all covariates (arm and control rows, complete cases)."""
    d, control = prep.d, prep.control
    complete = ~np.isnan(x).any(axis=1)
    rows = []
    notes = []
    for j, a in enumerate(prep.arms):
        sample = control | (d[:, j] == 1)
        use = sample & complete
        n_dropped = int((sample & ~complete).sum())
        varies = [k for k in range(len(covs)) if np.ptp(x[use, k]) > 0] if use.any() else []
        constant = [c for k, c in enumerate(covs) if k not in varies]
        if constant:
            notes.append(
                f"Joint test for {a}: {', '.join(constant)} left out (no variation among the "
                f"{int(use.sum())} rows used)."
            )
        if not varies:
            raise KaizenError(f"joint balance test for `{a}`: no covariate varies.")
        tested = [covs[k] for k in varies]
        try:
            fit = _fit(
                d[use, j],
                x[use][:, varies],
                tested,
                prep.se_type,
                None if prep.clusters is None else prep.clusters[use],
                None if prep.fe is None else prep.fe[use],
            )
            wt = wald_test(fit, tested)
        except KaizenError as err:
            raise KaizenError(f"joint balance test for `{a}`: {err}") from err
        rows.append(
            {
                "arm": a,
                "fstat": wt.fstat,
                "df1": wt.df1,
                "df2": wt.df2,
                "pvalue": wt.pvalue,
                "nobs": int(use.sum()),
                "n_dropped": n_dropped,
            }
        )
        if n_dropped:
            missing_in = [c for k, c in enumerate(covs) if np.isnan(x[sample, k]).any()]
            notes.append(
                f"Joint test for {a}: {n_dropped} of {int(sample.sum())} rows dropped because "
                f"{', '.join(missing_in)} {'is' if len(missing_in) == 1 else 'are'} missing."
            )
    return pd.DataFrame(rows).set_index("arm")[list(JOINT_COLUMNS)], notes


def balance(
    df: pd.DataFrame,
    *,
    treatment: str | Sequence[str],
    covariates: str | Sequence[str],
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    se: str | None = None,
    id_col: str | None = None,
) -> BalanceTable:
    """Compare baseline covariates across arms: differences, their tests, a joint test.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str or sequence of str
        0/1 assignment column(s). Several columns are mutually exclusive arms, each compared with
        control (all zeros); for a cross-randomized factor, call ``balance`` once per factor.
    covariates : str or sequence of str
        Numeric covariates; missing values are allowed and reported per covariate.
    strata : str or sequence of str, optional
        Randomization strata, absorbed as fixed effects (their interaction).
    cluster : str, optional
        Cluster column for clustered standard errors.
    se : str, optional
        Covariance type: ``"HC2"`` by default (``"CR2"`` with ``cluster``), as R's
        ``estimatr::lm_robust``; any of ``classical``, ``HC0``-``HC3`` (``CR0``-``CR2`` with
        ``cluster``).
    id_col : str, optional
        Unit id, used to name rows in error messages.

    Returns
    -------
    BalanceTable

    Raises
    ------
    KaizenError
        Missing or non-0/1 treatment, overlapping arms, missing strata or clusters, a
        non-numeric covariate, a covariate entirely missing.

    Notes
    -----
    For covariate ``x`` and arms ``d_1..d_J``: ``x = α + Σ_j δ_j d_j (+ strata FE) + ε`` on the
    rows where ``x`` is observed; ``difference`` is ``δ_j``. Joint test for arm ``j``: on the
    rows of arm ``j`` and control with every covariate observed, ``d_j = a + x'γ (+ strata FE)
    + u``, Wald ``F = γ̂'V̂⁻¹γ̂ / p`` on ``(p, N - K)`` degrees of freedom (``G - 1`` with
    clusters).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"invited": np.repeat([0, 1], 50), "educ_years": rng.normal(9, 3, 100)})
    >>> bt = balance(df, treatment="invited", covariates=["educ_years"])
    >>> bt.table.loc[("educ_years", "invited"), "n"], 0 <= bt.joint_pvalue <= 1
    (np.int64(100), True)
    """
    if not isinstance(df, pd.DataFrame):
        raise KaizenError(f"`df` must be a pandas DataFrame, not {type(df).__name__}.")
    covs = as_list(covariates)
    if not covs:
        raise KaizenError("`covariates` names no column.")
    prep = prepare_arms(df, treatment, covs, strata, cluster, se, id_col, where="the balance data")
    x = np.column_stack([_numeric(prep.data, c, "covariate") for c in covs])
    table = difference_rows(x, covs, prep)[list(TABLE_COLUMNS)]
    joint, notes = _joint_tests(x, covs, prep)
    return BalanceTable(
        table,
        joint,
        se_type=prep.se_type,
        strata=tuple(prep.strata),
        cluster=cluster,
        notes=tuple(notes),
    )
