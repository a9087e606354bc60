r"""CR2 (Bell–McCaffrey) covariances with Pustejovsky–Tipton degrees of freedom, in O(N·k²).

The one implementation of the CR2 meat, unweighted (:func:`cr2`) and weighted
(:func:`cr2_weighted`, working model ``Φ = I`` on the original scale); the formulas are in
:mod:`~kaizen_eval._core.covariance`. The meat is ``S Sᵀ`` with the adjusted cluster scores
``s_g = V_gᵀ A_g e_g`` and ``A_g = (I − E_g)^{+1/2}``, where ``E_g`` is cluster ``g``'s block
of the hat matrix (unweighted: ``H_gg = X̃_g B X̃_gᵀ + C_g C_gᵀ`` with the absorbed fixed
effects' orthonormal basis ``C``; weighted, on the original scale:
``I − (I − H_X)_g (I − H_X)_gᵀ``).

Low rank
--------
``E_g = F_g K F_gᵀ`` with a thin factor ``F_g`` (``n_g × m``, ``m = k`` plus the fixed-effect
levels present in the cluster; weighted ``F_g = [X_g, W_g X_g]``, ``m = 2k``) and a small
symmetric ``K`` (:mod:`~kaizen_eval._core.cr2_gram`). With the thin QR ``F_g = Q_g R_g`` and the
eigen-decomposition ``R_g K R_gᵀ = Y Λ Yᵀ`` (size ``min(n_g, m)``), ``E_g = T Λ Tᵀ`` with
``T = Q_g Y`` orthonormal, so

.. math::

    A_g = I + T\,\operatorname{diag}(f(λ))\,Tᵀ,\qquad f(λ) = (1 − λ)^{-1/2} − 1,

and ``f(λ) = −1`` where ``1 − λ <= 10⁻¹²`` (the pseudo-inverse: a cluster containing a whole
fixed-effect level, whose ``I − H_gg`` is singular). ``A_g`` is applied to vectors without
forming any ``n_g × n_g`` matrix: ``O(n_g m²)`` per cluster, ``O(N m²)`` in all. Clusters are
processed in batches of similar size (zero-padded rows change neither ``R`` nor the result),
so the loop is over a few size classes, not over clusters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.cr2_gram import Cells, CR2Gram
from kaizen_eval._core.meats import symmetric as _sym

_EIG_TOL = 1e-12  # eigenvalues of I - E_g at or below this are treated as zero (pseudo-inverse)
_BATCH_ROWS = 1 << 18  # padded rows per batch of clusters at most (bounds the memory)
_CLASSES_PER_OCTAVE = 4  # size classes per doubling of the cluster size (padding <= 19 %)


class CR2(NamedTuple):
    """A CR2 covariance: matrix, Satterthwaite df, low-rank Gram, adjusted cluster scores."""

    vcov: np.ndarray
    df: np.ndarray
    gram: CR2Gram
    scores: np.ndarray


class _Factor(NamedTuple):
    """The rows of the low-rank factor ``F`` and where the score rows sit in it.

    ``dense`` (n × m_d) are the factor's columns common to all clusters, ``k_dense`` their
    block of ``K``; ``cell`` / ``cell_value`` (or ``None``) place each row's entry of a single
    absorbed fixed effect in its cluster's local column (identity block of ``K``); the score
    rows ``V`` are the columns ``v_cols`` of ``dense`` and ``e`` the residuals (original scale
    when weighted).
    """

    dense: np.ndarray
    k_dense: np.ndarray
    cell: np.ndarray | None
    cell_value: np.ndarray | None
    v_cols: slice
    e: np.ndarray


def _size_batches(sizes: np.ndarray) -> list[np.ndarray]:
    """Group cluster indices by size class, each batch at most ``_BATCH_ROWS`` padded rows."""
    classes = np.ceil(np.log2(sizes) * _CLASSES_PER_OCTAVE).astype(np.int64)
    out = []
    for c in np.unique(classes):
        members = np.flatnonzero(classes == c)
        width = int(sizes[members].max())
        per = max(1, _BATCH_ROWS // width)
        out.extend(members[i : i + per] for i in range(0, len(members), per))
    return out


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _adjust(
    fac: _Factor, b: np.ndarray, codes: np.ndarray, g_count: int
) -> tuple[np.ndarray, CR2Gram]:
    """Return the adjusted scores ``V_gᵀ A_g e_g`` (G × k) and the low-rank Gram of the fit.

    Everything per cluster follows from the triangular factor ``R`` of ``[F_g, e_g] = Q R``
    (``Q`` is never formed): with ``R_F``, ``R_V``, ``r_e`` its columns of ``F``, ``V`` and
    ``e``, ``E_g = Q (R_F K R_Fᵀ) Qᵀ``; the eigenvectors ``Y`` of ``R_F K R_Fᵀ`` give
    ``Tᵀ V = Yᵀ R_V`` and ``Tᵀ e = Yᵀ r_e``, hence ``V_gᵀ A_g e_g = R_Vᵀ r_e + (TᵀV)ᵀ f (Tᵀe)``,
    ``(A V)ᵀ(A V) = R_VᵀR_V + (TᵀV)ᵀ (2f + f²) (TᵀV)`` and
    ``Fᵀ A V = R_FᵀR_V + (R_FᵀY) f (TᵀV)``.
    """
    e = np.asarray(fac.e, dtype=float)
    n = len(e)
    m_d = fac.dense.shape[1]
    k = b.shape[0]
    if fac.cell is None:
        order = np.argsort(codes, kind="stable")
    else:  # sort by (cluster, level): the cells of the fixed effect, local column per cluster
        n_lev = int(fac.cell.max()) + 1
        key = codes.astype(np.int64) * n_lev + fac.cell
        order = np.argsort(key, kind="stable")
        ks = key[order]
        new_cell = np.concatenate([[True], ks[1:] != ks[:-1]])
        starts_cell = np.flatnonzero(new_cell)
        cell_of_row = np.empty(n, dtype=np.int64)
        cell_of_row[order] = np.cumsum(new_cell) - 1
        cell_cluster, cell_level = ks[starts_cell] // n_lev, ks[starts_cell] % n_lev
        indptr = np.searchsorted(cell_cluster, np.arange(g_count + 1))
        first = indptr[:-1]
        local = cell_of_row - first[codes]
        r_g = np.diff(indptr)
        cell_vals = np.zeros((len(starts_cell), k))
    sizes = np.bincount(codes, minlength=g_count)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows_fe = np.column_stack([fac.dense, e])  # [F_dense, e], original row order
    scores = np.zeros((g_count, k))
    pp = np.zeros((g_count, k, k))
    ud = np.zeros((g_count, m_d, k))
    vc = np.arange(m_d)[fac.v_cols]
    for members in _size_batches(sizes):
        width = int(sizes[members].max())
        pos = np.arange(width)[None, :]
        real = pos < sizes[members][:, None]
        ix = order[np.minimum(starts[members][:, None] + pos, n - 1)]
        block = rows_fe[ix]  # (Gb, width, m_d + 1)
        if not real.all():
            block *= real[..., None]  # zero rows change neither R nor the result
        k_loc = fac.k_dense
        if fac.cell is not None:
            r_max = int(r_g[members].max())
            cb = np.where(
                (local[ix][..., None] == np.arange(r_max)) & real[..., None],
                fac.cell_value[ix][..., None],
                0.0,
            )
            block = np.concatenate([block[..., :m_d], cb, block[..., m_d:]], axis=2)
            k_loc = np.zeros((m_d + r_max, m_d + r_max))
            k_loc[:m_d, :m_d] = fac.k_dense
            k_loc[m_d:, m_d:] = np.eye(r_max)
        r = np.linalg.qr(block, mode="r")  # (Gb, p, m + 1)
        r_f, r_e = r[..., :-1], r[..., -1]
        r_v = r_f[..., vc]
        s = r_f @ k_loc @ _t(r_f)
        lam, y = np.linalg.eigh((s + _t(s)) / 2)
        one_minus = 1.0 - lam
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(one_minus > _EIG_TOL, 1.0 / np.sqrt(one_minus) - 1.0, -1.0)
        tv = _t(y) @ r_v  # (Gb, p, k)
        te = (_t(y) @ r_e[..., None])[..., 0]  # (Gb, p)
        scores[members] = (_t(r_v) @ r_e[..., None] + _t(tv) @ (f * te)[..., None])[..., 0]
        ava = _t(r_v) @ r_v + _t(tv) @ ((2 * f + f * f)[..., None] * tv)
        pp[members] = b @ ava @ b
        fav = (_t(r_f) @ r_v + (_t(r_f) @ y) @ (f[..., None] * tv)) @ b  # Fᵀ A V B
        ud[members] = fav[:, :m_d]
        if fac.cell is not None:
            gl, jl = np.nonzero(np.arange(r_max)[None, :] < r_g[members][:, None])
            cell_vals[first[members[gl]] + jl] = fav[gl, m_d + jl]
    cells = None
    if fac.cell is not None:
        cells = Cells(cell_level, cell_cluster, indptr, cell_vals, n_lev)
    return scores, CR2Gram(pp, ud, fac.k_dense, cells)


def _result(scores: np.ndarray, b: np.ndarray, gram: CR2Gram) -> CR2:
    v = b @ (scores.T @ scores) @ b
    df = np.array([gram.satterthwaite(c) for c in np.eye(b.shape[0])])
    return CR2(_sym(v), df, gram, scores.T)


def cr2(
    x: np.ndarray,
    e: np.ndarray,
    b: np.ndarray,
    codes: np.ndarray,
    g_count: int,
    absorber: Absorber | None,
) -> CR2:
    """CR2 of an unweighted fit (rows of ``x`` and ``e`` absorbed; ``b`` the bread).

    ``x`` is ``X̃``: the design for OLS, the projected design ``X̂`` for 2SLS (whose hat
    matrix ``X̂ B X̂ᵀ`` gives the leverages, as in ``estimatr::iv_robust``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(12), rng.normal(size=12)])
    >>> codes = np.arange(12) // 3
    >>> cov = cr2(x, rng.normal(size=12), np.linalg.inv(x.T @ x), codes, 4, None)
    >>> cov.vcov.shape, cov.scores.shape
    ((2, 2), (2, 4))
    """
    x = np.asarray(x, dtype=float)
    k = x.shape[1]
    cell = cell_value = None
    dense, k_dense = x, b
    if absorber is not None:
        groups = absorber.groups()
        if groups is not None:
            cell = groups[0]
            cell_value = absorber.sqrt_w / np.sqrt(groups[1][cell])
        else:
            basis = absorber.orthonormal_basis()
            if basis is None:
                absorber.hat_diag()  # raises: iterative absorption has no leverages
            r = basis.shape[1]
            dense = np.hstack([x, basis])
            k_dense = np.zeros((k + r, k + r))
            k_dense[:k, :k] = b
            k_dense[k:, k:] = np.eye(r)
    fac = _Factor(dense, k_dense, cell, cell_value, slice(0, k), np.asarray(e, dtype=float))
    scores, gram = _adjust(fac, b, np.asarray(codes), g_count)
    return _result(scores, b, gram)


def cr2_weighted(
    x: np.ndarray, e: np.ndarray, b: np.ndarray, codes: np.ndarray, g_count: int, s: np.ndarray
) -> CR2:
    """CR2 of a weighted fit, working model ``Φ = I`` on the original scale.

    With ``S = diag(sqrt(w))`` and ``H*`` the hat matrix of the scaled design ``x``, the
    residual maker on the original scale is ``I − H_X = S⁻¹ (I − H*) S``; the adjustment is
    ``A_g = [(I − H_X)_g (I − H_X)_gᵀ]^{-1/2}`` and the meat term ``X_gᵀ W_g A_g e_g``. In
    low-rank form ``(I − H_X)_g (I − H_X)_gᵀ = I − F_g K F_gᵀ`` with ``F_g = [X_g, W_g X_g]``
    (original scale) and ``K = [[−M, B], [B, 0]]``, ``M = B X*ᵀ S² X* B``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(12), rng.normal(size=12)])
    >>> b = np.linalg.inv(x.T @ x)
    >>> cr2_weighted(x, rng.normal(size=12), b, np.arange(12) // 3, 4, np.ones(12)).df.shape
    (2,)
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    k = x.shape[1]
    x_orig = x / s[:, None]  # X_g
    wx = x * s[:, None]  # W_g X_g = S X*
    mid = b @ (wx.T @ wx) @ b
    k_dense = np.zeros((2 * k, 2 * k))
    k_dense[:k, :k] = -mid
    k_dense[:k, k:] = b
    k_dense[k:, :k] = b
    fac = _Factor(np.hstack([x_orig, wx]), k_dense, None, None, slice(k, 2 * k), np.asarray(e) / s)
    scores, gram = _adjust(fac, b, np.asarray(codes), g_count)
    return _result(scores, b, gram)
