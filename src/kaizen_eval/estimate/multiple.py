"""Multiple testing across a family of outcomes: Romano–Wolf step-down and sharpened q-values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, as_list, check_option
from kaizen_eval.estimate._frame import estimation_sample, numeric_column
from kaizen_eval.estimate.absorb import factorize
from kaizen_eval.estimate.engine import block_rows
from kaizen_eval.estimate.ri import (
    _TIE_RTOL,
    RI_STATISTICS,
    _Statistic,
    _unit_values,
    assignment_blocks,
    baseline_columns,
)


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
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise KaizenError("p-values must be a 1-d array of numbers in [0, 1] without missing")
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
    treatment, covariates, strata, cluster, fixed_effects, draws, seed
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
    outs = as_list(outcomes)
    if len(outs) < 1 or len(set(outs)) != len(outs):
        raise KaizenError("`outcomes` must name distinct columns")
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise KaizenError(f"`draws` must be a positive integer. You passed: {draws!r}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    covs, fes = as_list(covariates), as_list(fixed_effects)
    baselines = dict(baseline or {})
    unknown = sorted(set(baselines) - set(outs))
    if unknown:
        raise KaizenError(f"`baseline` names outcomes {unknown} that are not in `outcomes` {outs}")
    sample = estimation_sample(
        df,
        [
            ("treatment", [treatment]),
            ("covariate", covs),
            ("stratum", as_list(strata)),
            ("cluster", as_list(cluster)),
            ("fixed effect", fes),
        ],
        where="romano_wolf",
        keep=[*outs, *dict.fromkeys(baselines.values())],
    )
    data = sample.data
    t = numeric_column(data, treatment, "treatment")
    n = len(t)
    unit = factorize(data[cluster].to_numpy()) if cluster else np.arange(n)
    n_units = int(unit.max()) + 1
    t_unit = _unit_values(t, unit, n_units, treatment, cluster)
    s_obs = factorize(data[strata].to_numpy()) if strata else np.zeros(n, dtype=int)
    s_unit = _unit_values(s_obs.astype(float), unit, n_units, strata or "", cluster).astype(int)
    if np.unique(t_unit).size < 2:
        raise KaizenError(f"treatment {treatment!r} does not vary; there is nothing to test")
    # outcomes observed in the same rows (with the same baseline control) share one engine
    groups: dict[tuple[bytes, str | None], tuple[np.ndarray, list[int]]] = {}
    for j, c in enumerate(outs):
        ok = data[c].notna().to_numpy()
        if ok.sum() < 3:
            raise KaizenError(f"outcome {c!r} is observed in fewer than 3 rows")
        groups.setdefault((ok.tobytes(), baselines.get(c)), (ok, []))[1].append(j)
    stats_ = []
    observed, nobs = np.empty(len(outs)), np.empty(len(outs), dtype=int)
    for (_, base), (ok, idx) in groups.items():
        sub = data.loc[ok]
        ys = np.column_stack([numeric_column(sub, outs[j], "outcome") for j in idx])
        codes = factorize(unit[ok]) if cluster else None
        extra = baseline_columns(sub, base)
        s = _Statistic(sub, ys, covs, fes, statistic, codes, extra=extra)
        stats_.append((s, ok, idx))
        observed[idx] = s(t[ok, None])[0]
        nobs[idx] = int(ok.sum())
    exact, _, chunks = assignment_blocks(t_unit, s_unit, draws, rng, block_rows(n), show=progress)
    dist = []
    for a in chunks:
        tmat = (a[:, unit] if cluster else a).T  # rows are the units without clusters
        values = np.empty((a.shape[0], len(outs)))
        for s, ok, idx in stats_:
            values[:, idx] = s(tmat if ok.all() else tmat[ok])
        dist.append(values)
    null = np.abs(np.vstack(dist))  # draws x outcomes
    obs = np.abs(observed)
    thresh = obs * (1 - _TIE_RTOL)
    b = null.shape[0]

    def share(count: np.ndarray | int) -> np.ndarray:
        return np.asarray(count / b if exact else (1 + count) / (1 + b), dtype=float)

    single = share((null >= thresh[None, :]).sum(axis=0))
    order = np.argsort(-obs, kind="stable")
    adjusted = np.empty(len(outs))
    running = 0.0
    for r, j in enumerate(order):
        rest = order[r:]
        maxstat = null[:, rest].max(axis=1)
        running = max(running, float(share(int(np.sum(maxstat >= thresh[j])))))
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
