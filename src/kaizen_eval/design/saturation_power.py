r"""Power of randomized saturation designs (Baird, Bohren, McIntosh & Özler 2018, section 4).

``C`` clusters of ``m`` firms, a share ``π_s`` of the clusters at saturation ``s`` (``s = 0``: the
pure controls), outcome ``y = u_c + e_i`` with ``Var(y) = σ²`` and intra-cluster correlation
``ρ = Var(u)/σ²``. Each contrast of the saturation regression compares the mean of one group of
firms with the mean of the pure-control firms; the groups are in different clusters, so the
variance of the contrast is the sum of the two variances. A group with ``k`` firms in each of its
``c`` clusters has

.. math::

    \operatorname{Var}(\bar y) = σ^2 \frac{ρ + (1 - ρ)/k}{c},

and a pooled group (e.g. the treated firms of every treated cluster, ``k_s = m·s`` of them in
each of ``c_s = C·π_s`` clusters) has ``Σ_s (c_s k_s)^2 \operatorname{Var}(\bar y_s) /
(Σ_s c_s k_s)^2``, since the pooled mean weights each firm equally (as the regression with one
treatment and one spillover dummy does). This is the variance of BBMO's treatment and spillover
effects at saturation ``s`` (``T_s = m s`` treated and ``(1 - s) m`` untreated firms per
cluster); the minimum detectable effect is ``(z_{1-α/2} + z_{power}) · SE``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._validation import (
    KaizenError,
    check_alpha,
    check_nonnegative,
    check_probability,
)
from kaizen_eval.design.saturation import check_saturation


def _group_variance(clusters: np.ndarray, per_cluster: np.ndarray, icc: float) -> float:
    """Variance (σ = 1) of the firm-weighted mean of groups with these cluster counts."""
    keep = (clusters > 0) & (per_cluster > 0)
    c, k = clusters[keep], per_cluster[keep]
    if not keep.any():
        return math.nan
    var_each = (icc + (1 - icc) / k) / c
    weight = c * k
    return float(np.sum(weight**2 * var_each) / np.sum(weight) ** 2)


def saturation_power(
    n_clusters: int,
    cluster_size: float,
    *,
    saturation: Sequence[float] | Mapping[float, float],
    icc: float = 0.0,
    sd: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> pd.DataFrame:
    """Compute the standard errors and MDEs of a randomized saturation design.

    Parameters
    ----------
    n_clusters : int
        Number of clusters ``C`` (all saturations).
    cluster_size : float
        Firms per cluster ``m``.
    saturation : sequence of float or mapping
        As in :func:`kaizen_eval.assign`: the saturation levels (equal shares of clusters) or
        level -> share (or number) of clusters. Level 0 (pure control clusters) is required.
    icc : float
        Intra-cluster correlation ``ρ`` of the outcome.
    sd : float
        Outcome standard deviation ``σ``.
    alpha : float
        Two-sided level of the test.
    power : float
        Target power.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``term`` (``direct``, ``spillover``, ``direct:<s>``, ``spillover:<s>`` for
        each non-zero ``s``, as in :func:`kaizen_eval.spillover`; no spillover row at ``s = 1``),
        columns ``clusters`` (clusters of the compared group), ``firms`` (its expected firms),
        ``std_error`` and ``mde``.

    Raises
    ------
    KaizenError
        No pure control level, a level outside [0, 1], a bad ``icc``, ``alpha`` or ``power``.

    Notes
    -----
    See the module docstring for the formula (Baird et al. 2018, section 4). Counts ``C·π_s`` and
    ``m·s`` are used as expected values; with whole numbers the standard errors are exact for
    the difference-in-means estimators under the random-effects outcome model.

    Examples
    --------
    >>> t = saturation_power(40, 12, saturation=[0, 0.25, 0.5, 0.75], icc=0.1)
    >>> t.index.tolist()[:4]
    ['direct', 'spillover', 'direct:0.25', 'spillover:0.25']
    >>> round(float(t.loc["direct:0.5", "mde"]), 3)
    0.578
    """
    sat = check_saturation(saturation)
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, int | np.integer):
        raise KaizenError(f"`n_clusters` must be an integer. You passed: {n_clusters!r}.")
    if n_clusters < 2:
        raise KaizenError(f"`n_clusters` must be >= 2. You passed: {n_clusters!r}.")
    if (
        isinstance(cluster_size, bool)
        or not isinstance(cluster_size, int | float | np.integer | np.floating)
        or not cluster_size >= 1
    ):
        raise KaizenError(f"`cluster_size` must be a number >= 1. You passed: {cluster_size!r}.")
    icc = check_probability("icc", icc)
    sd = check_nonnegative("sd", sd, positive=True)
    alpha = check_alpha(alpha)
    power = check_probability("power", power, zero=False)
    if power == 1:
        raise KaizenError("`power` must be below 1. You passed: 1.")
    levels = np.asarray(sat["levels"])
    clusters = n_clusters * np.asarray(sat["shares"])
    if levels[0] != 0:
        raise KaizenError(
            "`saturation` has no level 0: every contrast compares with pure control clusters; "
            f"add 0 to the levels. You passed: {sat['levels']}."
        )
    m = float(cluster_size)
    v_control = _group_variance(clusters[:1], np.array([m]), icc)
    mult = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    inner = slice(1, None)
    rows: dict[str, tuple[float, float, float]] = {}

    def add(term: str, c: np.ndarray, k: np.ndarray) -> None:
        v = _group_variance(c, k, icc)
        if math.isnan(v):
            return
        rows[term] = (float(c[k > 0].sum()), float(np.sum(c * k)), sd * math.sqrt(v + v_control))

    add("direct", clusters[inner], m * levels[inner])
    add("spillover", clusters[inner], m * (1 - levels[inner]))
    for s, c in zip(levels[inner], clusters[inner], strict=True):
        add(f"direct:{s:g}", np.array([c]), np.array([m * s]))
        add(f"spillover:{s:g}", np.array([c]), np.array([m * (1 - s)]))
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["clusters", "firms", "std_error"]
    ).rename_axis("term")
    out["mde"] = mult * out["std_error"]
    return out
