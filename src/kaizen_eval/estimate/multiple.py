"""Multiple testing across a family: Romano–Wolf, Westfall–Young, Holm, Bonferroni, q-values.

A family is arms × outcomes × subgroups (:mod:`~kaizen_eval.estimate.multiple_family`), on one
set of re-drawn assignments shared by both step-downs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc, signature_from
from kaizen_eval._validation import (
    KaizenError,
    KaizenWarning,
    as_list,
    check_alpha,
    check_count,
    check_option,
    check_seed,
)
from kaizen_eval.estimate._docs_ri import DOCS
from kaizen_eval.estimate.multiple_family import HypothesisNull, hypothesis_null
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


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values: ``max_{i ≤ r} min(1, (m − i + 1) p_(i))``.

    Parameters
    ----------
    pvalues : array-like, shape (m,)

    Returns
    -------
    numpy.ndarray, shape (m,)

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = _pvalue_array(pvalues)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def bonferroni(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bonferroni adjusted p-values ``min(1, m p)``.

    Examples
    --------
    >>> bonferroni([0.01, 0.04, 0.5]).round(3).tolist()
    [0.03, 0.12, 1.0]
    """
    p = _pvalue_array(pvalues)
    return np.minimum(1.0, len(p) * p)


def _pvalue_array(pvalues) -> np.ndarray:
    try:
        p = np.asarray(pvalues, dtype=float)
    except (TypeError, ValueError):
        raise KaizenError("`pvalues` must be a 1-d array of numbers in [0, 1]") from None
    if p.ndim != 1 or p.size == 0 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise KaizenError("`pvalues` must be a non-empty 1-d array of numbers in [0, 1]")
    return p


def _family(
    df: pd.DataFrame,
    *,
    treatment,
    seed,
    baseline,
    where: str,
    stacklevel: int = 3,
    **design,
) -> HypothesisNull:
    """Check the step-downs' arguments and re-draw their family's null (their one driver).

    ``design`` holds the step-downs' other arguments (``outcomes``, ``by``, ``covariates``,
    ``strata``, ``cluster``, ``fixed_effects``, ``draws``, ``statistic``, ``progress``,
    ``dose``), which :func:`~kaizen_eval.estimate.multiple_family.hypothesis_null` takes as
    they are. ``stacklevel`` of the one-hypothesis warning: 3 names the caller of a step-down
    called directly, 4 the caller of one bound by :func:`~kaizen_eval._docs.signature_from`.
    """
    check_option("statistic", design["statistic"], RI_STATISTICS)
    check_count("draws", design["draws"])
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    fam = hypothesis_null(
        df,
        treatments=as_list(treatment),
        rng=rng,
        baselines=dict(baseline or {}),
        where=where,
        arm_level=not isinstance(treatment, str),
        **design,
    )
    if len(fam.observed) == 1:
        warnings.warn(
            f"{where}: the family holds one hypothesis ({fam.index[0]!r}), so there is "
            "nothing to adjust: the adjusted p-value is the unadjusted one. Name the whole "
            "family (`outcomes=`, several arms in `treatment=`, or `by=`).",
            KaizenWarning,
            stacklevel=stacklevel,
        )
    return fam


@fill_doc(DOCS)
def romano_wolf(
    df: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    treatment: str | Sequence[str],
    covariates: str | Sequence[str] = (),
    strata: str | None = None,
    cluster: str | None = None,
    fixed_effects: str | Sequence[str] | None = None,
    draws: int = 1_000,
    seed: int | np.random.Generator = 0,
    statistic: str = "t",
    baseline: Mapping[str, str | Sequence[str]] | None = None,
    progress: bool = False,
    dose: bool = False,
    by: str | None = None,
) -> pd.DataFrame:
    """Romano–Wolf step-down p-values for a family of arms × outcomes × subgroups.

    The joint null distribution comes from re-drawing the assignment as in
    :func:`~kaizen_eval.estimate.ri.randomization_inference` (within strata, whole clusters):
    the same draws serve every hypothesis, which keeps their dependence. The step-down (maxT):
    order the hypotheses by ``|stat|``; the adjusted p-value of the r-th is the share of draws
    in which the largest ``|stat|`` among the r-th and less significant hypotheses reaches its
    observed ``|stat|`` (the observed assignment counted as a draw), made monotone. For a 2SLS
    family, pass the instrument as ``treatment``: under the sharp null the reduced form carries
    the test.

    %(section_step_down_parameters)s

    Returns
    -------
    pandas.DataFrame
        Indexed by outcome (and ``treatment``/``by`` when given): ``statistic`` (observed),
        ``nobs``, ``pvalue`` (single randomization p-value) and ``pvalue_romano_wolf``.

    See Also
    --------
    westfall_young : the free step-down on the same draws (minP instead of maxT).

    Examples
    --------
    %(example_step_down_family)s
    >>> rw = ke.romano_wolf(df, outcomes=["a", "b"], treatment="t", draws=199)
    >>> bool(rw.loc["a", "pvalue_romano_wolf"] < 0.01), list(rw.columns)
    (True, ['statistic', 'nobs', 'pvalue', 'pvalue_romano_wolf'])
    """
    fam = _family(where="romano_wolf", **locals())  # all arguments: westfall_young takes them too
    return pd.DataFrame(
        {
            "statistic": fam.observed,
            "nobs": fam.nobs,
            "pvalue": fam.pvalues(),
            "pvalue_romano_wolf": romano_wolf_step_down(fam),
        },
        index=fam.index,
    )


def romano_wolf_step_down(fam: HypothesisNull) -> np.ndarray:
    """Romano–Wolf maxT step-down adjusted p-values of a family, shape ``(H,)``."""
    null = np.abs(fam.null)  # draws x hypotheses
    thresh = fam.thresholds()
    order = np.argsort(-np.abs(fam.observed), kind="stable")
    adjusted = np.empty(len(order))
    running = 0.0
    for r, j in enumerate(order):
        maxstat = null[:, order[r:]].max(axis=1)
        running = max(running, float(fam.shares(int(np.sum(maxstat >= thresh[j])))))
        adjusted[j] = running
    return adjusted


@fill_doc(DOCS)
@signature_from(romano_wolf)
def westfall_young(**arguments: Any) -> pd.DataFrame:
    """Westfall–Young free step-down (minP) p-values for a family of arms × outcomes × subgroups.

    Westfall and Young (1993, Algorithm 2.8; Stata ``wyoung``), with the re-drawn
    assignments of randomization inference as the resampling (the same draws as
    :func:`romano_wolf` for the same ``seed``). Each draw ``b`` gives every hypothesis the
    p-value ``p*_bh`` its statistic would have had; with the hypotheses ordered by their
    observed p-values ``p_(1) ≤ … ≤ p_(H)``, the adjusted p-value of the r-th is the share of
    draws (the observed assignment counted as one) with ``min_{s ≥ r} p*_b(s) ≤ p_(r)``, made
    monotone. Unlike Romano–Wolf's maxT, minP puts every hypothesis on the p-value scale, so a
    statistic with a wider null distribution does not dominate the maximum.

    %(section_step_down_parameters)s

    Returns
    -------
    pandas.DataFrame
        Indexed by outcome (and ``treatment``/``by`` when given): ``statistic``, ``nobs``,
        ``pvalue`` (single randomization p-value), ``pvalue_westfall_young``, and the simple
        references ``pvalue_holm`` and ``pvalue_bonferroni`` of the single p-values.

    Warns
    -----
    KaizenWarning
        When the family holds one hypothesis (nothing to adjust).

    Notes
    -----
    With ``p*`` from the draws' own reference set (:meth:`HypothesisNull.draw_pvalues`), the
    adjusted p-value is ``p̃_(r) = max_{s ≤ r} (1 + #{b: q*_b(s) ≤ p_(s)}) / (1 + B)``
    (``#{…}/B`` when every assignment is enumerated), ``q*_b(s) = min_{t ≥ s} p*_b(t)``.

    Examples
    --------
    %(example_step_down_family)s
    >>> wy = ke.westfall_young(df, outcomes=["a", "b"], treatment="t", draws=199)
    >>> bool(wy.loc["a", "pvalue_westfall_young"] < 0.05)
    True
    >>> list(wy.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['statistic', 'nobs', 'pvalue', 'pvalue_westfall_young', 'pvalue_holm',
     'pvalue_bonferroni']
    """
    fam = _family(where="westfall_young", stacklevel=4, **arguments)
    single = fam.pvalues()
    return pd.DataFrame(
        {
            "statistic": fam.observed,
            "nobs": fam.nobs,
            "pvalue": single,
            "pvalue_westfall_young": westfall_young_step_down(fam),
            "pvalue_holm": holm(single),
            "pvalue_bonferroni": bonferroni(single),
        },
        index=fam.index,
    )


def westfall_young_step_down(fam: HypothesisNull) -> np.ndarray:
    """Westfall–Young free step-down (minP) adjusted p-values of a family, shape ``(H,)``."""
    p = fam.pvalues()
    pstar = fam.draw_pvalues()  # (B, H)
    order = np.argsort(p, kind="stable")
    # successive minima from the least significant up: q[:, r] = min over s >= r
    q = np.minimum.accumulate(pstar[:, order[::-1]], axis=1)[:, ::-1]
    adjusted = np.empty(len(p))
    running = 0.0
    for r, j in enumerate(order):
        hits = int(np.sum(q[:, r] <= p[j] * (1 + 1e-9)))
        running = max(running, float(fam.shares(hits)))
        adjusted[j] = running
    return adjusted
