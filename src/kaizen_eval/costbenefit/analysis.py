"""``ke.cost_benefit``: is the gain worth the training's cost? The result is :class:`CostBenefit`.

Timing conventions (the defaults of the public API): the cost falls at ``t = 0``; the gain of
year ``t = 1..years`` accrues at its end and is discounted by ``(1 + discount_rate)^t``; with
``decay = d`` year ``t`` earns ``gain·(1 − d)^(t − 1)`` (see
:mod:`kaizen_eval.costbenefit.benefits` for delay, survival and spillovers, and
:mod:`kaizen_eval.costbenefit.metrics` for the metrics).

Gain and cost must be counted per the same unit:

* an ``Estimate`` with estimand ``"ITT"`` is a gain per *invited* firm; ``"LATE"``, ``"ATT"``
  and ``"ATE"`` are gains per *participant*;
* a plain number gain is taken per participant (``gain_basis`` changes that);
* a plain number cost is taken per participant; ``ke.Cost(x, per="invited")`` declares a cost per
  invited firm; a :class:`CostStructure` hands over the cost on its ``basis``.

When the bases differ the cost is converted to the gain's basis through ``takeup`` (share of the
invited firms that participated; a ``CostStructure`` with ``invited`` supplies its own); without a
take-up rate the mismatch is refused with a ``KaizenError``. Every conversion is recorded in
``CostBenefit.notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._validation import (
    KaizenError,
    check_alpha,
    check_count,
    check_seed,
)
from kaizen_eval.costbenefit._inputs import ESTIMAND_BASIS as ESTIMAND_BASIS
from kaizen_eval.costbenefit._inputs import ForSite, resolve_cost, resolve_gain, resolve_pooled
from kaizen_eval.costbenefit.benefits import BenefitPath, check_years
from kaizen_eval.costbenefit.costs import Basis, Cost, CostStructure, check_takeup
from kaizen_eval.costbenefit.metrics import (
    breakeven_gain,
    breakeven_years,
    check_discount_rate,
    internal_rate_of_return,
    payback_years,
    present_value,
)
from kaizen_eval.costbenefit.uncertainty import (
    GainDistribution,
    Seed,
    parametric_draws,
)
from kaizen_eval.estimate.pooling_result import PooledEstimate
from kaizen_eval.estimate.result import Estimate

_BREAKEVEN_HORIZONS = (200, 2_000, 20_000)


@dataclass(frozen=True, repr=False, eq=False)
class CostBenefit:
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
    def _display(self) -> _render.Table:
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

    def __str__(self) -> str:
        return _render.to_text(self._display())

    def __repr__(self) -> str:
        return f"<CostBenefit {self.summary()}>"

    def to_latex(self, *, float_env: bool = True) -> str:
        """Render as LaTeX (booktabs, ``threeparttable`` notes)."""
        return _render.to_latex(self._display(), float_env=float_env)

    def to_markdown(self) -> str:
        """Render as a Markdown table with the notes below."""
        return _render.to_markdown(self._display())

    def to_html(self) -> str:
        """Render as an HTML table (notes in its foot)."""
        return _render.to_html(self._display(), css_class="cost-benefit")

    def _repr_html_(self) -> str:
        return self.to_html()


def _rate(x: float) -> str:
    """Write a rate as a percentage, without decimals when it is whole (5 %, 2.5 %)."""
    return F.percent(x, 0 if round(100 * x, 6).is_integer() else 1)


def _breakeven_years(path: BenefitPath, cost: float, rate: float) -> float:
    for horizon in _BREAKEVEN_HORIZONS:
        out = breakeven_years(cost, path.gains(max(horizon, path.years)), rate)
        if np.isfinite(out):
            return out
    return float("inf")


def cost_benefit(
    *,
    gain: float | Estimate | PooledEstimate,
    cost: float | Cost | CostStructure,
    years: int = 1,
    discount_rate: float = 0.0,
    decay: float = 0.0,
    delay: float = 0.0,
    survival: float = 1.0,
    spillover_gain: float = 0.0,
    business_stealing: float = 0.0,
    takeup: float | None = None,
    gain_basis: Basis | None = None,
    term: str | None = None,
    gain_draws: np.ndarray | None = None,
    draws: int = 10_000,
    alpha: float = 0.05,
    seed: Seed = 0,
    for_site: ForSite | None = None,
) -> CostBenefit:
    """Compare an annual gain per firm with the training's cost: NPV, BCR, IRR, payback.

    Parameters
    ----------
    gain : float, Estimate or PooledEstimate
        Full annual gain per firm (e.g. USD of value added). An ``Estimate`` (one term, or pick
        one with ``term``) brings its estimand (ITT: per invited firm; LATE/ATT/ATE: per
        participant) and its sampling distribution. A ``PooledEstimate`` (from
        :func:`~kaizen_eval.pool_sites`) brings the effect across sites, drawn as ``for_site``
        says. A plain number is per participant unless ``gain_basis`` says otherwise.
    cost : float, Cost or CostStructure
        Cost at ``t = 0``. A plain number is per participant.
    years : int
        Horizon: number of years the gain lasts (default 1).
    discount_rate : float
        Annual discount rate ``r``; year ``t`` is discounted by ``(1 + r)^t``.
    decay : float
        Annual decay of the gain once full: year ``t`` earns ``gain·(1 − decay)^(t − 1)``.
    delay : float
        Years until the gain is full, built up linearly (see :class:`BenefitPath`).
    survival : float
        Annual survival probability of firms; year ``t`` is weighted by ``survival^t``.
    spillover_gain, business_stealing : float
        Annual gain / loss of non-participants (both ``>= 0``), counted per firm of the gain's
        basis (per participant for a LATE/ATT, per invited firm for an ITT) and following the
        same time profile as the gain.
    takeup : float, optional
        Participants / invited firms, used to convert the cost when its basis differs from the
        gain's. Without it such a mismatch raises a ``KaizenError``.
    gain_basis : {"participant", "invited"}, optional
        Unit of a plain-number gain (default ``"participant"``) or of an ``Estimate`` whose
        estimand does not imply one.
    term : str, optional
        Term of a multi-term ``Estimate`` that is the gain.
    gain_draws : array-like, optional
        Draws of the gain (e.g. bootstrap replicates from :func:`bootstrap_gain`), used instead
        of parametric draws.
    draws : int
        Number of parametric draws of an ``Estimate`` gain (default 10,000).
    alpha : float
        Level of the percentile intervals (default 0.05).
    seed : int or numpy.random.Generator
        Random source of the parametric draws.
    for_site : {"new", "average"}, optional
        With a pooled gain only. ``"new"`` (the default): the gain of a new site, drawn from the
        predictive distribution (the pooled uncertainty *and* the between-site spread ``tau``),
        so ``prob_bcr_above_1`` answers "will it pay in the next cluster?". ``"average"``: the
        average effect ``mu`` and its uncertainty only.

    Returns
    -------
    CostBenefit
        ``.npv``, ``.bcr``, ``.irr``, ``.payback_years``, ``.breakeven_years``,
        ``.breakeven_gain``; with an uncertain gain also ``.draws``, ``.bcr_interval``,
        ``.npv_interval`` and ``.prob_bcr_above_1``.

    Notes
    -----
    With ``p_t`` the time profile (:func:`~kaizen_eval.costbenefit.benefits.time_profile`) and
    ``G = gain + spillover_gain − business_stealing``::

        PV = G · Σ_t p_t (1 + r)^−t,   NPV = PV − C,   BCR = PV / C

    Parametric draws are ``estimate + std_error · T`` with ``T`` Student's t on the estimate's
    degrees of freedom (normal when infinite). Since PV is linear in the gain,
    ``P(BCR > 1) = P(gain > breakeven_gain) = 1 − F((breakeven_gain − estimate) / std_error)``;
    ``prob_bcr_above_1`` is its Monte Carlo counterpart over the draws.

    Examples
    --------
    >>> cb = cost_benefit(gain=13_890, cost=740)
    >>> round(cb.bcr, 4), cb.npv
    (18.7703, 13150.0)
    >>> cb3 = cost_benefit(gain=4_181, cost=Cost(2_905, per="invited"), takeup=1.0,
    ...                    years=3, discount_rate=0.1)
    >>> round(cb3.bcr, 3)
    3.579
    """
    years = check_years(years)
    alpha = check_alpha(alpha)
    check_seed("seed", seed)
    check_count("draws", draws, least=2)
    if takeup is not None:
        takeup = check_takeup(takeup)
    rate = check_discount_rate(discount_rate)

    pooled_draws: np.ndarray | None = None
    if isinstance(gain, PooledEstimate):
        if gain_draws is not None or term is not None:
            raise KaizenError(
                "a pooled gain brings its own draws: do not pass `gain_draws` or `term` with it."
            )
        value, pooled_draws, kind, estimand, basis, notes = resolve_pooled(
            gain, for_site, gain_basis, int(draws), seed
        )
        se, dof = None, None
    elif for_site is not None:
        raise KaizenError(
            "`for_site` applies to a pooled gain (a PooledEstimate from ke.pool_sites); "
            f"the gain here is a {type(gain).__name__}."
        )
    else:
        value, se, dof, estimand, basis, notes = resolve_gain(gain, gain_basis, term)
    given, used, takeup_used, cost_notes = resolve_cost(cost, basis, takeup, estimand)
    notes += cost_notes
    c = used.amount
    if not c > 0:
        raise KaizenError("the cost is zero: the benefit-cost ratio is undefined.")

    path = BenefitPath(
        value,
        years=years,
        decay=decay,
        delay=delay,
        survival=survival,
        spillover_gain=spillover_gain,
        business_stealing=business_stealing,
    )
    gains = path.gains()
    gains.flags.writeable = False
    pv = present_value(gains, rate)
    irr = internal_rate_of_return(c, gains)
    offset = path.spillover_gain - path.business_stealing
    annuity = present_value(path.profile(), rate)

    distribution: GainDistribution | None = None
    if pooled_draws is not None:
        distribution = GainDistribution(
            value, float(np.std(pooled_draws, ddof=1)), float("nan"), pooled_draws, kind
        )
    elif gain_draws is not None:
        d = np.asarray(gain_draws, dtype=float).reshape(-1).copy()
        if d.size < 2 or not np.all(np.isfinite(d)):
            raise KaizenError("`gain_draws` must hold at least 2 finite draws of the gain.")
        d.flags.writeable = False
        distribution = GainDistribution(
            value, float(np.std(d, ddof=1)), float("nan"), d, "bootstrap"
        )
    elif se is not None:
        check_count("draws", draws, least=2)
        distribution = parametric_draws(value, se, dof, draws=int(draws), seed=seed)  # type: ignore[arg-type]
    table = None
    if distribution is not None:
        pv_d = (distribution.draws + offset) * annuity
        table = pd.DataFrame(
            {"gain": distribution.draws, "pv_gains": pv_d, "npv": pv_d - c, "bcr": pv_d / c}
        )

    return CostBenefit(
        gain=value,
        cost=c,
        basis=basis,
        estimand=estimand,
        cost_input=given,
        takeup=takeup_used,
        path=path,
        discount_rate=rate,
        gains=gains,
        pv_gains=pv,
        npv=pv - c,
        bcr=pv / c,
        irr=irr.value,
        irr_reason=irr.reason,
        payback_years=payback_years(c, gains, rate),
        breakeven_years=_breakeven_years(path, c, rate),
        breakeven_gain=breakeven_gain(c, path.profile(), rate, offset),
        cost_structure=cost if isinstance(cost, CostStructure) else None,
        distribution=distribution,
        draws=table,
        alpha=float(alpha),
        notes=tuple(notes),
    )
