r"""The one implementation of each meat: HC0–HC3 and CR0/CR1 (CR2 in :mod:`~kaizen_eval._core.cr2`).

A meat is the outer product of *scores*, ``meat = S Sᵀ``: for the heteroskedasticity-robust types
the columns of ``S`` are the observations' ``s_i = r_i e_i a_i`` with ``a_i = 1`` (HC0, HC1),
``(1 − h_ii)^{-1/2}`` (HC2) or ``(1 − h_ii)^{-1}`` (HC3); for CR0/CR1 they are the clusters'
sums ``s_g = Σ_{i∈g} r_i e_i``. ``r_i`` is the row of the meat: the regressors (OLS), the
projected regressors (2SLS) or the instruments (just-identified 2SLS in a batch).

Every function here takes a leading batch axis (``...``): the single fit passes one matrix, the
batched fits a block of replications, and every replication's numbers come from its own rows
only (a product of one replication's matrices), so batched results do not depend on the block.
The resampling engine, whose regressor is a single column tested against many outcomes, uses the
same weights (:func:`leverage_weights`) and cluster sums (:func:`cluster_sums`) and expands the
square of its scalar scores over the outcomes (:func:`scalar_meat`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

_LEVERAGE_ONE = 1e-10  # 1 − h_ii below this: a leverage of one, whose residual is zero
_POWERS = {"HC2": 1, "HC3": 2}


def symmetric(v: np.ndarray) -> np.ndarray:
    """Return ``(V + Vᵀ) / 2`` (covariances are symmetrized against rounding).

    Examples
    --------
    >>> symmetric(np.array([[1.0, 2.0], [0.0, 1.0]])).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    return (v + v.T) / 2


def leverage_power(se_type: str) -> int:
    """Power ``p`` of ``(1 − h_ii)`` dividing the squared residuals (0, 0, 1, 2 for HC0–HC3).

    Examples
    --------
    >>> [leverage_power(s) for s in ("HC0", "HC1", "HC2", "HC3", "CR1")]
    [0, 0, 1, 2, 0]
    """
    return _POWERS.get(se_type, 0)


def leverage_weights(se_type: str, one_minus_h: np.ndarray) -> np.ndarray | None:
    """Weights ``(1 − h_ii)^{-p}`` of the squared residuals; ``None`` when ``p = 0``.

    A leverage of one (a singleton fixed-effect group) has a zero residual: its weight is 0.
    Works elementwise on an array of any shape.

    Examples
    --------
    >>> leverage_weights("HC3", np.array([0.5, 0.0])).tolist()
    [4.0, 0.0]
    >>> leverage_weights("HC1", np.array([0.5])) is None
    True
    """
    power = leverage_power(se_type)
    if not power:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(one_minus_h > _LEVERAGE_ONE, 1.0 / one_minus_h**power, 0.0)


def hc_scores(
    rows: np.ndarray, e: np.ndarray, se_type: str, one_minus_h: np.ndarray | None = None
) -> np.ndarray:
    """Scores ``s_i = r_i e_i (1 − h_ii)^{-p/2}`` of the HC meats, shape ``(..., k, n)``.

    Parameters
    ----------
    rows : numpy.ndarray, shape (..., k, n)
        The rows of the meat, one row per regressor.
    e : numpy.ndarray, shape (..., n)
        Residuals.
    se_type : str
        ``"HC0"`` … ``"HC3"``.
    one_minus_h : numpy.ndarray, shape (..., n), optional
        ``1 − h_ii``, the leverages of the full design (needed by HC2 and HC3).

    Examples
    --------
    >>> hc_scores(np.ones((1, 2)), np.array([1.0, 2.0]), "HC2", np.array([0.25, 1.0])).tolist()
    [[2.0, 2.0]]
    """
    w = leverage_weights(se_type, one_minus_h) if leverage_power(se_type) else None
    factor = e if w is None else e * np.sqrt(w)
    return rows * factor[..., None, :]


def cluster_summer(codes: np.ndarray, n_clusters: int) -> scipy.sparse.csr_matrix:
    """Return the ``G × n`` sparse indicator matrix that sums a row's entries within clusters.

    Examples
    --------
    >>> cluster_summer(np.array([0, 1, 0]), 2).toarray().tolist()
    [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    n = len(codes)
    return scipy.sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_clusters, n))


def cluster_sums(summer: scipy.sparse.csr_matrix, v: np.ndarray) -> np.ndarray:
    """Sum the entries of ``v`` (shape ``(..., n)``) within clusters: shape ``(..., G)``.

    Each sum runs over the cluster's rows in their order (one sparse product for all rows).

    Examples
    --------
    >>> cluster_sums(cluster_summer(np.array([0, 1, 0]), 2), np.array([1.0, 2.0, 3.0])).tolist()
    [4.0, 2.0]
    """
    n = v.shape[-1]
    flat = v.reshape(-1, n)
    return (summer @ flat.T).T.reshape(*v.shape[:-1], summer.shape[0])


def cr_scores(summer: scipy.sparse.csr_matrix, rows: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Scores ``s_g = Σ_{i∈g} r_i e_i`` of the CR0/CR1 meats, shape ``(..., k, G)``.

    Examples
    --------
    >>> s = cr_scores(cluster_summer(np.array([0, 1, 0]), 2), np.ones((1, 3)), np.ones(3))
    >>> s.tolist()
    [[2.0, 1.0]]
    """
    return cluster_sums(summer, rows * e[..., None, :])


def meat(scores: np.ndarray) -> np.ndarray:
    """Return the meat ``S Sᵀ`` of scores of shape ``(..., k, m)``: shape ``(..., k, k)``.

    Examples
    --------
    >>> meat(np.array([[1.0, 2.0]])).tolist()
    [[5.0]]
    """
    if scores.shape[-2] == 1:  # one regressor (the resampling engine): a sum of squares per fit
        return np.einsum("...im,...im->...i", scores, scores)[..., None]
    return np.matmul(scores, np.swapaxes(scores, -1, -2))


def scalar_meat(
    s_yy: np.ndarray, s_ya: np.ndarray, s_aa: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """Return the HC meat of one regressor for many outcomes, expanded: ``Σ w (y − β a)²``.

    With weights ``w_i = z̃_i² (1 − h_ii)^{-p}`` (the squared scores divided by ``e_i²``),
    ``Σ_i w_i (y_i − β a_i)² = Σ w y² − 2β Σ w a y + β² Σ w a²``; the sums are computed once per
    draw and outcome block, so that no ``(draws × outcomes × n)`` residual array is formed.

    Examples
    --------
    >>> float(scalar_meat(np.array(5.0), np.array(2.0), np.array(1.0), np.array(2.0)))
    1.0
    """
    return s_yy - 2.0 * beta * s_ya + beta**2 * s_aa
