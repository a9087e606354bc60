"""The headline sentences of a plan run: the box at the top of the report, in plain words."""

from __future__ import annotations

from kaizen_eval import _format as F
from kaizen_eval.pipeline.results import PlanResults

_ESTIMAND_WORDS = {
    "late": "firms that took part because they were invited (LATE)",
    "att": "the firms that took part (ATT)",
    "itt": "invited firms, whether or not they took part (ITT)",
}


def headline_sentences(res: PlanResults, site: str) -> list[str]:
    """Return the headline of each cost-benefit comparison of a plan run, in plain words.

    One sentence pair per ``[[cost_benefit]]`` entry: the estimated gain in annual value added
    (the estimand the comparison uses, with its 95 % confidence interval) and the
    benefit-cost ratio over the plan's horizon with the probability that it exceeds 1.
    """
    plan = res.plan
    estimand = next(e for e in ("att", "late", "itt") if e in plan.estimate.estimands)
    out = []
    for spec in plan.cost_benefit:
        fam = next(f for f in plan.families if spec.outcome in f.outcomes)
        est = res.estimate(fam.name, estimand, spec.outcome)  # type: ignore[arg-type]
        term = spec.term or est.terms[0]
        row = est.term(term)
        cb = res.cost_benefit[spec.label]
        years = int(spec.years)
        horizon = "one year" if years == 1 else f"{years} years"
        discount = (
            "without discounting"
            if cb.discount_rate == 0
            else f"discounted at {F.percent(cb.discount_rate)} a year"
        )
        prob = cb.prob_bcr_above_1
        chance = "" if prob is None else f"; the probability that it exceeds 1 is {_chance(prob)}"
        outcome = spec.outcome.replace("_", " ")
        label = {"onsite": "on-site"}.get(spec.label, spec.label)
        lead = f"{site}, {label} training" if site else f"{label.capitalize()} training"
        out.append(
            f"{lead}: for {_ESTIMAND_WORDS[estimand]}, annual {outcome} "
            f"rose by {F.money(row['estimate'])} USD (95 % confidence interval "
            f"{F.money(row['ci_low'])} to {F.money(row['ci_high'])} USD). Counting {horizon} of "
            f"gains {discount}, the benefit-cost ratio is {F.ratio(cb.bcr)}: each USD spent on "
            f"the training returned {F.ratio(cb.bcr)} USD{chance}."
        )
    return out


def _chance(p: float) -> str:
    """Return a probability in words: a percentage, never a certainty that draws cannot show."""
    if p > 0.995:
        return "above 99 %"
    if p < 0.005:
        return "below 1 %"
    return F.percent(p, 0)
