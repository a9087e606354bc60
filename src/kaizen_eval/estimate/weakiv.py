"""Inference on a LATE that stays valid when the first stage is weak: the Anderson–Rubin set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from kaizen_eval.estimate.linear import fit_ols


@dataclass(frozen=True)
class AndersonRubinSet:
    """The ``1 − alpha`` Anderson–Rubin confidence set for one endogenous treatment.

    Attributes
    ----------
    kind : str
        ``"interval"`` (``[low, high]``), ``"two rays"`` (``(−∞, low] ∪ [high, ∞)``) or
        ``"real line"`` (unbounded: the data are uninformative about the LATE).
    low, high : float
        Ends as described by ``kind`` (``-inf``/``inf`` for the real line).
    alpha : float
    """

    kind: str
    low: float
    high: float
    alpha: float

    @property
    def bounded(self) -> bool:
        """Whether the set is a finite interval."""
        return self.kind == "interval"

    def __contains__(self, value: float) -> bool:
        if self.kind == "interval":
            return self.low <= value <= self.high
        if self.kind == "two rays":
            return value <= self.low or value >= self.high
        return True

    def __str__(self) -> str:
        level = f"{100 * (1 - self.alpha):g}%"
        if self.kind == "interval":
            return f"{level} Anderson-Rubin set: [{self.low:.4g}, {self.high:.4g}]"
        if self.kind == "two rays":
            return (
                f"{level} Anderson-Rubin set: (-inf, {self.low:.4g}] U [{self.high:.4g}, inf) "
                "(unbounded: weak first stage)"
            )
        return f"{level} Anderson-Rubin set: the whole real line (unbounded: weak first stage)"


def anderson_rubin_set(
    y: np.ndarray,
    d: np.ndarray,
    z: np.ndarray,
    x: np.ndarray,
    *,
    se: str,
    clusters: np.ndarray | None = None,
    fixed_effects: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    alpha: float = 0.05,
) -> AndersonRubinSet:
    """Invert the Anderson–Rubin test of ``H0: β = b`` for one treatment and one instrument.

    The test regresses ``y − b·d`` on the instrument and the exogenous regressors and rejects
    when the instrument's squared t statistic (same covariance type as the estimate) exceeds the
    ``F(1, df)`` critical value. Because every covariance type here is quadratic in the
    residuals, the variance of ``π̂_y − b π̂_d`` is ``V_y − 2bC + b²V_d`` with ``C`` obtained by
    polarization, and the set ``{b : (π̂_y − bπ̂_d)² ≤ q (V_y − 2bC + b²V_d)}`` solves a
    quadratic inequality exactly.

    Parameters
    ----------
    y, d, z : numpy.ndarray, shape (n,)
        Outcome, treatment, instrument.
    x : numpy.ndarray, shape (n, k)
        Exogenous regressors (with a constant unless fixed effects are absorbed).
    se, clusters, fixed_effects, weights
        As in :func:`~kaizen_eval.estimate.linear.fit_ols`.
    alpha : float

    Returns
    -------
    AndersonRubinSet

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, 300).astype(float)
    >>> d = z * (rng.random(300) < 0.5)
    >>> y = 2 * d + rng.normal(size=300)
    >>> ar = anderson_rubin_set(y, d, z, np.ones((300, 1)), se="HC1")
    >>> ar.kind, 2.0 in ar
    ('interval', True)
    """
    design = np.column_stack([z, x])
    kw = {"se": se, "clusters": clusters, "fixed_effects": fixed_effects, "weights": weights}
    fy = fit_ols(y, design, **kw)
    fd = fit_ols(d, design, **kw)
    fs = fit_ols(y + d, design, **kw)
    py, pd_ = fy.coef[0], fd.coef[0]
    vy, vd = fy.vcov[0, 0], fd.vcov[0, 0]
    c = (fs.vcov[0, 0] - vy - vd) / 2
    q = (
        stats.f.ppf(1 - alpha, 1, fd.df[0])
        if np.isfinite(fd.df[0])
        else stats.chi2.ppf(1 - alpha, 1)
    )
    a2 = pd_**2 - q * vd
    a1 = -2 * (py * pd_ - q * c)
    a0 = py**2 - q * vy
    disc = a1**2 - 4 * a2 * a0
    if a2 > 0:
        r = np.sqrt(max(disc, 0.0))
        return AndersonRubinSet("interval", (-a1 - r) / (2 * a2), (-a1 + r) / (2 * a2), alpha)
    if a2 < 0 and disc > 0:
        r = np.sqrt(disc)
        lo, hi = sorted(((-a1 - r) / (2 * a2), (-a1 + r) / (2 * a2)))
        return AndersonRubinSet("two rays", lo, hi, alpha)
    return AndersonRubinSet("real line", -np.inf, np.inf, alpha)
