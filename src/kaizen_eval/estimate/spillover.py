r"""``ke.spillover``: direct and spillover effects in a randomized saturation design.

Baird, Bohren, McIntosh & Özler (2018). Each cluster ``c`` has a saturation ``π_c`` (the share of
its firms invited; ``π_c = 0`` for pure control clusters), ``T_i`` is the firm's invitation and
``S_i = (1 - T_i)·1[π_c > 0]`` marks the uninvited firms of treated clusters. Two OLS fits on the
same rows, both with the one sandwich of :mod:`kaizen_eval._core`:

* pooled: ``y_i = α + δ T_i + σ S_i + x_iᵀβ + ε_i`` — ``direct`` is ``δ`` (invited firms vs pure
  controls), ``spillover`` is ``σ`` (uninvited firms of treated clusters vs pure controls);
* by saturation: ``y_i = α + Σ_s δ_s T_i 1[π_c = s] + Σ_s σ_s S_i 1[π_c = s] + x_iᵀβ + ε_i``,
  ``direct:<s>`` and ``spillover:<s>`` for each non-zero ``s`` (no ``spillover:1``).

The *total causal effect* at saturation ``s`` (BBMO's TCE: the average effect on all firms of a
cluster treated at ``s``) is ``total:<s> = s·δ_s + (1 - s)·σ_s``. The *linear dose-response* test
asks whether the ``δ_s`` (and, separately, the ``σ_s``) lie on a straight line in ``s``: with
levels ``s_1 < … < s_L`` it is the joint test of the ``L - 2`` restrictions
``(s_{j+1} - s_j)(β_j - β_{j-1}) = (s_j - s_{j-1})(β_{j+1} - β_j)`` (Pustejovsky–Tipton HTZ
with CR2, else an F on ``G - 1`` df); it needs three non-zero saturations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kaizen_eval._core.covariance import CLUSTER_SE_TYPES
from kaizen_eval._core.linear import LinearFit, fit_ols
from kaizen_eval._core.wald import WaldTest, wald_test
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_option,
    finite_column,
)
from kaizen_eval.estimate._build import (
    Reporting,
    check_assignment,
    check_cluster_column,
    check_parameters,
    regression_outcome,
)
from kaizen_eval.estimate._frame import design_columns, estimation_sample, fe_codes, fe_parameters
from kaizen_eval.estimate.result import Estimate

WHERE = "spillover"


def _levels(data: pd.DataFrame, saturation: str, cluster: str, t: np.ndarray) -> np.ndarray:
    """Return the saturation of every row, checked: in [0, 1], constant within clusters."""
    sat = finite_column(data, saturation, "saturation", where=WHERE)
    bad = (sat < 0) | (sat > 1)
    if bad.any():
        raise KaizenError(
            f"{WHERE}: saturation {saturation!r} must be in [0, 1]; {int(bad.sum())} rows are "
            f"not (e.g. {float(sat[bad][0])!r})."
        )
    per = pd.Series(sat).groupby(data[cluster].to_numpy()).nunique()
    if (per > 1).any():
        raise KaizenError(
            f"{WHERE}: saturation {saturation!r} varies within cluster(s) "
            f"{', '.join(map(str, per.index[per > 1][:5]))}; a saturation belongs to a cluster."
        )
    if not (sat == 0).any():
        raise KaizenError(
            f"{WHERE}: no pure control cluster (saturation 0) in the sample; every effect is "
            "measured against the pure controls."
        )
    if not (sat > 0).any():
        raise KaizenError(f"{WHERE}: every cluster has saturation 0; nothing was treated.")
    invited_at_zero = (sat == 0) & (t == 1)
    if invited_at_zero.any():
        raise KaizenError(
            f"{WHERE}: {int(invited_at_zero.sum())} invited row(s) are in clusters of "
            f"saturation 0 (e.g. row {data.index[invited_at_zero][0]!r}); check the "
            "treatment and saturation columns."
        )
    return sat


def _cells(
    t: np.ndarray, sat: np.ndarray
) -> tuple[np.ndarray, list[str], list[float], dict[str, list[str]]]:
    """Cell dummies of the by-saturation fit, their names, the levels and the dose groups."""
    cols, names, groups = [], [], {"direct": [], "spillover": []}
    levels = sorted(float(s) for s in np.unique(sat[sat > 0]))
    for s in levels:
        at = sat == s
        for kind, mask in (("direct", at & (t == 1)), ("spillover", at & (t == 0))):
            if not mask.any():
                if kind == "direct":
                    raise KaizenError(
                        f"{WHERE}: no invited firm in the clusters of saturation {s:g}."
                    )
                continue  # saturation 1: nobody left uninvited
            cols.append(mask.astype(float))
            names.append(f"{kind}:{s:g}")
            groups[kind].append(names[-1])
    return np.column_stack(cols), names, levels, groups


def _linearity(
    fit: LinearFit, terms: list[str], levels: Sequence[float], test: str
) -> WaldTest | None:
    """Joint test that the effects at the saturations lie on a straight line (``None``: < 3)."""
    if len(terms) < 3:
        return None
    s = [float(t.split(":", 1)[1]) for t in terms]
    pos = [fit.index(t) for t in terms]
    rmat = np.zeros((len(terms) - 2, len(fit.coef)))
    for j in range(1, len(terms) - 1):
        left, right = s[j] - s[j - 1], s[j + 1] - s[j]
        rmat[j - 1, pos[j - 1]] = -right
        rmat[j - 1, pos[j]] = right + left
        rmat[j - 1, pos[j + 1]] = -left
    return wald_test(fit, rmat, test=test)


def _linearity_notes(linear: dict, groups: dict) -> list[str]:
    """Say each linear dose-response test, or why it cannot be run."""
    notes = []
    for kind, wt in linear.items():
        if wt is None:
            notes.append(
                f"linear dose-response test of the {kind} effects needs three non-zero "
                f"saturations; the sample has {len(groups[kind])}"
            )
        else:
            notes.append(
                f"linear dose-response of the {kind} effects in the saturation: "
                f"F({wt.df1}, {wt.df2:.4g}) = {wt.fstat:.4g}, p = {wt.pvalue:.4g}"
            )
    return notes


def spillover(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str = "invited",
    saturation: str = "saturation",
    cluster: str = "cluster_id",
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    se: str = "CR2",
    alpha: float = 0.05,
) -> Estimate:
    """Estimate direct, spillover and total effects of a randomized saturation design.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm: outcome, invitation, its cluster's saturation and the cluster.
    outcome : str
        Outcome column.
    treatment : str
        The 0/1 invitation column.
    saturation : str
        The cluster's saturation (share of its firms invited by design; 0 for pure controls),
        as :func:`kaizen_eval.assign` with ``saturation=`` writes it.
    cluster : str
        The cluster column (the unit of the first stage); standard errors are clustered on it.
    covariates : str or sequence of str
        Baseline covariates.
    fixed_effects : str or sequence of str, optional
        Absorbed fixed effects (the strata of the first stage).
    se : {"CR2", "CR1", "CR0"}
        Cluster-robust covariance (default CR2 with Pustejovsky–Tipton degrees of freedom).
    alpha : float
        Level of the confidence intervals.

    Returns
    -------
    Estimate
        Terms ``direct``, ``spillover`` (pooled fit), ``direct:<s>``, ``spillover:<s>`` for each
        non-zero saturation ``s`` (``f"{s:g}"``; no ``spillover:1``) and ``total:<s>``;
        ``estimand="ITT"``, ``method="OLS"``. The covariance of terms from the two fits is
        ``B₁ S₁ S₂ᵀ B₂`` (same rows, same clusters). ``extra``: ``"pooled_fit"``,
        ``"saturation_fit"`` (the :class:`~kaizen_eval._core.linear.LinearFit` s),
        ``"levels"``, ``"linear_dose_response"`` (``{"direct": WaldTest | None, "spillover":
        WaldTest | None}``), ``"cell_counts"`` (firms and clusters per cell).

    Raises
    ------
    KaizenError
        Missing columns, a treatment not coded 0/1, a saturation outside [0, 1] or varying
        within a cluster, no pure control cluster, invited firms at saturation 0, a non-cluster
        ``se``, collinear covariates.

    Notes
    -----
    See the module docstring for the two regressions, the total causal effect and the
    dose-response test. The degrees of freedom of ``total:<s>`` are those of the one-restriction
    HTZ test (the Satterthwaite df of the contrast) with CR2, ``G - 1`` otherwise.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"firm_id": range(400), "cluster_id": np.repeat(np.arange(40), 10)})
    >>> asg = ke.assign(f, cluster="cluster_id", saturation=[0, 0.3, 0.6], seed=1)
    >>> d = f.merge(asg.frame, on="firm_id")
    >>> d["y"] = 1.0 * d["invited"] + 0.5 * (d["saturation"] > 0) + rng.normal(size=400)
    >>> sp = ke.spillover(d, outcome="y")
    >>> sp.tidy().index.tolist()[:4]
    ['direct', 'spillover', 'direct:0.3', 'spillover:0.3']
    """
    covs = as_list(covariates)
    fes = as_list(fixed_effects)
    alpha = check_alpha(alpha)
    se_type = check_option("se", se, CLUSTER_SE_TYPES)
    for name, col in (("treatment", treatment), ("saturation", saturation), ("cluster", cluster)):
        if not isinstance(col, str):
            raise KaizenError(f"`{name}` must be one column name. You passed: {col!r}.")
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("saturation", [saturation]),
            ("covariate", covs),
            ("fixed effect", fes),
            ("cluster", [cluster]),
        ],
        where=WHERE,
    )
    data = sample.data
    y = regression_outcome(data, outcome, fes, where=WHERE)
    t = check_assignment(data, [treatment], "treatment", where=WHERE, dose=False)[:, 0]
    clusters = check_cluster_column(data, cluster, where=WHERE, warn=se_type != "CR2")
    sat = _levels(data, saturation, cluster, t)
    x, x_names = design_columns(data, covs)
    treated_cluster = (sat > 0).astype(float)
    pooled = np.column_stack([t, (1 - t) * treated_cluster])
    cells, cell_names, levels, groups = _cells(t, sat)
    const = [] if fes else [np.ones((len(y), 1))]
    const_name = [] if fes else ["(Intercept)"]
    fe = fe_codes(data, fes)
    n_fe = fe_parameters(data, fes)
    check_parameters(len(y), len(const) + cells.shape[1] + x.shape[1] + n_fe, WHERE)
    fit1 = fit_ols(
        y,
        np.hstack([*const, pooled, x]),
        se=se_type,
        clusters=clusters,
        fixed_effects=fe,
        names=[*const_name, "direct", "spillover", *x_names],
    )
    fit2 = fit_ols(
        y,
        np.hstack([*const, cells, x]),
        se=se_type,
        clusters=clusters,
        fixed_effects=fe,
        names=[*const_name, *cell_names, *x_names],
    )
    # reported terms: a linear map L (rows) of the stacked coefficients (fit1, fit2)
    k1, k2 = len(fit1.coef), len(fit2.coef)
    terms = ["direct", "spillover", *cell_names]
    rows = []
    for name in terms:
        r = np.zeros(k1 + k2)
        r[fit1.index(name) if name in ("direct", "spillover") else k1 + fit2.index(name)] = 1
        rows.append(r)
    dof = [fit1.df[fit1.index("direct")], fit1.df[fit1.index("spillover")]]
    dof += [fit2.df[fit2.index(c)] for c in cell_names]
    test = "HTZ" if se_type == "CR2" else "F"
    for s in levels:
        r = np.zeros(k1 + k2)
        r[k1 + fit2.index(f"direct:{s:g}")] = s
        if f"spillover:{s:g}" in cell_names:
            r[k1 + fit2.index(f"spillover:{s:g}")] = 1 - s
        rows.append(r)
        terms.append(f"total:{s:g}")
        dof.append(wald_test(fit2, r[None, k1:], test=test).df2)
    lmat = np.array(rows)
    b1s1, b2s2 = fit1.bread @ fit1.scores, fit2.bread @ fit2.scores
    stacked = np.vstack([b1s1, b2s2])
    vcov = stacked @ stacked.T
    vcov[:k1, :k1], vcov[k1:, k1:] = fit1.vcov, fit2.vcov
    coef = np.concatenate([fit1.coef, fit2.coef])
    linear = {kind: _linearity(fit2, groups[kind], levels, test) for kind in groups}
    counts = pd.DataFrame(
        {
            "cell": ["pure control", *cell_names],
            "firms": [int(np.sum(sat == 0))] + [int(c.sum()) for c in cells.T],
            "clusters": [int(pd.unique(clusters[sat == 0]).size)]
            + [int(pd.unique(clusters[c > 0]).size) for c in cells.T],
        }
    )
    report = Reporting("ITT", outcome, sample.dropped, float(np.mean(y[sat == 0])), alpha)
    return report.estimate(
        fit1,
        terms,
        rows=lmat,
        dof=np.asarray(dof, dtype=float),
        coef=coef,
        vcov=vcov,
        notes=_linearity_notes(linear, groups),
        extra={
            "pooled_fit": fit1,
            "saturation_fit": fit2,
            "levels": tuple(levels),
            "linear_dose_response": linear,
            "cell_counts": counts,
            "covariates": tuple(x_names),
            "fixed_effects": tuple(fes),
        },
    )
