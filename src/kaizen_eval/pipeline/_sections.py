"""The report sections of a plan run other than the estimates: design, compliance, multiple testing.

Also the baseline values that the estimates and the compliance tables share (controls taken
from the baseline wave).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline.plan import Family, Plan
from kaizen_eval.report import Report
from kaizen_eval.scores.frame import baseline_values

#: Labels of the standard columns (``docs/data_schema.md``) in the report's tables and figures.
LABELS: dict[str, str] = {
    "value_added": "Value added (USD)",
    "sales_usd": "Sales (USD)",
    "inputs_usd": "Inputs (USD)",
    "score_overall": "Management score",
    "score_kaizen_5s": "Score: 5S",
    "score_quality_control": "Score: quality control",
    "score_record_keeping": "Score: record keeping",
    "score_marketing": "Score: marketing",
    "operating": "Still operating",
    "educ_years": "Education (years)",
    "female": "Female owner",
    "firm_age": "Firm age (years)",
    "employees": "Employees",
    "invited": "Invited (classroom)",
    "attended": "Attended (classroom)",
    "onsite": "Assigned on-site",
    "onsite_received": "Received on-site",
    "stratum": "stratum",
    "not_found": "Not found",
    "no_record": "No record",
    "share_observed": "Share observed",
    "took_up": "Took part",
    "take_up_rate": "Take-up rate",
    "ri_pvalue": "Randomization p-value",
    "qvalue_sharpened": "Sharpened q-value",
    "itt_observed": "Observed ITT",
    "gain": "Gain (USD per year)",
    "cost": "Cost per participant (USD)",
    "assignments": "Assignments drawn",
    "n_observed": "N observed",
    "mean_arm": "Treated mean",
}


def label_of(name: str, labels: dict[str, str] | None = None) -> str:
    """Return the reader's name of a variable (the report's labels, else the layer's rules)."""
    return F.label(name, labels or LABELS)


def family_unit(outcomes: tuple[str, ...] | list[str]) -> str:
    """Return the unit of a family's outcomes for an axis label (money, shares or mixed)."""
    if all(o in ("value_added", "sales_usd", "inputs_usd") for o in outcomes):
        return "USD per year"
    if all(o.startswith("score_") for o in outcomes):
        return "share of practices adopted"
    if all(o == "operating" for o in outcomes):
        return "share of firms still operating"
    return "units of each outcome"


def balance_display(
    bt: ke.BalanceTable, arm: str, labels: dict[str, str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """Return the balance table as the report shows it (narrow enough for a text column)."""
    t = bt.table
    if isinstance(t.index, pd.MultiIndex) and t.index.get_level_values(-1).nunique() == 1:
        t = t.droplevel(-1)
    cols = [
        c
        for c in (
            "mean_control",
            "mean_arm",
            "difference",
            "std_error",
            "pvalue",
            "normalized_diff",
            "n_missing",
        )
        if c in t.columns
    ]
    shown = t[cols].rename_axis(None)
    n = int(t["n"].max()) if "n" in t.columns else None
    notes = [
        f"Joint test that the covariates together predict {label_of(arm, labels)}: "
        f"F = {F.ratio(bt.joint_f, 2)}, p = {F.pvalue(bt.joint_pvalue)}",
        *bt.notes,
    ]
    if n is not None:
        notes.append(f"N = {F.count(n)} firms; normalized difference: the difference over the "
                     "pooled standard deviation")  # fmt: skip
    return shown, [F.sentence(x) for x in notes]


def attrition_display(
    counts: pd.DataFrame, arm: str | None, labels: dict[str, str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """Return the attrition counts as the report shows them, and the notes that say what left.

    A status that no firm had in any wave is left out of the table and named in a note, and
    ``observed`` is left out when it only repeats ``interviewed`` (no wave lacks a status
    column): the table then fits a text column however many statuses the survey knows.

    Examples
    --------
    >>> counts = pd.DataFrame({"interviewed": [10, 8], "closed": [0, 1], "refused": [0, 0],
    ...                        "no_record": [0, 1], "firms": [10, 10], "observed": [10, 8],
    ...                        "share_observed": [1.0, 0.8]},
    ...                       index=pd.Index(["baseline", "followup"], name="wave"))
    >>> shown, notes = attrition_display(counts, None, None)
    >>> list(shown.columns)
    ['interviewed', 'closed', 'no_record', 'firms', 'share_observed']
    >>> notes
    ['No firm was refused in any wave (the column is left out).']
    """
    totals = ("firms", "observed", "share_observed")
    statuses = [c for c in counts.columns if c not in totals]
    never = [c for c in statuses if c != "interviewed" and not counts[c].any()]
    drop = list(never)
    if "interviewed" in counts and counts["observed"].equals(counts["interviewed"]):
        drop.append("observed")
    notes = []
    if never:
        words = {"no_record": "without a record", "missing": "without a status",
                 "present": "in a wave without a status column"}  # fmt: skip
        said = [words.get(c, label_of(c, labels).lower()) for c in never]
        listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " or " + said[-1]
        notes.append(
            f"No firm was {listed} in any wave "
            f"(the column{'s are' if len(never) > 1 else ' is'} left out)"
        )
    return counts.drop(columns=drop), [F.sentence(x) for x in notes]


def _at_baseline(plan: Plan, long: pd.DataFrame, frame: pd.DataFrame, column: str) -> pd.Series:
    """Return the baseline-wave value of ``column`` for each firm (row) of ``frame``."""
    return baseline_values(
        long, frame, column, id_col=plan.data.id, baseline_wave=str(plan.design.baseline_wave)
    )


def _baseline_columns(
    plan: Plan, long: pd.DataFrame, wave: str, columns: list[str]
) -> pd.DataFrame:
    """Rows of ``wave`` with ``columns`` replaced by their baseline values (by firm)."""
    frame = long[long["wave"] == wave].copy()
    if plan.design.baseline_wave is not None:
        for c in columns:
            frame[c] = _at_baseline(plan, long, frame, c)
    return frame


def _design_summary(
    plan: Plan, long: pd.DataFrame, report: Report, prefix: str, section: str
) -> None:
    """Firms per assignment cell (first wave) and the strata/cluster structure."""
    des = plan.design
    missing = [c for c in des.assignment if c not in long.columns]
    if missing:
        raise KaizenError(
            f"'design.assignment' of the plan names column(s) {missing} that the data do not have."
        )
    first = long[long["wave"] == long["wave"].cat.categories[0]]
    cells = first.groupby(list(des.assignment), observed=True).size().rename("firms").to_frame()
    cells["share"] = cells["firms"] / cells["firms"].sum()
    cells.index = pd.Index(
        [
            ", ".join(f"{a}={v}" for a, v in zip(des.assignment, np.atleast_1d(key), strict=True))
            for key in cells.index
        ],
        name="cell",
    )
    n_strata = first[des.strata].nunique() if des.strata else 1
    n_clusters = first[des.cluster].nunique() if des.cluster else None
    report.add_table(
        f"{prefix}design",
        cells,
        kinds={"firms": "count", "share": "share"},
        caption=(
            f"Firms per assignment cell at the first wave; randomized within {n_strata} "
            f"strata ({des.strata})"
            if des.strata
            else "Firms per assignment cell at the first wave"
        )
        + (f", {n_clusters} clusters ({des.cluster})" if n_clusters else "")
        + (f"; take-up: {', '.join(des.takeup)}" if des.takeup else "")
        + ".",
        heading=f"{section}Design",
    )


def _compliance(plan: Plan, long: pd.DataFrame, report: Report, prefix: str, section: str) -> None:
    """Take-up by arm and wave, complier share and complier characteristics (Abadie's kappa)."""
    des = plan.design
    waves = list(dict.fromkeys(f.wave for f in plan.families))
    for arm, takeup in zip(des.assignment, des.takeup, strict=True):
        frame = _baseline_columns(plan, long, waves[-1], list(des.balance))
        known = frame.dropna(subset=[takeup, arm])
        c = ke.compliance(known, treatment=takeup, instrument=arm, covariates=list(des.balance))
        unknown = len(frame) - len(known)
        report.add_table(
            f"{prefix}compliance_{takeup}",
            c.take_up,
            kinds={"n": "count", "took_up": "count", "take_up_rate": "share"},
            caption=f"Take-up of {takeup} by {arm} (wave {waves[-1]!r})"
            + (
                f"; {unknown} firm(s) with unknown take-up or assignment left out."
                if unknown
                else "."
            ),
            heading=f"{section}Compliance: {F.label(takeup)}",
        )
        chars = c.characteristics
        blank = (
            "no always-takers: nobody took part without being assigned (one-sided non-compliance)"
            if "always_takers" in chars.columns and chars["always_takers"].isna().all()
            else None
        )
        report.add_table(
            f"{prefix}compliers_{takeup}",
            chars,
            caption="Mean baseline characteristics by compliance type (Abadie's kappa)",
            blank=blank,
            by_row=[c for c in chars.columns if c != "n_observed"],
        )


@dataclass(frozen=True, eq=False)
class FamilyRun:
    """One family's estimation, as the runner hands it to each of the family's tables.

    Attributes
    ----------
    plan : Plan
        The plan.
    fam : Family
        The family estimated.
    frame : pandas.DataFrame
        The family's wave, its controls and baseline columns taken from the baseline wave.
    specs : dict
        Outcome -> the keyword arguments of its ITT (``outcome``, ``covariates``,
        ``fixed_effects``, ``cluster``, ``se`` and, with ANCOVA or baselines, ``baseline``).
    report : Report
        The report the tables go to.
    prefix, section : str
        Prefixes of the tables' file names and of their headings (``"Ghana: "``).
    """

    plan: Plan
    fam: Family
    frame: pd.DataFrame
    specs: dict[str, dict[str, Any]]
    report: Report
    prefix: str
    section: str


def _multiple_testing(run: FamilyRun) -> None:
    """Family-wise (Romano–Wolf beside Westfall–Young) or false-discovery (sharpened q) tables."""
    fam, des = run.fam, run.plan.design
    if run.plan.estimate.multiple_testing == "romano-wolf":
        table, method, notes = _step_down_table(run)
    else:
        arms = list(des.assignment)  # one ITT per outcome, with every arm
        fits = [ke.itt(run.frame, treatment=arms, **run.specs[o]) for o in fam.outcomes]
        tables = []
        for arm in arms:
            p = [fit.term(arm)["pvalue"] for fit in fits]
            t = pd.DataFrame(
                {"pvalue": p, "qvalue_sharpened": ke.sharpened_qvalues(p)},
                index=pd.Index(list(fam.outcomes), name="outcome"),
            )
            tables.append(t.assign(treatment=arm).reset_index().set_index(["outcome", "treatment"]))
        table, notes = pd.concat(tables), []
        method = "Anderson (2008) sharpened q-values of the ITT p-values"
    run.report.add_table(
        f"{run.prefix}{fam.name}_multiple_testing",
        table,
        kinds={
            "qvalue_sharpened": "pvalue",
            "pvalue_romano_wolf": "pvalue",
            "pvalue_westfall_young": "pvalue",
            "nobs": "count",
        },
        caption=f"Multiple testing across the {fam.name} family: {method}.",
        heading=f"{run.section}{fam.name}: multiple testing",
        notes=notes,
    )


def _step_down_table(run: FamilyRun) -> tuple[pd.DataFrame, str, list[str]]:
    """Romano–Wolf, Westfall–Young and sharpened q of each family (one, or one per arm).

    With ``estimate.family_across_arms`` the arms are one family re-drawn jointly; otherwise
    each arm is its own family, the other arms held fixed as controls. Both step-downs use the
    same re-drawn assignments (the same seed); the q-values are those of the family's
    randomization p-values. A family of one hypothesis has nothing to adjust: its row shows the
    randomization p-value alone, with a note (no step-down is run, so no warning).
    """
    fam, frame, des, est = run.fam, run.frame, run.plan.design, run.plan.estimate
    across = est.family_across_arms and len(des.assignment) > 1
    groups = [list(des.assignment)] if across else [[a] for a in des.assignment]
    baseline = {o: sp["baseline"] for o, sp in run.specs.items() if "baseline" in sp}
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


def _randomization_inference(run: FamilyRun) -> None:
    """Randomization inference on each outcome and arm (the other arms held fixed)."""
    fam, des, est = run.fam, run.plan.design, run.plan.estimate
    rows = []
    for outcome in fam.outcomes:
        for arm in des.assignment:
            others = [a for a in des.assignment if a != arm]
            spec = run.specs[outcome]
            ri = ke.randomization_inference(
                run.frame,
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
    run.report.add_table(
        f"{run.prefix}{fam.name}_ri",
        pd.DataFrame(rows).set_index(["outcome", "treatment"]),
        by_row=["itt_observed"],
        kinds={"ri_pvalue": "pvalue", "assignments": "count"},
        caption=f"Randomization inference ({est.ri_draws} draws within strata; statistic: "
        "the ITT coefficient of the family's specification, other arms held fixed).",
        heading=f"{run.section}{fam.name}: randomization inference",
    )
