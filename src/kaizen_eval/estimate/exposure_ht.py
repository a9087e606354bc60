r"""Horvitz–Thompson and Hájek estimators of exposure contrasts (Aronow & Samii 2017).

With ``I_i(k)`` the indicator that firm ``i`` is observed in condition ``k`` and ``π_i(k)``,
``π_ij(k, l)`` the (joint) probabilities of :func:`~kaizen_eval.estimate.exposure.
exposure_probabilities`, the HT estimator of the mean potential outcome in condition ``k`` is
``Ŷ(k) = N⁻¹ Σ_i I_i(k) Y_i / π_i(k)``, and the contrast ``τ̂(k, none) = Ŷ(k) − Ŷ(none)``. Its
conservative variance is the paper's (eqs. 7–9): ``Var̂[Ŷ(k)] = N⁻² {Σ_i I_i(k) (1 − π_i(k))
(Y_i/π_i(k))² + Σ_{i≠j: π_ij(k)>0} I_i(k) I_j(k) (π_ij(k) − π_i(k)π_j(k))/π_ij(k) · Y_i Y_j /
(π_i(k)π_j(k)) + Σ_{i≠j: π_ij(k)=0} [I_i(k) Y_i²/(2π_i(k)) + I_j(k) Y_j²/(2π_j(k))]}``, and
``Cov̂[Ŷ(k), Ŷ(l)] = N⁻² {Σ_{i≠j: π_ij(k,l)>0} I_i(k) I_j(l) (π_ij(k,l) − π_i(k)π_j(l)) /
π_ij(k,l) · Y_i Y_j/(π_i(k)π_j(l)) − Σ_{i,j: π_ij(k,l)=0} [I_i(k) Y_i²/(2π_i(k)) + I_j(l)
Y_j²/(2π_j(l))]}``, so that ``Var̂[τ̂] = Var̂[Ŷ(k)] + Var̂[Ŷ(l)] − 2 Cov̂``.

The Hájek estimator divides by ``Σ_i I_i(k)/π_i(k)`` instead of ``N``; its variance is the HT
variance of the residuals ``Y_i − Ŷ_H(k)`` (linearization, as the paper suggests). The
regression-adjusted estimator (:mod:`~kaizen_eval.estimate.exposure_regression`) adds
pre-treatment covariates to that weighted fit; its variance is the same, of its residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_option,
    finite_column,
)
from kaizen_eval.estimate._docs_exposure import DOCS
from kaizen_eval.estimate.exposure import (
    CONDITIONS,
    ExposureMapping,
    ExposureProbabilities,
    Neighbours,
)
from kaizen_eval.estimate.exposure_regression import (
    adjusted_means,
    check_covariates,
    covariate_matrix,
)
from kaizen_eval.estimate.result import Estimate

Estimator = Literal["HT", "Hajek", "regression"]
ESTIMATORS: tuple[str, ...] = ("HT", "Hajek", "regression")


def ht_covariance(
    y: np.ndarray,
    ind: np.ndarray,
    pi: np.ndarray,
    joint: dict[tuple[int, int], np.ndarray],
) -> np.ndarray:
    """Aronow–Samii conservative covariance of the HT means ``N·Ŷ(k)``, shape (K, K).

    ``y`` (N,) outcomes, ``ind`` (N, K) observed indicators, ``pi`` (N, K) probabilities (all
    positive), ``joint[(k, l)]`` (N, N) the joint probabilities. Returns the matrix of
    ``N² Var̂`` / ``N² Cov̂`` (divide by ``N²``).
    """
    n, kk = ind.shape
    a = ind * y[:, None] / pi  # I_i(k) Y_i / π_i(k)
    b = ind * y[:, None] ** 2 / (2 * pi)  # I_i(k) Y_i² / (2 π_i(k))
    out = np.zeros((kk, kk))
    off = ~np.eye(n, dtype=bool)
    for k in range(kk):
        for k2 in range(k, kk):
            pij = joint[(k, k2)]
            pos = pij > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(pos & off, (pij - np.outer(pi[:, k], pi[:, k2])) / pij, 0.0)
            cross = a[:, k] @ w @ a[:, k2]
            if k == k2:
                zero = (~pos) & off
                first = np.sum(ind[:, k] * (1 - pi[:, k]) * (y / pi[:, k]) ** 2)
                third = b[:, k] @ zero.sum(axis=1) + zero.sum(axis=0) @ b[:, k]
                out[k, k] = first + cross + third
            else:
                zero = ~pos
                out[k, k2] = out[k2, k] = cross - (
                    b[:, k] @ zero.sum(axis=1) + zero.sum(axis=0) @ b[:, k2]
                )
    return out


@fill_doc(DOCS)
def exposure_effects(
    df: pd.DataFrame,
    *,
    outcome: str,
    id_col: str,
    treatment: str,
    assignment: Any,
    lat: str | None = None,
    lon: str | None = None,
    radius_km: float = 1.0,
    edges: pd.DataFrame | None = None,
    directed: bool = False,
    estimator: Estimator = "HT",
    covariates: str | Sequence[str] = (),
    interact: bool = True,
    draws: int = 10_000,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    probabilities: ExposureProbabilities | None = None,
) -> Estimate:
    """Estimate the effect of each exposure condition against ``none`` (Aronow & Samii 2017).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm: id, assignment, outcome, and coordinates (or give ``edges``).
    outcome : str
        Outcome column.
    %(param_exposure_mapping)s
    %(param_exposure_assignment)s
    estimator : {"HT", "Hajek", "regression"}
        Horvitz–Thompson (unbiased), Hájek (ratio; usually less variable), or the
        regression-adjusted Hájek estimator: a weighted least-squares fit of the outcome on
        the condition indicators and ``covariates`` centred at their mean, weights
        ``1/π_i(k_i)`` (Aronow & Samii 2017, §6; with ``interact=True`` one slope per
        condition, Gao & Ding 2023). Without covariates it would be the Hájek estimator.
    covariates : str or sequence of str
        Pre-treatment covariates of ``estimator="regression"`` (required there, refused by the
        others: a covariate that is silently ignored would mislead).
    interact : bool
        With ``"regression"``: one slope per condition (default; never less efficient
        asymptotically), or common slopes (``False``, the paper's covariance adjustment).
    %(param_exposure_draws)s
    alpha : float
        Level of the normal confidence intervals.
    probabilities : ExposureProbabilities, optional
        Probabilities already computed for these firms (then the design arguments only build
        the observed conditions).

    Returns
    -------
    Estimate
        Terms ``"<condition> vs none"`` for ``indirect``, ``direct``, ``direct+indirect``;
        ``method`` ``"HT"``, ``"Hajek"`` or ``"regression"``, ``se_type="Aronow-Samii"``
        (conservative; for the ratio estimators a linearization), normal
        inference. ``extra``: ``"probabilities"`` (:class:`ExposureProbabilities`),
        ``"draws"``, ``"excluded"`` (firms with zero probability of some condition: outside
        the population of the estimand, reported here, not silently dropped), ``"means"``
        (with ``"regression"``, the adjusted means at the covariates' mean).

    Raises
    ------
    KaizenError
        As :func:`kaizen_eval.exposure_probabilities`; a missing outcome or covariate; with
        ``"Hajek"`` or ``"regression"``, no firm observed in a condition; covariates without
        ``"regression"`` (or ``"regression"`` without them); covariates constant or collinear
        (within a condition, with ``interact=True``).

    Examples
    --------
    >>> import numpy as np, pandas as pd, kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": range(40), "lat": 0.0, "lon": np.arange(40) * 0.004})
    >>> asg = ke.assign(df, arms={"invited": 0.4}, seed=3)
    >>> df = df.merge(asg.frame, on="firm_id")
    >>> df["y"] = df["invited"] + rng.normal(size=40)
    >>> r = ke.exposure_effects(df, outcome="y", id_col="firm_id", treatment="invited",
    ...                         assignment=asg, lat="lat", lon="lon", draws=2_000)
    >>> r.terms
    ('indirect vs none', 'direct vs none', 'direct+indirect vs none')

    Adjusting for a baseline covariate (common slopes: one condition has a single firm here,
    too few for a slope of its own):

    >>> df["y0"] = rng.normal(size=40)
    >>> ra = ke.exposure_effects(df, outcome="y", id_col="firm_id", treatment="invited",
    ...                          assignment=asg, lat="lat", lon="lon", draws=2_000,
    ...                          estimator="regression", covariates="y0", interact=False)
    >>> ra.method
    'regression'
    """
    check_option("estimator", estimator, ESTIMATORS)
    alpha = check_alpha(alpha)
    covs = check_covariates(as_list(covariates), estimator, interact)
    if outcome not in df.columns:
        raise KaizenError(f"outcome {outcome!r} is not in the data.")
    if df[outcome].isna().any():
        raise KaizenError(
            f"outcome {outcome!r} is missing for {int(df[outcome].isna().sum())} firms; the "
            "exposure estimators weight every firm of the design: impute or bound them first."
        )
    y_all = finite_column(df, outcome, "outcome", where="exposure_effects")
    mapping = ExposureMapping(treatment, Neighbours(id_col, lat, lon, radius_km, edges, directed))
    graph, z_obs = mapping.observed(df)
    obs = mapping.conditions(graph, z_obs)
    x_all = covariate_matrix(df, covs, outcome=outcome, treatment=treatment, id_col=id_col)
    if probabilities is None:
        probabilities = mapping.probabilities(graph, z_obs, assignment, draws, seed)
    pi_all = probabilities.probabilities
    keep = (pi_all > 0).all(axis=1)
    excluded = probabilities.unreachable(id_col)
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise KaizenError("no firm can reach every exposure condition; nothing to compare.")
    codes = pd.Series(obs["condition"]).map({c: k for k, c in enumerate(CONDITIONS)})
    codes = codes.to_numpy()[rows]
    y, pi = y_all[rows], pi_all[rows]
    ind = (codes[:, None] == np.arange(len(CONDITIONS))[None, :]).astype(float)
    empty = [CONDITIONS[k] for k in range(len(CONDITIONS)) if not ind[:, k].any()]
    if empty and estimator != "HT":
        raise KaizenError(
            f"no firm is observed in condition(s) {empty}: the "
            + ("Hájek" if estimator == "Hajek" else "regression-adjusted")
            + " mean is undefined there (the HT estimator is defined: use estimator='HT')."
        )
    n = len(rows)
    kk = len(CONDITIONS)
    joint = probabilities.joints(rows)
    if estimator == "HT":
        means = (ind * y[:, None] / pi).sum(axis=0) / n
        cov = ht_covariance(y, ind, pi, joint) / n**2
    else:
        if estimator == "Hajek":
            totals = (ind / pi).sum(axis=0)
            means = (ind * y[:, None] / pi).sum(axis=0) / totals
            resid = y - ind @ means  # each firm's residual from its own condition's mean
        else:
            means, resid = adjusted_means(
                y,
                ind,
                pi,
                x_all[rows],
                interact=interact,
                covariates=covs,
                conditions=CONDITIONS,
            )
        cov = ht_covariance(resid, ind, pi, joint) / n**2
    contrast = np.zeros((kk - 1, kk))
    contrast[:, 0] = -1.0
    contrast[np.arange(kk - 1), np.arange(1, kk)] = 1.0
    notes = [
        f"exposure probabilities from {probabilities.draws} "
        + ("listed (exact) assignments" if probabilities.exact else "re-draws of the assignment"),
        "conservative variance of Aronow & Samii (2017); normal intervals",
    ]
    if estimator == "regression":
        notes.append(
            f"adjusted for {', '.join(covs)} (weighted least squares, "
            + ("one slope per condition" if interact else "common slopes")
            + ", covariates centred at their mean; variance of the residuals)"
        )
    if len(excluded):
        notes.append(
            f"{int((~keep).sum())} firm(s) have probability zero of some condition and are "
            "outside the estimand's population (listed in extra['excluded'])"
        )
    return Estimate(
        terms=tuple(f"{c} vs none" for c in CONDITIONS[1:]),
        coef=contrast @ means,
        vcov=contrast @ cov @ contrast.T,
        dof=np.inf,
        se_type="Aronow-Samii",
        method=estimator,
        estimand="exposure contrast",
        outcome=outcome,
        nobs=n,
        alpha=alpha,
        control_mean=float(means[0]),
        notes=tuple(notes),
        extra={
            "probabilities": probabilities,
            "draws": probabilities.draws,
            "excluded": excluded,
            "means": pd.Series(means, index=list(CONDITIONS), name=estimator),
        },
    )
