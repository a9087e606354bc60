"""Cost-benefit metrics: pure functions of a cost at t = 0 and yearly gains at t = 1..T.

Conventions (those of ``ke.cost_benefit``): the cost ``C`` falls at ``t = 0``; the gain ``g_t``
of year ``t`` accrues at its end and is discounted by ``(1 + r)^t``::

    PV(r)  = Σ_{t=1}^{T} g_t / (1 + r)^t
    NPV(r) = PV(r) − C
    BCR(r) = PV(r) / C
    IRR    = the r at which NPV(r) = 0

Payback and break-even persistence count *discounted* cumulative gains ``PV_t`` (``PV_0 = 0``),
interpolated linearly within a year: if ``PV_{t−1} < C ≤ PV_t`` the payback time is
``t − 1 + (C − PV_{t−1}) / (PV_t − PV_{t−1})`` years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from kaizen_eval._docs import fill_doc, signature_from
from kaizen_eval._validation import KaizenError, check_finite_number, check_whole_number
from kaizen_eval.costbenefit._docs import DOCS


def _gains(gains: np.ndarray | list[float]) -> np.ndarray:
    g = np.asarray(gains, dtype=float)
    if g.ndim != 1 or g.size == 0:
        raise KaizenError("`gains` must be a non-empty 1-d array of yearly gains (years 1..T).")
    if not np.all(np.isfinite(g)):
        raise KaizenError("`gains` must be finite.")
    return g


def check_discount_rate(discount_rate: float) -> float:
    """Return the annual discount rate as a float ``> -1``, else raise naming it.

    Examples
    --------
    >>> check_discount_rate(0.05)
    0.05
    """
    r = check_finite_number("discount_rate", discount_rate)
    if r <= -1:
        raise KaizenError(f"`discount_rate` must be > -1. You passed: {discount_rate!r}.")
    return r


def discount_factors(years: int, discount_rate: float) -> np.ndarray:
    """Return ``(1 + r)^−t`` for ``t = 1..years``.

    Examples
    --------
    >>> discount_factors(2, 0.25)
    array([0.8 , 0.64])
    """
    t = np.arange(1, check_whole_number("years", years, least=0) + 1, dtype=float)
    return (1.0 + check_discount_rate(discount_rate)) ** -t


def present_value(gains: np.ndarray | list[float], discount_rate: float = 0.0) -> float:
    """Return ``Σ_t g_t / (1 + r)^t`` of gains at the end of years ``1..T``.

    Parameters
    ----------
    gains : array-like, shape (T,)
        Gain of each year ``1..T``.
    discount_rate : float
        Annual rate ``r > −1``.

    Examples
    --------
    >>> round(present_value([110.0, 121.0], 0.10), 10)
    200.0
    """
    g = _gains(gains)
    return float(g @ discount_factors(g.size, discount_rate))


def npv(cost: float, gains: np.ndarray | list[float], discount_rate: float = 0.0) -> float:
    """Return the net present value ``PV(r) − cost`` (cost at t = 0).

    Examples
    --------
    >>> npv(740.0, [13890.0])
    13150.0
    """
    return present_value(gains, discount_rate) - check_finite_number("cost", cost)


def bcr(cost: float, gains: np.ndarray | list[float], discount_rate: float = 0.0) -> float:
    """Return the benefit-cost ratio ``PV(r) / cost``.

    Examples
    --------
    >>> round(bcr(2043.0, [4038.0]), 4)
    1.9765
    """
    c = check_finite_number("cost", cost)
    if not c > 0:
        raise KaizenError(f"the benefit-cost ratio needs a positive cost. You passed: {cost!r}.")
    return present_value(gains, discount_rate) / c


@dataclass(frozen=True)
class IRRResult:
    """Internal rate of return with the reason when it does not exist.

    Attributes
    ----------
    value : float
        The rate ``r > −1`` solving ``NPV(r) = 0``; ``nan`` when there is none.
    reason : str or None
        Why ``value`` is ``nan`` (or a caveat such as several roots); ``None`` otherwise.
    """

    value: float
    reason: str | None = None


@fill_doc(DOCS)
def internal_rate_of_return(cost: float, gains: np.ndarray | list[float]) -> IRRResult:
    """Solve ``Σ_t g_t / (1 + r)^t = cost`` for ``r`` with :func:`scipy.optimize.brentq`.

    Parameters
    ----------
    cost : float
        Cost at ``t = 0`` (positive).
    %(param_yearly_gains)s

    Returns
    -------
    IRRResult
        ``value`` is ``nan`` with a ``reason`` when NPV does not change sign on ``(−1, ∞)``.

    Notes
    -----
    With non-negative gains NPV is decreasing in ``r``, tends to ``−cost`` as ``r → ∞`` and to
    ``+∞`` as ``r → −1`` (when some gain is positive), so the root is unique. If some yearly gains
    are negative there can be several roots; the one bracketed first from above is returned and
    the reason says so.

    Examples
    --------
    >>> round(internal_rate_of_return(100.0, [110.0]).value, 12)
    0.1
    """
    c = check_finite_number("cost", cost)
    g = _gains(gains)
    if not c > 0:
        return IRRResult(float("nan"), "the IRR needs a positive cost at t = 0")
    if not np.any(g > 0):
        return IRRResult(float("nan"), "no year has a positive gain: NPV < 0 at every rate")
    t = np.arange(1, g.size + 1, dtype=float)

    def f(r: float) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            value = float(np.sum(g * np.exp(-t * np.log1p(r)))) - c
        return value if np.isfinite(value) or value > 0 else float("nan")

    hi = 1.0
    while f(hi) > 0:
        hi *= 10.0
        if hi > 1e12:
            return IRRResult(float("nan"), "NPV stays positive at every rate tried (up to 1e12)")
    if f(hi) == 0:
        return IRRResult(hi)
    for lo in (0.0, *(-1.0 + 10.0**-k for k in range(0, 13))):
        if lo < hi and f(lo) > 0:
            break
    else:
        return IRRResult(
            float("nan"), "NPV does not change sign: the gains never repay the cost at any rate"
        )
    root = float(optimize.brentq(f, lo, hi, xtol=1e-14, rtol=8.9e-16, maxiter=500))
    reason = None
    if np.any(g < 0):
        reason = "some yearly gains are negative: the IRR may not be unique"
    return IRRResult(root, reason)


def irr(cost: float, gains: np.ndarray | list[float]) -> float:
    """Return the internal rate of return (``nan`` when none exists).

    See :func:`internal_rate_of_return` for the reason when it is ``nan``.

    Examples
    --------
    >>> round(irr(740.0, [13890.0]), 6)
    17.77027
    """
    return internal_rate_of_return(cost, gains).value


def _crossing(cost: float, cumulative: np.ndarray) -> float:
    """First fractional time at which the cumulative series (with 0 at t = 0) reaches ``cost``."""
    if cost <= 0:
        return 0.0
    hit = np.flatnonzero(cumulative >= cost)
    if hit.size == 0:
        return float("nan")
    k = int(hit[0])  # cumulative[k] is PV_{k+1}
    prev = 0.0 if k == 0 else float(cumulative[k - 1])
    return k + (cost - prev) / (float(cumulative[k]) - prev)


@fill_doc(DOCS)
def payback_years(
    cost: float, gains: np.ndarray | list[float], discount_rate: float = 0.0
) -> float:
    """Return the discounted payback time in years, within the horizon (``nan`` if not reached).

    Parameters
    ----------
    %(param_cost_at_zero)s
    %(param_yearly_gains)s
    %(param_discount_rate)s

    Returns
    -------
    float
        The first time the discounted cumulative gains reach the cost, interpolated linearly
        within the year (see the module docstring); ``nan`` if they do not within ``T`` years.

    Examples
    --------
    >>> payback_years(150.0, [100.0, 100.0])
    1.5
    """
    g = _gains(gains)
    cumulative = np.cumsum(g * discount_factors(g.size, discount_rate))
    return _crossing(check_finite_number("cost", cost), cumulative)


@fill_doc(DOCS)
@signature_from(payback_years)
def breakeven_years(**arguments: Any) -> float:
    """Return the persistence (in years) the gain path needs for BCR = 1 (``inf`` if never).

    Parameters
    ----------
    %(param_cost_at_zero)s
    gains : array-like, shape (N,)
        A long path of yearly gains (the horizon extended; see
        :meth:`BenefitPath.gains <kaizen_eval.costbenefit.benefits.BenefitPath.gains>`).
    %(param_discount_rate)s

    Returns
    -------
    float
        As :func:`payback_years`, but ``inf`` when the discounted gains never reach the cost
        within the ``N`` years given.

    Examples
    --------
    >>> breakeven_years(250.0, [100.0] * 10)
    2.5
    >>> breakeven_years(250.0, [100.0, 50.0, 25.0])
    inf
    """
    out = payback_years(**arguments)
    return float("inf") if np.isnan(out) else out


@fill_doc(DOCS)
def breakeven_gain(
    cost: float,
    profile: np.ndarray | list[float],
    discount_rate: float = 0.0,
    offset: float = 0.0,
) -> float:
    """Return the full annual gain that makes NPV = 0 for a given time profile.

    Parameters
    ----------
    %(param_cost_at_zero)s
    profile : array-like, shape (T,)
        Share of the full gain earned in each year (:func:`time_profile`).
    %(param_discount_rate)s
    offset : float
        Part of the yearly net gain that is not the participant's gain
        (``spillover_gain − business_stealing``); the result is the participant gain.

    Returns
    -------
    float
        ``cost / Σ_t profile_t (1 + r)^−t − offset``.

    Examples
    --------
    >>> round(breakeven_gain(100.0, [1.0, 1.0], 0.1), 6)
    57.619048
    """
    annuity = present_value(profile, discount_rate)
    if not annuity > 0:
        raise KaizenError("the time profile has no positive weight: no gain can break even.")
    cost, offset = check_finite_number("cost", cost), check_finite_number("offset", offset)
    return cost / annuity - offset
