"""Randomization inference for a family of outcomes: one set of re-drawn assignments for all.

:func:`family_null` re-draws the assignment once (within strata, whole clusters, or exactly as
an :class:`~kaizen_eval.Assignment` drew it) and computes every outcome's statistic on the same
draws, in one pass of the resampling engine per group of outcomes observed on the same rows. It
is what ``randomization_inference(outcome=[...])`` returns as a :class:`RandomizationFamily`,
and what :func:`~kaizen_eval.estimate.multiple.romano_wolf` steps down from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._core.absorb import factorize
from kaizen_eval._validation import KaizenError, as_list
from kaizen_eval.estimate._build import check_assignment, check_outcome
from kaizen_eval.estimate._frame import estimation_sample
from kaizen_eval.estimate.ri_draws import redraws
from kaizen_eval.estimate.ri_pvalues import (
    randomization_pvalues,
    randomization_shares,
    randomization_thresholds,
)
from kaizen_eval.estimate.ri_result import RandomizationInference
from kaizen_eval.estimate.ri_statistic import StatisticAdapter, baseline_columns


@dataclass(frozen=True, eq=False)
class FamilyNull:
    """Observed statistics and their randomization distribution for a family of outcomes.

    Attributes
    ----------
    outcomes : list of str
    observed : numpy.ndarray, shape (K,)
    nobs : numpy.ndarray of int, shape (K,)
    null : numpy.ndarray, shape (B, K)
        The statistic of every outcome under each re-drawn assignment (same draws for all).
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

    outcomes: list[str]
    observed: np.ndarray
    nobs: np.ndarray
    null: np.ndarray
    exact: bool
    n_assignments: int
    dropped: pd.DataFrame
    missing: dict[str, pd.DataFrame]

    def shares(self, count: np.ndarray) -> np.ndarray:
        """Turn counts of draws at least as extreme into p-values (exact or ``(1 + c)/(1 + B)``)."""
        return randomization_shares(count, self.null.shape[0], self.exact)

    def pvalues(self) -> np.ndarray:
        """Each outcome's own two-sided randomization p-value, shape ``(K,)``."""
        return randomization_pvalues(self.null, self.observed, self.exact)

    def thresholds(self) -> np.ndarray:
        """``|observed|`` less the tie tolerance: draws at or above it count as extreme."""
        return randomization_thresholds(self.observed)


def family_null(
    df: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    treatment: str,
    covariates: Sequence[str],
    strata: str | None,
    cluster: str | None,
    fixed_effects: Sequence[str],
    draws: int,
    rng: np.random.Generator,
    statistic: str,
    baselines: Mapping[str, str | Sequence[str]],
    progress: bool,
    where: str,
    assignment: Any = None,
    dose: bool = False,
) -> FamilyNull:
    """Re-draw the assignment ``draws`` times and compute every outcome's statistic on each draw.

    The assignment is re-drawn over every row with the design columns; each outcome's statistic
    uses the re-drawn assignment of its own observed rows. Outcomes observed on the same rows
    (with the same baseline control) share one engine pass.
    """
    outs = list(outcomes)
    if len(outs) < 1 or len(set(outs)) != len(outs):
        raise KaizenError("`outcomes` must name distinct columns")
    base_of = {o: tuple(as_list(v)) for o, v in baselines.items()}
    unknown = sorted(set(baselines) - set(outs))
    if unknown:
        raise KaizenError(f"`baseline` names outcomes {unknown} that are not in `outcomes` {outs}")
    if assignment is not None and strata is not None:
        raise KaizenError("give either `assignment` or `strata`: the assignment knows its strata")
    id_col = [assignment.id_col] if assignment is not None else []
    roles = [
        ("treatment", [treatment]),
        ("covariate", list(covariates)),
        ("stratum", as_list(strata)),
        ("cluster", as_list(cluster)),
        ("fixed effect", list(fixed_effects)),
        ("id", id_col),
    ]
    sample = estimation_sample(
        df, roles, where=where, keep=[*outs, *dict.fromkeys(c for v in base_of.values() for c in v)]
    )
    data = sample.data
    design_cols = list(dict.fromkeys(c for _, cols in roles for c in cols))
    rows = np.flatnonzero(df[design_cols].notna().all(axis=1).to_numpy())  # data's rows in df
    t = check_assignment(data, [treatment], "treatment", where=where, dose=dose)[:, 0]
    redrawn = redraws(data, t, treatment, strata, cluster, assignment, draws, rng, progress)
    groups: dict[tuple[bytes, tuple[str, ...]], tuple[np.ndarray, list[int]]] = {}
    missing: dict[str, pd.DataFrame] = {}
    for j, c in enumerate(outs):
        ok = data[c].notna().to_numpy()
        if ok.sum() < 3:
            raise KaizenError(f"outcome {c!r} is observed in fewer than 3 rows")
        if not ok.all():
            lost = df.iloc[rows[~ok]].copy()
            lost["reason"] = f"missing outcome {c!r}"
            missing[c] = lost
        groups.setdefault((ok.tobytes(), base_of.get(c, ())), (ok, []))[1].append(j)
    stats_ = []
    observed, nobs = np.empty(len(outs)), np.empty(len(outs), dtype=int)
    for (_, base), (ok, idx) in groups.items():
        sub = data.loc[ok]
        ys = np.column_stack([check_outcome(sub, outs[j], where=where) for j in idx])
        codes = factorize(redrawn.unit[ok]) if cluster else None
        extra = baseline_columns(sub, list(base) or None)
        s = StatisticAdapter(sub, ys, covariates, fixed_effects, statistic, codes, extra=extra)
        stats_.append((s, ok, idx))
        observed[idx] = s(t[ok, None])[0]
        nobs[idx] = int(ok.sum())
    dist = []
    for a in redrawn.blocks:
        tmat = a.T  # (rows, draws)
        values = np.empty((a.shape[0], len(outs)))
        for s, ok, idx in stats_:
            values[:, idx] = s(tmat if ok.all() else tmat[ok])
        dist.append(values)
    return FamilyNull(
        outcomes=outs,
        observed=observed,
        nobs=nobs,
        null=np.vstack(dist),
        exact=redrawn.exact,
        n_assignments=redrawn.n_assignments,
        dropped=sample.dropped,
        missing=missing,
    )


@dataclass(frozen=True, eq=False)
class RandomizationFamily:
    """Randomization tests of one assignment on several outcomes, from the same draws; immutable.

    Attributes
    ----------
    pvalue : pandas.Series
        Each outcome's own two-sided randomization p-value (no multiplicity adjustment: see
        :func:`~kaizen_eval.estimate.multiple.romano_wolf`).
    observed : pandas.Series
        The observed statistics.
    draws : pandas.DataFrame
        The statistic of every outcome (columns) under each re-drawn assignment (rows).
    nobs : pandas.Series
    exact : bool
    n_assignments : int
    statistic, treatment : str
    dropped : pandas.DataFrame
        Rows without the design columns, with a ``reason`` (rows missing only an outcome are in
        that outcome's ``ri[outcome].dropped``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"t": np.repeat([0, 1], 30), "a": rng.normal(size=60)})
    >>> df["b"] = df["a"] + df["t"]
    >>> fam = ke.randomization_inference(df, outcome=["a", "b"], treatment="t", draws=999)
    >>> fam.pvalue.round(3).to_dict()
    {'a': 0.1, 'b': 0.001}
    >>> fam["b"].pvalue, fam["b"].nobs
    (0.001, 60)
    """

    _null: FamilyNull = field(repr=False)
    statistic: str
    treatment: str

    @property
    def outcomes(self) -> list[str]:
        """The outcomes, in the order given."""
        return list(self._null.outcomes)

    @property
    def pvalue(self) -> pd.Series:
        """Each outcome's randomization p-value."""
        return pd.Series(self._null.pvalues(), index=self._index(), name="pvalue")

    @property
    def observed(self) -> pd.Series:
        """The observed statistic of each outcome."""
        return pd.Series(self._null.observed.copy(), index=self._index(), name="observed")

    @property
    def nobs(self) -> pd.Series:
        """Rows used by each outcome."""
        return pd.Series(self._null.nobs.copy(), index=self._index(), name="nobs")

    @property
    def draws(self) -> pd.DataFrame:
        """The statistics under the re-drawn assignments (a copy): draws × outcomes."""
        return pd.DataFrame(self._null.null.copy(), columns=self._index())

    @property
    def exact(self) -> bool:
        """Whether every distinct assignment was enumerated."""
        return self._null.exact

    @property
    def n_assignments(self) -> int:
        """Distinct assignments of the design (``-1`` with draws from an ``Assignment``)."""
        return self._null.n_assignments

    @property
    def dropped(self) -> pd.DataFrame:
        """Rows without the design columns (a copy)."""
        return self._null.dropped.copy()

    def table(self) -> pd.DataFrame:
        """One row per outcome: ``observed``, ``pvalue`` and ``nobs``."""
        return pd.concat([self.observed, self.pvalue, self.nobs], axis=1)

    def __getitem__(self, outcome: str) -> RandomizationInference:
        """Return one outcome's test, as ``randomization_inference(outcome=...)`` returns it."""
        null = self._null
        if outcome not in null.outcomes:
            raise KeyError(f"no outcome {outcome!r}; outcomes: {null.outcomes}")
        k = null.outcomes.index(outcome)
        return RandomizationInference(
            pvalue=float(null.pvalues()[k]),
            observed=float(null.observed[k]),
            draws=null.null[:, k],
            exact=null.exact,
            n_assignments=null.n_assignments,
            statistic=self.statistic,
            treatment=self.treatment,
            outcome=outcome,
            nobs=int(null.nobs[k]),
            dropped=(
                pd.concat([null.dropped, null.missing[outcome]])
                if outcome in null.missing
                else null.dropped
            ),
        )

    def __iter__(self):
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self._null.outcomes)

    def _index(self) -> pd.Index:
        return pd.Index(self._null.outcomes, name="outcome")

    def __repr__(self) -> str:
        how = (
            "exact enumeration"
            if self.exact
            else f"{F.count(self._null.null.shape[0])} random draws"
        )
        return (
            f"<RandomizationFamily {self.statistic} of {self.treatment!r} on "
            f"{len(self)} outcomes ({how}, the same for every outcome)>\n"
            + self._shown().to_string()
        )

    def _shown(self) -> pd.DataFrame:
        """Write the table for a reader: each outcome's statistic in its own scale, no exponents."""
        t = self.table()
        return pd.DataFrame(
            {
                "observed": [F.number(v) for v in t["observed"]],
                "p-value": [F.pvalue(v, 4) for v in t["pvalue"]],
                "N": [F.count(v) for v in t["nobs"]],
            },
            index=pd.Index([F.label(o) for o in t.index], name="outcome"),
        )
