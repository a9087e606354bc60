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

import numpy as np
import pandas as pd

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
from kaizen_eval.costbenefit.result import CostBenefit as CostBenefit
from kaizen_eval.costbenefit.social import SocialSpillover, resolve_spillover, spillover_draws
from kaizen_eval.costbenefit.uncertainty import (
    GainDistribution,
    Seed,
    parametric_draws,
)
from kaizen_eval.estimate.pooling_result import PooledEstimate
from kaizen_eval.estimate.result import Estimate

_BREAKEVEN_HORIZONS = (200, 2_000, 20_000)


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
    spillover_gain: float | Estimate = 0.0,
    business_stealing: float = 0.0,
    spillover_term: str | None = None,
    nonparticipants_per_participant: float | None = None,
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
        same time profile as the gain. ``spillover_gain`` may be the ``Estimate`` of
        :func:`~kaizen_eval.spillover` (a gain per non-participant, negative for business
        stealing): it is drawn with the gain, jointly (their covariance) when ``gain`` is the same
        ``Estimate``, else independently; see :mod:`kaizen_eval.costbenefit.social`.
    spillover_term : str, optional
        Term of a spillover ``Estimate``: ``"spillover"`` (default) or ``"spillover:<s>"``.
    nonparticipants_per_participant : float, optional
        Non-participants per firm of the gain's basis. Default: from the spillover's design
        (uninvited firms of treated clusters per invited firm, divided by ``takeup`` for a gain
        per participant).
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

    social: SocialSpillover | None = None
    if isinstance(spillover_gain, Estimate):
        social, social_notes = resolve_spillover(
            spillover_gain, term=spillover_term, per_firm=nonparticipants_per_participant,
            gain=gain, gain_term=term, basis=basis, takeup=takeup_used,
        )  # fmt: skip
        notes += social_notes
        spillover_gain = max(social.value, 0.0)
        business_stealing = business_stealing + max(-social.value, 0.0)
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
    if social is not None:
        gd = distribution.draws if distribution is not None else np.full(int(draws), value)
        sd = spillover_draws(
            social, None if distribution is None else gd, value, se, draws=len(gd), seed=seed
        )
        pv_d = (gd + sd + offset - social.value) * annuity
        table = pd.DataFrame(
            {"gain": gd, "spillover": sd, "pv_gains": pv_d, "npv": pv_d - c, "bcr": pv_d / c}
        )
    elif distribution is not None:
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
        spillover=social,
    )
