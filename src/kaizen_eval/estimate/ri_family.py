"""Randomization inference for a family of outcomes: one set of re-drawn assignments for all.

:func:`family_null` re-draws the assignment once (within strata, whole clusters, or exactly as
an :class:`~kaizen_eval.Assignment` drew it) and computes every outcome's statistic on the same
draws, in one pass of the resampling engine per group of outcomes observed on the same rows (the
one-arm family of :func:`~kaizen_eval.estimate.multiple_family.hypothesis_null`, from which
:func:`~kaizen_eval.estimate.multiple.romano_wolf` steps down). It is what
``randomization_inference(outcome=[...])`` returns as a :class:`RandomizationFamily`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval.estimate.multiple_family import HypothesisNull, hypothesis_null
from kaizen_eval.estimate.ri_result import RandomizationInference


@dataclass(frozen=True, eq=False)
class FamilyNull(HypothesisNull):
    """Observed statistics and their randomization distribution for a family of outcomes.

    A :class:`~kaizen_eval.estimate.multiple_family.HypothesisNull` of one arm whose
    hypotheses are the outcomes (``index``, named ``outcome``): ``observed`` and ``nobs`` have
    shape ``(K,)``, ``null`` shape ``(B, K)`` (the same draws for all), and ``missing`` holds,
    for each outcome missing in some rows used by the design, those rows.
    """

    @property
    def outcomes(self) -> list[str]:
        """The outcomes, in the order given."""
        return list(self.index)


def family_null(
    df: pd.DataFrame,
    *,
    treatment: str,
    assignment: Any = None,
    dose: bool = False,
    **design: Any,
) -> FamilyNull:
    """Re-draw the assignment ``draws`` times and compute every outcome's statistic on each draw.

    The family of :func:`~kaizen_eval.estimate.multiple_family.hypothesis_null` with one arm
    and no subgroups: the assignment is re-drawn over every row with the design columns; each
    outcome's statistic uses the re-drawn assignment of its own observed rows. Outcomes observed
    on the same rows (with the same baseline control) share one engine pass.

    Parameters
    ----------
    df : pandas.DataFrame
    treatment : str
        The one arm.
    assignment : kaizen_eval.design.Assignment, optional
        Draw as it drew (``strata`` must then be ``None``).
    dose : bool
        Whether ``treatment`` may be coded other than 0/1.
    **design
        The rest of :func:`~kaizen_eval.estimate.multiple_family.hypothesis_null`'s keywords:
        ``outcomes``, ``covariates``, ``strata``, ``cluster``, ``fixed_effects``, ``draws``,
        ``rng``, ``statistic``, ``baselines``, ``progress`` and ``where``.

    Returns
    -------
    FamilyNull
    """
    null = hypothesis_null(
        df,
        treatments=[treatment],
        by=None,
        dose=dose,
        arm_level=False,
        assignment=assignment,
        **design,
    )
    return FamilyNull(**{f.name: getattr(null, f.name) for f in fields(null)})


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
