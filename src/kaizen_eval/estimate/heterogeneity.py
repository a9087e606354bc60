"""``ke.heterogeneity``: generic machine-learning inference on heterogeneous effects.

Chernozhukov, Demirer, Duflo & Fernández-Val (2018; Econometrica 2025): learn a proxy of the
effect on half of the sample, and test on the other half whether and how the effect varies
with it (BLP, GATES, CLAN); repeat over many splits and aggregate by medians, which keeps the
inference valid conditional on the data (intervals at ``1 − 2α``, p-values doubled).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_binary,
    check_count,
    check_seed,
    check_whole_number,
    finite_column,
)
from kaizen_eval.estimate._build import check_cluster_column, check_outcome
from kaizen_eval.estimate._frame import design_columns, estimation_sample, fe_codes
from kaizen_eval.estimate.heterogeneity_core import Arrays, one_split
from kaizen_eval.estimate.heterogeneity_result import Heterogeneity, median_inference


def heterogeneity(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    learner: Any = "forest",
    splits: int = 100,
    groups: int = 5,
    fixed_effects: str | Sequence[str] | None = None,
    cluster: str | None = None,
    se: str | None = None,
    propensity: float | str | Any | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool = False,
    alpha: float = 0.05,
) -> Heterogeneity:
    """Estimate who benefits: BLP, GATES and CLAN by generic ML inference over sample splits.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm.
    outcome : str
        Outcome column.
    treatment : str
        The randomized 0/1 treatment (assignment) column.
    covariates : str or sequence of str
        Baseline covariates the learner may use (text or categorical ones enter as dummies).
    learner : {"forest", "boosting", "elastic_net"} or estimator
        scikit-learn's random forest, histogram gradient boosting, or a cross-validated
        elastic net on standardized covariates; or any object with ``fit``/``predict``
        (cloned for every fit).
    splits : int
        Number of random sample splits (the paper uses 100).
    groups : int
        Number of GATES groups (quantiles of the predicted effect).
    fixed_effects : str or sequence of str, optional
        Randomization strata absorbed in the BLP and GATES regressions.
    cluster : str, optional
        Unit of randomization: whole clusters are sent to one half, and the covariance is
        cluster-robust (CR1 unless ``se`` says otherwise).
    se : str, optional
        Covariance of the per-split BLP, GATES and CLAN regressions: ``"HC0"``, ``"HC1"``
        (default), ``"HC2"``, ``"HC3"``, ``"classical"``; with ``cluster`` ``"CR0"``, ``"CR1"``
        (default) or ``"CR2"`` (Bell–McCaffrey with Pustejovsky–Tipton degrees of freedom, the
        choice for few clusters).
    propensity : float, str or Assignment, optional
        The known probability of treatment: a number, a column, or the
        :class:`~kaizen_eval.design.assignment.Assignment` of the trial (its exact
        probabilities, matched on its id column). By default the share treated (within each
        fixed-effect cell when ``fixed_effects`` is given).
    seed : int
        Seed of the splits and the learners; the result does not depend on ``n_jobs``.
    n_jobs : int
        Parallel workers over splits (joblib).
    progress : bool
        Show a progress bar over splits.
    alpha : float
        Per-split level; the reported intervals have level ``1 − 2α``.

    Returns
    -------
    Heterogeneity
        ``.blp``, ``.gates``, ``.gates_difference``, ``.clan``, ``.top_effects(shares)``,
        ``.plot()``, ``.tidy()``.

    Raises
    ------
    KaizenError
        A missing column, a treatment not coded 0/1, a propensity outside (0, 1),
        ``splits < 1``, ``groups < 2``, too few observations per group, a learner that fails.

    Notes
    -----
    In each split the learner is fit separately on the auxiliary half's treated and control
    units; ``B(x)`` is the control prediction and ``S(x)`` the difference. The main-half
    regressions, weighted by ``1/(p(1 − p))``, are (covariance ``se``; by default HC1, or
    CR1 with ``cluster``)::

        BLP:   y = α₀ + α₁B + β₁(D − p) + β₂(D − p)(S − S̄) + ε
        GATES: y = α₀ + α₁B + Σ_k γ_k (D − p) 1(S in group k) + ν

    ``β₂ = 1`` when the proxy is the true effect, ``0`` when it carries no information (or
    effects are constant). CLAN compares covariate means in the most and least affected
    groups. Estimates are medians over splits; the interval bounds are the medians of the
    per-split ``1 − α`` bounds, with confidence at least ``1 − 2α``; p-values are
    ``min(1, 2 · median p)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x1": rng.normal(size=400), "x2": rng.normal(size=400),
    ...                    "d": rng.integers(0, 2, 400)})
    >>> df["y"] = df["x2"] + df["d"] * (1 + df["x1"]) + rng.normal(size=400)
    >>> h = ke.heterogeneity(df, outcome="y", treatment="d", covariates=["x1", "x2"],
    ...                      learner="elastic_net", splits=5, groups=4, seed=1)
    >>> list(h.blp.index), list(h.gates.index)
    (['ate', 'heterogeneity'], [1, 2, 3, 4])
    """
    splits = check_count("splits", splits)
    groups = check_whole_number("groups", groups, least=2)
    n_jobs = check_whole_number("n_jobs", n_jobs, least=1)
    check_seed("seed", seed, generator=False)
    alpha = check_alpha(alpha)
    covs, fes = as_list(covariates), as_list(fixed_effects)
    if not covs:
        raise KaizenError("heterogeneity needs `covariates`: the learner predicts from them")
    prop_col = [propensity] if isinstance(propensity, str) else []
    id_col = [propensity.id_col] if _is_assignment(propensity) else []
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("covariate", covs),
            ("fixed effect", fes),
            ("cluster", as_list(cluster)),
            ("propensity", prop_col),
        ],
        where="heterogeneity",
        keep=[c for c in id_col if c not in (outcome, treatment, *covs)],
    )
    data = sample.data
    y = check_outcome(data, outcome, where="heterogeneity")
    d = finite_column(data, treatment, "treatment", where="heterogeneity")
    check_binary(d, treatment, "treatment", where="heterogeneity")
    se_type = check_se_type(se, cluster is not None)
    clusters = check_cluster_column(data, cluster, where="heterogeneity", warn=se_type != "CR2")
    x, names = design_columns(data, covs)
    p, pnote = _propensity(data, propensity, d, treatment, fes)
    if len(y) // 2 // groups < 2 * 2:
        raise KaizenError(
            f"too few observations per group: {len(y)} rows give main halves of {len(y) // 2} "
            f"for {groups} groups; use fewer `groups`"
        )
    arr = Arrays(
        y=y,
        d=d,
        p=p,
        x=x,
        names=tuple(names),
        clusters=clusters,
        codes=fe_codes(data, fes),
        se=se_type,
    )
    seeds = np.random.SeedSequence(seed).spawn(splits)
    results = _run(arr, learner, groups, seeds, n_jobs, progress)
    stack = lambda attr: np.vstack([getattr(r, attr) for r in results])  # noqa: E731
    blp = median_inference(
        stack("blp_est"), stack("blp_se"), stack("blp_df"), alpha, ["ate", "heterogeneity"]
    )
    gates = median_inference(
        stack("gates_est"), stack("gates_se"), stack("gates_df"), alpha, range(1, groups + 1)
    )
    diff = stack("diff")
    gdiff = median_inference(diff[:, [0]], diff[:, [1]], diff[:, [2]], alpha, ["most - least"])
    clan = median_inference(stack("clan_est"), stack("clan_se"), stack("clan_df"), alpha, names)
    means = np.stack([r.clan_means for r in results])
    clan.insert(0, "least", np.median(means[:, :, 1], axis=0))
    clan.insert(0, "most", np.median(means[:, :, 0], axis=0))
    clan = clan.rename(columns={"estimate": "difference"})
    clan.index.name = "covariate"
    blp.index.name = "term"
    gates.index.name = "group"
    notes = [
        pnote,
        f"per-split covariance {se_type}"
        + ("" if clusters is None else f" (clusters {cluster!r}, split by cluster)"),
    ]
    return Heterogeneity(
        _blp=blp,
        _gates=gates,
        _gates_difference=gdiff,
        _clan=clan,
        splits=splits,
        groups=groups,
        learner=learner if isinstance(learner, str) else type(learner).__name__,
        alpha=alpha,
        nobs=len(y),
        n_clusters=None if clusters is None else len(np.unique(clusters)),
        notes=tuple(notes),
        _arrays=arr,
        _splits=tuple(results),
    )


def _run(arr, learner, groups, seeds, n_jobs, show):
    """Run the splits, in order (in parallel over ``n_jobs`` worker processes)."""
    total = len(seeds)
    if n_jobs == 1:
        it = (one_split(arr, learner, groups, s) for s in seeds)
        return list(progress_bar(it, total=total, show=show, desc="splits", unit="split"))
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=n_jobs, return_as="generator")
    it = par(delayed(one_split)(arr, learner, groups, s) for s in seeds)
    return list(progress_bar(it, total=total, show=show, desc="splits", unit="split"))


def _is_assignment(obj: Any) -> bool:
    return callable(getattr(obj, "probabilities", None)) and hasattr(obj, "id_col")


def _propensity(data, propensity, d, treatment, fes) -> tuple[np.ndarray, str]:
    """Return the known probability of treatment of every row, and where it came from."""
    n = len(d)
    if propensity is None:
        if fes:
            p = pd.Series(d, index=data.index).groupby([data[f] for f in fes]).transform("mean")
            p = p.to_numpy(dtype=float)
            how = f"the share treated within each cell of {fes}"
        else:
            p = np.full(n, d.mean())
            how = "the share treated"
        note = f"propensity: {how} (pass `propensity=` if the design says otherwise)"
    elif isinstance(propensity, str):
        p = finite_column(data, propensity, "propensity", where="heterogeneity")
        note = f"propensity: column {propensity!r}"
    elif _is_assignment(propensity):
        probs = propensity.probabilities()
        if treatment not in probs.columns:
            raise KaizenError(
                f"the Assignment has no arm {treatment!r}; its arms: {list(probs.columns[1:])}"
            )
        lookup = probs.set_index(propensity.id_col)[treatment]
        p = data[propensity.id_col].map(lookup).to_numpy(dtype=float)
        if np.isnan(p).any():
            raise KaizenError(
                f"{int(np.isnan(p).sum())} rows have a {propensity.id_col!r} not in the Assignment"
            )
        note = (
            "propensity: the Assignment's exact probabilities"
            if getattr(propensity, "exact_probabilities", True)
            else "propensity: the Assignment's probabilities, estimated from 2,000 re-draws of "
            "its re-randomized design"
        )
    else:
        try:
            value = float(propensity)
        except (TypeError, ValueError):
            raise KaizenError(
                "`propensity` must be a number, a column name or an Assignment; got "
                f"{type(propensity).__name__}"
            ) from None
        p = np.full(n, value)
        note = f"propensity: {value:g} (given)"
    if not np.all((p > 0) & (p < 1)):
        raise KaizenError(
            "the propensity must be strictly between 0 and 1 for every row (a cell where all or "
            "none are treated carries no information on the effect)"
        )
    return p, note
