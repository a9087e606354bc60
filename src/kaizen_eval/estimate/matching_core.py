"""Nearest-neighbour matching with replacement and the Abadie–Imbens variance (arrays in).

The algebra of R's ``Matching::Match`` (Sekhon 2011) with ``ties=TRUE`` and ``Var.calc=J``:
covariates standardized by their standard deviation; distance ``(x_i − x_j)' W (x_i − x_j)``
with ``W`` the identity (inverse-variance metric, ``Weight=1``) or the inverse of the
standardized covariates' second-moment matrix (Mahalanobis, ``Weight=2``); every unit of the
other arm within ``1e-5`` of the ``M``-th nearest distance is a match (weights ``1/#matches``);
the conditional variance ``σ²(X_i)`` from ``i`` and its ``J`` nearest units of its own arm
(Abadie and Imbens 2006, eq. 14); the bias adjustment of Abadie and Imbens (2011) by a
regression of the outcome on the covariates among the matched units, weighted by the number of
times each is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaizen_eval._validation import KaizenError

_TIE = 1e-5  # Matching's distance.tolerance
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


def _nearest(dist: np.ndarray, m: int, tol: float) -> np.ndarray:
    kth = np.partition(dist, min(m, len(dist)) - 1)[min(m, len(dist)) - 1]
    return np.flatnonzero(dist <= kth + tol)


def _sigma2(
    y: np.ndarray, d: np.ndarray, u: np.ndarray, j: int, *, block: int = 1 << 21
) -> np.ndarray:
    """Conditional variance ``σ²(X_i)`` of every unit (Abadie and Imbens 2006, eq. 14).

    The sample variance (``ddof=1``) of ``y_i`` and the outcomes of unit ``i``'s ``j`` nearest
    units of its own arm (by squared distance in the scaled covariates ``u``), keeping every unit
    tied within ``_EPS`` of the ``j``-th distance, as :func:`_nearest` does; with fewer than
    ``j`` other units in the arm, all of them. Vectorised within each arm over blocks of rows:
    the distances of a block are the same floating-point sums as one unit's at a time
    (``np.sum`` of squared differences over the covariates), so the neighbour sets, ties
    included, are those of the unit-by-unit computation; a block holds at most about ``block``
    differences (``rows × arm size × covariates`` floats), so memory stays bounded.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,)
        Outcomes.
    d : numpy.ndarray, shape (n,)
        Arm of each unit (units with equal values are one arm).
    u : numpy.ndarray, shape (n, k)
        Scaled covariates (the matching metric is Euclidean in them).
    j : int
        Same-arm neighbours per unit (``J``, at least 1).
    block : int
        Most floats in one block's array of differences.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    IndexError
        If an arm has a single unit (it has no neighbour), as the unit-by-unit loop did.

    Examples
    --------
    >>> y = np.array([1.0, 2, 4, 0, 3]); d = np.array([1.0, 1, 1, 0, 0])
    >>> _sigma2(y, d, np.array([[0.0], [1], [3], [0], [1]]), 1).tolist()
    [0.5, 0.5, 2.0, 4.5, 4.5]
    """
    out = np.empty(len(y))
    for arm in np.unique(d):
        own = np.flatnonzero(d == arm)
        size = len(own)
        if size < 2:
            raise IndexError("index -1 is out of bounds for axis 0 with size 0")
        kth = min(j, size - 1) - 1
        ua, ya = u[own], y[own]
        rows = max(1, block // (size * max(1, u.shape[1])))
        for start in range(0, size, rows):
            stop = min(start + rows, size)
            dist = np.sum((ua[None, :, :] - ua[start:stop, None, :]) ** 2, axis=2)
            dist[np.arange(stop - start), np.arange(start, stop)] = np.inf  # not its own match
            cut = np.partition(dist, kth, axis=1)[:, kth]
            near = dist <= (cut + _EPS)[:, None]
            yi = ya[start:stop]
            count = near.sum(axis=1) + 1.0
            mean = (yi + np.where(near, ya, 0.0).sum(axis=1)) / count
            dev = np.where(near, (ya[None, :] - mean[:, None]) ** 2, 0.0).sum(axis=1)
            out[own[start:stop]] = ((yi - mean) ** 2 + dev) / (count - 1.0)
    return out


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
        Drop a match farther than ``caliper`` standard deviations on any covariate; a unit
        left without a match is not matched (``matched`` is False).
    exact : numpy.ndarray, shape (n,), optional
        Integer codes: matches only among units with the same code.

    Returns
    -------
    MatchFit

    Examples
    --------
    >>> y = np.array([3.0, 5, 1, 2, 4]); d = np.array([1.0, 1, 0, 0, 0])
    >>> round(nn_match(y, d, np.array([[0.0], [1], [0.1], [0.9], [2]])).estimate, 6)
    2.5
    """
    flip = estimand == "ATC"
    t = 1 - d if flip else d
    u, sd = _scaled(x, metric)
    n = len(y)
    m = (
        min(n_neighbors, int(t.sum()), int((1 - t).sum()))
        if estimand == "ATE"
        else min(n_neighbors, int((1 - t).sum()))
    )
    focal = np.arange(n) if estimand == "ATE" else np.flatnonzero(t == 1)
    times = np.zeros(n)
    times_sq = np.zeros(n)
    matched = np.zeros(n, dtype=bool)
    y_cf = np.full(n, np.nan)
    x_cf = np.full(x.shape, np.nan)
    for i in focal:
        pool = np.flatnonzero(t != t[i])
        if exact is not None:
            pool = pool[exact[pool] == exact[i]]
        if not len(pool):
            continue
        dist = np.sum((u[pool] - u[i]) ** 2, axis=1)
        hit = pool[_nearest(dist, m, _TIE)]
        if caliper is not None:
            hit = hit[np.all(np.abs(x[hit] - x[i]) <= caliper * sd, axis=1)]
        if not len(hit):
            continue
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
    sigma2 = _sigma2(y, t, u, variance_matches)
    iot_t = matched.astype(float)
    iot_c = np.ones(n) if estimand == "ATE" else (1.0 - t)
    n_focal = iot_t.sum()
    if estimand == "ATE":
        v = np.sum(sigma2 * (times**2 + 2 * times - times_sq))
    else:
        v = np.sum(sigma2 * iot_c * (times**2 - times_sq))
    v += np.sum((effect[matched] - est) ** 2)
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
    )
