"""The ITT reweighted for attrition, with standard errors that account for the estimated weights.

:func:`ipw_itt` fits the response model of :func:`~kaizen_eval.estimate.attrition_weights.
attrition_weights`, the weighted OLS of the outcome on the assignment (and covariates) by
:func:`~kaizen_eval._core.linear.fit_ols`, and stacks the moments of both (M-estimation): the
weighted regression's scores are corrected for the estimation of the logits (and of the
stabilizing response rates), and the meat is built by :mod:`~kaizen_eval._core.meats`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import factorize
from kaizen_eval._core.covariance import small_sample_factor
from kaizen_eval._core.linear import fit_ols
from kaizen_eval._core.meats import cluster_summer, cr_scores, meat
from kaizen_eval._validation import KaizenError, as_list, check_alpha, finite_column
from kaizen_eval.estimate._build import check_cluster_column, check_parameters
from kaizen_eval.estimate._frame import estimation_sample
from kaizen_eval.estimate.attrition_weights import (
    ResponseModel,
    ResponseSpec,
    diagnostics,
    fit_response_model,
    warn_exploding,
)
from kaizen_eval.estimate.result import Estimate


def stacked_scores(model: ResponseModel, x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Per-row scores ``φ_i`` of the weighted regression corrected for the estimated weights.

    With ``ψ_i = s_i w_i X_i e_i`` the regression's moment, logit scores ``R_i (s_i − p_i)``
    with information ``I_g = Σ_g p(1 − p) R Rᵀ`` and stabilizing rates ``q̄_a``,
    ``φ_i = ψ_i + H_γ I_g⁻¹ R_i (s_i − p_i) + H_q (s_i − q̄_a)/n_a`` where
    ``H_γ = −Σ_g s w (1 − p) e X Rᵀ`` and ``H_q = Σ_a s w e X / q̄_a`` (untrimmed respondents:
    a trimmed weight is the fixed cap). ``β̂ − β ≈ B Σ φ_i``: the covariance is ``c B Σ φφᵀ B``.

    Parameters
    ----------
    model : ResponseModel
    x : numpy.ndarray, shape (n, k)
        The outcome regression's design for every row (used for respondents only).
    e : numpy.ndarray, shape (n,)
        Residuals (0 for non-respondents).

    Returns
    -------
    numpy.ndarray, shape (k, n)
    """
    s = model.observed.astype(float)
    w = np.where(model.observed, model.weights, 0.0)
    free = model.observed & ~model.trimmed
    phi = (x * (s * w * e)[:, None]).T  # (k, n)
    for g, fitted in enumerate(model.fitted):
        if not fitted:
            continue
        m = model.group == g
        r, p = model.design[m], model.prob[m]
        info = (r * (p * (1 - p))[:, None]).T @ r
        u = np.where(free[m], w[m] * (1 - p) * e[m], 0.0)
        h = -(x[m] * u[:, None]).T @ r  # (k, m)
        phi[:, m] += h @ np.linalg.solve(info, (r * (s[m] - p)[:, None]).T)
    if model.stabilize:
        for a in range(int(model.stratum.max()) + 1):
            m = model.stratum == a
            q = s[m].mean()
            u = np.where(free[m], w[m] * e[m], 0.0)
            h = (x[m] * u[:, None]).sum(axis=0) / q  # (k,)
            phi[:, m] += h[:, None] * ((s[m] - q) / m.sum())[None, :]
    return phi


def ipw_itt(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    response_covariates: str | Sequence[str],
    covariates: str | Sequence[str] = (),
    response: str | None = None,
    by_arm: bool = True,
    stabilize: bool = True,
    trim: float | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """ITT reweighted by inverse probabilities of response, with stacked-moment standard errors.

    The point estimate is ``ke.itt(df, outcome=..., treatment=..., covariates=...,
    weights=w)`` with ``w = ke.attrition_weights(df, response=..., treatment=...,
    covariates=response_covariates, ...)``; the standard error accounts for the estimation of
    the weights (the logits, and the arms' response rates when stabilized) by stacking their
    moments with the regression's (M-estimation; see :func:`stacked_scores`), HC1-type, or
    CR1-type with ``cluster`` (the scores summed within clusters). The weights' standard
    errors of ``ke.itt(..., weights=w)`` treat the weights as known.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm assigned, respondents or not.
    outcome, treatment : str
        Outcome (missing for non-respondents) and 0/1 assignment.
    response_covariates : str or sequence of str
        Baseline covariates of the response model.
    covariates : str or sequence of str
        Covariates of the outcome regression (as in ``itt``).
    response : str, optional
        0/1 column of response (default: the outcome is observed).
    by_arm, stabilize, trim
        As in :func:`~kaizen_eval.estimate.attrition_weights.attrition_weights`.
    cluster : str, optional
        Cluster of the covariance (whole clusters' scores summed).
    alpha : float

    Returns
    -------
    Estimate
        ``method="IPW-OLS"``, ``extra["weights"]`` (the Series of weights) and
        ``extra["diagnostics"]`` (the weights' diagnostics table).

    Notes
    -----
    With trimming, the cap is treated as fixed (its estimation is not in the stack).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(1)
    >>> n = 600
    >>> df = pd.DataFrame({"invited": rng.permutation(np.repeat([0, 1], n // 2)),
    ...                    "size": rng.normal(size=n)})
    >>> y = 1 + 0.5 * df["invited"] + df["size"] + rng.normal(size=n)
    >>> p = 1 / (1 + np.exp(-(2 - 1.5 * df["invited"] * (df["size"] < 0))))
    >>> df["sales"] = y.where(rng.uniform(size=n) < p)
    >>> e = ke.ipw_itt(df, outcome="sales", treatment="invited", response_covariates="size")
    >>> round(e.estimate, 2), round(e.std_error, 3), e.method
    (0.31, 0.127, 'IPW-OLS')
    """
    alpha = check_alpha(alpha)
    rcovs, covs = as_list(response_covariates), as_list(covariates)
    roles = [
        ("treatment", [treatment]),
        ("response covariate", rcovs),
        ("covariate", covs),
        ("cluster", as_list(cluster)),
        *([("response", [response])] if response else []),
    ]
    sample = estimation_sample(df, roles, where="ipw_itt", keep=[outcome])
    data = sample.data.copy()
    resp = response or "__responded__"
    if response is None:
        data[resp] = data[outcome].notna().astype(int)
    spec = ResponseSpec(resp, treatment, rcovs, by_arm, stabilize, trim)
    model = fit_response_model(data, spec, where="ipw_itt")
    obs = model.observed
    if data.loc[obs, outcome].isna().any():
        raise KaizenError(
            f"ipw_itt: {outcome!r} is missing for rows that {response!r} marks as observed"
        )
    table = diagnostics(model, [f"{treatment}={a}" for a in (0, 1)])
    warn_exploding(model, table, data.index, "ipw_itt")
    n = len(data)
    z = data[treatment].to_numpy(dtype=float)
    xcov = [finite_column(data, c, "covariate", where="ipw_itt") for c in covs]
    x = np.column_stack([np.ones(n), z, *xcov])
    names = ["(Intercept)", treatment, *covs]
    y = np.where(obs, data[outcome].to_numpy(dtype=float, na_value=np.nan), 0.0)
    nr = int(obs.sum())
    check_parameters(nr, x.shape[1], "ipw_itt")
    clusters = check_cluster_column(data, cluster, where="ipw_itt") if cluster else None
    se = "CR1" if cluster else "HC1"
    fit = fit_ols(
        y[obs],
        x[obs],
        se=se,
        clusters=clusters[obs] if clusters is not None else None,
        weights=model.weights[obs],
        names=names,
    )
    e = np.zeros(n)
    e[obs] = y[obs] - x[obs] @ fit.coef
    bread = np.linalg.inv((x[obs] * model.weights[obs][:, None]).T @ x[obs])
    phi = stacked_scores(model, x, e)
    if cluster:
        codes = factorize(clusters)
        g = int(codes.max()) + 1
        scores = cr_scores(cluster_summer(codes, g), phi, np.ones(n))
    else:
        g, scores = None, phi
    c = small_sample_factor(se, nr, x.shape[1], g)
    vcov = c * bread @ meat(scores) @ bread
    dof = (g - 1) if g else nr - x.shape[1]
    w_series = pd.Series(np.nan, index=df.index, name="attrition_weight")
    used = np.flatnonzero(df[[c for _, cols in roles for c in cols]].notna().all(axis=1))
    w_series.iloc[used] = np.where(obs, model.weights, np.nan)
    control = obs & (z == 0)
    lost = data.loc[~obs].copy()
    lost["reason"] = f"{outcome!r} not observed (represented by the weighted respondents)"
    lost = lost.drop(columns=["__responded__"], errors="ignore")
    j = names.index(treatment)
    return Estimate(
        terms=(treatment,),
        coef=[fit.coef[j]],
        vcov=[[vcov[j, j]]],
        dof=float(dof),
        se_type=se,
        method="IPW-OLS",
        estimand="ITT",
        outcome=outcome,
        nobs=nr,
        n_clusters=g,
        alpha=alpha,
        control_mean=float(np.average(y[control], weights=model.weights[control])),
        dropped=pd.concat([sample.dropped, lost]),
        notes=(
            "inverse-probability-of-response weights from a logit "
            + ("by arm" if by_arm else "pooled across arms")
            + f" on {rcovs}; standard errors account for the estimated weights (stacked "
            f"moments, {se}-type)",
        ),
        extra={"weights": w_series, "diagnostics": table, "fit": fit},
    )
