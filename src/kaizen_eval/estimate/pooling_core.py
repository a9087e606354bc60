"""Frequentist random-effects meta-analysis of site estimates: the array-in, frozen-out core.

The model is ``y_j ~ N(theta_j, v_j)`` with known sampling variances ``v_j = s_j**2`` and
``theta_j ~ N(mu, tau2)``. Every estimator of ``tau2`` below is the one ``metafor::rma`` (3.x)
computes for an intercept-only model; ``mu`` is then the weighted mean with weights
``w_j = 1 / (v_j + tau2)``.

``FE``
    Inverse-variance fixed effect: ``tau2 = 0``.
``DL``
    DerSimonian–Laird: ``max(0, (Q - (k - 1)) / (sum w - sum w**2 / sum w))``, ``w = 1 / v``.
``PM``
    Paule–Mandel: the root of ``sum w_j(tau2) (y_j - mu(tau2))**2 = k - 1`` (0 if none).
``ML``, ``REML``
    The maximizer over ``tau2 >= 0`` of the (restricted) profile likelihood, found as the root
    of its score equation (0 when the score is not positive at 0).

Heterogeneity statistics: Cochran's ``Q = sum (y_j - mu_FE)**2 / v_j`` on ``k - 1`` df;
``I2 = 100 tau2 / (tau2 + vt)`` with the "typical" within-site variance
``vt = (k - 1) / (sum w - sum w**2 / sum w)``, ``w = 1 / v`` (for ``FE``,
``I2 = max(0, 100 (Q - (k - 1)) / Q)``), as ``metafor`` reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

FREQ_METHODS = ("FE", "DL", "PM", "ML", "REML")


@dataclass(frozen=True)
class FreqFit:
    """The numbers of one frequentist fit (arrays have shape ``(k,)``)."""

    mu: float
    std_error: float
    df: float
    tau2: float
    q: float
    q_pvalue: float
    i2: float
    weight: np.ndarray
    shrunk: np.ndarray
    shrunk_se: np.ndarray


def _gls(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, np.ndarray]:
    w = 1.0 / (v + tau2)
    return float(np.sum(w * y) / np.sum(w)), w


def _bracket_root(f, start: float) -> float:
    """Root of a function positive at 0 and negative far out; ``start`` sets the scale."""
    hi = max(start, 1e-8)
    while f(hi) > 0:
        hi *= 4.0
        if hi > 1e300:  # pragma: no cover - a score positive everywhere: not a likelihood
            raise ArithmeticError("no root of the tau2 equation")
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def tau2_estimate(y: np.ndarray, v: np.ndarray, method: str) -> float:
    """Return the between-site variance ``tau2`` of ``method`` (one of :data:`FREQ_METHODS`).

    Parameters
    ----------
    y, v : numpy.ndarray, shape (k,)
        Site estimates and their sampling variances (positive).
    method : str
        ``"FE"``, ``"DL"``, ``"PM"``, ``"ML"`` or ``"REML"``.

    Returns
    -------
    float
        ``tau2 >= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> y, v = np.array([0.0, 1.0, 3.0]), np.array([1.0, 1.0, 1.0])
    >>> round(tau2_estimate(y, v, "DL"), 6), tau2_estimate(y, v, "FE")
    (1.333333, 0.0)
    """
    k = len(y)
    if method == "FE":
        return 0.0
    w0 = 1.0 / v
    mu0 = float(np.sum(w0 * y) / np.sum(w0))
    q = float(np.sum(w0 * (y - mu0) ** 2))
    c = float(np.sum(w0) - np.sum(w0**2) / np.sum(w0))
    scale = max(float(np.var(y)), float(np.mean(v)))
    if method == "DL":
        return max(0.0, (q - (k - 1)) / c)
    if method == "PM":

        def gen_q(t2: float) -> float:
            mu, w = _gls(y, v, t2)
            return float(np.sum(w * (y - mu) ** 2)) - (k - 1)

        return 0.0 if gen_q(0.0) <= 0 else _bracket_root(gen_q, scale)
    reml = method == "REML"

    def score(t2: float) -> float:
        mu, w = _gls(y, v, t2)
        s = -np.sum(w) + np.sum(w**2 * (y - mu) ** 2)
        if reml:
            s += np.sum(w**2) / np.sum(w)
        return float(s)

    return 0.0 if score(0.0) <= 0 else _bracket_root(score, scale)


def fit_freq(y: np.ndarray, v: np.ndarray, method: str, test: str) -> FreqFit:
    """Fit the random-effects (or fixed-effect) model and return every reported number.

    ``test="knha"`` multiplies the variance of ``mu`` by
    ``sum w_j (y_j - mu)**2 / (k - 1)`` and uses Student's t on ``k - 1`` df (Hartung–Knapp,
    Sidik–Jonkman; ``metafor``'s ``test="knha"``, not truncated at 1). The shrunk site effects
    are ``metafor::blup``: ``lambda_j y_j + (1 - lambda_j) mu`` with
    ``lambda_j = tau2 / (tau2 + v_j)`` and variance ``lambda_j v_j + (1 - lambda_j)**2 Var(mu)``.

    Examples
    --------
    >>> import numpy as np
    >>> f = fit_freq(np.array([0.0, 1.0, 3.0]), np.ones(3), "FE", "z")
    >>> round(f.mu, 6), round(f.std_error, 6), round(f.q, 6)
    (1.333333, 0.57735, 4.666667)
    """
    k = len(y)
    tau2 = tau2_estimate(y, v, method)
    mu, w = _gls(y, v, tau2)
    var_mu = 1.0 / float(np.sum(w))
    df = np.inf
    if test == "knha":
        var_mu *= float(np.sum(w * (y - mu) ** 2)) / (k - 1)
        df = float(k - 1)
    w0 = 1.0 / v
    mu0 = float(np.sum(w0 * y) / np.sum(w0))
    q = float(np.sum(w0 * (y - mu0) ** 2))
    if method == "FE":
        i2 = max(0.0, 100.0 * (q - (k - 1)) / q) if q > 0 else 0.0
    else:
        vt = (k - 1) / float(np.sum(w0) - np.sum(w0**2) / np.sum(w0))
        i2 = 100.0 * tau2 / (vt + tau2)
    lam = tau2 / (tau2 + v)
    shrunk = lam * y + (1 - lam) * mu
    shrunk_se = np.sqrt(lam * v + (1 - lam) ** 2 * var_mu)
    return FreqFit(
        mu=mu,
        std_error=float(np.sqrt(var_mu)),
        df=df,
        tau2=float(tau2),
        q=q,
        q_pvalue=float(stats.chi2.sf(q, k - 1)),
        i2=float(i2),
        weight=100.0 * w / np.sum(w),
        shrunk=shrunk,
        shrunk_se=shrunk_se,
    )
