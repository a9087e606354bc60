"""Nearest-neighbour matching with replacement and the Abadie–Imbens variance (arrays in).

The algebra of R's ``Matching::Match`` (Sekhon 2011) with ``ties=TRUE`` and ``Var.calc=J``:
covariates standardized by their standard deviation; distance ``(x_i − x_j)' W (x_i − x_j)``
with ``W`` the identity (inverse-variance metric, ``Weight=1``) or the inverse of the
standardized covariates' second-moment matrix (Mahalanobis, ``Weight=2``); every unit of the
other arm within ``1e-5`` of the ``M``-th nearest distance is a match (weights ``1/#matches``);
the conditional variance ``σ²(X_i)`` from ``i`` and its ``J`` nearest units of its own arm,
ties within the same ``1e-5`` (Abadie and Imbens 2006, eq. 14); the bias adjustment of Abadie
and Imbens (2011) by a regression of the outcome on the covariates among the matched units,
weighted by the number of times each is used.

With a caliper, as ``Match`` (``MatchLoopC`` and ``VarCalcMatchC``): a unit of the other arm
farther than ``caliper`` standard deviations (divided by ``n``, not ``n − 1``) on any covariate
is no candidate at all; a focal unit with fewer than ``M`` candidates is not matched, the others
are matched to their ``M`` nearest candidates; ``σ²(X_i)`` comes from the ``J`` nearest
same-arm units within the caliper, and is 0 when there are fewer than ``J`` of them.
``Match`` applies ``exact`` through the same caliper code (the other covariates get a caliper
wider than any difference), so with exact-match codes, caliper or not, a focal unit with fewer
than ``M`` units of the other arm in its cell is not matched and ``σ²`` comes from the ``J``
nearest same-arm units of its cell (0 with fewer than ``J``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.matching_variance import _TIE as _TIE
from kaizen_eval.estimate.matching_variance import _nearest as _nearest
from kaizen_eval.estimate.matching_variance import _sigma2 as _sigma2
from kaizen_eval.estimate.matching_variance import _sigma2_caliper as _sigma2_caliper
from kaizen_eval.estimate.matching_variance import _sigma2_exact as _sigma2_exact
from kaizen_eval.estimate.matching_variance import _sq_dist as _sq_dist

_EPS = float(np.sqrt(np.finfo(float).eps))  # Matching's tolerance


@dataclass(frozen=True)
class MatchFit:
    """The numerical result of :func:`nn_match`."""

    estimate: float
    std_error: float
    estimate_unadjusted: float
    matched: np.ndarray  # bool (n,): units whose effect is averaged (matched within the caliper)
    times_used: np.ndarray  # K_j: weighted number of times unit j is used as a match
    unit_effects: np.ndarray  # the (adjusted) Y_i(1) − Y_i(0) of each matched unit, NaN else
    sigma2: np.ndarray  # σ²(X_i) of every unit
    std_error_match: float  # Match's: focal units without a match counted with effect 0


def _scaled(x: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    sd = x.std(axis=0, ddof=1)
    z = (x - x.mean(axis=0)) / sd
    w = np.eye(x.shape[1])
    if metric == "mahalanobis":
        second = z.T @ z / n
        if np.linalg.eigvalsh(second).min() > _EPS:
            w = np.linalg.inv(second)
    return z @ np.linalg.cholesky(w), sd


def _wls_slopes(y: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    keep = w > 0
    zz = np.column_stack([np.ones(keep.sum()), z[keep]]) * np.sqrt(w[keep])[:, None]
    coef, *_ = np.linalg.lstsq(zz, y[keep] * np.sqrt(w[keep]), rcond=None)
    return coef[1:]


def nn_match(
    y: np.ndarray,
    d: np.ndarray,
    x: np.ndarray,
    *,
    n_neighbors: int = 1,
    estimand: str = "ATT",
    metric: str = "inverse_variance",
    bias_adjust: bool = False,
    variance_matches: int = 1,
    caliper: float | None = None,
    exact: np.ndarray | None = None,
) -> MatchFit:
    """Estimate the ATT, ATE or ATC by nearest-neighbour matching with replacement.

    Parameters
    ----------
    y, d : numpy.ndarray, shape (n,)
        Outcome and treatment (0/1).
    x : numpy.ndarray, shape (n, k)
        Matching covariates (also the bias-adjustment regressors).
    n_neighbors : int
        ``M``, matches per unit (ties beyond it are all kept).
    estimand : {"ATT", "ATE", "ATC"}
    metric : {"inverse_variance", "mahalanobis"}
    bias_adjust : bool
        Abadie–Imbens (2011) regression adjustment.
    variance_matches : int
        ``J``, same-arm matches of the conditional-variance estimator.
    caliper : float, optional
        Match only among units within ``caliper`` standard deviations (``ddof=0``, as
        ``Match``) on every covariate; a unit with fewer than ``M`` of them is not matched
        (``matched`` is False). ``σ²`` then uses the same-arm units within the caliper (see
        the module docstring). ``std_error`` is the Abadie–Imbens variance of the matched
        units' average; ``std_error_match`` is ``Match``'s, which also counts every unmatched
        focal unit, with an effect of 0, so it is smaller.
    exact : numpy.ndarray, shape (n,), optional
        Integer codes: matches only among units with the same code. As ``Match`` (which
        applies ``exact`` through its caliper), a focal unit with fewer than ``M`` units of the
        other arm in its cell is not matched, and ``σ²`` comes from the same-arm units of the
        same cell (0 with fewer than ``variance_matches``), with or without a caliper;
        ``std_error_match`` is then ``Match``'s standard error, as with a caliper.

    Returns
    -------
    MatchFit

    Examples
    --------
    >>> y = np.array([3.0, 5, 1, 2, 4]); d = np.array([1.0, 1, 0, 0, 0])
    >>> round(nn_match(y, d, np.array([[0.0], [1], [0.1], [0.9], [2]])).estimate, 6)
    2.5
    """
    sizes = {"treated": int(np.sum(d == 1)), "control": int(np.sum(d == 0))}
    small = {arm: k for arm, k in sizes.items() if k < 2}
    if small:
        said = ", ".join(f"the {arm} arm has {k} unit(s)" for arm, k in small.items())
        raise KaizenError(
            f"{said}: matching needs at least 2 units in each arm (the Abadie–Imbens variance "
            "compares each unit with the nearest units of its own arm)"
        )
    flip = estimand == "ATC"
    t = 1 - d if flip else d
    u, _ = _scaled(x, metric)
    n = len(y)
    m = (
        min(n_neighbors, int(t.sum()), int((1 - t).sum()))
        if estimand == "ATE"
        else min(n_neighbors, int((1 - t).sum()))
    )
    focal = np.arange(n) if estimand == "ATE" else np.flatnonzero(t == 1)
    ecal = None if caliper is None else caliper * x.std(axis=0)
    times = np.zeros(n)
    times_sq = np.zeros(n)
    matched = np.zeros(n, dtype=bool)
    y_cf = np.full(n, np.nan)
    x_cf = np.full(x.shape, np.nan)
    for i in focal:
        pool = np.flatnonzero(t != t[i])
        if exact is not None:
            pool = pool[exact[pool] == exact[i]]
        if ecal is not None:
            pool = pool[np.all(np.abs(x[pool] - x[i]) <= ecal, axis=1)]
        if len(pool) < (m if ecal is not None or exact is not None else 1):
            continue
        dist = np.sum((u[pool] - u[i]) ** 2, axis=1)
        hit = pool[_nearest(dist, m, _TIE)]
        matched[i] = True
        times[hit] += 1.0 / len(hit)
        times_sq[hit] += 1.0 / len(hit) ** 2
        y_cf[i] = y[hit].mean()
        x_cf[i] = x[hit].mean(axis=0)
    if not matched.any():
        raise KaizenError("no unit has a match within the caliper: there is no common support")
    sign = np.where(t == 1, 1.0, -1.0)
    raw = sign * (y - y_cf)
    effect = raw.copy()
    if bias_adjust:
        beta_c = _wls_slopes(y, x, times * (t == 0))
        beta_t = _wls_slopes(y, x, times * (t == 1)) if estimand == "ATE" else 0 * beta_c
        gap = sign[:, None] * (x - x_cf)
        effect = raw - np.where(t == 1, gap @ beta_c, gap @ beta_t)
    est = float(np.nanmean(effect[matched]))
    if ecal is None and exact is None:
        sigma2 = _sigma2(y, t, u, variance_matches)
    elif ecal is None:
        sigma2 = _sigma2_exact(y, t, u, variance_matches, exact)
    else:
        sigma2 = _sigma2_caliper(y, t, u, x, ecal, variance_matches, exact)
    iot_t = matched.astype(float)
    iot_c = np.ones(n) if estimand == "ATE" else (1.0 - t)
    n_focal = iot_t.sum()
    if estimand == "ATE":
        v = np.sum(sigma2 * (times**2 + 2 * times - times_sq))
    else:
        v = np.sum(sigma2 * iot_c * (times**2 - times_sq))
    lost = len(focal) - n_focal  # focal units without a match
    v += np.sum((effect[matched] - est) ** 2)
    v_match = v + lost * est**2
    se = float(np.sqrt(v) / n_focal)
    scale = -1.0 if flip else 1.0
    return MatchFit(
        estimate=scale * est,
        std_error=se,
        estimate_unadjusted=scale * float(np.mean(raw[matched])),
        matched=matched,
        times_used=times,
        unit_effects=np.where(matched, scale * effect, np.nan),
        sigma2=sigma2,
        std_error_match=float(np.sqrt(v_match) / len(focal)),
    )
