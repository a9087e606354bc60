"""``ke.targeting``: the value of training only those predicted to gain most, or a subgroup.

Training as a screening device: with a :class:`~kaizen_eval.estimate.Heterogeneity` result,
the effect among the top share of firms by predicted gain is estimated on the half of each
sample split that did not learn the prediction (so the estimated ranking does not flatter
itself), and turned into a benefit-cost ratio. With an :class:`~kaizen_eval.estimate.Estimate`
split by a pre-specified moderator (``itt(..., by="female")``) each subgroup's effect is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._render import copied
from kaizen_eval._validation import KaizenError, check_probability
from kaizen_eval.costbenefit.analysis import cost_benefit
from kaizen_eval.estimate.heterogeneity_result import Heterogeneity
from kaizen_eval.estimate.result import Estimate

TABLE_COLUMNS = ("effect", "ci_low", "ci_high", "pvalue", "bcr", "bcr_low", "bcr_high")


@dataclass(frozen=True, repr=False, eq=False)
class Targeting:
    """BCR of training a top share by predicted gain (or each subgroup); immutable.

    Attributes
    ----------
    kind : {"share", "subgroup"}
        What the rows are: shares of firms ranked by predicted gain, or subgroup effects.
        For shares, ``prob_bcr_above_1`` is the median over splits of the per-split
        probabilities, not an adjusted probability (see :func:`targeting`).
    notes : tuple of str
        How the effects and probabilities were obtained.
    """

    _table: pd.DataFrame
    kind: str
    notes: tuple[str, ...]

    table = copied(
        "_table",
        "Rows by share (or subgroup): effect, ci_low, ci_high, pvalue, bcr, bcr_low, bcr_high, "
        "prob_bcr_above_1.",
    )

    def tidy(self) -> pd.DataFrame:
        """Return :attr:`table`."""
        return self.table

    def summary(self) -> str:
        """Return a plain-text table (effects with thousands separators)."""
        t = self._table
        head = "Targeting: " + (
            "train the top share by predicted gain" if self.kind == "share" else "by subgroup"
        )
        shown = pd.DataFrame(
            {
                "effect": t["effect"].map(lambda v: f"{v:,.2f}"),
                "interval": [
                    f"[{a:,.2f}, {b:,.2f}]" for a, b in zip(t["ci_low"], t["ci_high"], strict=True)
                ],
                "BCR": t["bcr"].map(lambda v: f"{v:,.2f}"),
                "P(BCR > 1)": t["prob_bcr_above_1"].map(lambda v: f"{v:.3f}"),
            },
            index=t.index,
        )
        return "\n".join([head, shown.to_string(), *(f"Note: {n}" for n in self.notes)])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<Targeting {self.summary()}>"


def targeting(
    result: Heterogeneity | Estimate,
    *,
    cost: Any,
    shares: Sequence[float] = (0.2, 0.4, 1.0),
    years: int = 1,
    discount_rate: float = 0.0,
    decay: float = 0.0,
    takeup: float | None = None,
    gain_basis: str | None = None,
    seed: int = 0,
) -> Targeting:
    """Benefit-cost ratio of training the top share by predicted gain, or each subgroup.

    Parameters
    ----------
    result : Heterogeneity or Estimate
        From :func:`~kaizen_eval.estimate.heterogeneity.heterogeneity` (rows: ``shares``), or
        an estimate by pre-specified subgroup (``itt(..., by=...)``; rows: its effects, see
        Notes).
    cost : float, Cost or CostStructure
        The training's cost, as for :func:`~kaizen_eval.costbenefit.analysis.cost_benefit`.
    shares : sequence of float
        Shares in ``(0, 1]`` of firms trained, ranked by predicted gain (``1`` = everyone,
        the comparison; always included).
    years, discount_rate, decay, takeup
        As in :func:`~kaizen_eval.costbenefit.analysis.cost_benefit`.
    gain_basis : {"invited", "participant"}, optional
        Unit of a ``Heterogeneity`` effect: ``"invited"`` (default, the randomized treatment
        is an offer) or ``"participant"``. An ``Estimate`` brings its own.
    seed : int
        Random source of the parametric draws (subgroups only).

    Returns
    -------
    Targeting
        ``.table`` indexed by share (or term): ``effect, ci_low, ci_high, pvalue, bcr,
        bcr_low, bcr_high, prob_bcr_above_1``.

    Notes
    -----
    For a share ``q``, each split estimates the effect among the top ``q`` of its main half
    by the predicted effect ``S`` (GATES with two groups) and ``P_s(BCR > 1) = 1 −
    F((g* − θ_s)/σ_s)``, ``g*`` the break-even gain; the table reports the medians over
    splits (intervals at ``1 − 2α``, p-values doubled, as for GATES), and the BCR of the
    median effect and of the interval's ends (the BCR is linear in the gain).
    ``prob_bcr_above_1`` is thus the **median over splits of per-split probabilities**, a
    summary of how the splits see it: it is not an adjusted probability (the paper's
    adjustment covers the intervals and p-values, not this number) and not a posterior.

    A BCR is defined for an *effect*. With an estimate by subgroup the rows are the effects
    reported at a level or a chosen value of a moderator, ``"invited[female=1]"`` or
    ``"invited[score=p25]"`` (for a continuous moderator: the modelled effect of a firm at that
    quantile, other moderators at their means). Left out, and named in ``notes``: slopes and
    interaction terms (``"invited:score"``, ``"invited:female=1"``, Lin's ``"invited:x"``),
    which are differences of effects per unit of the moderator and have no BCR, and the effect
    at the moderators' means (the bare ``"invited"`` of a continuous or several moderators),
    which is no subgroup's (its ratio is ``cost_benefit(gain=est, term="invited")``). An
    estimate without ``by=`` gives one row per effect term (slopes and interactions left out).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"female": rng.integers(0, 2, 400), "invited": rng.integers(0, 2, 400)})
    >>> df["y"] = 1000 * df["invited"] * (1 + df["female"]) + rng.normal(0, 500, 400)
    >>> est = ke.itt(df, outcome="y", treatment="invited", by="female")
    >>> tg = ke.targeting(est, cost=ke.Cost(1200, per="invited"))
    >>> list(tg.table.index), bool(tg.table["bcr"].iloc[1] > 1)
    (['invited[female=0]', 'invited[female=1]'], True)
    """
    common = dict(years=years, discount_rate=discount_rate, decay=decay, takeup=takeup)
    if isinstance(result, Estimate):
        return _subgroups(result, cost, common, seed)
    if not isinstance(result, Heterogeneity):
        raise KaizenError(
            "targeting needs a ke.heterogeneity result or an Estimate with one term per "
            f"subgroup; got {type(result).__name__}"
        )
    qs = sorted({check_probability("shares", s, zero=False) for s in shares} | {1.0})
    summary = result.top_effects(qs)
    long = result.top_effects(qs, per_split=True)
    basis = gain_basis or "invited"
    rows = []
    for q in qs:
        eff = summary.loc[q]
        cbs = [
            cost_benefit(gain=float(g), cost=cost, gain_basis=basis, **common)
            for g in (eff["estimate"], eff["ci_low"], eff["ci_high"])
        ]
        g_star = cbs[0].breakeven_gain
        sub = long[long["share"] == q]
        z = (g_star - sub["estimate"].to_numpy()) / sub["std_error"].to_numpy()
        prob = np.median(stats.t.sf(z, sub["df"].to_numpy()))
        rows.append([*eff.to_numpy(), *(c.bcr for c in cbs), prob])
    table = pd.DataFrame(
        rows, index=pd.Index(qs, name="share"), columns=[*TABLE_COLUMNS, "prob_bcr_above_1"]
    )
    notes = (
        f"effects among the top share by predicted gain: medians over {result.splits} splits "
        f"({round(100 * (1 - 2 * result.alpha))}% intervals, p-values 2 x median), each "
        "estimated on the half that did not learn the ranking",
        f"P(BCR > 1): median over splits of each split's t probability that the gain exceeds "
        "the break-even gain (a summary of the splits, not an adjusted probability); gain per "
        f"{basis} firm",
    )
    return Targeting(_table=table, kind="share", notes=notes)


def effect_terms(est: Estimate) -> tuple[list[str], list[str], bool]:
    """Split the terms of ``est`` into effects (which have a BCR) and the others.

    With ``by=`` (``extra["moderation"]``) the effects are the ``"{treatment}[{moderator}=…]"``
    terms, each treatment's effect at a level or chosen quantile of a moderator; without, every
    term that is not a slope or interaction (no ``":"`` outside brackets). Returns ``(effects,
    left out, whether some effect is at a quantile of a continuous moderator)``.
    """
    moderation = (est.extra or {}).get("moderation")
    if moderation is None or not len(moderation):
        keep = [t for t in est.terms if ":" not in t.rsplit("]", 1)[-1]]
        return keep, [t for t in est.terms if t not in keep], False
    keep, left, at_quantile = [], [], False
    for term in est.terms:
        kinds = [
            kind
            for (tn, m), kind in moderation["kind"].items()
            if term.startswith(f"{tn}[{m}=") and term.endswith("]")
        ]
        (keep if kinds else left).append(term)
        at_quantile = at_quantile or "continuous" in kinds
    return keep, left, at_quantile


def _subgroups(est: Estimate, cost: Any, common: dict, seed: int) -> Targeting:
    """One row per subgroup effect of an estimate: its effect, BCR and P(BCR > 1)."""
    terms, left, at_quantile = effect_terms(est)
    if not terms:
        raise KaizenError(
            f"targeting found no effect to put a BCR on among the terms {list(est.terms)}: "
            "slopes and interaction terms have no benefit-cost ratio (ask `by=` for effects "
            "at levels or at `by_quantiles=`)"
        )
    tidy = est.tidy()
    rows = []
    for term in terms:
        r = tidy.loc[term]
        cb = cost_benefit(gain=est, term=term, cost=cost, seed=seed, **common)
        ends = [
            cost_benefit(gain=float(g), cost=cost, gain_basis=cb.basis, **common).bcr
            for g in (r["ci_low"], r["ci_high"])
        ]
        rows.append(
            [r["estimate"], r["ci_low"], r["ci_high"], r["pvalue"], cb.bcr, *ends,
             cb.prob_bcr_above_1]
        )  # fmt: skip
    table = pd.DataFrame(
        rows,
        index=pd.Index(terms, name="subgroup"),
        columns=[*TABLE_COLUMNS, "prob_bcr_above_1"],
    )
    notes = [f"{est.estimand} per subgroup; P(BCR > 1) from parametric draws of each effect"]
    if at_quantile:
        notes.append(
            "an effect at a quantile of a continuous moderator is the modelled effect of a firm "
            "at that value (linear in the moderator), not a subgroup's average effect"
        )
    if left:
        notes.append(
            f"left out (not effects, no BCR): {', '.join(left)} (slopes, interaction terms, or "
            "the effect at the moderators' means)"
        )
    return Targeting(_table=table, kind="subgroup", notes=tuple(notes))
