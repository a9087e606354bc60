"""ATT of a non-randomized site by nearest-neighbour or propensity-score matching.

:func:`match_att` wraps :func:`~kaizen_eval.estimate.matching_core.nn_match` (the algebra of
R's ``Matching::Match``) for a DataFrame: it checks the columns, reports the units left without
a match, and returns an :class:`~kaizen_eval.estimate.result.Estimate` marked non-experimental
(``method="Matching-NN"`` or ``"Matching-PS"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import factorize
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_binary,
    check_count,
    check_option,
    check_variation,
)
from kaizen_eval.estimate._frame import estimation_sample
from kaizen_eval.estimate.did import propensity
from kaizen_eval.estimate.matching_core import nn_match
from kaizen_eval.estimate.result import Estimate

MatchMethod = Literal["nearest", "propensity"]
MatchEstimand = Literal["ATT", "ATE", "ATC"]
MatchMetric = Literal["mahalanobis", "inverse_variance"]
_METHOD_NAME = {"nearest": "Matching-NN", "propensity": "Matching-PS"}


def match_att(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    method: MatchMethod = "nearest",
    metric: MatchMetric = "inverse_variance",
    n_neighbors: int = 1,
    bias_adjust: bool = False,
    estimand: MatchEstimand = "ATT",
    exact: str | Sequence[str] | None = None,
    caliper: float | None = None,
    variance_matches: int | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Effect of participation at a non-randomized site by matching with replacement.

    Each participant is compared with its ``n_neighbors`` nearest non-participants (all tied
    ones kept, as ``Matching::Match(ties=TRUE)``); with ``estimand="ATE"`` every firm is also
    matched to the other arm. Identification rests on selection on the covariates and
    overlap, not on randomization. The standard error is Abadie and Imbens' (2006), with the
    conditional variance of each firm's outcome estimated from its ``variance_matches``
    nearest firms of the same arm (``Match``'s ``Var.calc``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm.
    outcome, treatment : str
        Outcome, and participation coded 0/1.
    covariates : str or sequence of str
        Matching covariates (also the regressors of the bias adjustment and, with
        ``method="propensity"``, of the logit score).
    method : {"nearest", "propensity"}
        Match on the covariates, or on a logit propensity score fitted on them. With
        ``"propensity"`` the standard error treats the score as known (as ``Match`` does;
        not the Abadie–Imbens 2016 correction for the estimated score, which is usually
        smaller for the ATE and of either sign for the ATT). The estimate and the standard
        error agree with ``Match``'s on the score to 1e-8, as with covariates.
    metric : {"inverse_variance", "mahalanobis"}
        Distance of the standardized covariates: ``"inverse_variance"`` (the default of both
        R's ``Match``, ``Weight=1``, and Stata's ``nnmatch``) or ``"mahalanobis"``
        (``Weight=2``).
    n_neighbors : int
        ``M``, the matches per firm.
    bias_adjust : bool
        Abadie–Imbens (2011) regression adjustment for the covariate gap of inexact matches.
    estimand : {"ATT", "ATE", "ATC"}
    exact : str or sequence of str, optional
        Columns a match must equal exactly (e.g. the sector). As in ``Match`` (which applies
        ``exact`` through its caliper), a firm with fewer than ``n_neighbors`` firms of the
        other arm in its cell is left without a match (reported in ``dropped``), and ``σ²``
        comes from the same-arm firms of its cell (0 with fewer than ``variance_matches``);
        ``extra["std_error_match"]`` is ``Match``'s standard error, as with a caliper.
    caliper : float, optional
        Match only among firms within ``caliper`` standard deviations on every covariate (on
        the score with ``method="propensity"``); a firm with fewer than ``n_neighbors`` of
        them is left without a match, is reported in ``dropped``, and the estimand becomes
        the effect for the matched firms. The estimate, the firms lost and ``σ²`` (from the
        same-arm firms within the caliper, 0 with fewer than ``variance_matches``) equal
        ``Match``'s. The standard error is that of the matched firms' average; ``Match``'s,
        in ``extra["std_error_match"]``, also counts every firm lost to the caliper, with an
        effect of 0 and in the denominator, so it is smaller (0.093 against 0.250 when 133 of
        136 firms are lost).
    variance_matches : int, optional
        ``J`` of the variance estimator (default ``n_neighbors``).
    alpha : float

    Returns
    -------
    Estimate
        ``method="Matching-NN"`` or ``"Matching-PS"``, ``se_type="Abadie-Imbens"``, normal
        intervals; ``extra`` holds ``times_used`` (how often each firm serves as a match),
        ``unit_effects``, ``estimate_unadjusted``, with ``"propensity"`` ``propensity`` and,
        with a caliper or ``exact``, ``std_error_match`` (``Match``'s standard error, see
        ``caliper``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> d = (rng.normal(size=400) < x).astype(float)
    >>> y = x + 2 * d + rng.normal(size=400)
    >>> df = pd.DataFrame({"y": y, "d": d, "x": x})
    >>> est = ke.match_att(df, outcome="y", treatment="d", covariates="x", bias_adjust=True)
    >>> est.method, bool(abs(est.estimate - 2) < 3 * est.std_error)
    ('Matching-NN', True)
    """
    where = "match_att"
    check_option("method", method, get_args(MatchMethod))
    check_option("metric", metric, get_args(MatchMetric))
    check_option("estimand", estimand, get_args(MatchEstimand))
    check_alpha(alpha)
    m = check_count("n_neighbors", n_neighbors)
    j = check_count("variance_matches", m if variance_matches is None else variance_matches)
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise KaizenError(
            f"`caliper` must be a positive number of standard deviations; got {caliper!r}"
        )
    covs = as_list(covariates)
    if not covs:
        raise KaizenError("match_att needs at least one covariate in `covariates`")
    exact_cols = as_list(exact)
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("covariate", covs),
            ("exact-match column", exact_cols),
        ],
        where=where,
    )
    data = sample.data
    y = data[outcome].to_numpy(dtype=float)
    d = check_binary(data[treatment].to_numpy(dtype=float), treatment, "treatment", where=where)
    check_variation(d, treatment, "treatment", where=where)
    x = data[covs].to_numpy(dtype=float)
    for k, col in enumerate(covs):
        check_variation(x[:, k], col, "covariate", where=where)
    extra: dict = {}
    if method == "propensity":
        score = propensity(d, np.column_stack([np.ones(len(d)), x]))
        extra["propensity"] = pd.Series(score, index=data.index, name="propensity")
        x = score[:, None]
    codes = None
    if exact_cols:
        codes = factorize(pd.MultiIndex.from_frame(data[exact_cols]).to_numpy())
    fit = nn_match(
        y,
        d,
        x,
        n_neighbors=m,
        estimand=estimand,
        metric=metric,
        bias_adjust=bias_adjust,
        variance_matches=j,
        caliper=caliper,
        exact=codes,
    )
    focal = np.ones(len(d), dtype=bool) if estimand == "ATE" else d == (estimand == "ATT")
    lost = focal & ~fit.matched
    dropped = sample.dropped
    notes = [
        f"{estimand} by {'propensity-score' if method == 'propensity' else 'nearest-neighbour'} "
        f"matching with replacement, {m} match(es) (not randomized: assumes selection on the "
        "covariates and overlap); Abadie-Imbens (2006) standard error"
        + (" with the score treated as known" if method == "propensity" else "")
    ]
    if lost.any():
        why = "no match within the caliper" + (" and exact columns" if exact_cols else "")
        if caliper is None:
            why = f"fewer than {m} match(es) with the same exact-match columns"
        gone = data.loc[lost].assign(reason=why)
        dropped = pd.concat([dropped, gone]) if len(dropped) else gone
        notes.append(
            f"{int(lost.sum())} of {int(focal.sum())} firms have {why} (no common support) and "
            f"are not in the estimate; see `dropped`"
        )
        if caliper is not None or exact_cols:
            notes.append(
                "the standard error is that of the matched firms' average; Matching::Match's "
                f"({fit.std_error_match:.4g}, extra['std_error_match']) also counts each firm "
                "lost to the caliper or exact columns, with an effect of 0, so it is smaller"
            )
    extra.update(
        times_used=pd.Series(fit.times_used, index=data.index, name="times_used"),
        unit_effects=pd.Series(fit.unit_effects, index=data.index, name="unit_effect"),
        estimate_unadjusted=fit.estimate_unadjusted,
    )
    if caliper is not None or exact_cols:
        extra["std_error_match"] = fit.std_error_match
    return Estimate(
        terms=(treatment,),
        coef=[fit.estimate],
        vcov=[[fit.std_error**2]],
        dof=np.inf,
        se_type="Abadie-Imbens",
        method=_METHOD_NAME[method],
        estimand=estimand,
        outcome=outcome,
        nobs=len(d),
        alpha=alpha,
        control_mean=float(y[d == 0].mean()),
        dropped=dropped,
        notes=tuple(notes),
        extra=extra,
    )
