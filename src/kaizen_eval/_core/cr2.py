"""CR2 (Bell–McCaffrey) covariances with Pustejovsky–Tipton degrees of freedom.

The one implementation of the CR2 meat, unweighted (:func:`cr2`) and weighted
(:func:`cr2_weighted`, working model ``Φ = I`` on the original scale); the formulas are in
:mod:`~kaizen_eval._core.covariance`. The meat is ``S Sᵀ`` with the adjusted cluster scores
``s_g = X̃_gᵀ A_g e_g``, ``A_g = (I − H_gg)^{-1/2}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.meats import symmetric as _sym

_EIG_TOL = 1e-12  # eigenvalues of I - H_gg below this are treated as zero (pseudo-inverse)


def _inv_sqrt_psd(m: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(_sym(m))
    inv = np.zeros_like(vals)
    keep = vals > _EIG_TOL
    inv[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T


def _satterthwaite(gram: np.ndarray) -> float:
    return float(np.trace(gram) ** 2 / np.sum(gram**2))


def _blocks(codes: np.ndarray, g_count: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(g_count + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(g_count)]


Gram = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _result(v: np.ndarray, gram: Gram, k: int, scores: np.ndarray) -> CR2:
    df = np.array([_satterthwaite(gram(c, c)) for c in np.eye(k)])
    return CR2(_sym(v), df, gram, scores)


class CR2(NamedTuple):
    """A CR2 covariance: matrix, Satterthwaite df, Gram function, adjusted cluster scores."""

    vcov: np.ndarray
    df: np.ndarray
    gram: Gram
    scores: np.ndarray


def cr2(
    x: np.ndarray,
    e: np.ndarray,
    b: np.ndarray,
    codes: np.ndarray,
    g_count: int,
    absorber: Absorber | None,
) -> CR2:
    """CR2 of an unweighted fit (rows of ``x`` and ``e`` absorbed; ``b`` the bread).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(12), rng.normal(size=12)])
    >>> codes = np.arange(12) // 3
    >>> cov = cr2(x, rng.normal(size=12), np.linalg.inv(x.T @ x), codes, 4, None)
    >>> cov.vcov.shape, cov.scores.shape
    ((2, 2), (2, 4))
    """
    n, k = x.shape
    scores = np.zeros((g_count, k))
    p_rows = np.zeros((n, k))  # row i in cluster g: (A_g X_g B)[i, :]
    for g, idx in enumerate(_blocks(codes, g_count)):
        xg = x[idx]
        hgg = xg @ b @ xg.T
        if absorber is not None:
            hgg = hgg + absorber.hat_block(idx)
        a_g = _inv_sqrt_psd(np.eye(len(idx)) - hgg)
        axg = a_g @ xg
        scores[g] = axg.T @ e[idx]
        p_rows[idx] = axg @ b
    v = b @ (scores.T @ scores) @ b

    def embed(c: np.ndarray) -> np.ndarray:
        # n x G: column g holds p_g(c) = A_g X_g B c in the rows of cluster g
        pmat = np.zeros((n, g_count))
        pmat[np.arange(n), codes] = p_rows @ c
        return pmat

    def gram(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        # [p_g(u)ᵀ (I − H)_{gh} p_h(w)] = δ_gh p_g(u)ᵀp_g(w) − p_g(u)ᵀ H_gh p_h(w)
        pu, pw = embed(u), embed(w)
        out = np.diag(np.einsum("ij,ij->j", pu, pw)) - (x.T @ pu).T @ b @ (x.T @ pw)
        if absorber is not None:
            out = out - absorber.factor_t(pu).T @ absorber.factor_t(pw)
        return out

    return _result(v, gram, k, scores.T)


def cr2_weighted(
    x: np.ndarray, e: np.ndarray, b: np.ndarray, codes: np.ndarray, g_count: int, s: np.ndarray
) -> CR2:
    """CR2 of a weighted fit, working model ``Φ = I`` on the original scale.

    With ``S = diag(sqrt(w))`` and ``H*`` the hat matrix of the scaled design ``x``, the
    residual maker on the original scale is ``I − H_X = S⁻¹ (I − H*) S``; the adjustment is
    ``A_g = [(I − H_X)_g (I − H_X)_gᵀ]^{-1/2}`` and the meat term ``X_gᵀ W_g A_g e_g``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(12), rng.normal(size=12)])
    >>> b = np.linalg.inv(x.T @ x)
    >>> cr2_weighted(x, rng.normal(size=12), b, np.arange(12) // 3, 4, np.ones(12)).df.shape
    (2,)
    """
    n, k = x.shape
    xs2 = x.T @ (x * (s**2)[:, None])  # X*ᵀ S² X*
    mid = b @ xs2 @ b
    scores = np.zeros((g_count, k))
    r_rows = np.zeros((n, k))  # S_g⁻¹ A_g S_g X*_g B, stacked by cluster rows
    for g, idx in enumerate(_blocks(codes, g_count)):
        xg, sg = x[idx], s[idx]
        h = xg @ b @ xg.T
        s2 = sg**2
        inner = np.diag(s2) - h * s2[None, :] - s2[:, None] * h + xg @ mid @ xg.T
        bg = inner / np.outer(sg, sg)
        a_g = _inv_sqrt_psd(bg)
        # meat term X_gᵀ W_g A_g e_g = X*_gᵀ S_g A_g S_g⁻¹ e*_g
        scores[g] = (xg.T * sg[None, :]) @ a_g @ (e[idx] / sg)
        r_rows[idx] = ((a_g @ (xg * sg[:, None])) @ b) / sg[:, None]
    v = b @ (scores.T @ scores) @ b

    def embed(c: np.ndarray) -> np.ndarray:
        rmat = np.zeros((n, g_count))
        rmat[np.arange(n), codes] = r_rows @ c
        return rmat - x @ (b @ (x.T @ rmat))  # F = (I − H*) R

    def gram(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        # q_g = (I − H_X)_gᵀ p_g with p_g = A_g S_g X*_g B c; in scaled terms the Gram matrix
        # is Fᵀ S² F with F = (I − H*) R and R holding S_g⁻¹ p_g in the rows of cluster g
        return embed(u).T @ (embed(w) * (s**2)[:, None])

    return _result(v, gram, k, scores.T)
