"""Declarations of a design's optional parts: a second stage and re-randomization."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np

from kaizen_eval._validation import KaizenError, as_list, check_option
from kaizen_eval.design._draw import exact_shares

Criterion = Literal["max_abs_t", "mahalanobis"]
CRITERIA: tuple[str, ...] = get_args(Criterion)


@dataclass(frozen=True)
class Stage:
    """A second randomization stage (e.g. on-site training), drawn after the first.

    Parameters
    ----------
    arms : mapping of str to float
        Arm name → share, as in :func:`assign` (control takes the remainder).
    strata : str or sequence of str, optional
        Strata of this stage. With ``among=None`` the stage is cross-randomized (factorial): it is
        always drawn within first-stage arm × these strata, so each cell of the 2×2 is filled in
        the declared proportions. To reuse the first stage's strata, name the same columns.
    among : str or sequence of str, optional
        First-stage arm(s) among which this stage is drawn (e.g. ``"invited"``); other units get
        0 in every arm of this stage. ``None`` (default): all units (factorial design). A
        stage drawn among firms known only later (e.g. those that attended) is its own
        :func:`~kaizen_eval.assign` on those firms.

    Examples
    --------
    >>> Stage(arms={"onsite": 0.5}, strata="stratum").among is None
    True
    """

    arms: Mapping[str, float]
    strata: str | Sequence[str] | None = None
    among: str | Sequence[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "arms", MappingProxyType(check_arms(self.arms, "stage2.arms")))
        object.__setattr__(self, "strata", names("stage2.strata", self.strata))
        among = None if self.among is None else names("stage2.among", self.among)
        object.__setattr__(self, "among", among)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (as stored in the manifest)."""
        return {
            "arms": dict(self.arms),
            "strata": list(self.strata),
            "among": None if self.among is None else list(self.among),
        }


@dataclass(frozen=True, kw_only=True)
class Rerandomize:
    """Re-randomization: draw again until the covariates are balanced enough.

    Parameters
    ----------
    covariates : sequence of str
        Numeric columns without missing values.
    criterion : {"max_abs_t", "mahalanobis"}
        ``"max_abs_t"``: largest |t| (Welch) of a difference in means, over covariates and over
        every arm-vs-control comparison of every stage. ``"mahalanobis"``: largest over those
        comparisons of ``n1·n0/(n1+n0) · d'S⁻¹d`` (Morgan & Rubin 2012), ``S`` the covariance of
        the covariates in the whole frame.
    bound : float
        A draw is accepted when the criterion is ``<= bound``.
    max_draws : int
        Give up (with an error) after this many draws without an acceptable one.

    Notes
    -----
    Inference must respect re-randomization: use :meth:`Assignment.redraw_many` (randomization
    inference), which applies the same criterion, and report ``manifest["n_draws"]``.

    Examples
    --------
    >>> Rerandomize(covariates=["employees"], bound=1.0).criterion
    'max_abs_t'
    """

    covariates: Sequence[str]
    bound: float
    criterion: Criterion = "max_abs_t"
    max_draws: int = 10_000

    def __post_init__(self) -> None:
        covs = names("rerandomize.covariates", self.covariates)
        if not covs:
            raise KaizenError("`rerandomize.covariates` is empty; name at least one column.")
        object.__setattr__(self, "covariates", covs)
        check_option("rerandomize.criterion", self.criterion, CRITERIA)
        if (
            isinstance(self.bound, bool)
            or not isinstance(self.bound, int | float | np.integer | np.floating)
            or not np.isfinite(self.bound)
            or self.bound <= 0
        ):
            raise KaizenError(f"`rerandomize.bound` must be > 0. You passed: {self.bound!r}.")
        if (
            isinstance(self.max_draws, bool)
            or not isinstance(self.max_draws, int | float | np.integer | np.floating)
            or not np.isfinite(self.max_draws)
            or int(self.max_draws) != self.max_draws
        ):
            raise KaizenError(f"`rerandomize.max_draws` must be an integer: {self.max_draws!r}.")
        if self.max_draws < 1:
            raise KaizenError(f"`rerandomize.max_draws` must be >= 1: {self.max_draws!r}.")
        object.__setattr__(self, "bound", float(self.bound))
        object.__setattr__(self, "max_draws", int(self.max_draws))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (as stored in the manifest)."""
        return {
            "covariates": list(self.covariates),
            "criterion": self.criterion,
            "bound": self.bound,
            "max_draws": self.max_draws,
        }


def names(name: str, value: Any) -> tuple[str, ...]:
    """Return ``value`` (a column name or a sequence of them) as a tuple, else raise naming it."""
    if value is not None and not isinstance(value, str | Sequence):
        raise KaizenError(
            f"`{name}` must be a column name or a list of them. You passed: {value!r}."
        )
    out = tuple(as_list(value))
    bad = [v for v in out if not isinstance(v, str) or not v]
    if bad:
        raise KaizenError(f"`{name}` must list column names (str); found {bad[0]!r}.")
    return out


def check_arms(arms: Mapping[str, float], name: str) -> dict[str, float]:
    """Validate arm shares (names are strings, shares in (0, 1], summing to at most 1)."""
    if not isinstance(arms, Mapping) or not arms:
        raise KaizenError(f"`{name}` must be a non-empty dict of arm name -> share: {arms!r}.")
    out: dict[str, float] = {}
    for arm, share in arms.items():
        if not isinstance(arm, str) or not arm:
            raise KaizenError(f"`{name}`: arm names must be non-empty strings: {arm!r}.")
        if isinstance(share, bool) or not isinstance(share, int | float | np.floating):
            raise KaizenError(f"`{name}`: the share of arm {arm!r} must be a number: {share!r}.")
        if not 0 < float(share) <= 1:
            raise KaizenError(f"`{name}`: the share of arm {arm!r} must be in (0, 1]: {share!r}.")
        out[arm] = float(share)
    if exact_shares(list(out.values())).numer[0] < 0:
        raise KaizenError(f"`{name}`: shares sum to {sum(out.values())!r} > 1.")
    return out
