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
        What the rows are: shares of firms ranked by predicted gain, or subgroups.
    notes : tuple of str
        How the effects and probabilities were obtained.
    """

    _table: pd.DataFrame
    kind: str
    notes: tuple[str, ...]

    @property
    def table(self) -> pd.DataFrame:
        """Rows by share (or subgroup): effect, ci_low, ci_high, pvalue, bcr, bcr_low, bcr_high, prob_bcr_above_1."""  # noqa: E501
        return self._table.copy()

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
        an estimate with one term per subgroup (``itt(..., by=...)``; rows: its terms).
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
        f"P(BCR > 1): median over splits of the normal-t probability that the gain exceeds "
        f"the break-even gain; gain per {basis} firm",
    )
    return Targeting(_table=table, kind="share", notes=notes)


def _subgroups(est: Estimate, cost: Any, common: dict, seed: int) -> Targeting:
    """One row per term of a subgroup estimate: its effect, BCR and P(BCR > 1)."""
    tidy = est.tidy()
    rows = []
    for term in est.terms:
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
        index=pd.Index(list(est.terms), name="subgroup"),
        columns=[*TABLE_COLUMNS, "prob_bcr_above_1"],
    )
    notes = (f"{est.estimand} per subgroup; P(BCR > 1) from parametric draws of each effect",)
    return Targeting(_table=table, kind="subgroup", notes=notes)
