"""The gain and the cost given to :func:`~kaizen_eval.costbenefit.analysis.cost_benefit`.

A gain is a number, an :class:`~kaizen_eval.estimate.result.Estimate` (whose estimand says
per which firm it is) or a :class:`~kaizen_eval.estimate.pooling_result.PooledEstimate` (the
average site, or a new site drawn from the predictive distribution); a cost is a number, a
:class:`~kaizen_eval.costbenefit.costs.Cost` or a
:class:`~kaizen_eval.costbenefit.costs.CostStructure`. Both are checked and put on one basis,
each assumption and conversion written as a note.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.costbenefit.costs import BASES, Basis, Cost, CostStructure
from kaizen_eval.costbenefit.uncertainty import Seed, from_estimate
from kaizen_eval.estimate.pooling_result import PooledEstimate
from kaizen_eval.estimate.result import Estimate

ForSite = Literal["new", "average"]
FOR_SITES: tuple[str, ...] = get_args(ForSite)

ESTIMAND_BASIS: dict[str, Basis] = {
    "ITT": "invited",
    "LATE": "participant",
    "ATT": "participant",
    "ATE": "participant",
}


def resolve_gain(
    gain: Any, gain_basis: Basis | None, term: str | None
) -> tuple[float, float | None, float | None, str | None, Basis, list[str]]:
    """Check the gain: its value, standard error, df, estimand, basis and notes."""
    notes: list[str] = []
    if gain_basis is not None:
        check_option("gain_basis", gain_basis, BASES)
    if isinstance(gain, Estimate):
        value, se, dof = from_estimate(gain, term)
        estimand = str(gain.estimand)
        implied = ESTIMAND_BASIS.get(estimand)
        if implied is None and gain_basis is None:
            raise KaizenError(
                f"the gain's estimand is {estimand!r}: say what unit it is per with "
                f"`gain_basis='participant'` or `'invited'`."
            )
        if implied is not None and gain_basis is not None and implied != gain_basis:
            raise KaizenError(
                f"the gain ({estimand}) is per {implied} firm, but `gain_basis={gain_basis!r}` "
                f"was passed."
            )
        return value, se, dof, estimand, implied or gain_basis, notes  # type: ignore[return-value]
    if isinstance(gain, bool) or not isinstance(gain, int | float | np.integer | np.floating):
        raise KaizenError(
            f"`gain` must be a number or an Estimate. You passed: {type(gain).__name__}."
        )
    if not np.isfinite(float(gain)):
        raise KaizenError(f"`gain` must be finite. You passed: {gain!r}.")
    basis: Basis = gain_basis or "participant"
    if gain_basis is None:
        notes.append("the gain is a plain number: taken as a gain per participant")
    return float(gain), None, None, None, basis, notes


def resolve_cost(
    cost: Any, basis: Basis, takeup: float | None, estimand: str | None
) -> tuple[Cost, Cost, float | None, list[str]]:
    """Check the cost and put it on the gain's ``basis``: given, used, take-up and notes."""
    notes: list[str] = []
    if isinstance(cost, CostStructure):
        own = cost.takeup
        if takeup is not None and own is not None and not np.isclose(takeup, own, rtol=1e-12):
            raise KaizenError(
                f"`takeup={takeup!r}` contradicts the cost structure's own take-up "
                f"({cost.participants}/{cost.invited} = {own:.6g})."
            )
        takeup = takeup if takeup is not None else own
        given = cost.to_cost(takeup=takeup)
        notes.append(
            f"cost structure: {cost.fixed_total:,.6g} fixed + {cost.variable_total:,.6g} per "
            f"participant over {cost.participants} participants (fixed share "
            f"{cost.fixed_share:.3g})"
        )
    elif isinstance(cost, Cost):
        given = cost
    elif isinstance(cost, int | float | np.integer | np.floating) and not isinstance(cost, bool):
        given = Cost(float(cost), per="participant")
        notes.append("the cost is a plain number: taken as a cost per participant")
    else:
        raise KaizenError(
            "`cost` must be a number (per participant), a ke.Cost or a ke.CostStructure. "
            f"You passed: {type(cost).__name__}."
        )
    if given.per == basis:
        return given, given, takeup, notes
    what = f"the gain ({estimand})" if estimand else "the gain"
    if takeup is None:
        raise KaizenError(
            f"{what} is a gain per {basis} firm but the cost is per {given.per} firm: comparing "
            f"them would be wrong. Pass `takeup=` (participants / invited firms) to convert the "
            f"cost explicitly, or give the cost per {basis} firm."
        )
    used = given.to(basis, takeup)
    notes.append(
        f"cost converted from {given.amount:,.6g} per {given.per} firm to {used.amount:,.6g} per "
        f"{basis} firm with take-up {takeup:.6g}"
    )
    return given, used, takeup, notes


def resolve_pooled(
    pooled: PooledEstimate,
    for_site: ForSite | None,
    gain_basis: Basis | None,
    draws: int,
    seed: Seed,
) -> tuple[float, np.ndarray, str, str | None, Basis, list[str]]:
    """Return a pooled gain's value, draws, their kind, estimand, basis and notes.

    ``for_site="new"`` (the default) draws a new site's effect from the predictive distribution
    (:meth:`PooledEstimate.draws`: the between-site spread ``tau`` included); ``"average"``
    draws ``mu`` (:meth:`PooledEstimate.mu_draws`). The point value is ``mu`` in both cases.
    """
    notes: list[str] = []
    if for_site is None:
        for_site = "new"
        notes.append("a pooled gain: drawn for a new site (pass for_site='average' for mu)")
    check_option("for_site", for_site, FOR_SITES)
    if gain_basis is not None:
        check_option("gain_basis", gain_basis, BASES)
    estimand = pooled.estimand
    implied = ESTIMAND_BASIS.get(str(estimand)) if estimand is not None else None
    if implied is None and gain_basis is None:
        raise KaizenError(
            "the pooled gain was given as numbers, so its estimand is unknown: say what unit it "
            "is per with `gain_basis='participant'` or `'invited'`."
        )
    if implied is not None and gain_basis is not None and implied != gain_basis:
        raise KaizenError(
            f"the pooled gain ({estimand}) is per {implied} firm, but `gain_basis={gain_basis!r}` "
            "was passed."
        )
    basis: Basis = implied or gain_basis  # type: ignore[assignment]
    if for_site == "new":
        d = pooled.draws(draws, seed=seed)
        kind = f"predictive ({pooled.method}, new site)"
        notes.append(
            f"gain of a new site: predictive draws across {pooled.n_sites} sites "
            f"(mu {pooled.mu:,.4g}, tau {pooled.tau:,.4g})"
        )
    else:
        d = pooled.mu_draws(draws, seed=seed)
        kind = f"pooled ({pooled.method}, average site)"
        notes.append(f"gain of the average site: draws of mu across {pooled.n_sites} sites")
    d.flags.writeable = False
    return float(pooled.mu), d, kind, estimand, basis, notes
