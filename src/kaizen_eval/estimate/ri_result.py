"""The result of a randomization test (:class:`RandomizationInference`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render


@dataclass(frozen=True, eq=False)
class RandomizationInference(_render.Rendered):
    """The result of a randomization test; immutable.

    Attributes
    ----------
    pvalue : float
        Two-sided p-value: the share of assignments with ``|stat| >= |observed|``. With exact
        enumeration the share is over all distinct assignments (the observed one included); with
        random draws it is ``(1 + #{b: |stat_b| >= |observed|}) / (1 + draws)``, counting the
        observed assignment as one of the draws so that the test is exact at any ``draws``.
    observed : float
        The statistic for the actual assignment.
    draws : numpy.ndarray
        The statistic for each re-drawn assignment (read-only); with exact enumeration, for
        every distinct assignment (the observed one included).
    exact : bool
        Whether all distinct assignments were enumerated.
    n_assignments : int
        Number of distinct assignments the design allows (``-1`` when the draws come from an
        ``Assignment`` object, whose count is not computed).
    statistic : str
        ``"coef"`` (the OLS coefficient) or ``"t"`` (studentized: HC1, or CR1 with clusters).
    treatment, outcome : str
    nobs : int
    dropped : pandas.DataFrame
        Rows not used, with a ``reason`` column.
    """

    pvalue: float
    observed: float
    draws: np.ndarray
    exact: bool
    n_assignments: int
    statistic: str
    treatment: str
    outcome: str
    nobs: int
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"reason": []}))

    def __post_init__(self) -> None:
        d = np.array(self.draws, dtype=float, copy=True)
        d.flags.writeable = False
        object.__setattr__(self, "draws", d)

    def __repr__(self) -> str:
        how = "exact enumeration" if self.exact else f"{F.count(len(self.draws))} random draws"
        of = f" of {_count_text(self.n_assignments)} assignments" if self.n_assignments > 0 else ""
        return (
            f"<RandomizationInference {self.statistic} of {self.treatment!r} on "
            f"{self.outcome!r}: observed = {F.number(self.observed)}, "
            f"{F.p_clause(self.pvalue, 4)} ({how}{of})>"
        )

    def _table(self) -> _render.Table:
        """Build the display table (printing only): the observed statistic and its p-value."""
        how = "exact enumeration" if self.exact else f"{F.count(len(self.draws))} random draws"
        of = f" of {_count_text(self.n_assignments)} assignments" if self.n_assignments > 0 else ""
        kind = "coefficient" if self.statistic == "coef" else "t statistic"
        body = [[F.label(self.treatment), F.number(self.observed), F.pvalue(self.pvalue, 4)]]
        notes = [f"Two-sided randomization p-value over {how}{of}; N = {F.count(self.nobs)}."]
        if len(self.dropped):
            notes.append(f"Dropped rows: {F.count(len(self.dropped))}.")
        return _render.Table(
            header=[["", f"Observed {kind}", "p-value"]],
            body=body,
            notes=notes,
            caption=f"Randomization inference on {F.label(self.outcome)}",
            align="lrr",
        )

    def summary(self) -> str:
        """Return the test as plain text."""
        return str(self)


def _count_text(n: int) -> str:
    return F.count(n) if n < 10**12 else f"more than {F.count(10**12)}"
