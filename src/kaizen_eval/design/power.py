r"""Analytic power: minimum detectable effect (:func:`mde`) and its inverse (:func:`sample_size`).

The standard error of the difference in means (ITT) with ``N`` units, a share ``P`` assigned to
treatment, outcome standard deviation ``σ``, a share ``R²`` of the outcome variance explained by
baseline covariates (ANCOVA), clusters of ``m`` units with intra-cluster correlation ``ρ``:

.. math::

    SE = σ \sqrt{\frac{(1 - R^2)\,(1 + (m - 1)ρ)}{N P (1 - P)}}

``1 + (m - 1)ρ`` is the design effect of cluster randomization (Duflo, Glennerster & Kremer 2007,
eq. 11; Stata ``power twomeans, cluster``). With ``distribution="normal"`` (default) the
minimum detectable ITT is the closed form of Duflo, Glennerster & Kremer (2007, eq. 6) and
Bloom (1995):

.. math::

    MDE_{ITT} = (z_{1-α/2} + z_{power})\, SE

(``z_{1-α}`` when one-sided); it ignores the far rejection tail, whose probability at the MDE is
below 1e-5 for power >= 0.5. With ``distribution="t"`` the power is computed exactly from the
noncentral t distribution with ``df = N - 2`` (``J - 2`` with ``J = N / m`` clusters) and both
rejection tails, as Stata's ``power twomeans`` does by default (unknown standard deviations,
two-sample t test) and R's ``power.t.test(strict = TRUE)``; the MDE is found by root finding.
The minimum detectable LATE divides the ITT MDE by the take-up gap (``compliance``: share of
the treatment group treated minus share of the control group treated).

Attrition (``response_rate``): with a share ``r_1`` of the treated and ``r_0`` of the controls
observed at follow-up, missing at random within arm, and clusters of ``m`` assigned units of
which ``m r_d`` are observed,

.. math::

    SE = σ \sqrt{(1 - R^2) \left(\frac{1 + (m r_1 - 1)ρ}{N P r_1}
          + \frac{1 + (m r_0 - 1)ρ}{N (1 - P) r_0}\right)}

(``1 + (m r_d - 1)ρ`` floored at 1), which is the formula above when ``r_0 = r_1 = 1``; with
one rate ``r`` and no clusters it is the SE of ``N r`` units. ``N`` stays the number of units
*assigned* (``sample_size`` returns how many to enrol), and the t test's degrees of freedom are
those of the observed sample (``N (P r_1 + (1 - P) r_0) - 2``), or ``J - 2`` with clusters.

Several follow-up rounds (``rounds = k``, ``autocorrelation = ρ_k``; McKenzie 2012): the outcome
averaged over the ``k`` rounds has variance ``σ² (1 + (k - 1)ρ_k) / k``. The covariates' share
``R²`` and the cluster effect are persistent (the same in every round), so the residual share of a
unit is ``v = (1 + (k - 1)ρ_k) / k - R²``, that of its cluster ``ρ (1 - R²)``, and

.. math::

    SE = σ \sqrt{\frac{v + (m r_1 - 1)ρ(1 - R^2)}{N P r_1}
          + \frac{v + (m r_0 - 1)ρ(1 - R^2)}{N (1 - P) r_0}}

which is the formula above when ``k = 1``. With the baseline outcome as the covariate
(``R² = ρ_k²``), no clusters and no attrition, ``v`` is McKenzie's (2012) ANCOVA variance
factor ``(1 + (k - 1)ρ_k)/k - ρ_k²`` with one baseline round. The degrees of freedom are those of
the firms (their averages), as above.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from kaizen_eval._validation import KaizenError
from kaizen_eval.design._power_model import DISTRIBUTIONS as DISTRIBUTIONS
from kaizen_eval.design._power_model import Distribution, _check, _Design, _multiplier


def mde(
    n: float | np.ndarray,
    *,
    p_treat: float = 0.5,
    compliance: float = 1.0,
    r2: float = 0.0,
    icc: float = 0.0,
    cluster_size: float = 1,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    one_sided: bool = False,
    distribution: Distribution = "normal",
    response_rate: float | tuple[float, float] = 1.0,
    rounds: int = 1,
    autocorrelation: float | None = None,
) -> float | np.ndarray:
    """Minimum detectable effect of a two-arm trial (ITT, or LATE when ``compliance < 1``).

    Parameters
    ----------
    n : float or array-like
        Total number of units (firms), both arms, all clusters; an array gives an array of MDEs
        (a power curve).
    p_treat : float
        Share of units assigned to treatment (unequal allocation allowed).
    compliance : float
        Take-up gap: share treated among the assigned minus among the controls. With 1 the MDE
        is an ITT; otherwise the MDE of the LATE, ``MDE_ITT / compliance``.
    r2 : float
        Share of the outcome variance explained by baseline covariates (e.g. the baseline
        outcome in an ANCOVA); the residual variance is ``sd² (1 - r2)``.
    icc : float
        Intra-cluster correlation of the outcome.
    cluster_size : float
        Units per cluster ``m``; the design effect is ``1 + (m - 1) icc``.
    alpha : float
        Significance level of the test.
    power : float
        Probability of rejecting at the MDE.
    sd : float
        Standard deviation of the outcome (1 gives the MDE in standard deviations).
    one_sided : bool
        One-sided test at level ``alpha``.
    distribution : {"normal", "t"}
        ``"normal"``: the closed form ``(z_{1-α/2} + z_power) · SE`` (Duflo, Glennerster &
        Kremer 2007; Stata ``power twomeans, knownsds``). ``"t"``: exact noncentral t with
        ``n / cluster_size - 2`` degrees of freedom, both tails (Stata ``power twomeans``
        default; R ``power.t.test(strict = TRUE)``).
    response_rate : float or (float, float)
        Expected share of the sample observed at follow-up (1: no attrition), or a pair
        ``(control, treated)`` for differential attrition; missing at random within arm. ``n``
        stays the number assigned.
    rounds : int
        Follow-up rounds whose outcomes are averaged (or pooled, with round effects and
        standard errors clustered by firm: the same estimate in a balanced panel); 1 (default)
        is one follow-up. A firm that responds is assumed to respond in every round.
    autocorrelation : float, optional
        Correlation of a firm's outcome between two follow-up rounds, required with
        ``rounds > 1`` (McKenzie 2012). At least ``r2 + icc (1 − r2)``: the baseline
        covariates and the cluster effect persist in every round. With the baseline outcome as
        the one covariate and the same correlation to the baseline, ``r2 = autocorrelation²``.

    Returns
    -------
    float or numpy.ndarray
        The minimum detectable effect, in the units of ``sd`` (an array when ``n`` is one).

    See Also
    --------
    sample_size : the inverse (the ``n`` that gives a target MDE).

    Notes
    -----
    See the module docstring for the formulas:
    ``SE = sd · sqrt((1 - r2)(1 + (m - 1) icc) / (n · p_treat (1 - p_treat)))`` and
    ``MDE = (z_{1-α/2} + z_power) · SE / compliance``.

    Examples
    --------
    >>> round(mde(400), 4)  # 2.8 standard errors of 0.1 (Bloom 1995)
    0.2802
    >>> round(mde(400, compliance=0.7), 4)  # LATE
    0.4002
    >>> mde([100, 400]).round(3).tolist()
    [0.56, 0.28]
    >>> round(mde(500, response_rate=0.8), 4)  # 400 firms observed of 500 assigned
    0.2802
    >>> round(mde(500, response_rate=(0.9, 0.7)), 4)  # differential attrition
    0.2824
    >>> round(mde(400, rounds=3, autocorrelation=0.5, r2=0.25), 4)  # McKenzie (2012) ANCOVA
    0.1808
    """
    design = _Design.of(
        p_treat, compliance, r2, icc, cluster_size, alpha, power, sd, one_sided, distribution,
        response_rate, rounds, autocorrelation,
    )  # fmt: skip
    if np.ndim(n) > 0:
        values = [_check("n", v, 0, math.inf) for v in np.asarray(n, dtype=float).ravel()]
        return np.asarray([design.mde(v) for v in values]).reshape(np.shape(n))
    return design.mde(_check("n", n, 0, math.inf))


def sample_size(
    mde: float,
    *,
    p_treat: float = 0.5,
    compliance: float = 1.0,
    r2: float = 0.0,
    icc: float = 0.0,
    cluster_size: float = 1,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    one_sided: bool = False,
    distribution: Distribution = "normal",
    response_rate: float | tuple[float, float] = 1.0,
    rounds: int = 1,
    autocorrelation: float | None = None,
) -> float:
    """Total number of units needed to detect an effect of size ``mde`` (inverse of :func:`mde`).

    Parameters
    ----------
    mde : float
        Target minimum detectable effect (of the LATE when ``compliance < 1``), units of ``sd``.
    p_treat, compliance, r2, icc, cluster_size, alpha, power, sd, one_sided, distribution
        As in :func:`mde`.
    response_rate : float or (float, float)
        As in :func:`mde`: the ``n`` returned is the number to *assign* (enrol), of whom the
        expected observed share reaches the target.
    rounds, autocorrelation
        As in :func:`mde`: follow-up rounds averaged, and their correlation.

    Returns
    -------
    float
        Total sample size ``n`` (not rounded: take ``math.ceil`` of it, or of ``n / cluster_size``
        for the number of clusters) such that ``mde(n, ...) == mde``.

    Notes
    -----
    Normal: ``n = ((z_{1-α/2} + z_power) · sd / (mde · compliance))² (1 - r2)(1 + (m - 1) icc) /
    (p_treat (1 - p_treat))``. t: the ``n`` solving ``mde(n, distribution="t") = mde`` by root
    finding (degrees of freedom change with ``n``).

    Examples
    --------
    >>> round(sample_size(0.2), 1)
    784.9
    >>> n = sample_size(0.2, icc=0.05, cluster_size=10)
    >>> round(n / 10, 1), round(mde(n, icc=0.05, cluster_size=10), 10)  # clusters, MDE
    (113.8, 0.2)
    >>> round(sample_size(0.2, response_rate=0.8), 1)  # enrol 784.9 / 0.8
    981.1
    """
    design = _Design.of(
        p_treat, compliance, r2, icc, cluster_size, alpha, power, sd, one_sided, distribution,
        response_rate, rounds, autocorrelation,
    )  # fmt: skip
    target = _check("mde", mde, 0, math.inf)
    k = _multiplier(math.inf, alpha, power, one_sided, "normal")
    n_normal = (k * design.se_unit / (target * compliance)) ** 2
    if distribution == "normal":
        return n_normal

    def gap(n: float) -> float:
        return design.mde(n, "t") - target

    low = cluster_size * 3.0 / (design.observed_share if cluster_size == 1 else 1.0)
    if gap(low) <= 0:
        raise KaizenError(
            f"an MDE of {target} is reached with under {low:g} units, too few for a t test; "
            "use distribution='normal' or a smaller `mde`."
        )
    high = max(n_normal, low) * 2.0
    while gap(high) > 0:
        high *= 2.0
    return float(optimize.brentq(gap, low, high, xtol=1e-10, rtol=1e-14))
