"""The inference sections of a plan run: multiple testing and randomization inference.

Both re-draw the assignment (within strata, as the design drew it); the multiple-testing tables
put Romano–Wolf beside Westfall–Young, or give the sharpened q-values.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval.pipeline.plan import Family, Plan
from kaizen_eval.report import Report


def _multiple_testing(
    plan: Plan,
    fam: Family,
    frame: pd.DataFrame,
    specs: dict[str, dict[str, Any]],
    report: Report,
    prefix: str,
    section: str,
) -> None:
    """Family-wise (Romano–Wolf beside Westfall–Young) or false-discovery (sharpened q) tables."""
    des, est = plan.design, plan.estimate
    if est.multiple_testing == "romano-wolf":
        table, method, notes = _step_down_table(plan, fam, frame, specs)
    else:
        tables = []
        for arm in des.assignment:
            p = [
                ke.itt(frame, treatment=list(des.assignment), **specs[o]).term(arm)["pvalue"]
                for o in fam.outcomes
            ]
            t = pd.DataFrame(
                {"pvalue": p, "qvalue_sharpened": ke.sharpened_qvalues(p)},
                index=pd.Index(list(fam.outcomes), name="outcome"),
            )
            tables.append(t.assign(treatment=arm).reset_index().set_index(["outcome", "treatment"]))
        table, notes = pd.concat(tables), []
        method = "Anderson (2008) sharpened q-values of the ITT p-values"
    report.add_table(
        f"{prefix}{fam.name}_multiple_testing",
        table,
        kinds={
            "qvalue_sharpened": "pvalue",
            "pvalue_romano_wolf": "pvalue",
            "pvalue_westfall_young": "pvalue",
            "nobs": "count",
        },
        caption=f"Multiple testing across the {fam.name} family: {method}.",
        heading=f"{section}{fam.name}: multiple testing",
        notes=notes,
    )


def _step_down_table(
    plan: Plan, fam: Family, frame: pd.DataFrame, specs: dict[str, dict[str, Any]]
) -> tuple[pd.DataFrame, str, list[str]]:
    """Romano–Wolf, Westfall–Young and sharpened q of each family (one, or one per arm).

    With ``estimate.family_across_arms`` the arms are one family re-drawn jointly; otherwise
    each arm is its own family, the other arms held fixed as controls. Both step-downs use the
    same re-drawn assignments (the same seed); the q-values are those of the family's
    randomization p-values. A family of one hypothesis has nothing to adjust: its row shows the
    randomization p-value alone, with a note (no step-down is run, so no warning).
    """
    des, est = plan.design, plan.estimate
    across = est.family_across_arms and len(des.assignment) > 1
    groups = [list(des.assignment)] if across else [[a] for a in des.assignment]
    baseline = {o: sp["baseline"] for o, sp in specs.items() if "baseline" in sp}
    tables, single = [], False
    for arms in groups:
        others = [a for a in des.assignment if a not in arms]
        kw: dict[str, Any] = {
            "covariates": [*fam.controls, *others],
            "strata": des.strata,
            "cluster": des.cluster,
            "fixed_effects": des.strata,
            "draws": est.ri_draws,
            "seed": est.seed,
        }
        if len(arms) * len(fam.outcomes) == 1:
            single = True
            (o,) = fam.outcomes
            ri = ke.randomization_inference(
                frame, outcome=o, treatment=arms[0], baseline=baseline.get(o), statistic="t", **kw
            )
            t = pd.DataFrame(
                {"statistic": [float(ri.observed)], "pvalue": [ri.pvalue]},
                index=pd.Index([o], name="outcome"),
            )
        else:
            kw |= {"outcomes": list(fam.outcomes), "treatment": arms, "baseline": baseline}
            rw = ke.romano_wolf(frame, **kw)
            wy = ke.westfall_young(frame, **kw)
            t = rw.assign(
                pvalue_westfall_young=wy["pvalue_westfall_young"],
                qvalue_sharpened=ke.sharpened_qvalues(rw["pvalue"].to_numpy()),
            )
        if "treatment" not in t.index.names:
            t = t.assign(treatment=arms[0]).set_index("treatment", append=True)
        tables.append(t.reorder_levels(["outcome", "treatment"]))
    family = (
        f"one family of {' × '.join(des.assignment)} × outcomes, re-drawn jointly"
        if across
        else "one family per arm, the other arms held fixed"
        if len(des.assignment) > 1
        else "one family"
    )
    method = (
        f"Romano–Wolf and Westfall–Young step-downs and sharpened q-values of the randomization "
        f"p-values, on the same {est.ri_draws} re-drawn assignments ({family})"
    )
    notes = (
        [
            F.sentence(
                "each family holds one hypothesis, so there is nothing to adjust: the table shows "
                "the unadjusted randomization p-value of the t statistic"
            )
        ]
        if single
        else []
    )
    return pd.concat(tables), method, notes


def _randomization_inference(
    plan: Plan,
    fam: Family,
    frame: pd.DataFrame,
    specs: dict[str, dict[str, Any]],
    report: Report,
    prefix: str,
    section: str,
) -> None:
    """Randomization inference on each outcome and arm (the other arms held fixed)."""
    des, est = plan.design, plan.estimate
    rows = []
    for outcome in fam.outcomes:
        for arm in des.assignment:
            others = [a for a in des.assignment if a != arm]
            spec = specs[outcome]
            ri = ke.randomization_inference(
                frame,
                outcome=outcome,
                treatment=arm,
                covariates=[*spec["covariates"], *others],
                baseline=spec.get("baseline"),
                strata=des.strata,
                cluster=des.cluster,
                fixed_effects=des.strata,
                draws=est.ri_draws,
                seed=est.seed,
            )
            rows.append(
                {
                    "outcome": outcome,
                    "treatment": arm,
                    "itt_observed": float(ri.observed),
                    "ri_pvalue": ri.pvalue,
                    "assignments": len(ri.draws),
                    "exact": ri.exact,
                }
            )
    report.add_table(
        f"{prefix}{fam.name}_ri",
        pd.DataFrame(rows).set_index(["outcome", "treatment"]),
        by_row=["itt_observed"],
        kinds={"ri_pvalue": "pvalue", "assignments": "count"},
        caption=f"Randomization inference ({est.ri_draws} draws within strata; statistic: "
        "the ITT coefficient of the family's specification, other arms held fixed).",
        heading=f"{section}{fam.name}: randomization inference",
    )
