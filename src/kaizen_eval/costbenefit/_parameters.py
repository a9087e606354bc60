"""The parameters of a cost-benefit result: their base values, default ranges and re-evaluation.

:func:`evaluate` recomputes one metric with some parameters changed and everything else held at
the values of the given :class:`~kaizen_eval.costbenefit.analysis.CostBenefit`; the tables and
plots of :mod:`kaizen_eval.costbenefit.sensitivity` stand on it.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.costbenefit._docs import DOCS
from kaizen_eval.costbenefit.analysis import CostBenefit, cost_benefit
from kaizen_eval.costbenefit.costs import Cost

Parameter = Literal[
    "gain",
    "cost",
    "years",
    "discount_rate",
    "decay",
    "delay",
    "survival",
    "spillover_gain",
    "business_stealing",
    "takeup",
    "scale",
]


PARAMETERS: tuple[Parameter, ...] = get_args(Parameter)


Metric = Literal["bcr", "npv", "irr", "pv_gains", "breakeven_gain", "breakeven_years"]


METRICS: tuple[Metric, ...] = get_args(Metric)


def _converts(cb: CostBenefit) -> bool:
    return cb.takeup is not None and cb.cost_input.per != cb.basis


def base_values(cb: CostBenefit) -> dict[str, float]:
    """Return the value of every sensitivity parameter in ``cb``.

    ``cost`` is the cost on the compared basis (after any take-up conversion); ``takeup`` is
    present only when it converts the cost; ``scale`` (number of participants over which fixed
    costs are spread) only when the cost was given as a ``CostStructure``.

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> base_values(cost_benefit(gain=100.0, cost=50.0))["cost"]
    50.0
    """
    p = cb.path
    out = {
        "gain": cb.gain,
        "cost": cb.cost,
        "years": float(p.years),
        "discount_rate": cb.discount_rate,
        "decay": p.decay,
        "delay": p.delay,
        "survival": p.survival,
        "spillover_gain": p.spillover_gain,
        "business_stealing": p.business_stealing,
    }
    if _converts(cb):
        out["takeup"] = float(cb.takeup)  # type: ignore[arg-type]
    if cb.cost_structure is not None:
        out["scale"] = float(cb.cost_structure.participants)
    return out


def default_ranges(cb: CostBenefit) -> dict[str, tuple[float, float]]:
    """Return the default one-way range (low, high) of every parameter.

    Notes
    -----
    gain: the ``1 − alpha`` percentile interval of its draws when uncertain, else ±50%;
    cost: ±50% (the papers argue costs fall at scale); years: 1 to max(5, 2·years);
    discount_rate: 0 to max(10%, 2r); decay: 0 to max(0.3, 2d) (at most 1); delay: 0 to
    delay + 1; survival: min(s, 0.8) to 1; spillover_gain and business_stealing: 0 to
    max(2·value, 25% of the gain); takeup (when it converts the cost): ±0.2 within (0, 1];
    scale (with a cost structure): half to twice the recorded number of participants.

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> default_ranges(cost_benefit(gain=100.0, cost=50.0))["cost"]
    (25.0, 75.0)
    """
    b = base_values(cb)
    g = b["gain"]
    if cb.draws is not None:
        lo, hi = np.quantile(cb.draws["gain"].to_numpy(), [cb.alpha / 2, 1 - cb.alpha / 2])
        gain_range = (float(lo), float(hi))
    else:
        gain_range = (0.5 * g, 1.5 * g) if g >= 0 else (1.5 * g, 0.5 * g)
    out = {
        "gain": gain_range,
        "cost": (0.5 * b["cost"], 1.5 * b["cost"]),
        "years": (1.0, float(max(5, 2 * int(b["years"])))),
        "discount_rate": (0.0, max(0.10, 2 * b["discount_rate"])),
        "decay": (0.0, min(1.0, max(0.3, 2 * b["decay"]))),
        "delay": (0.0, b["delay"] + 1.0),
        "survival": (min(b["survival"], 0.8), 1.0),
        "spillover_gain": (0.0, max(2 * b["spillover_gain"], 0.25 * abs(g))),
        "business_stealing": (0.0, max(2 * b["business_stealing"], 0.25 * abs(g))),
    }
    if "takeup" in b:
        t = b["takeup"]
        out["takeup"] = (max(0.05, t - 0.2), min(1.0, t + 0.2))
    if "scale" in b:
        out["scale"] = (0.5 * b["scale"], 2.0 * b["scale"])
    return out


@fill_doc(DOCS)
def evaluate(cb: CostBenefit, metric: Metric = "bcr", **changes: float) -> float:
    """Recompute ``metric`` of ``cb`` with some parameters changed (point values, no draws).

    Parameters
    ----------
    %(param_base_result)s
    metric : str
        One of ``bcr, npv, irr, pv_gains, breakeven_gain, breakeven_years``.
    **changes
        New values of parameters named as in :func:`base_values`.

    Returns
    -------
    float

    Examples
    --------
    >>> from kaizen_eval import cost_benefit
    >>> evaluate(cost_benefit(gain=100.0, cost=50.0), years=3)
    6.0
    """
    check_option("metric", metric, METRICS)
    for name in changes:
        check_option("parameter", name, PARAMETERS)
    if "takeup" in changes and not _converts(cb):
        raise KaizenError("`takeup` changes nothing here: the cost is already on the gain's basis.")
    if "cost" in changes and ("takeup" in changes or "scale" in changes):
        raise KaizenError(
            "vary `cost` (on the compared basis) or what it is derived from (`takeup`, "
            "`scale`), not both at once."
        )
    if "scale" in changes and cb.cost_structure is None:
        raise KaizenError("`scale` needs a cost given as a CostStructure (fixed + variable).")
    p = cb.path
    takeup = changes.get("takeup", cb.takeup)
    if "cost" in changes:
        cost: Cost = Cost(changes["cost"], per=cb.basis)  # type: ignore[arg-type]
        takeup = None
    elif cb.cost_structure is not None:
        cost = cb.cost_structure.to_cost(scale=changes.get("scale"), takeup=takeup)
    else:
        cost = cb.cost_input
    years = changes.get("years", p.years)
    if float(years) != int(years):
        raise KaizenError(f"`years` must be a whole number of years. You passed: {years!r}.")
    res = cost_benefit(
        gain=float(changes.get("gain", cb.gain)),
        gain_basis=cb.basis,  # type: ignore[arg-type]
        cost=cost,
        takeup=takeup,
        years=int(years),
        discount_rate=changes.get("discount_rate", cb.discount_rate),
        decay=changes.get("decay", p.decay),
        delay=changes.get("delay", p.delay),
        survival=changes.get("survival", p.survival),
        spillover_gain=changes.get("spillover_gain", p.spillover_gain),
        business_stealing=changes.get("business_stealing", p.business_stealing),
    )
    return float(getattr(res, metric))
