"""The design, variance model and argument checks under :mod:`kaizen_eval.design.power`.

The standard error of the ITT per unit of sample (clusters, attrition, several follow-up
rounds), the rounds' variance share, the MDE multiplier of the normal and t tests, and the
checks of the power arguments; the formulas are in :mod:`kaizen_eval.design.power`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Literal, get_args

import numpy as np
from scipy import optimize, stats

from kaizen_eval._validation import KaizenError, check_option

Distribution = Literal["normal", "t"]
DISTRIBUTIONS: tuple[str, ...] = get_args(Distribution)


def _check(name: str, value: float, lo: float, hi: float, *, lo_open=True, hi_open=True) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real) or math.isnan(value):
        raise KaizenError(f"`{name}` must be a number. You passed: {value!r}.")
    bad_lo = value <= lo if lo_open else value < lo
    bad_hi = value >= hi if hi_open else value > hi
    if bad_lo or bad_hi:
        lb, rb = "(" if lo_open else "[", ")" if hi_open else "]"
        raise KaizenError(f"`{name}` must be in {lb}{lo}, {hi}{rb}. You passed: {value!r}.")
    return float(value)


@dataclass(frozen=True)
class _Design:
    """The arguments :func:`mde` and :func:`sample_size` share, checked once."""

    p_treat: float
    compliance: float
    r2: float
    icc: float
    cluster_size: float
    alpha: float
    power: float
    sd: float
    one_sided: bool
    distribution: str
    response: tuple[float, float] = (1.0, 1.0)
    rounds: tuple[int, float] = (1, 0.0)

    def __post_init__(self) -> None:
        _check("p_treat", self.p_treat, 0, 1)
        _check("compliance", self.compliance, 0, 1, hi_open=False)
        _check("r2", self.r2, 0, 1, lo_open=False)
        _check("icc", self.icc, 0, 1, lo_open=False, hi_open=False)
        _check("cluster_size", self.cluster_size, 1, math.inf, lo_open=False)
        _check("alpha", self.alpha, 0, 1)
        _check("power", self.power, 0, 1)
        _check("sd", self.sd, 0, math.inf)
        check_option("distribution", self.distribution, DISTRIBUTIONS)

    @classmethod
    def of(
        cls,
        p_treat: float,
        compliance: float,
        r2: float,
        icc: float,
        cluster_size: float,
        alpha: float,
        power: float,
        sd: float,
        one_sided: bool,
        distribution: str,
        response_rate: float | tuple[float, float],
        rounds: int,
        autocorrelation: float | None,
    ) -> _Design:
        """Build the design from the keyword arguments of :func:`mde` and :func:`sample_size`."""
        return cls(
            p_treat, compliance, r2, icc, cluster_size, alpha, power, sd, one_sided, distribution,
            _response(response_rate), _rounds(rounds, autocorrelation, r2, icc),
        )  # fmt: skip

    @property
    def se_unit(self) -> float:
        """Return ``SE · sqrt(N)``: the standard error of the ITT for one unit of sample."""
        return _se_unit(
            self.p_treat, self.r2, self.icc, self.cluster_size, self.sd, *self.response,
            share=round_average_share(*self.rounds),
        )  # fmt: skip

    @property
    def observed_share(self) -> float:
        """Expected share of the assigned units observed at follow-up."""
        r0, r1 = self.response
        return self.p_treat * r1 + (1 - self.p_treat) * r0

    def mde(self, n: float, distribution: str | None = None) -> float:
        """Return the MDE with ``n`` units (by ``distribution``, default the design's)."""
        distribution = distribution or self.distribution
        df = _df(n, self.cluster_size, self.observed_share)
        if distribution == "t" and df <= 0:
            raise KaizenError(
                f"`n` = {n} gives {df:g} degrees of freedom for the t test "
                f"(n / cluster_size - 2); it must be positive."
            )
        k = _multiplier(df, self.alpha, self.power, self.one_sided, distribution)
        return k * self.se_unit / math.sqrt(n) / self.compliance


def _se_unit(
    p_treat: float,
    r2: float,
    icc: float,
    cluster_size: float,
    sd: float,
    r0: float = 1.0,
    r1: float = 1.0,
    share: float = 1.0,
) -> float:
    """Return ``SE · sqrt(N)``: the standard error of the ITT for one assigned unit of sample.

    ``share`` is the variance of the outcome averaged over the follow-up rounds relative to one
    round's (:func:`round_average_share`; 1 with one round).
    """
    if share == 1.0:
        if r0 == r1 == 1.0:  # the textbook form, to the last digit
            deff = 1.0 + (cluster_size - 1.0) * icc
            return sd * math.sqrt((1.0 - r2) * deff / (p_treat * (1.0 - p_treat)))
        d1 = 1.0 + (max(cluster_size * r1, 1.0) - 1.0) * icc
        d0 = 1.0 + (max(cluster_size * r0, 1.0) - 1.0) * icc
        return sd * math.sqrt((1.0 - r2) * (d1 / (p_treat * r1) + d0 / ((1.0 - p_treat) * r0)))
    unit, between = share - r2, icc * (1.0 - r2)  # residual share of a unit, of its cluster
    v1 = unit + (max(cluster_size * r1, 1.0) - 1.0) * between
    v0 = unit + (max(cluster_size * r0, 1.0) - 1.0) * between
    return sd * math.sqrt(v1 / (p_treat * r1) + v0 / ((1.0 - p_treat) * r0))


def round_average_share(rounds: int, autocorrelation: float) -> float:
    """Variance of an outcome averaged over ``rounds`` follow-ups, relative to one round's.

    ``(1 + (k − 1)ρ) / k`` for ``k`` rounds whose outcomes are correlated ``ρ`` pairwise
    (McKenzie 2012).

    Examples
    --------
    >>> round_average_share(1, 0.0), round_average_share(3, 0.5)
    (1.0, 0.6666666666666666)
    """
    if rounds == 1:
        return 1.0
    return (1.0 + (rounds - 1) * autocorrelation) / rounds


def _rounds(rounds: int, autocorrelation: float | None, r2: float, icc: float) -> tuple[int, float]:
    """Return ``(rounds, autocorrelation)`` checked: whole rounds, a feasible correlation.

    The baseline covariates (``r2``) and the cluster effect (``icc``) are persistent, the same
    in every round, so two rounds are correlated at least ``r2 + icc (1 − r2)``.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, int | np.integer) or rounds < 1:
        raise KaizenError(
            f"`rounds` must be a whole number >= 1 (follow-up rounds). You passed: {rounds!r}."
        )
    if rounds == 1:
        if autocorrelation is not None:
            raise KaizenError(
                "`autocorrelation` is the correlation between follow-up rounds: it needs "
                f"`rounds` > 1 (you passed rounds=1, autocorrelation={autocorrelation!r})."
            )
        return 1, 0.0
    if autocorrelation is None:
        raise KaizenError(
            f"with rounds={rounds}, say the `autocorrelation` of the outcome between two "
            "follow-up rounds: there is no safe default, since it decides how much each round "
            "adds (McKenzie 2012)."
        )
    rho = _check("autocorrelation", autocorrelation, 0, 1, lo_open=False, hi_open=False)
    floor = r2 + icc * (1.0 - r2)
    if rho < floor - 1e-12:
        raise KaizenError(
            f"`autocorrelation` = {rho} is below r2 + icc·(1 − r2) = {floor:.4g}: the baseline "
            "covariates and the cluster effect persist in every round, so two rounds are "
            "correlated at least that much."
        )
    return int(rounds), rho


def _response(response_rate: float | tuple[float, float]) -> tuple[float, float]:
    """``(control, treated)`` response rates from one rate or a pair, each in (0, 1]."""
    if np.ndim(response_rate) == 0:
        r = _check("response_rate", response_rate, 0, 1, hi_open=False)  # type: ignore[arg-type]
        return r, r
    pair = tuple(np.asarray(response_rate, dtype=object).ravel())
    if len(pair) != 2:
        raise KaizenError(
            "`response_rate` is one rate or a pair (control, treated). "
            f"You passed: {response_rate!r}."
        )
    r0 = _check("response_rate (control)", pair[0], 0, 1, hi_open=False)
    r1 = _check("response_rate (treated)", pair[1], 0, 1, hi_open=False)
    return r0, r1


def _t_power(ncp: float, df: float, alpha: float, one_sided: bool) -> float:
    """Power of a t test with noncentrality ``ncp`` (both tails when two-sided)."""
    if one_sided:
        return float(stats.nct.sf(stats.t.ppf(1 - alpha, df), df, ncp))
    crit = stats.t.ppf(1 - alpha / 2, df)
    far = float(stats.nct.cdf(-crit, df, ncp))
    # scipy's nct.cdf returns NaN (not 0) when the far tail underflows at very few df
    return float(stats.nct.sf(crit, df, ncp)) + (0.0 if math.isnan(far) else far)


def _multiplier(df: float, alpha: float, power: float, one_sided: bool, distribution: str) -> float:
    """Return the MDE in standard errors: ``MDE / SE``."""
    a = alpha if one_sided else alpha / 2
    if distribution == "normal":
        return float(stats.norm.ppf(1 - a) + stats.norm.ppf(power))
    start = float(stats.t.ppf(1 - a, df) + stats.t.ppf(power, df))
    high = start + 1.0
    while _t_power(high, df, alpha, one_sided) < power:
        high *= 2.0
    return float(
        optimize.brentq(
            lambda k: _t_power(k, df, alpha, one_sided) - power,
            1e-9,
            high,
            xtol=1e-14,
            rtol=1e-15,
        )
    )


def _df(n: float, cluster_size: float, observed: float = 1.0) -> float:
    if cluster_size == 1:
        return n * observed - 2.0
    return n / cluster_size - 2.0
