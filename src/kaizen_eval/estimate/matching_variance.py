"""The conditional variance ``σ²(X_i)`` of matching (Abadie and Imbens 2006, eq. 14), arrays in.

``σ²(X_i)`` comes from unit ``i`` and its ``J`` nearest units of its own arm, every unit within
``1e-5`` of the ``J``-th squared distance included (``Matching::Match``'s ``VarCalcMatchC``);
with a caliper, only same-arm units within it count, and with exact-match codes only those of
the unit's own cell (0 with fewer than ``J`` of them). The nearest-match rule and the distance
helpers shared with :mod:`~kaizen_eval.estimate.matching_core` live here too.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.spatial import cKDTree

from kaizen_eval._validation import KaizenError

_TIE = 1e-5  # Matching's distance.tolerance: ties of the matches and of the σ² neighbours
_SLACK = 1e-9  # relative margin of the k-d tree's candidate radius over the exact one


def _nearest(dist: np.ndarray, m: int, tol: float) -> np.ndarray:
    kth = np.partition(dist, min(m, len(dist)) - 1)[min(m, len(dist)) - 1]
    return np.flatnonzero(dist <= kth + tol)


def _sq_dist(other: np.ndarray, this: np.ndarray) -> np.ndarray:
    """``np.sum((other - this) ** 2, axis=-1)``, the same floating-point numbers, faster.

    ``np.sum`` adds fewer than 8 terms from left to right, so with fewer than 8 covariates the
    columns are accumulated in that order (one pass over each column instead of a reduction
    over a short last axis); with more, ``np.sum`` itself is used.
    """
    k = other.shape[-1]
    if k >= 8:
        return np.sum((other - this) ** 2, axis=-1)
    acc = (other[..., 0] - this[..., 0]) ** 2
    for c in range(1, k):
        acc += (other[..., c] - this[..., c]) ** 2
    return acc


def _variance_with(
    yi: np.ndarray, ya: np.ndarray, row: np.ndarray, nb: np.ndarray, m: int
) -> np.ndarray:
    """Sample variances (``ddof=1``) of ``yi[r]`` and ``ya[nb[row == r]]`` for ``r < m``."""
    count = np.bincount(row, minlength=m) + 1.0
    mean = (yi + np.bincount(row, weights=ya[nb], minlength=m)) / count
    dev = np.bincount(row, weights=(ya[nb] - mean[row]) ** 2, minlength=m)
    return ((yi - mean) ** 2 + dev) / (count - 1.0)


def _sigma2_dense(
    ya: np.ndarray,
    values: np.ndarray,
    group: np.ndarray,
    mult: np.ndarray,
    kth: int,
    block: int,
    out: np.ndarray,
) -> None:
    """``σ²`` of one arm from the full distances between its distinct covariate values.

    Units with equal covariates have the same distances to everyone, so the ``G`` distinct
    values (``G ≤`` the arm's size, few under heavy ties) carry the computation: for the units
    at value ``g`` the others are ``m_g − 1`` units at distance 0 and ``m_h`` units at the
    distance of each other value ``h``; the ``kth``-th of them (counted with these
    multiplicities) is the cut-off, and every unit at a value within ``_TIE`` of it, the
    unit's own value included, enters the variance, which is therefore the same for all units
    at ``g``. ``values``, ``group`` and ``mult`` are ``np.unique(ua, axis=0)``'s values, inverse
    and counts. Blocks of rows of at most ``block`` distances.
    """
    n_groups = len(values)
    ybar = np.bincount(group, weights=ya, minlength=n_groups) / mult
    within = np.bincount(group, weights=(ya - ybar[group]) ** 2, minlength=n_groups)
    sums = ybar * mult
    res = np.empty(n_groups)
    rows = max(1, block // (n_groups * max(1, values.shape[1])))
    for start in range(0, n_groups, rows):
        stop = min(start + rows, n_groups)
        here = np.arange(stop - start)
        dist = _sq_dist(values[None, :, :], values[start:stop, None, :])
        weight = np.broadcast_to(mult.astype(float), dist.shape).copy()
        weight[here, here + start] -= 1.0  # the unit itself is not its own match
        order = np.argsort(dist, axis=1, kind="stable")
        taken = np.cumsum(np.take_along_axis(weight, order, axis=1), axis=1)
        at = np.argmax(taken > kth, axis=1)  # first value whose units reach the kth-th
        cut = np.take_along_axis(dist, order, axis=1)[here, at]
        near = dist <= (cut + _TIE)[:, None]
        count = near @ mult.astype(float)
        mean = (near @ sums) / count
        dev = near @ within + np.sum(near * mult * (ybar[None, :] - mean[:, None]) ** 2, axis=1)
        res[start:stop] = dev / (count - 1.0)
    out[:] = res[group]


def _sigma2_tree(
    ya: np.ndarray,
    ua: np.ndarray,
    kth: int,
    block: int,
    out: np.ndarray,
    tree: cKDTree,
    radius: np.ndarray,
    counts: np.ndarray,
) -> None:
    """``σ²`` of one arm from the candidates within ``radius`` (a superset of the neighbours).

    The candidates' distances are computed as :func:`_sigma2_dense` computes them, so the
    cut-off and the ties are decided on the same numbers; at most about ``block`` candidate
    pairs are held at once.
    """
    size = len(ya)
    ends = np.cumsum(counts)
    start = 0
    while start < size:
        done = ends[start - 1] if start else 0
        stop = min(size, max(start + 1, int(np.searchsorted(ends, done + block, "right"))))
        found = tree.query_ball_point(ua[start:stop], radius[start:stop])
        nb = np.fromiter(itertools.chain.from_iterable(found), dtype=np.intp)
        row = np.repeat(np.arange(stop - start), counts[start:stop])
        other = nb != row + start
        nb, row = nb[other], row[other]
        dist = _sq_dist(ua[nb], ua[row + start])
        order = np.lexsort((dist, row))
        first = np.searchsorted(row[order], np.arange(stop - start))
        cut = dist[order][first + kth]
        near = dist <= cut[row] + _TIE
        out[start:stop] = _variance_with(ya[start:stop], ya, row[near], nb[near], stop - start)
        start = stop


def _sigma2(
    y: np.ndarray,
    d: np.ndarray,
    u: np.ndarray,
    j: int,
    *,
    block: int = 1 << 20,
    dense: bool | None = None,
) -> np.ndarray:
    """Conditional variance ``σ²(X_i)`` of every unit (Abadie and Imbens 2006, eq. 14).

    The sample variance (``ddof=1``) of ``y_i`` and the outcomes of unit ``i``'s ``j`` nearest
    units of its own arm (squared Euclidean distance in the scaled covariates ``u``), keeping
    every unit tied within ``_TIE`` of the ``j``-th distance, as :func:`_nearest` does for the
    matches; with fewer than ``j`` other units in the arm, all of them. The tie window is
    ``Match``'s ``distance.tolerance`` (``1e-5`` on the squared scaled distance), which its
    ``VarCalcMatchC`` uses for these neighbours as for the matches; with a single matching
    variable (a propensity score) near-ties within it are common and change ``σ²``.

    Within each arm a k-d tree gives, for each unit, the candidates within a radius a little
    above its ``(j + 1)``-th nearest distance plus ``_TIE`` (so every neighbour, tie or not, is
    among them); their distances are then computed exactly as the unit-by-unit loop did
    (``np.sum`` of squared differences over the covariates), so the cut-off and the ties are
    decided on the same floating-point numbers. When the arm has few distinct covariate values
    (``G² ≤ 64 × size``) or ties make the candidates more than a quarter of the arm's pairs,
    the distances between the arm's distinct covariate values are computed in full instead, in
    blocks of rows, and each value's neighbours counted with the number of units at each value
    (:func:`_sigma2_dense`). Either way at most about ``block`` pairs (times the number of
    covariates) are held at once.

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
        Most distances (candidate pairs) computed at once.
    dense : bool, optional
        Force the full distances (True) or the k-d tree's candidates (False) in every arm;
        by default chosen per arm as described (the results are the same).

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    KaizenError
        If an arm has a single unit (it has no neighbour; :func:`nn_match` checks this first).

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
            raise KaizenError(f"arm {float(arm):g} has a single unit: it has no same-arm neighbour")
        kth = min(j, size - 1) - 1
        ua, ya = np.ascontiguousarray(u[own]), y[own]
        arm_out = np.empty(size)
        values, group, mult = np.unique(ua, axis=0, return_inverse=True, return_counts=True)
        use_dense = dense
        if use_dense is None and len(values) ** 2 <= 64 * size:
            use_dense = True  # few distinct values: their full distances are cheapest
        if use_dense is not True:
            tree = cKDTree(ua)
            far = tree.query(ua, k=kth + 2)[0][:, -1]  # self may be among the kth + 2 nearest
            radius = np.sqrt((far**2 + _TIE) * (1 + _SLACK)) * (1 + _SLACK)
            counts = tree.query_ball_point(ua, radius, return_length=True)
            if use_dense is None:  # ties: most pairs are candidates
                use_dense = bool(4 * counts.sum() > size * size)
        if use_dense:
            _sigma2_dense(ya, values, group.ravel(), mult, kth, 2 * block, arm_out)
        else:
            _sigma2_tree(ya, ua, kth, block, arm_out, tree, radius, counts)
        out[own] = arm_out
    return out


def _sigma2_caliper(
    y: np.ndarray,
    d: np.ndarray,
    u: np.ndarray,
    x: np.ndarray,
    ecal: np.ndarray,
    j: int,
    exact: np.ndarray | None = None,
    *,
    block: int = 1 << 20,
) -> np.ndarray:
    """``σ²(X_i)`` with a caliper, as ``Match``'s ``VarCalcMatchC`` computes it.

    The candidates of unit ``i`` are the other units of its arm within ``ecal`` of ``x_i`` on
    every covariate (and with its ``exact`` code); with fewer than ``j`` of them ``σ²`` is 0,
    else the sample variance of ``y_i`` and its ``j`` nearest candidates (squared distance in
    ``u``, ties within ``_TIE``). A k-d tree in the Chebyshev metric on ``x / ecal`` proposes
    the candidates, which are then kept on the exact comparison ``|x_i − x_j| ≤ ecal``; at most
    about ``block`` candidate pairs are held at once.

    Examples
    --------
    >>> y = np.array([1.0, 2, 4, 0, 3]); d = np.array([1.0, 1, 1, 0, 0])
    >>> x = np.array([[0.0], [1], [3], [0], [1]])
    >>> _sigma2_caliper(y, d, x, x, np.array([1.5]), 1).tolist()
    [0.5, 0.5, 0.0, 4.5, 4.5]
    """
    out = np.zeros(len(y))
    for arm in np.unique(d):
        own = np.flatnonzero(d == arm)
        xa, ua, ya = x[own], np.ascontiguousarray(u[own]), y[own]
        tree = cKDTree(xa / ecal)
        counts = tree.query_ball_point(xa / ecal, 1 + _SLACK, p=np.inf, return_length=True)
        ends = np.cumsum(counts)
        start = 0
        while start < len(own):
            done = ends[start - 1] if start else 0
            stop = min(len(own), max(start + 1, int(np.searchsorted(ends, done + block, "right"))))
            found = tree.query_ball_point(xa[start:stop] / ecal, 1 + _SLACK, p=np.inf)
            nb = np.fromiter(itertools.chain.from_iterable(found), dtype=np.intp)
            row = np.repeat(np.arange(stop - start), [len(f) for f in found])
            keep = (nb != row + start) & np.all(np.abs(xa[nb] - xa[row + start]) <= ecal, axis=1)
            if exact is not None:
                keep &= exact[own][nb] == exact[own][row + start]
            nb, row = nb[keep], row[keep]
            have = np.bincount(row, minlength=stop - start)
            dist = _sq_dist(ua[nb], ua[row + start])
            order = np.lexsort((dist, row))
            first = np.searchsorted(row[order], np.arange(stop - start))
            enough = have >= j
            cut = np.full(stop - start, -np.inf)
            cut[enough] = dist[order][first[enough] + j - 1]
            near = dist <= cut[row] + _TIE
            with np.errstate(invalid="ignore", divide="ignore"):  # no candidate: 0 below
                var = _variance_with(ya[start:stop], ya, row[near], nb[near], stop - start)
            out[own[start:stop]] = np.where(enough, var, 0.0)
            start = stop
    return out


def _sigma2_exact(
    y: np.ndarray, d: np.ndarray, u: np.ndarray, j: int, exact: np.ndarray
) -> np.ndarray:
    """``σ²(X_i)`` with exact-match codes and no caliper, as ``Match`` computes it.

    ``Match`` applies ``exact`` through its caliper (``VarCalcMatchC``), so the candidates of
    unit ``i`` are the other units of its arm with its ``exact`` code: with fewer than ``j`` of
    them ``σ²`` is 0, else :func:`_sigma2` within the cell (its ``j`` nearest, ties within
    ``_TIE``).

    Examples
    --------
    >>> y = np.array([1.0, 2, 4, 0, 3, 5]); d = np.array([1.0, 1, 1, 0, 0, 0])
    >>> x = np.array([[0.0], [1], [3], [0], [1], [2]])
    >>> _sigma2_exact(y, d, x, 1, np.array([0, 0, 1, 0, 0, 1])).tolist()
    [0.5, 0.5, 0.0, 4.5, 4.5, 0.0]
    """
    out = np.zeros(len(y))
    for code in np.unique(exact):
        for arm in np.unique(d):
            cell = np.flatnonzero((exact == code) & (d == arm))
            if len(cell) - 1 >= j:
                out[cell] = _sigma2(y[cell], d[cell], u[cell], j)
    return out
