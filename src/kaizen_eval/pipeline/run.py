"""Run an analysis plan end to end through the public API and write its report.

Steps, in the order of the pipeline: load the waves (codebook, validation, ``panel.issues``),
convert money to USD and compute value added, score management practices, check balance and
attrition on the design, estimate every family's outcomes (ITT, LATE, ATT; heterogeneity;
randomization inference), then compare the gain with the cost. Every table and figure goes into
one :class:`~kaizen_eval.report.Report`.

Conventions the runner applies (stated in the report too):

- Controls and heterogeneity variables are taken from the baseline wave (``design.baseline_wave``),
  so a follow-up value that the training may have changed is never used as a control.
- With ``ancova = true`` the baseline value of the outcome enters as a control, with McKenzie's
  dummy for a missing baseline value (no firm is dropped for it).
- ``operating`` (1 if the firm still operates, 0 if it closed, missing if it was not found) is
  derived from the status column, so survival can be an outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

import kaizen_eval as ke
from kaizen_eval._atomic import atomic_folder
from kaizen_eval._docs import fill_doc
from kaizen_eval._format import sentence
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline._attrition_section import attrition_section
from kaizen_eval.pipeline._cost_benefit import cost_benefit_section
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._headline import headline_sentences
from kaizen_eval.pipeline._sections import (
    LABELS,
    FamilyRun,
    _baseline_columns,
    _compliance,
    _design_summary,
    _multiple_testing,
    _randomization_inference,
    attrition_display,
    balance_display,
    family_unit,
    label_of,
)
from kaizen_eval.pipeline.plan import Family, Plan, load_plan
from kaizen_eval.pipeline.results import PlanEstimate, PlanResults
from kaizen_eval.report import Report
from kaizen_eval.report.builder import sha256_file
from kaizen_eval.scores.frame import (
    attach_baselines,
    baseline_column,
    derive_long,
)


def _prepare(plan: Plan) -> tuple[ke.Panel, pd.DataFrame, list[str]]:
    """Load the waves and derive USD money, value added, scores and survival."""
    d = plan.data
    panel = ke.load_waves(
        {w: str(p) for w, p in d.waves.items()},
        id_col=d.id,
        codebook=None if d.codebook is None else str(d.codebook),
        status_col=d.status,
    )
    long, notes = derive_long(
        panel.long,
        id_col=d.id,
        currency_columns=d.currency_columns,
        exchange_rates=None if d.exchange_rates is None else ke.read_wave(str(d.exchange_rates)),
        value_added=d.value_added,
        items=None if d.items is None else ke.read_wave(str(d.items)),
        status=d.status,
    )
    return panel, long, notes


def _with_baselines(
    plan: Plan, long: pd.DataFrame, frame: pd.DataFrame, columns: list[str]
) -> pd.DataFrame:
    """Return ``frame`` with the baseline-wave values of ``columns``, as float ``<c>_baseline``."""
    frame = attach_baselines(
        long, frame, columns, id_col=plan.data.id, baseline_wave=str(plan.design.baseline_wave)
    )
    for c in columns:
        frame[baseline_column(c)] = frame[baseline_column(c)].astype(float)
    return frame


def _estimate_family(
    plan: Plan,
    fam: Family,
    long: pd.DataFrame,
    report: Report,
    prefix: str,
    section: str,
) -> list[PlanEstimate]:
    """Estimate one family (every estimand, heterogeneity, RI, multiple testing)."""
    des, est = plan.design, plan.estimate
    out: list[PlanEstimate] = []
    missing = [o for o in fam.outcomes if o not in long.columns]
    if missing:
        raise KaizenError(
            f"family {fam.name!r} of the plan names outcome(s) {missing} that the data do not have "
            f"(columns after loading: {', '.join(map(str, long.columns))})."
        )
    extra = list(dict.fromkeys([*fam.controls, *est.heterogeneity]))
    frame = _baseline_columns(plan, long, fam.wave, extra)
    fe = des.strata
    estimators: dict[str, Callable[..., Any]] = {
        "itt": lambda **kw: ke.itt(frame, treatment=list(des.assignment), **kw),
        "late": lambda **kw: ke.late(
            frame, treatment=list(des.takeup), instrument=list(des.assignment), **kw
        ),
        "att": lambda **kw: ke.att(
            frame, treatment=list(des.takeup), instrument=list(des.assignment), **kw
        ),
    }
    specs: dict[str, dict[str, Any]] = {}
    extra_bl = [baseline_column(c) for c in fam.baselines]
    if fam.baselines:  # the plan checked that a baseline wave is set
        frame = _with_baselines(plan, long, frame, list(fam.baselines))
    for outcome in fam.outcomes:
        specs[outcome] = {
            "outcome": outcome,
            "covariates": list(fam.controls),
            "fixed_effects": fe,
            "cluster": des.cluster,
            "se": est.se,
        }
        own = []
        if fam.ancova:  # the plan checked that a baseline wave is set
            frame = _with_baselines(plan, long, frame, [outcome])
            own = [baseline_column(outcome)]
        if own or extra_bl:
            both = [*own, *extra_bl]
            specs[outcome]["baseline"] = both[0] if len(both) == 1 else both
    for estimand in est.estimands:
        results = {}
        for outcome in fam.outcomes:
            r = estimators[estimand](**specs[outcome])
            results[outcome] = r
            out.append(PlanEstimate(fam.name, estimand, outcome, r))
        label = f"{prefix}{fam.name}_{estimand}"
        report.add_table(
            label,
            ke.results_table(results, stars=True, labels=report.labels),
            caption=f"{estimand.upper()} on the {fam.name} family, wave {fam.wave!r}"
            + (", ANCOVA" if fam.ancova else "")
            + (
                ", baseline "
                + ", ".join(label_of(c, report.labels).lower() for c in fam.baselines)
                + " as control(s)"
                if fam.baselines
                else ""
            )
            + (f", strata fixed effects ({fe})" if fe else ""),
            heading=f"{section}{fam.name}: {estimand.upper()}",
        )
        # the notes of each estimate are printed under its results table
        unit = family_unit(fam.outcomes)
        report.add_figure(
            f"{label}_coefplot",
            ke.coef_plot(
                results,
                title=f"{estimand.upper()}: {fam.name} family",
                xlabel=f"Effect ({unit})",
                labels=report.labels,
            ),
            caption=f"{estimand.upper()} estimates with 95% confidence intervals, in {unit}.",
        )
    run = FamilyRun(plan, fam, frame, specs, report, prefix, section)
    for var in est.heterogeneity:
        out += _heterogeneity(run, var)
    if est.ri_draws:
        _randomization_inference(run)
    if est.multiple_testing != "none":
        _multiple_testing(run)
    return out


def _heterogeneity(run: FamilyRun, var: str) -> list[PlanEstimate]:
    """Estimate a family's ITT by one moderator; add its table and its joint test."""
    fam, des, report = run.fam, run.plan.design, run.report
    out: list[PlanEstimate] = []
    rows, tests, kinds = [], [], set()
    for outcome in fam.outcomes:
        r = ke.itt(run.frame, treatment=list(des.assignment), by=var, **run.specs[outcome])
        t = r.tidy().reset_index()
        t.insert(0, "outcome", outcome)
        rows.append(t)
        moderation = (r.extra or {}).get("moderation")
        for (arm, _mod), w in [] if moderation is None else moderation.iterrows():
            kinds.add(w["kind"])
            tests.append(
                {
                    "outcome": outcome,
                    "treatment": arm,
                    "F": w["fstat"],
                    "df1": w["df1"],
                    "df2": w["df2"],
                    "pvalue": w["pvalue"],
                }
            )
        out.append(PlanEstimate(fam.name, "itt", outcome, r, by=var))
    name = label_of(var, report.labels)
    continuous = kinds == {"continuous"}
    rows_are = (
        f"the effect at the mean of {name}, its slope in {name} (`:{var}`) and the effect at "
        "its quartiles"
        if continuous
        else "one row per level"
    )
    follow = (
        ""
        if not tests
        else f"; the next table tests that the effect does not vary with {name}"
        if continuous
        else "; the next table tests that the effects are equal"
    )
    report.add_table(
        f"{run.prefix}{fam.name}_by_{var}",
        pd.concat(rows, ignore_index=True).set_index(["outcome", "term"]),
        caption=f"ITT by {name} at baseline, {rows_are}{follow}",
        heading=f"{run.section}{fam.name}: heterogeneity by {name}",
        kinds={"df": "dof"},
        by_row=["estimate", "std_error", "ci_low", "ci_high"],
    )
    if tests:
        report.add_table(
            f"{run.prefix}{fam.name}_by_{var}_equality",
            pd.DataFrame(tests).set_index(["outcome", "treatment"]),
            caption=(
                f"Wald test that the effect does not vary with {name} (slope zero)"
                if continuous
                else f"Wald test that the effect is equal across levels of {name}"
            ),
            kinds={"df1": "dof", "df2": "dof", "F": "ratio"},
        )
    return out


@fill_doc(DOCS)
def analyse(
    plan: Plan,
    report: Report,
    *,
    prefix: str = "",
    section: str = "",
    log: Callable[[str], None] | None = None,
) -> PlanResults:
    """Run every step of ``plan`` and add its tables and figures to ``report``.

    Parameters
    ----------
    plan : Plan
        A validated plan (see :func:`~kaizen_eval.pipeline.load_plan`).
    report : Report
        The report to add sections to.
    %(param_prefix_section)s
    log : callable, optional
        Called with a short message as each step starts (progress on the command line).

    Returns
    -------
    PlanResults
    """

    def say(message: str) -> None:
        if log is not None:
            log(message)

    say(f"{section}loading {len(plan.data.waves)} waves")
    panel, long, notes = _prepare(plan)
    estimates: list[PlanEstimate] = []
    balances: dict[str, ke.BalanceTable] = {}
    benefits: dict[str, ke.CostBenefit] = {}
    des = plan.design
    report.plan_hashes[prefix.rstrip("_") or "plan"] = plan.sha256
    for name, text in LABELS.items():
        report.labels.setdefault(name, text)
    for w, p in plan.data.waves.items():
        report.data_hashes[f"{prefix}{w}"] = sha256_file(p)
    report.add_text(
        f"{section}Data",
        f"{len(plan.data.waves)} waves ({', '.join(plan.data.waves)}), "
        f"{long[plan.data.id].nunique()} firms, {len(long)} firm-waves; the loader recorded "
        f"{len(panel.issues)} issue(s), each flagged or dropped (see the issues table). "
        + " ".join(sentence(n) for n in notes),
    )
    if len(panel.issues):
        summary = (
            panel.issues.groupby(["wave", "action", "reason"], observed=True)
            .size()
            .rename("issues")
            .to_frame()
        )
        report.add_table(
            f"{prefix}loader_issues",
            summary,
            "What the loader flagged or dropped, by wave and reason (one issue is a column or "
            "a row, as the reason says)",
            kinds={"issues": "count"},
        )
    _design_summary(plan, long, report, prefix, section)
    arm = des.assignment[0]
    attr = panel.attrition(arm=arm if arm in long.columns else None)
    shown, notes_ = attrition_display(attr.counts, attr.arm, report.labels)
    report.add_table(
        f"{prefix}attrition",
        shown,
        kinds={c: "count" for c in shown.columns if not str(c).startswith("share")},
        caption="Survey status by wave"
        + (f" and {label_of(attr.arm, report.labels)}" if attr.arm else "")
        + ": closed firms are kept apart from firms not found.",
        heading=f"{section}Attrition",
        notes=notes_,
    )
    attrition_section(plan, long, report, prefix, section)
    if des.baseline_wave is not None and des.balance:
        base = long[long["wave"] == des.baseline_wave]
        for a in des.assignment:
            bt = ke.balance(
                base,
                treatment=a,
                covariates=list(des.balance),
                strata=des.strata,
                cluster=des.cluster,
            )
            balances[a] = bt
            shown, notes_ = balance_display(bt, a, report.labels)
            report.add_table(
                f"{prefix}balance_{a}",
                shown,
                caption=f"Baseline balance by {label_of(a, report.labels)}",
                heading=f"{section}Balance on {label_of(a, report.labels)}",
                notes=notes_,
                by_row=["mean_control", "mean_arm", "difference", "std_error"],
            )
    if des.takeup:
        _compliance(plan, long, report, prefix, section)
    for fam in plan.families:
        say(
            f"{section}{fam.name}: {', '.join(plan.estimate.estimands)}"
            + (f", RI with {plan.estimate.ri_draws} draws" if plan.estimate.ri_draws else "")
        )
        estimates += _estimate_family(plan, fam, long, report, prefix, section)
    for cb_spec in plan.cost_benefit:
        say(f"{section}cost-benefit {cb_spec.label}")
        benefits[cb_spec.label] = cost_benefit_section(
            plan, cb_spec, estimates, long, report, prefix, section
        )
    return PlanResults(plan, panel, long, tuple(estimates), benefits, balances)


@fill_doc(DOCS)
def run_plan(
    plan: Plan | str | Path,
    out: str | Path,
    *,
    log: Callable[[str], None] | None = None,
    overwrite: bool = False,
    data_root: str | Path | None = None,
    flag: str = "overwrite=True",
) -> PlanResults:
    """Run a plan (or a plan file) and write its report into ``out``.

    The report folder appears only when it is complete (it is built in a hidden sibling folder
    and renamed at the end): a run that fails or is killed leaves the previous report, or
    nothing, never a mix.

    Parameters
    ----------
    plan : Plan or path
        The analysis plan.
    out : path
        Report folder. It must not exist (or be empty) unless ``overwrite``.
    log : callable, optional
        Progress messages, as in :func:`analyse`.
    %(param_overwrite)s
    data_root : path, optional
        A folder outside the plan's folder from which the plan may also read data (when
        ``plan`` is a path; see :func:`~kaizen_eval.pipeline.load_plan`).
    %(param_flag)s

    Returns
    -------
    PlanResults
        The panel, the analysis frame, every estimate, balance table and cost-benefit result
        (the report itself is in ``out``).

    Raises
    ------
    OutputExistsError
        ``out`` holds files and ``overwrite`` is false (checked before any work is done).

    Examples
    --------
    >>> import tempfile
    >>> res = run_plan("plan.toml", tempfile.mkdtemp())  # doctest: +SKIP
    """
    if not isinstance(plan, Plan):
        plan = load_plan(plan, data_root=data_root)
    out = Path(out)
    with atomic_folder(out, overwrite=overwrite, flag=flag) as tmp:
        report = Report(plan.title, plan_hash=plan.sha256)
        res = analyse(plan, report, log=log)
        if plan.cost_benefit:
            report.add_headline(
                headline_sentences(res, ""),
                "Headline (benefit-cost ratios over each comparison's horizon)",
            )
        report.write_into(tmp)
    return res
