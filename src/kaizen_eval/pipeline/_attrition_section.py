"""The report's attrition section beyond the status counts: Lee bounds and response weights.

Turned on by the plan's ``[attrition]`` table (:class:`~kaizen_eval.pipeline.plan.AttritionSpec`).
Per arm of ``design.assignment`` it adds two tables, one row group per outcome: Lee (2009)
bounds, basic and tightened on the plan's cells, from :func:`kaizen_eval.lee_bounds`; and the
diagnostics of the inverse-probability-of-response weights of
:func:`kaizen_eval.attrition_weights`. The numbers are those functions' own, on the frame of
:func:`attrition_frame` (one row per firm assigned).

A firm *responds* when its outcome is observed in the section's wave. Closed firms have no
outcome (they were not interviewed), so they count as non-response, as do firms not found,
refusals and firms without a row in that wave; an outcome that closed firms do have
(``operating``, 0 for a closed firm) counts them as respondents. The notes under each table
tally the non-respondents by status.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline._attrition_frame import RESPONDED, _weight_covariates, attrition_frame
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._sections import label_of
from kaizen_eval.pipeline.plan import Plan
from kaizen_eval.report import Report
from kaizen_eval.scores.frame import baseline_column

#: Reader's names of the section's columns (added to the report's labels when missing).
ATTRITION_LABELS: dict[str, str] = {
    "bounds": "Bounds",
    "lower": "Lower",
    "upper": "Upper",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "trim_share": "Outcomes trimmed",
    "trimmed_arm": "Arm trimmed",
    "firms": "Firms",
    "response_rate": "Response rate",
    "max_weight": "Largest weight",
    "max_over_mean": "Largest / mean",
    "share_trimmed": "Weights capped",
    "effective_n": "Effective N",
}


@dataclass
class AttritionTables:
    """The section's tables of one arm, with the results they show and their notes.

    Attributes
    ----------
    bounds : pandas.DataFrame
        Indexed by (outcome, bounds): ``lower``, ``upper``, ``ci_low``, ``ci_high``,
        ``trim_share`` and ``trimmed_arm`` (the arm trimmed: per cell when tightened).
    weights : pandas.DataFrame
        Indexed by (outcome, arm value): ``firms``, ``response_rate``, ``max_weight``,
        ``max_over_mean``, ``share_trimmed`` and ``effective_n``.
    lee : dict
        ``(outcome, "basic" or "tightened")`` -> :class:`~kaizen_eval.estimate.bounds.LeeBounds`.
    diagnostics : dict
        Outcome -> the diagnostics table of :func:`kaizen_eval.attrition_weights`.
    notes_bounds, notes_weights : list of str
        The notes under each table.
    """

    bounds: pd.DataFrame
    weights: pd.DataFrame
    lee: dict[tuple[str, str], ke.LeeBounds] = field(default_factory=dict)
    diagnostics: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes_bounds: list[str] = field(default_factory=list)
    notes_weights: list[str] = field(default_factory=list)


def _direction(b: ke.LeeBounds) -> str:
    """Return the arm whose outcomes are trimmed: one arm, or how many cells trim each."""
    words = {1: "treated", 0: "control"}
    if b.trimmed_arm in words or b.cells is None:
        return words.get(b.trimmed_arm, "")
    n = len(b.cells)
    k = int((b.cells["trimmed_arm"] == 1).sum())
    return f"treated in {k} of {n} cells"


def _bounds_row(b: ke.LeeBounds) -> dict[str, float | str]:
    return {
        "lower": b.lower,
        "upper": b.upper,
        "ci_low": b.ci_low,
        "ci_high": b.ci_high,
        "trim_share": b.trim_share,
        "trimmed_arm": _direction(b),
    }


def _weights_rows(
    frame: pd.DataFrame,
    outcome: str,
    arm: str,
    covs: list[str],
    trim: float | None,
    out: AttritionTables,
) -> list[dict[str, object]]:
    """Fit the response weights of ``outcome``; return the diagnostics rows (notes into ``out``).

    The weights' warnings become notes; a failure is a note and no rows.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ke.KaizenWarning)
        try:
            w = ke.attrition_weights(
                frame,
                response=RESPONDED,
                treatment=arm,
                covariates=[baseline_column(c) for c in covs],
                trim=trim,
            )
        except KaizenError as err:
            out.notes_weights.append(F.sentence(f"{label_of(outcome)}: no weights ({err})"))
            return []
    for c in caught:  # the weights' warnings become notes; any other is passed on
        if issubclass(c.category, ke.KaizenWarning):
            out.notes_weights.append(F.sentence(f"{label_of(outcome)}: {c.message}"))
        else:
            warnings.warn_explicit(c.message, c.category, c.filename, c.lineno)
    d = w.attrs["diagnostics"]
    out.diagnostics[outcome] = d
    return [
        {
            "outcome": outcome,
            "arm": value,
            "firms": row.nobs,
            "response_rate": row.response_rate,
            "max_weight": row.max_weight,
            "max_over_mean": row.max_over_mean,
            "share_trimmed": row.trimmed / row.respondents,
            "effective_n": row.effective_n,
        }
        for value, row in zip((0, 1), d.itertuples(), strict=True)
    ]


@fill_doc(DOCS)
def attrition_tables(plan: Plan, long: pd.DataFrame, arm: str) -> AttritionTables:
    """Return the Lee bounds and the weights' diagnostics of ``arm`` for the plan's outcomes.

    For each outcome of ``plan.attrition``: :func:`kaizen_eval.lee_bounds` (basic, and
    tightened on ``attrition.tighten`` when it names cells) with ``attrition.draws`` draws and
    the plan's seed, and :func:`kaizen_eval.attrition_weights` by arm on the weights'
    covariates (trimmed at ``attrition.trim``), all on :func:`attrition_frame`'s rows.

    Parameters
    ----------
    plan : Plan
        A plan with ``[attrition]`` outcomes.
    %(param_long)s
    arm : str
        One assignment column (0/1).

    Returns
    -------
    AttritionTables

    Raises
    ------
    KaizenError
        An arm without a single respondent (the bounds are not identified): the message names
        the outcome, the arm and the wave. A tightening cell without respondents in one arm is
        a note instead (the tightened row is left out; the basic bounds stay).

    Examples
    --------
    >>> import numpy as np
    %(example_plan)s
    >>> plan = parse_plan(PLAN + '''
    ... [attrition]
    ... outcomes = ["value_added"]
    ... draws = 50
    ... ''')
    >>> rng = np.random.default_rng(0)
    >>> ids = np.arange(200)
    >>> z = ids % 2
    >>> y = np.where(rng.uniform(size=200) < 0.7 + 0.2 * z, rng.normal(size=200) + z, np.nan)
    >>> long = pd.DataFrame({"firm_id": np.tile(ids, 2), "invited": np.tile(z, 2),
    ...                      "wave": np.repeat(["baseline", "followup"], 200),
    ...                      "value_added": np.r_[np.zeros(200), y]})
    >>> t = attrition_tables(plan, long, "invited")
    >>> t.bounds.index.tolist(), t.bounds.loc[("value_added", "Lee"), "trimmed_arm"]
    ([('value_added', 'Lee')], 'treated')
    """
    spec, seed = plan.attrition, plan.estimate.seed
    b_rows: dict[tuple[str, str], dict[str, float | str]] = {}
    w_rows = []
    out = AttritionTables(pd.DataFrame(), pd.DataFrame())
    skipped = []
    cells = ", ".join(label_of(c) for c in spec.tighten)
    tight_name = f"Tightened on {cells}"
    covs = _weight_covariates(plan)
    for outcome in spec.outcomes:
        frame, notes = attrition_frame(plan, long, outcome, arm)
        out.notes_bounds += notes
        try:
            basic = ke.lee_bounds(
                frame, outcome=outcome, treatment=arm, draws=spec.draws, seed=seed
            )
        except KaizenError as err:
            raise KaizenError(
                f"plan table 'attrition': no Lee bounds of {outcome!r} by {arm!r} in wave "
                f"{spec.wave!r} ({err}); drop the outcome from 'attrition.outcomes'"
            ) from None
        out.lee[(outcome, "basic")] = basic
        b_rows[(outcome, "Lee")] = _bounds_row(basic)
        skipped.append(basic.skipped_draws)
        if spec.tighten:
            try:
                tight = ke.lee_bounds(
                    frame,
                    outcome=outcome,
                    treatment=arm,
                    draws=spec.draws,
                    seed=seed,
                    tighten=[baseline_column(c) for c in spec.tighten],
                )
            except KaizenError as err:
                why = str(err)
                for c in spec.tighten:
                    why = why.replace(baseline_column(c), c)
                out.notes_bounds.append(
                    F.sentence(f"{label_of(outcome)}: no bounds tightened on {cells} ({why})")
                )
            else:
                out.lee[(outcome, "tightened")] = tight
                b_rows[(outcome, tight_name)] = _bounds_row(tight)
                skipped.append(tight.skipped_draws)
        w_rows += _weights_rows(frame, outcome, arm, covs, spec.trim, out)
    out.bounds = pd.DataFrame.from_dict(b_rows, orient="index")
    out.bounds.index = pd.MultiIndex.from_tuples(list(b_rows), names=["outcome", "bounds"])
    out.weights = pd.DataFrame(w_rows).set_index(["outcome", "arm"]) if w_rows else pd.DataFrame()
    level = F.number(100 * (1 - basic.alpha), 0)
    cells_way = (
        ", averaged over the cells with their weights, the arm detected in each cell"
        if spec.tighten
        else ""
    )
    out.notes_bounds.append(
        F.sentence(
            f"Lower and upper bounds on the effect of {label_of(arm)} for the firms whose outcome "
            f"would be observed under either assignment; CI: the {level} % Imbens–Manski "
            f"interval for the effect ({spec.draws} bootstrap draws); Outcomes trimmed: the "
            f"share of the observed outcomes trimmed in the arm that responds more{cells_way}"
        )
    )
    if any(skipped):
        out.notes_bounds.append(
            F.sentence(
                f"{sum(skipped)} bootstrap draws in all had an arm (or cell) without respondents "
                "and were left out of the standard errors"
            )
        )
    others = [a for a in plan.design.assignment if a != arm]
    if others:
        out.notes_bounds.append(
            F.sentence(
                f"Firms of every level of {', '.join(label_of(a) for a in others)} are pooled "
                "in each arm"
            )
        )
    trim = (
        f"weights above their {F.number(100 * spec.trim, 1)}th percentile capped"
        if spec.trim is not None
        else "no trimming (set 'attrition.trim' to cap the weights)"
    )
    names = ", ".join(label_of(c) for c in covs) if covs else "no covariates (a constant)"
    out.notes_weights.append(
        F.sentence(
            f"Stabilized inverse-probability-of-response weights from a logit by arm on {names} "
            f"at baseline; {trim}; effective N is Kish's (Σw)²/Σw² over the respondents"
        )
    )
    return out


@fill_doc(DOCS)
def attrition_section(
    plan: Plan, long: pd.DataFrame, report: Report, prefix: str, section: str
) -> dict[str, AttritionTables]:
    """Add the Lee bounds and weights' diagnostics of each arm to ``report`` (if the plan asks).

    Parameters
    ----------
    plan : Plan
        The plan; without ``[attrition]`` outcomes nothing is added.
    %(param_long)s
    %(param_report_section)s
    %(param_prefix_section)s

    Returns
    -------
    dict
        Arm -> :class:`AttritionTables` (empty when the section is off).

    Examples
    --------
    %(example_plan)s
    >>> attrition_section(parse_plan(PLAN), pd.DataFrame(), Report("r"), "", "")
    {}
    """
    if not plan.attrition.outcomes:
        return {}
    for name, text in ATTRITION_LABELS.items():
        report.labels.setdefault(name, text)
    out = {}
    for arm in plan.design.assignment:
        t = attrition_tables(plan, long, arm)
        out[arm] = t
        what = label_of(arm, report.labels)
        report.add_table(
            f"{prefix}attrition_lee_{arm}",
            t.bounds,
            caption=f"Lee (2009) bounds on the effect of {what} under attrition, "
            f"wave {plan.attrition.wave!r}",
            heading=f"{section}Attrition: bounds on the effect of {what}",
            notes=t.notes_bounds,
            kinds={"trim_share": "share", "trimmed_arm": "text"},
            by_row=["lower", "upper", "ci_low", "ci_high"],
        )
        weights = t.weights.rename_axis(index={"arm": what}) if len(t.weights) else t.weights
        report.add_table(
            f"{prefix}attrition_weights_{arm}",
            weights,
            caption=f"Response weights by {what}: diagnostics, wave {plan.attrition.wave!r}",
            notes=t.notes_weights,
            kinds={
                "firms": "count",
                "response_rate": "share",
                "max_weight": "ratio",
                "max_over_mean": "ratio",
                "share_trimmed": "share",
                "effective_n": "number",
            },
        )
    return out


__all__ = [
    "ATTRITION_LABELS",
    "AttritionTables",
    "attrition_frame",
    "attrition_section",
    "attrition_tables",
]
