"""The result of :func:`~kaizen_eval.costbenefit.analysis.cost_benefit`: :class:`CostBenefit`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval.costbenefit.benefits import BenefitPath
from kaizen_eval.costbenefit.costs import Cost, CostStructure
from kaizen_eval.costbenefit.uncertainty import GainDistribution


@dataclass(frozen=True, repr=False, eq=False)
class CostBenefit(_render.Rendered):
    """The result of :func:`cost_benefit`; immutable.

    Attributes
    ----------
    gain : float
        Full annual gain (point value) on the ``basis`` unit.
    cost : float
        Cost at ``t = 0`` on the ``basis`` unit (after any take-up conversion).
    basis : {"participant", "invited"}
        Unit both are counted per.
    estimand : str or None
        Estimand of the gain when it came from an ``Estimate``.
    cost_input : Cost
        The cost as given, with its declared basis.
    takeup : float or None
        Take-up rate used for a conversion (``None`` when none was needed or given).
    path : BenefitPath
        The benefit path (horizon, decay, delay, survival, spillovers).
    discount_rate : float
        Annual discount rate.
    gains : numpy.ndarray, shape (years,)
        Net gain of each year (read-only).
    pv_gains : float
        Present value of the gains.
    npv, bcr, irr : float
        Net present value, benefit-cost ratio and internal rate of return (``nan`` with
        ``irr_reason`` when there is none).
    payback_years : float
        Discounted payback within the horizon (``nan`` if not reached).
    breakeven_years : float
        Years the gain must last (same decay, survival, …) for BCR = 1; ``inf`` if the
        discounted gains never reach the cost (searched up to 20,000 years).
    breakeven_gain : float
        Full annual participant gain giving NPV = 0 over the horizon.
    cost_structure : CostStructure or None
        The cost structure when one was given (sensitivity can then vary its scale).
    distribution : GainDistribution or None
        Draws of the gain when it is uncertain (an ``Estimate`` or ``gain_draws``).
    draws : pandas.DataFrame or None
        One row per draw: ``gain``, ``pv_gains``, ``npv``, ``bcr``.
    alpha : float
        Level of the intervals.
    notes : tuple of str
        Conversions and caveats a reader must see.
    spillover : SocialSpillover or None
        The measured spillover (term, non-participants per firm, joint or independent draws)
        when ``spillover_gain`` was an ``Estimate``.
    """

    gain: float
    cost: float
    basis: str
    estimand: str | None
    cost_input: Cost
    takeup: float | None
    path: BenefitPath
    discount_rate: float
    gains: np.ndarray
    pv_gains: float
    npv: float
    bcr: float
    irr: float
    irr_reason: str | None
    payback_years: float
    breakeven_years: float
    breakeven_gain: float
    cost_structure: CostStructure | None = None
    distribution: GainDistribution | None = None
    draws: pd.DataFrame | None = None
    alpha: float = 0.05
    notes: tuple[str, ...] = field(default_factory=tuple)
    spillover: Any = None
    _CSS_CLASS: ClassVar[str] = "cost-benefit"

    @property
    def years(self) -> int:
        """Horizon in years."""
        return self.path.years

    @property
    def prob_bcr_above_1(self) -> float | None:
        """Share of the gain draws with BCR > 1 (``None`` when the gain is a plain number)."""
        if self.draws is None:
            return None
        return float(np.mean(self.draws["bcr"].to_numpy() > 1.0))

    def _interval(self, column: str) -> tuple[float, float] | None:
        if self.draws is None:
            return None
        lo, hi = np.quantile(self.draws[column].to_numpy(), [self.alpha / 2, 1 - self.alpha / 2])
        return float(lo), float(hi)

    @property
    def bcr_interval(self) -> tuple[float, float] | None:
        """Percentile interval of the BCR over the gain draws (level ``1 − alpha``)."""
        return self._interval("bcr")

    @property
    def npv_interval(self) -> tuple[float, float] | None:
        """Percentile interval of the NPV over the gain draws (level ``1 − alpha``)."""
        return self._interval("npv")

    def yearly(self) -> pd.DataFrame:
        """Return the benefit path year by year, with discounting and the cumulative balance.

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`BenefitPath.table` plus ``cumulative_pv`` (discounted gains to
            date) and ``balance`` (``cumulative_pv − cost``).

        Examples
        --------
        >>> from kaizen_eval import cost_benefit
        >>> cost_benefit(gain=100.0, cost=150.0, years=2).yearly()["balance"].tolist()
        [-50.0, 50.0]
        """
        out = self.path.table(self.discount_rate)
        out["cumulative_pv"] = out["present_value"].cumsum()
        out["balance"] = out["cumulative_pv"] - self.cost
        return out

    def table(self) -> pd.DataFrame:
        """Return the metrics as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Indexed by metric (``gain, cost, pv_gains, npv, bcr, irr, payback_years,
            breakeven_years, breakeven_gain`` and, with uncertainty, ``prob_bcr_above_1``);
            column ``value`` and, with uncertainty, ``ci_low``/``ci_high`` for ``gain``,
            ``pv_gains``, ``npv`` and ``bcr``.
        """
        names = [
            "gain",
            "cost",
            "pv_gains",
            "npv",
            "bcr",
            "irr",
            "payback_years",
            "breakeven_years",
            "breakeven_gain",
        ]
        out = pd.DataFrame(
            {"value": [float(getattr(self, n)) for n in names]},
            index=pd.Index(names, name="metric"),
        )
        if self.draws is not None:
            low = {n: np.nan for n in names}
            high = dict(low)
            for n in ("gain", "pv_gains", "npv", "bcr"):
                low[n], high[n] = self._interval(n)  # type: ignore[misc]
            out["ci_low"] = pd.Series(low)
            out["ci_high"] = pd.Series(high)
            out.loc["prob_bcr_above_1"] = [self.prob_bcr_above_1, np.nan, np.nan]
        return out

    # --- display -------------------------------------------------------------------------
    def _table(self) -> _render.Table:
        """Build the display table: each metric in its unit, intervals alike, blanks noted."""
        t = self.table()
        uncertain = "ci_low" in t.columns
        money_rows = ("gain", "cost", "pv_gains", "npv", "breakeven_gain")
        money_vals = [t.loc[m, c] for m in money_rows for c in t.columns]
        d = F.column_decimals(money_vals, "money")
        missing: list[str] = []
        body = []
        for metric, row in t.iterrows():
            name = str(metric)
            cells = []
            for col in t.columns:
                v = row[col]
                if name in money_rows:
                    text = F.money(v, digits=d)
                elif name == "bcr":  # one precision for the ratio and its interval
                    top = np.nanmax(np.abs(row.to_numpy(dtype=float)))
                    text = F.ratio(v, 2 if top < 10 else 1) if np.isfinite(v) else ""
                elif name == "irr":
                    text = F.percent(v) if col == "value" else ""
                    if col == "value" and not text:
                        missing.append(f"IRR: {self.irr_reason or 'not defined'}")
                elif name == "prob_bcr_above_1":
                    text = F.share(v, 3) if col == "value" else ""
                elif name == "breakeven_years" and v == np.inf:
                    text = "never"
                else:
                    text = F.number(v, 1) if np.isfinite(v) else ""
                    if col == "value" and not text and name == "payback_years":
                        missing.append("payback: the cost is not recovered within the horizon")
                cells.append(text)
            body.append([F.label(name), *cells])
        level = F.number(100 * (1 - self.alpha), 0)
        header = ["Metric", "Value"] + ([f"{level} % low", f"{level} % high"] if uncertain else [])
        p = self.path
        caption = (
            f"Cost-benefit per {self.basis} firm"
            + (f" (gain: {self.estimand})" if self.estimand else "")
            + f": {F.count(p.years)} year{'s' if p.years != 1 else ''}, "
            f"discount rate {_rate(self.discount_rate)}"
        )
        notes = [
            f"Benefit path: decay {_rate(p.decay)} a year, full effect after "
            f"{F.number(p.delay, 0 if float(p.delay).is_integer() else 1)} years, "
            f"survival {_rate(p.survival)} a year."
        ]
        if self.distribution is not None:
            notes.append(
                f"Intervals: {level} % percentile intervals over "
                f"{F.count(len(self.draws))} {self.distribution.method} draws of "  # type: ignore[arg-type]
                "the gain; the cost, IRR and payback are not drawn."
            )
        if self.irr_reason:
            notes.append(F.sentence(f"IRR: {self.irr_reason}"))
            missing = [m for m in missing if not m.startswith("IRR")]
        note = F.missing_note(missing)
        if note:
            notes.append(note)
        notes.extend(F.sentence(n) for n in self.notes)
        return _render.Table(
            header=[header], body=body, notes=notes, caption=caption,
            align="l" + "r" * (len(header) - 1),
        )  # fmt: skip

    def summary(self) -> str:
        """Return a plain-text summary: money with separators, the BCR, the IRR in %.

        Examples
        --------
        >>> from kaizen_eval import cost_benefit
        >>> print(cost_benefit(gain=13890.0, cost=740.0, years=3, discount_rate=0.05).summary())
        Cost-benefit per participant firm: 3 years, discount rate 5 %
        ----------------------------
        Metric                 Value
        ----------------------------
        Gain                  13,890
        Cost                     740
        PV of gains           37,826
        NPV                   37,086
        BCR                     51.1
        IRR                  1,877 %
        Payback (years)          0.1
        Break-even (years)       0.1
        Break-even gain          272
        ----------------------------
        Benefit path: decay 0 % a year, full effect after 0 years, survival 100 % a year.
        The gain is a plain number: taken as a gain per participant.
        The cost is a plain number: taken as a cost per participant.
        """
        return str(self)

    def __repr__(self) -> str:
        return f"<CostBenefit {self.summary()}>"


def _rate(x: float) -> str:
    """Write a rate as a percentage, without decimals when it is whole (5 %, 2.5 %)."""
    return F.percent(x, 0 if round(100 * x, 6).is_integer() else 1)
