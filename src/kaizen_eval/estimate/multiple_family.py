"""A family of hypotheses across arms × outcomes × subgroups, on one set of re-drawn assignments.

:func:`hypothesis_null` is what the step-down procedures of
:mod:`~kaizen_eval.estimate.multiple` (Romano–Wolf, Westfall–Young) adjust, and what
:func:`~kaizen_eval.estimate.ri_family.family_null` (several outcomes of one arm, for
``randomization_inference(outcome=[...])``) adapts. The assignment is re-drawn once by
:func:`~kaizen_eval.estimate.ri_draws.redraws` (the draw machinery of randomization inference:
within strata, whole clusters, every distinct assignment when few, or exactly as an
:class:`~kaizen_eval.Assignment` drew it): with several arms, the arms' columns are re-drawn
*together* (the tuple of a unit's arm indicators is permuted as one code), so that the
classroom and on-site arms of a 2×2 keep the design's joint distribution and their statistics
the dependence between them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import factorize
from kaizen_eval._validation import KaizenError, as_list
from kaizen_eval.estimate._build import check_assignment, check_outcome
from kaizen_eval.estimate._frame import estimation_sample
from kaizen_eval.estimate.ri_draws import DrawPlan, redraws
from kaizen_eval.estimate.ri_pvalues import (
    randomization_pvalues,
    randomization_shares,
    randomization_thresholds,
)
from kaizen_eval.estimate.ri_statistic import StatisticAdapter, baseline_columns, design_roles


@dataclass(frozen=True, eq=False)
class HypothesisNull:
    """Observed statistics of H hypotheses and their joint randomization distribution.

    Attributes
    ----------
    index : pandas.Index
        One entry per hypothesis: ``outcome``, or a MultiIndex of ``treatment``, ``outcome``
        and the subgroup column (the levels that vary in the family).
    observed : numpy.ndarray, shape (H,)
    nobs : numpy.ndarray of int, shape (H,)
    null : numpy.ndarray, shape (B, H)
        Every hypothesis' statistic under each re-drawn assignment (the same draws for all).
    exact : bool
        Whether every distinct assignment was enumerated.
    n_assignments : int
        Distinct assignments the design allows (``-1`` for draws from an ``Assignment``).
    dropped : pandas.DataFrame
        Rows without the design columns, with a ``reason``.
    missing : dict of str to pandas.DataFrame
        For each outcome missing in some rows used by the design, those rows (with a
        ``reason``); outcomes observed in every row are absent.
    """

    index: pd.Index
    observed: np.ndarray
    nobs: np.ndarray
    null: np.ndarray
    exact: bool
    n_assignments: int
    dropped: pd.DataFrame
    missing: dict[str, pd.DataFrame]

    def shares(self, count: np.ndarray) -> np.ndarray:
        """Turn counts of extreme draws into p-values (``c/B`` or ``(1 + c)/(1 + B)``)."""
        return randomization_shares(count, self.null.shape[0], self.exact)

    def pvalues(self) -> np.ndarray:
        """Each hypothesis' own two-sided randomization p-value, shape ``(H,)``."""
        return randomization_pvalues(self.null, self.observed, self.exact)

    def thresholds(self) -> np.ndarray:
        """``|observed|`` less the tie tolerance."""
        return randomization_thresholds(self.observed)

    def draw_pvalues(self) -> np.ndarray:
        """Return the p-value each draw's statistic would have had, shape ``(B, H)``.

        The reference set is the one of the observed p-value: the draws (and, with random
        draws, the observed assignment), so that draw ``b``'s p-value of hypothesis ``h`` is
        ``#{draws with |T| ≥ |T_bh|} / B`` if exact, else
        ``(#{draws with |T| ≥ |T_bh|} + 1{|T_obs,h| ≥ |T_bh|}) / (B + 1)``.
        """
        a = np.abs(self.null)
        b = a.shape[0]
        out = np.empty_like(a)
        for h in range(a.shape[1]):
            thr = randomization_thresholds(a[:, h])
            count = b - np.searchsorted(np.sort(a[:, h]), thr, side="left")
            if self.exact:
                out[:, h] = count / b
            else:
                out[:, h] = (count + (abs(self.observed[h]) >= thr)) / (b + 1)
        return out


#: An adapter's key: the rows it uses (``ok.tobytes()``) and its baseline column(s).
AdapterKey = tuple[bytes, tuple[str, ...]]


def hypothesis_null(
    df: pd.DataFrame,
    *,
    outcomes: str | Sequence[str],
    treatments: Sequence[str],
    by: str | None,
    covariates: str | Sequence[str],
    strata: str | None,
    cluster: str | None,
    fixed_effects: str | Sequence[str] | None,
    draws: int,
    rng: np.random.Generator,
    statistic: str,
    baselines: Mapping[str, str | Sequence[str]],
    progress: bool,
    where: str,
    dose: bool,
    arm_level: bool,
    assignment: Any = None,
) -> HypothesisNull:
    """Re-draw the (joint) assignment ``draws`` times; every hypothesis' statistic on each draw.

    A hypothesis is (arm, outcome, subgroup): the statistic of ``arm``'s column (coefficient or
    HC1/CR1 t, with the covariates, fixed effects and the outcome's own baseline) on the rows of
    the subgroup where the outcome is observed. With several arms each arm's statistic is its
    own column's regression (in a cross-randomized 2×2, the main effect averaged over the
    other arm); the arms are re-drawn jointly. With ``assignment`` (one arm) the draws are the
    assignment's own (``redraw_many``, rows matched on its id column). Hypotheses observed on
    the same rows (with the same baseline control) share one engine pass. A hypothesis on whose
    rows its arm does not vary is refused. ``outcomes``, ``covariates`` and ``fixed_effects``
    may be given as the public functions take them (a name, names or ``None``).
    """
    outs, arms = as_list(outcomes), list(treatments)
    covariates, fixed_effects = as_list(covariates), as_list(fixed_effects)
    base_of = _baselines(outs, arms, baselines, dose, assignment, strata)
    roles = design_roles(arms, [], covariates, strata, cluster, fixed_effects)
    id_col = [assignment.id_col] if assignment is not None else []
    roles += [("subgroup", as_list(by)), ("id", id_col)]
    sample = estimation_sample(
        df, roles, where=where, keep=[*outs, *dict.fromkeys(c for v in base_of.values() for c in v)]
    )
    data = sample.data
    tm = check_assignment(data, arms, "treatment", where=where, dose=dose)
    code = tm[:, 0] if len(arms) == 1 else tm @ (2.0 ** np.arange(len(arms)))
    label = " × ".join(arms)
    plan = DrawPlan(strata, cluster, assignment, draws, rng, progress)
    redrawn = redraws(data, code, label, plan)
    levels = list(pd.unique(data[by])) if by else [None]
    # hypotheses, arm-major: (arm index, outcome index, subgroup level)
    hyps = [(k, j, g) for k in range(len(arms)) for j in range(len(outs)) for g in levels]
    rows_of: list[AdapterKey] = []
    members: dict[AdapterKey, tuple[np.ndarray, list[int]]] = {}
    for k, j, g in hyps:
        c = outs[j]
        ok = data[c].notna().to_numpy()
        if by:
            ok = ok & (data[by] == g).to_numpy()
        what = f"outcome {c!r}" + (f" in subgroup {by} = {g!r}" if by else "")
        if ok.sum() < 3:
            raise KaizenError(f"{what} is observed in fewer than 3 rows")
        if np.unique(tm[ok, k]).size < 2:
            raise KaizenError(f"treatment {arms[k]!r} does not vary where {what} is observed")
        key = (ok.tobytes(), base_of.get(c, ()))
        idx = members.setdefault(key, (ok, []))[1]
        if j not in idx:
            idx.append(j)
        rows_of.append(key)
    adapters: dict[AdapterKey, tuple[np.ndarray, StatisticAdapter, list[int]]] = {}
    for key, (ok, idx) in members.items():
        sub = data.loc[ok]
        ys = np.column_stack([check_outcome(sub, outs[j], where=where) for j in idx])
        codes = factorize(redrawn.unit[ok]) if cluster else None
        extra = baseline_columns(sub, list(key[1]) or None)
        s = StatisticAdapter(sub, ys, covariates, fixed_effects, statistic, codes, extra=extra)
        adapters[key] = (ok, s, idx)
    columns = [(rows_of[h], adapters[rows_of[h]][2].index(j)) for h, (_, j, _) in enumerate(hyps)]

    def evaluate(arm_draws: list[np.ndarray]) -> np.ndarray:
        """Statistics of every hypothesis for arm assignments ``(rows, draws)`` each."""
        cache: dict[tuple[int, AdapterKey], np.ndarray] = {}
        out = np.empty((arm_draws[0].shape[1], len(hyps)))
        for h, (k, _, _) in enumerate(hyps):
            key, col = columns[h]
            if (k, key) not in cache:
                ok, s, _ = adapters[key]
                a = arm_draws[k]
                values = s(a if ok.all() else a[ok])
                cache[k, key] = values if values.ndim == 2 else values[:, None]
            out[:, h] = cache[k, key][:, col]
        return out

    observed = evaluate([tm[:, [k]] for k in range(len(arms))])[0]
    dist = []
    for a in redrawn.blocks:
        if len(arms) == 1:
            split = [a.T]
        else:
            bits = np.rint(a).astype(np.int64)
            split = [((bits >> k) & 1).astype(float).T for k in range(len(arms))]
        dist.append(evaluate(split))
    return HypothesisNull(
        index=_index(arms, outs, by, hyps, arm_level),
        observed=observed,
        nobs=np.array([int(adapters[columns[h][0]][0].sum()) for h in range(len(hyps))]),
        null=np.vstack(dist),
        exact=redrawn.exact,
        n_assignments=redrawn.n_assignments,
        dropped=sample.dropped,
        missing=_missing(df, data, [c for _, cols in roles for c in cols], outs),
    )


def _baselines(
    outs: list[str],
    arms: list[str],
    baselines: Mapping[str, str | Sequence[str]],
    dose: bool,
    assignment: Any,
    strata: str | None,
) -> dict[str, tuple[str, ...]]:
    """Check the family's names and options; return each outcome's baseline column(s)."""
    if not outs or len(set(outs)) != len(outs):
        raise KaizenError("`outcomes` must name distinct columns")
    if not arms or len(set(arms)) != len(arms):
        raise KaizenError("`treatment` must name distinct columns")
    base_of = {o: tuple(as_list(v)) for o, v in baselines.items()}
    unknown = sorted(set(baselines) - set(outs))
    if unknown:
        raise KaizenError(f"`baseline` names outcomes {unknown} that are not in `outcomes` {outs}")
    if len(arms) > 1 and dose:
        raise KaizenError("a family across several arms needs 0/1 arms (dose=True takes one)")
    if assignment is not None and strata is not None:
        raise KaizenError("give either `assignment` or `strata`: the assignment knows its strata")
    if assignment is not None and len(arms) > 1:
        raise KaizenError("draws from an `assignment` are for one arm at a time")
    return base_of


def _missing(
    df: pd.DataFrame, data: pd.DataFrame, design: list[str], outcomes: list[str]
) -> dict[str, pd.DataFrame]:
    """Rows of ``df`` used by the design (``data``'s) but missing an outcome, by outcome."""
    rows = np.flatnonzero(df[list(dict.fromkeys(design))].notna().all(axis=1).to_numpy())
    missing: dict[str, pd.DataFrame] = {}
    for c in outcomes:
        ok = data[c].notna().to_numpy()
        if not ok.all():
            lost = df.iloc[rows[~ok]].copy()
            lost["reason"] = f"missing outcome {c!r}"
            missing[c] = lost
    return missing


def _index(
    arms: list[str],
    outs: list[str],
    by: str | None,
    hyps: list[tuple[int, int, Any]],
    arm_level: bool,
) -> pd.Index:
    """One entry per hypothesis: the outcome, or (arm,) outcome (, subgroup) where they vary."""
    names = (["treatment"] if arm_level else []) + ["outcome"] + ([by] if by else [])
    tuples = [
        tuple(([arms[k]] if arm_level else []) + [outs[j]] + ([g] if by else []))
        for k, j, g in hyps
    ]
    if len(names) == 1:
        return pd.Index([t[0] for t in tuples], name=names[0])
    return pd.MultiIndex.from_tuples(tuples, names=names)
