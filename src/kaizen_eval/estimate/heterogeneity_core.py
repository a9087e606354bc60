"""One sample split of the generic ML inference (Chernozhukov, Demirer, Duflo & Fernández-Val).

On the auxiliary half, a learner predicts the outcome of control units, ``B(x)``, and of
treated ones; ``S(x)`` is their difference (the predicted effect). On the main half the
weighted regressions of the paper give, with weights ``w = 1/(p(1 − p))``:

* BLP: ``y = α₀ + α₁B + β₁(D − p) + β₂(D − p)(S − S̄) + ε`` (β₁ the ATE, β₂ the loading of the
  true effect on the prediction);
* GATES: ``y = α₀ + α₁B + Σ_k γ_k (D − p) 1(G_k) + ν`` with ``G_k`` the ``k``-th quantile group of
  ``S`` (least to most affected);
* CLAN: covariate means in the most and least affected groups and their difference.

Every regression is :func:`~kaizen_eval._core.linear.fit_ols` (weights, absorbed fixed effects,
the chosen ``se``: HC1 by default, or cluster-robust CR1/CR2 with clusters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kaizen_eval._core.linear import LinearFit, fit_ols
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.heterogeneity_learners import fit_predict

#: Each arm needs at least this many rows in every group of the main half.
MIN_PER_GROUP_ARM = 2


@dataclass(frozen=True)
class Arrays:
    """The estimation sample as arrays (shared, read-only, by every split)."""

    y: np.ndarray
    d: np.ndarray
    p: np.ndarray
    x: np.ndarray
    names: tuple[str, ...]
    clusters: np.ndarray | None
    codes: np.ndarray | None
    se: str


@dataclass(frozen=True)
class Split:
    """The main half of one split with its predictions ``B`` and ``S``, and the estimates.

    ``*_est``, ``*_se``, ``*_df`` are the per-split estimates, standard errors and degrees of
    freedom (BLP: ``(ate, heterogeneity)``; GATES: one per group; ``diff``: most − least;
    CLAN: per covariate, and ``clan_means`` the (most, least) means).
    """

    main: np.ndarray
    b: np.ndarray
    s: np.ndarray
    group: np.ndarray
    blp_est: np.ndarray
    blp_se: np.ndarray
    blp_df: np.ndarray
    gates_est: np.ndarray
    gates_se: np.ndarray
    gates_df: np.ndarray
    diff: np.ndarray
    clan_means: np.ndarray
    clan_est: np.ndarray
    clan_se: np.ndarray
    clan_df: np.ndarray


def halves(arr: Arrays, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of the main half: whole clusters when clustered, else half of each arm."""
    n = len(arr.y)
    main = np.zeros(n, dtype=bool)
    if arr.clusters is not None:
        labels, inverse = np.unique(arr.clusters, return_inverse=True)
        chosen = rng.permutation(len(labels))[: len(labels) // 2]
        pick = np.zeros(len(labels), dtype=bool)
        pick[chosen] = True
        return pick[inverse]
    for arm in (0.0, 1.0):
        idx = np.flatnonzero(arr.d == arm)
        main[rng.permutation(idx)[: len(idx) // 2]] = True
    return main


def quantile_groups(s: np.ndarray, groups: int, rng: np.random.Generator) -> np.ndarray:
    """Group ``0 … groups−1`` of each value by rank of ``s`` (ties broken at random)."""
    order = np.lexsort((rng.random(len(s)), s))
    rank = np.empty(len(s), dtype=int)
    rank[order] = np.arange(len(s))
    return rank * groups // len(s)


def weighted_fit(
    arr: Arrays, rows: np.ndarray, cols: list[np.ndarray], names: list[str]
) -> LinearFit:
    """Fit the paper's weighted regression on ``rows`` (with a constant unless absorbed)."""
    w = 1.0 / (arr.p[rows] * (1.0 - arr.p[rows]))
    codes = None if arr.codes is None else arr.codes[rows]
    if codes is None:
        cols, names = [np.ones(int(rows.sum())), *cols], ["(Intercept)", *names]
    return fit_ols(
        arr.y[rows],
        np.column_stack(cols),
        se=arr.se,
        clusters=None if arr.clusters is None else arr.clusters[rows],
        fixed_effects=codes,
        weights=w,
        names=names,
    )


def blp_fit(arr: Arrays, rows: np.ndarray, b: np.ndarray, s: np.ndarray) -> LinearFit:
    """BLP on the main half: terms ``ate`` and ``heterogeneity``."""
    e = arr.d[rows] - arr.p[rows]
    return weighted_fit(arr, rows, [b, e, e * (s - s.mean())], ["B", "ate", "heterogeneity"])


def gates_fit(arr: Arrays, rows: np.ndarray, b: np.ndarray, group: np.ndarray, k: int) -> LinearFit:
    """GATES on the main half: terms ``1 … k``."""
    e = arr.d[rows] - arr.p[rows]
    cols = [b, *[e * (group == g) for g in range(k)]]
    return weighted_fit(arr, rows, cols, ["B", *[str(g + 1) for g in range(k)]])


def one_split(arr: Arrays, learner: Any, groups: int, seed: np.random.SeedSequence) -> Split:
    """Run one split: learn ``B`` and ``S`` on the auxiliary half, estimate on the main half."""
    rng = np.random.default_rng(seed)
    learner_seed = int(rng.integers(2**31 - 1))
    main = halves(arr, rng)
    aux = ~main
    treated, control = aux & (arr.d == 1), aux & (arr.d == 0)
    if min(treated.sum(), control.sum()) < 2:
        raise KaizenError("an auxiliary half has fewer than 2 treated or 2 control units")
    xm = arr.x[main]
    b = fit_predict(learner, learner_seed, arr.x[control], arr.y[control], xm)
    s = fit_predict(learner, learner_seed, arr.x[treated], arr.y[treated], xm) - b
    if np.ptp(s) == 0:  # a constant prediction: the paper's tiny jitter keeps BLP defined
        s = s + rng.normal(scale=1e-6 * (np.std(arr.y) or 1.0), size=len(s))
    group = quantile_groups(s, groups, rng)
    dm = arr.d[main]
    for g in range(groups):
        n1 = int(np.sum(dm[group == g] == 1))
        n0 = int(np.sum(group == g)) - n1
        if min(n0, n1) < MIN_PER_GROUP_ARM:
            raise KaizenError(
                f"too few observations per group: group {g + 1} of {groups} of a main half has "
                f"{n1} treated and {n0} control units (at least {MIN_PER_GROUP_ARM} of each are "
                "needed); use fewer `groups`"
            )
    blp = blp_fit(arr, main, b, s)
    gates = gates_fit(arr, main, b, group, groups)
    jb = [blp.index("ate"), blp.index("heterogeneity")]
    jg = [gates.index(str(g + 1)) for g in range(groups)]
    lo, hi = jg[0], jg[-1]
    v = gates.vcov
    diff = np.array(
        [
            gates.coef[hi] - gates.coef[lo],
            np.sqrt(v[hi, hi] + v[lo, lo] - 2 * v[hi, lo]),
            gates.df[hi],
        ]
    )
    clan = _clan(arr, main, group, groups)
    return Split(
        main=np.flatnonzero(main),
        b=b,
        s=s,
        group=group,
        blp_est=blp.coef[jb],
        blp_se=blp.std_error[jb],
        blp_df=blp.df[jb],
        gates_est=gates.coef[jg],
        gates_se=gates.std_error[jg],
        gates_df=gates.df[jg],
        diff=diff,
        **clan,
    )


def _clan(arr: Arrays, main: np.ndarray, group: np.ndarray, groups: int) -> dict[str, np.ndarray]:
    """Means of each covariate in the most and least affected groups, and the difference.

    The difference and its standard error come from the (unweighted) regression of the
    covariate on a constant and the most-affected indicator among the two groups' rows.
    """
    idx = np.flatnonzero(main)
    keep = (group == 0) | (group == groups - 1)
    rows = idx[keep]
    most = (group[keep] == groups - 1).astype(float)
    clusters = None if arr.clusters is None else arr.clusters[rows]
    k = arr.x.shape[1]
    means, est, se, dfs = np.empty((k, 2)), np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        xj = arr.x[rows, j]
        means[j] = xj[most == 1].mean(), xj[most == 0].mean()
        if np.ptp(xj) == 0:
            est[j], se[j], dfs[j] = 0.0, np.nan, np.inf
            continue
        fit = fit_ols(
            xj,
            np.column_stack([np.ones(len(rows)), most]),
            se=arr.se,
            clusters=clusters,
            names=["(Intercept)", "most"],
        )
        est[j], se[j], dfs[j] = fit.coef[1], fit.std_error[1], fit.df[1]
    return {"clan_means": means, "clan_est": est, "clan_se": se, "clan_df": dfs}


def share_effect(arr: Arrays, split: Split, share: float) -> tuple[float, float, float]:
    """Effect among the top ``share`` of the main half by predicted effect ``S``.

    The GATES regression with two groups (top share, the rest); with ``share = 1`` the BLP's
    ATE without the heterogeneity term. Returns ``(estimate, std_error, df)``.
    """
    rows = np.zeros(len(arr.y), dtype=bool)
    rows[split.main] = True
    e = arr.d[rows] - arr.p[rows]
    n = len(split.s)
    top_n = int(np.ceil(share * n - 1e-9))
    order = np.argsort(-split.s, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[:top_n]] = True
    cols, names = [split.b, e * top], ["B", "top"]
    if not top.all():
        cols.append(e * ~top)
        names.append("rest")
    fit = weighted_fit(arr, rows, cols, names)
    j = fit.index("top")
    return float(fit.coef[j]), float(fit.std_error[j]), float(fit.df[j])
