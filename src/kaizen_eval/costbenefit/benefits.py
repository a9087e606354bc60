"""The benefit path: how an annual gain per participant plays out over the years.

Year ``t = 1, …, T`` earns (at the end of the year)::

    g_t = (gain + spillover_gain − business_stealing) · ramp_t · (1 − decay)^max(0, t − 1 − delay)
          · survival^t

``ramp_t = min(1, t / (delay + 1))``
    ``delay`` is the number of years before the effect is full; it builds up linearly, so with
    ``delay = 1`` year 1 earns half the gain and year 2 the full gain. ``delay = 0`` (default)
    gives the full gain from year 1.
``(1 − decay)^max(0, t − 1 − delay)``
    Decay starts once the effect is full; with ``delay = 0`` year ``t`` earns
    ``gain·(1 − decay)^(t − 1)`` (the convention of ``ke.cost_benefit``).
``survival^t``
    Each firm survives a year with probability ``survival``; a firm that closed earns nothing, so
    year ``t``'s gain per participant is weighted by the share still operating at its end.
``spillover_gain``, ``business_stealing``
    Gains (knowledge spillover) and losses (customers taken away) of *non-participants*, counted
    per participant and following the same time profile. Both are non-negative; they enter the
    net gain with signs + and −.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._validation import (
    KaizenError,
    check_finite_number,
    check_nonnegative,
    check_probability,
    check_whole_number,
)


def check_years(years: object) -> int:
    """Return ``years`` as a positive int, else raise a ``KaizenError``.

    Examples
    --------
    >>> check_years(3)
    3
    """
    return check_whole_number("years", years, least=1)


def _number(name: str, value: object, low: float, high: float, *, open_low: bool = False) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise KaizenError(f"`{name}` must be a number. You passed: {value!r}.") from None
    ok = np.isfinite(v) or (high == np.inf and v == np.inf)
    ok = ok and (v > low if open_low else v >= low) and v <= high
    if not ok:
        bracket = "(" if open_low else "["
        raise KaizenError(f"`{name}` must be in {bracket}{low}, {high}]. You passed: {value!r}.")
    return v


def time_profile(
    years: int, *, decay: float = 0.0, delay: float = 0.0, survival: float = 1.0
) -> np.ndarray:
    """Return the share of the full annual gain earned in each year ``1..years``.

    Parameters
    ----------
    years : int
        Horizon ``T``.
    decay : float
        Annual decay rate of the effect once full, in [0, 1].
    delay : float
        Years until the effect is full (linear build-up), ``>= 0``.
    survival : float
        Annual survival probability of firms, in (0, 1].

    Returns
    -------
    numpy.ndarray, shape (years,)
        ``ramp_t · (1 − decay)^max(0, t − 1 − delay) · survival^t`` (see the module docstring).

    Examples
    --------
    >>> time_profile(3, decay=0.5)
    array([1.  , 0.5 , 0.25])
    >>> time_profile(3, delay=1)
    array([0.5, 1. , 1. ])
    """
    years = check_years(years)
    decay = check_probability("decay", decay)
    delay = check_nonnegative("delay", delay)
    survival = check_probability("survival", survival, zero=False)
    t = np.arange(1, years + 1, dtype=float)
    ramp = np.minimum(1.0, t / (delay + 1.0))
    return ramp * (1.0 - decay) ** np.maximum(0.0, t - 1.0 - delay) * survival**t


@dataclass(frozen=True)
class BenefitPath:
    """Yearly gains per participant over a horizon, with persistence, decay, delay and survival.

    Parameters
    ----------
    gain : float
        Full annual gain per participant (e.g. a LATE on annual value added, USD).
    years : int
        Horizon ``T``: number of years the gain is counted (default 1).
    decay : float
        Annual decay of the effect once it is full, in [0, 1] (default 0).
    delay : float
        Years until the effect is full; it builds up linearly (default 0: full from year 1).
    survival : float
        Annual survival probability of firms, in (0, 1] (default 1); closed firms gain nothing.
    spillover_gain : float
        Annual gain of non-participants per participant (knowledge spillover), ``>= 0``.
    business_stealing : float
        Annual loss of non-participants per participant (customers taken), ``>= 0``.

    Notes
    -----
    Year ``t`` earns ``(gain + spillover_gain − business_stealing) · time_profile(t)``; see
    :func:`time_profile` and the module docstring for the formula.

    Examples
    --------
    >>> BenefitPath(1000, years=3, decay=0.1, survival=0.9).gains().round(2)
    array([900.  , 729.  , 590.49])
    """

    gain: float
    years: int = 1
    decay: float = 0.0
    delay: float = 0.0
    survival: float = 1.0
    spillover_gain: float = 0.0
    business_stealing: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain", check_finite_number("gain", self.gain))
        object.__setattr__(self, "years", check_years(self.years))
        object.__setattr__(self, "decay", _number("decay", self.decay, 0.0, 1.0))
        object.__setattr__(self, "delay", _number("delay", self.delay, 0.0, 1e6))
        object.__setattr__(
            self, "survival", _number("survival", self.survival, 0.0, 1.0, open_low=True)
        )
        for name in ("spillover_gain", "business_stealing"):
            value = _number(name, getattr(self, name), 0.0, 1e300)
            object.__setattr__(self, name, value)

    @property
    def net_gain(self) -> float:
        """Full annual gain including spillovers: gain + spillover_gain − business_stealing."""
        return self.gain + self.spillover_gain - self.business_stealing

    def profile(self, years: int | None = None) -> np.ndarray:
        """Return the time profile (share of the full gain) for years ``1..years`` (default T)."""
        T = self.years if years is None else check_years(years)
        return time_profile(T, decay=self.decay, delay=self.delay, survival=self.survival)

    def gains(self, years: int | None = None) -> np.ndarray:
        """Return the net gain of each year ``1..years`` (default: the horizon ``T``).

        A ``years`` beyond the horizon extends the path with the same parameters (used for the
        break-even persistence).
        """
        return self.net_gain * self.profile(years)

    def table(self, discount_rate: float = 0.0) -> pd.DataFrame:
        """Return the path year by year.

        Parameters
        ----------
        discount_rate : float
            Rate used for the ``discount_factor`` and ``present_value`` columns.

        Returns
        -------
        pandas.DataFrame
            Columns ``year``, ``share`` (time profile), ``participant_gain``,
            ``spillover_gain``, ``business_stealing``, ``net_gain``, ``discount_factor``,
            ``present_value``.
        """
        share = self.profile()
        year = np.arange(1, self.years + 1)
        factor = (1.0 + discount_rate) ** -year.astype(float)
        net = self.net_gain * share
        return pd.DataFrame(
            {
                "year": year,
                "share": share,
                "participant_gain": self.gain * share,
                "spillover_gain": self.spillover_gain * share,
                "business_stealing": -self.business_stealing * share,
                "net_gain": net,
                "discount_factor": factor,
                "present_value": net * factor,
            }
        )
