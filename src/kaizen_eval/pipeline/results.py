"""What a plan run produced: frozen records, never keys parsed back from strings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline.plan import EstimandName, Plan

__all__ = ["PlanEstimate", "PlanResults"]


@dataclass(frozen=True)
class PlanEstimate:
    """One estimate of a plan: its family, estimand and outcome (and subgroup variable).

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> r = ke.Estimate(terms=("invited",), coef=[1.5], vcov=[[0.36]], dof=50.0,
    ...                 se_type="HC1", method="OLS", estimand="ITT", outcome="y", nobs=52)
    >>> PlanEstimate("performance", "itt", "y", r).label
    'performance:itt:y'
    """

    family: str
    estimand: EstimandName
    outcome: str
    result: ke.Estimate
    by: str | None = None

    @property
    def label(self) -> str:
        """The estimate's name in messages and headlines: ``family:estimand:outcome``."""
        return _label(self.family, self.estimand, self.outcome, self.by)

    def matches(self, family: str, estimand: str, outcome: str, by: str | None = None) -> bool:
        """Return whether this is the estimate of ``outcome`` in ``family`` for ``estimand``."""
        return (self.family, self.estimand, self.outcome, self.by) == (
            family,
            estimand,
            outcome,
            by,
        )


def _label(family: str, estimand: str, outcome: str, by: str | None) -> str:
    kind = estimand if by is None else f"{estimand}_by_{by}"
    return f"{family}:{kind}:{outcome}"


@dataclass(frozen=True)
class PlanResults:
    """What a plan produced: the panel, the analysis frame and every estimate (read-only).

    ``estimates`` holds one :class:`PlanEstimate` per family, estimand and outcome (and per
    heterogeneity variable); :meth:`estimate` picks one. ``cost_benefit`` and ``balance`` are
    read-only mappings keyed by the cost-benefit label and the assignment column.

    Examples
    --------
    >>> res = ke.pipeline.run_plan("plan.toml", "report")  # doctest: +SKIP
    >>> res.estimate("performance", "late", "value_added").estimate  # doctest: +SKIP
    """

    plan: Plan
    panel: ke.Panel
    data: pd.DataFrame
    estimates: tuple[PlanEstimate, ...] = ()
    cost_benefit: Mapping[str, ke.CostBenefit] = field(default_factory=dict)
    balance: Mapping[str, ke.BalanceTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimates", tuple(self.estimates))
        object.__setattr__(self, "cost_benefit", MappingProxyType(dict(self.cost_benefit)))
        object.__setattr__(self, "balance", MappingProxyType(dict(self.balance)))

    def estimate(
        self, family: str, estimand: EstimandName, outcome: str, *, by: str | None = None
    ) -> ke.Estimate:
        """Return the estimate of ``outcome`` in ``family`` for ``estimand`` (subgroups ``by``).

        Raises
        ------
        KaizenError
            The plan estimated no such combination; the message lists those it did.
        """
        for e in self.estimates:
            if e.matches(family, estimand, outcome, by):
                return e.result
        wanted = _label(family, estimand, outcome, by)
        raise KaizenError(
            f"the plan has no estimate {wanted!r}; it estimated "
            f"{', '.join(e.label for e in self.estimates) or 'nothing'}."
        )

    def headline(self) -> str:
        """One line per estimate of the cost-benefit outcome (and the BCR when computed)."""
        wanted = {c.outcome for c in self.plan.cost_benefit}
        lines = []
        for e in self.estimates:
            if e.outcome in wanted and e.by is None:
                tidy = e.result.tidy()
                d = F.column_decimals(list(tidy["estimate"]) + list(tidy["std_error"]))
                for term, t in tidy.iterrows():
                    lines.append(
                        f"  {e.label} [{F.label(term)}]: {F.number(t['estimate'], d)} "
                        f"(SE {F.number(t['std_error'], d)}, {F.p_clause(t['pvalue'])})"
                    )
        for label, cb in self.cost_benefit.items():
            lines.append(
                f"  {label}: benefit-cost ratio {F.ratio(cb.bcr, 1 if cb.bcr >= 10 else 2)}"
            )
        return "\n".join(lines)
