"""The cost-benefit section of a plan's report: the gain of an estimate against the plan's cost."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline._figures import heatmap_figure, tornado_figure
from kaizen_eval.pipeline.plan import CostBenefitSpec, Plan
from kaizen_eval.pipeline.results import PlanEstimate
from kaizen_eval.report import Report

#: How the rows of ``CostBenefit.table()`` are written (one precision per row).
_CB_KINDS = {
    "gain": "money",
    "cost": "money",
    "pv_gains": "money",
    "npv": "money",
    "bcr": "ratio",
    "irr": "percent",
    "breakeven_gain": "money",
    "prob_bcr_above_1": "percent",
}


def bcr_columns(rows: Mapping[str, ke.CostBenefit]) -> dict[str, list[float | None]]:
    """Return the columns bcr, bcr_low, bcr_high and prob_bcr_above_1, a row per cost-benefit."""
    return {
        "bcr": [cb.bcr for cb in rows.values()],
        "bcr_low": [cb.bcr_interval[0] for cb in rows.values()],  # type: ignore[index]
        "bcr_high": [cb.bcr_interval[1] for cb in rows.values()],  # type: ignore[index]
        "prob_bcr_above_1": [cb.prob_bcr_above_1 for cb in rows.values()],
    }


def cost_benefit_section(
    plan: Plan,
    cb_spec: CostBenefitSpec,
    estimates: list[PlanEstimate],
    long: pd.DataFrame,
    report: Report,
    prefix: str,
    section: str,
) -> ke.CostBenefit:
    """Compare the gain of the plan's most targeted estimand with the cost; add its tables."""
    estimand = next(e for e in ("att", "late", "itt") if e in plan.estimate.estimands)
    fam = next(f for f in plan.families if cb_spec.outcome in f.outcomes)
    gain = next(e.result for e in estimates if e.matches(fam.name, estimand, cb_spec.outcome))
    term = cb_spec.term or gain.terms[0]
    if term not in gain.terms:
        raise KaizenError(
            f"cost-benefit {cb_spec.label!r} of the plan asks for term {term!r}; the "
            f"{estimand.upper()} of {cb_spec.outcome!r} has terms {list(gain.terms)}."
        )
    arm = gain.terms.index(term)
    cb = ke.cost_benefit(
        gain=gain,
        term=term,
        cost=_cost(cb_spec),
        years=int(cb_spec.years),
        discount_rate=cb_spec.discount_rate,
        decay=cb_spec.decay,
        takeup=_takeup(long, plan, fam.wave, arm) if cb_spec.cost_basis == "invited" else None,
        seed=plan.estimate.seed,
    )
    report.add_table(
        f"{prefix}{cb_spec.label}",
        cb.table(),
        caption=f"Cost-benefit of {cb_spec.label} training: the gain in value added per "
        f"participant ({estimand.upper()}, {report.labels.get(term, term)}) against the cost per "
        f"participant, over {int(cb_spec.years)} year(s); money in USD",
        heading=f"{section}Cost-benefit: {cb_spec.label}",
        kinds=_CB_KINDS,
        by_row=True,
        blank="no interval for a quantity that does not depend on the estimated gain",
    )
    if cb.notes:
        report.add_text("", " ".join(n if n.rstrip().endswith(".") else f"{n}." for n in cb.notes))
    report.add_figure(
        f"{prefix}{cb_spec.label}_bcr",
        ke.plot_bcr_distribution(cb),
        caption="Distribution of the benefit-cost ratio over draws of the estimated gain "
        "from its sampling distribution.",
    )
    tornado, flat = tornado_figure(
        ke.one_way_sensitivity(cb),
        title=f"{section}{cb_spec.label} training, one-way sensitivity",
    )
    report.add_figure(
        f"{prefix}{cb_spec.label}_tornado",
        tornado,
        caption="One-way sensitivity of the benefit-cost ratio: each bar varies one assumption "
        "over the range shown, the others at their base values."
        + (f" Not shown (no effect on the ratio here): {', '.join(flat)}." if flat else ""),
    )
    grid = ke.two_way_sensitivity(cb)
    report.add_table(
        f"{prefix}{cb_spec.label}_grid",
        grid.rename(columns=F.percent).rename_axis(index="Years the gain lasts"),
        caption="Benefit-cost ratio by the years the gain lasts (rows) and the yearly discount "
        "rate (columns)",
        kinds={F.percent(c): "ratio" for c in grid.columns},
    )
    report.add_figure(
        f"{prefix}{cb_spec.label}_grid_heatmap",
        heatmap_figure(grid, title=f"{section}{cb_spec.label} training, benefit-cost ratio"),
        caption="Benefit-cost ratio by the years the gain lasts and the discount rate.",
    )
    return cb


def _cost(spec: CostBenefitSpec) -> ke.Cost | ke.CostStructure:
    """Return the plan's cost as a ``ke.Cost`` (a number) or a ``ke.CostStructure``."""
    if spec.structure is None:
        return ke.Cost(spec.cost, per=spec.cost_basis)
    st = spec.structure
    return ke.CostStructure(
        fixed=st.fixed,
        per_participant=st.per_participant,
        participants=st.participants,
        invited=st.invited,
        basis=spec.cost_basis,
    )


def _takeup(frame: pd.DataFrame, plan: Plan, wave: str, arm: int) -> float | None:
    """Take-up of arm ``arm`` among the firms assigned to it in ``wave``."""
    des = plan.design
    if not des.takeup:
        return None
    rows = frame[(frame["wave"] == wave) & (frame[des.assignment[arm]] == 1)]
    share = rows[des.takeup[arm]].mean()
    return None if pd.isna(share) else float(share)
