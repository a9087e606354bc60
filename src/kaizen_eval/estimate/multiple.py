"""Multiple testing across a family of outcomes: Romano–Wolf step-down and sharpened q-values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_count,
    check_option,
    check_seed,
)
from kaizen_eval.estimate.ri_family import family_null
from kaizen_eval.estimate.ri_statistic import RI_STATISTICS


def sharpened_qvalues(pvalues: Sequence[float] | np.ndarray, step: float = 0.001) -> np.ndarray:
    """Anderson's (2008) sharpened FDR q-values (Benjamini, Krieger and Yekutieli 2006).

    For each level ``q`` on a grid from 1 down to ``step``, the two-stage procedure runs
    Benjamini–Hochberg at ``q' = q/(1 + q)``, counts its ``r₁`` rejections, then runs it again at
    ``q'·m/(m − r₁)`` (every hypothesis is rejected if ``r₁ = m``); a hypothesis' q-value is the
    smallest ``q`` at which it is rejected (1 if never).

    Parameters
    ----------
    pvalues : array-like, shape (m,)
        Unadjusted p-values of the family (no missing values).
    step : float
        Grid step (Anderson's code uses 0.001).

    Returns
    -------
    numpy.ndarray, shape (m,)

    Examples
    --------
    >>> sharpened_qvalues([0.001, 0.01, 0.04, 0.5]).round(3).tolist()
    [0.005, 0.016, 0.028, 0.143]
    """
    step = check_alpha(step, "step")
    try:
        p = np.asarray(pvalues, dtype=float)
    except (TypeError, ValueError):
        raise KaizenError(
            "`pvalues` must be a 1-d array of numbers in [0, 1] without missing; it holds "
            "values that are not numbers"
        ) from None
    if p.ndim != 1 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise KaizenError("p-values must be a 1-d array of numbers in [0, 1] without missing")
    if p.size == 0:
        raise KaizenError("`pvalues` is empty: a family needs at least one p-value")
    m = len(p)
    order = np.argsort(p, kind="stable")
    ps = p[order]
    ranks = np.arange(1, m + 1)
    grid = np.round(np.arange(1.0, 0.0, -step), 12)
    q_sorted = np.ones(m)
    for q in grid:  # descending: the last level that rejects is the smallest
        q1 = q / (1 + q)
        r1 = _bh_rejections(ps, ranks, q1, m)
        r2 = m if r1 == m else _bh_rejections(ps, ranks, q1 * m / (m - r1), m)
        q_sorted[:r2] = q
    out = np.empty(m)
    out[order] = q_sorted
    return out


def _bh_rejections(ps: np.ndarray, ranks: np.ndarray, level: float, m: int) -> int:
    below = ps <= level * ranks / m
    return int(ranks[below].max()) if below.any() else 0


def romano_wolf(
    df: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    treatment: str,
    covariates: str | Sequence[str] = (),
    strata: str | None = None,
    cluster: str | None = None,
    fixed_effects: str | Sequence[str] | None = None,
    draws: int = 1_000,
    seed: int | np.random.Generator = 0,
    statistic: str = "t",
    baseline: Mapping[str, str] | None = None,
    progress: bool = False,
    dose: bool = False,
) -> pd.DataFrame:
    """Romano–Wolf step-down p-values for the effect of one assignment on several outcomes.

    The joint null distribution comes from re-drawing the assignment as in
    :func:`~kaizen_eval.estimate.ri.randomization_inference` (within strata, whole clusters):
    the same draws serve every outcome, which keeps their dependence. The step-down: order the
    outcomes by ``|stat|``; the adjusted p-value of the r-th is the share of draws in which the
    largest ``|stat|`` among the r-th and less significant outcomes reaches its observed
    ``|stat|`` (the observed assignment counted as a draw), made monotone. For a 2SLS family,
    pass the instrument as ``treatment``: under the sharp null the reduced form carries the test.

    Parameters
    ----------
    df : pandas.DataFrame
    outcomes : sequence of str
        The family. Each outcome uses its own non-missing rows: the assignment is re-drawn over
        every row with the design columns, and each outcome's statistic uses the re-drawn
        assignment of its observed rows (so whether an outcome is observed is treated as
        unaffected by assignment, as the sharp null implies for a missing-by-design value).
    treatment, covariates, strata, cluster, fixed_effects, draws, seed, dose
        As in :func:`~kaizen_eval.estimate.ri.randomization_inference`.
    statistic : str
        ``"t"`` (default; studentized statistics are comparable across outcomes) or ``"coef"``.
    baseline : mapping of outcome to column, optional
        ANCOVA: each listed outcome's statistic controls for its own baseline value, with
        McKenzie's dummy for a missing baseline, exactly as ``itt(..., baseline=...)`` does.

    Returns
    -------
    pandas.DataFrame
        Indexed by outcome: ``statistic`` (observed), ``nobs``, ``pvalue`` (single-outcome
        randomization p-value) and ``pvalue_romano_wolf``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> t = np.repeat([0, 1], 50)
    >>> df = pd.DataFrame({"t": t, "a": t + rng.normal(size=100), "b": rng.normal(size=100)})
    >>> rw = ke.romano_wolf(df, outcomes=["a", "b"], treatment="t", draws=199)
    >>> bool(rw.loc["a", "pvalue_romano_wolf"] < 0.01), list(rw.columns)
    (True, ['statistic', 'nobs', 'pvalue', 'pvalue_romano_wolf'])
    """
    check_option("statistic", statistic, RI_STATISTICS)
    check_count("draws", draws)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    fam = family_null(
        df,
        outcomes=as_list(outcomes),
        treatment=treatment,
        covariates=as_list(covariates),
        strata=strata,
        cluster=cluster,
        fixed_effects=as_list(fixed_effects),
        draws=draws,
        rng=rng,
        statistic=statistic,
        baselines=dict(baseline or {}),
        progress=progress,
        where="romano_wolf",
        dose=dose,
    )
    outs, observed, nobs = fam.outcomes, fam.observed, fam.nobs
    null = np.abs(fam.null)  # draws x outcomes
    thresh = fam.thresholds()
    single = fam.pvalues()
    order = np.argsort(-np.abs(observed), kind="stable")
    adjusted = np.empty(len(outs))
    running = 0.0
    for r, j in enumerate(order):
        rest = order[r:]
        maxstat = null[:, rest].max(axis=1)
        running = max(running, float(fam.shares(int(np.sum(maxstat >= thresh[j])))))
        adjusted[j] = running
    return pd.DataFrame(
        {
            "statistic": observed,
            "nobs": nobs,
            "pvalue": single,
            "pvalue_romano_wolf": adjusted,
        },
        index=pd.Index(outs, name="outcome"),
    )
