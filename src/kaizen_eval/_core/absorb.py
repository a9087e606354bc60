"""Absorbed fixed effects: Frisch–Waugh–Lovell residualization and the pieces of the hat matrix.

With fixed-effect dummies ``D`` (rows already multiplied by ``sqrt(w)`` for weighted fits), the
regression of ``y`` on ``[X, D]`` gives the same slope on ``X`` as the regression of
``M_D y`` on ``M_D X`` (FWL). The covariance types that need leverages (HC2, HC3, CR2) need the
hat matrix of the *full* design, which splits as ``H = H_X̃ + H_D`` because ``M_D X ⟂ D``.
:class:`Absorber` supplies ``M_D`` and ``H_D = C Cᵀ`` through a factor ``C`` (``n × r``,
orthonormal columns, ``r`` = rank of ``D``) without forming ``n × n`` matrices.

One fixed effect is handled in closed form (group means); several through a dense orthonormal
basis of the dummy matrix (a pivoted QR), exact and fine for the strata × waves (× firms) designs
of a trial. When that matrix would be too large, several fixed effects are projected out by
alternating projections (to a relative tolerance of 1e-14); HC2, HC3 and CR2 are then refused,
since they need the fixed effects' leverages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from kaizen_eval._validation import KaizenError

_DENSE_LIMIT = 60_000_000  # elements of the dense dummy matrix we accept (about 480 MB)


def factorize(values: np.ndarray) -> np.ndarray:
    """Return integer codes ``0..L-1`` for the distinct values of a 1-d array (order of first use).

    Examples
    --------
    >>> factorize(np.array(["b", "a", "b"])).tolist()
    [0, 1, 0]
    """
    codes, _ = pd.factorize(np.asarray(values).reshape(-1), use_na_sentinel=False)
    return codes.astype(np.intp, copy=False)


class Absorber:
    """Project fixed effects out of arrays (and give their part of the hat matrix).

    Parameters
    ----------
    codes : numpy.ndarray, shape (n,) or (n, m)
        Integer codes of ``m`` fixed-effect variables.
    sqrt_w : numpy.ndarray, shape (n,), optional
        Square roots of the regression weights (the rows of ``D`` are scaled by them).
    """

    def __init__(self, codes: np.ndarray, sqrt_w: np.ndarray | None = None) -> None:
        codes = np.asarray(codes)
        if codes.ndim == 1:
            codes = codes[:, None]
        self.n = codes.shape[0]
        self.codes = np.column_stack([factorize(codes[:, j]) for j in range(codes.shape[1])])
        self._weighted = sqrt_w is not None
        self.sqrt_w = np.ones(self.n) if sqrt_w is None else np.asarray(sqrt_w, dtype=float)
        self.levels = tuple(int(c.max()) + 1 for c in self.codes.T)
        if len(self.levels) == 1:
            self._c = self.codes[:, 0]
            self._wsum = np.bincount(self._c, weights=self.sqrt_w**2, minlength=self.levels[0])
            self.rank = self.levels[0]
            self._basis = None
            self._dmat = scipy.sparse.csr_matrix(
                (self.sqrt_w, (np.arange(self.n), self._c)), shape=(self.n, self.rank)
            )
        else:
            size = self.n * sum(self.levels)
            self._c = None
            if size > _DENSE_LIMIT:
                # too large for a dense basis: alternating projections (method of alternating
                # projections, as reghdfe/pyfixest do), exact to a tight tolerance
                self._basis = None
                self._dmats = [
                    scipy.sparse.csr_matrix(
                        (self.sqrt_w, (np.arange(self.n), self.codes[:, j])),
                        shape=(self.n, n_lev),
                    )
                    for j, n_lev in enumerate(self.levels)
                ]
                self._wsums = [np.asarray(dm.power(2).sum(axis=0)).ravel() for dm in self._dmats]
                self.rank = _fe_rank(self.codes, self.levels)
                return
            blocks = []
            for j, n_lev in enumerate(self.levels):
                d = np.zeros((self.n, n_lev))
                d[np.arange(self.n), self.codes[:, j]] = 1.0
                blocks.append(d)
            dmat = np.hstack(blocks) * self.sqrt_w[:, None]
            q, r, _ = scipy.linalg.qr(dmat, mode="economic", pivoting=True)
            diag = np.abs(np.diag(r))
            tol = diag.max() * max(dmat.shape) * np.finfo(float).eps if diag.size else 0.0
            self.rank = int((diag > tol).sum())
            self._basis = q[:, : self.rank]

    @property
    def iterative(self) -> bool:
        """Whether the fixed effects are projected out iteratively (no hat-matrix pieces)."""
        return self._basis is None and self._c is None

    # --- the public pieces the resampling engine and the batched fits partial with ---------
    def groups(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Return ``(codes, weight_sums)`` of a single fixed effect, else ``None``.

        ``codes`` (shape ``(n,)``) are the levels ``0..L-1`` of each row and ``weight_sums``
        (shape ``(L,)``) the sums of the weights by level (the group sizes when unweighted):
        residualizing is subtracting the (weighted) group means.

        Examples
        --------
        >>> codes, sizes = Absorber(np.array([0, 1, 1])).groups()
        >>> codes.tolist(), sizes.tolist()
        ([0, 1, 1], [1.0, 2.0])
        """
        if self._c is None:
            return None
        return self._c, self._wsum

    def orthonormal_basis(self, max_cells: int | None = None) -> np.ndarray | None:
        """Return a dense ``n × r`` orthonormal basis ``C`` of the dummies (``H_D = C Cᵀ``).

        Several fixed effects: their pivoted-QR basis. One fixed effect: its scaled indicators
        ``sqrt(w_i) / sqrt(Σ_g w)``, built only when ``n · r <= max_cells`` (``None``: always).
        ``None`` when there is no dense basis (iterative absorption, or a large single one).

        Examples
        --------
        >>> Absorber(np.array([0, 0, 1, 1])).orthonormal_basis().round(3).tolist()
        [[0.707, 0.0], [0.707, 0.0], [0.0, 0.707], [0.0, 0.707]]
        """
        if self._basis is not None:
            return self._basis
        if self._c is None or (max_cells is not None and self.n * self.rank > max_cells):
            return None
        return self._dmat.toarray() / np.sqrt(self._wsum)[None, :]

    def _need_exact(self) -> None:
        if self.iterative:
            raise KaizenError(
                "HC2, HC3 and CR2 need the leverages of the absorbed fixed effects, which are "
                f"too many here ({sum(self.levels)} levels on {self.n} rows); use HC1 or CR1"
            )

    def _map(self, v: np.ndarray, tol: float = 1e-14, maxiter: int = 100_000) -> np.ndarray:
        """Residualize on several fixed effects by alternating projections."""
        r = np.array(v, dtype=float, copy=True)
        scale = max(float(np.abs(r).max()), 1e-300)
        for _ in range(maxiter):
            biggest = 0.0
            for dm, ws in zip(self._dmats, self._wsums, strict=True):
                with np.errstate(divide="ignore", invalid="ignore"):
                    means = np.where(ws[:, None] > 0, (dm.T @ r) / ws[:, None], 0.0)
                step = dm @ means
                r = r - step
                biggest = max(biggest, float(np.abs(step).max()))
            if biggest <= tol * scale:
                return r
        raise KaizenError("absorbing the fixed effects did not converge")

    # --- H_D = C C' -----------------------------------------------------------------------
    def factor_t(self, v: np.ndarray) -> np.ndarray:
        """Return ``Cᵀ v`` (shape ``(r, m)`` for ``v`` of shape ``(n, m)``)."""
        self._need_exact()
        v = np.asarray(v, dtype=float)
        v2 = v if v.ndim == 2 else v[:, None]
        if self._basis is not None:
            out = self._basis.T @ v2
        else:
            out = (self._dmat.T @ v2) / np.sqrt(self._wsum)[:, None]
        return out if v.ndim == 2 else out[:, 0]

    def project(self, v: np.ndarray) -> np.ndarray:
        """Return ``H_D v``, the fitted values of regressing ``v`` on the fixed effects."""
        v = np.asarray(v, dtype=float)
        if self.iterative:
            v2 = v if v.ndim == 2 else v[:, None]
            out = v2 - self._map(v2)
            return out if v.ndim == 2 else out[:, 0]
        if self._basis is not None:
            return self._basis @ (self._basis.T @ v)
        v2 = v if v.ndim == 2 else v[:, None]
        out = self._dmat @ ((self._dmat.T @ v2) / self._wsum[:, None])
        return out if v.ndim == 2 else out[:, 0]

    def residualize(self, v: np.ndarray) -> np.ndarray:
        """Return ``M_D v = v - H_D v``."""
        v = np.asarray(v, dtype=float)
        return v - self.project(v)

    def residualize_rows(self, m: np.ndarray) -> np.ndarray:
        """Return ``M_D`` applied to every row of ``m`` (shape ``(M, n)``).

        The layout of batched replications (one row per regressor of each replication): a
        single fixed effect subtracts each row's group means by one sparse product, without
        transposing the block; several go through :meth:`residualize`.

        Examples
        --------
        >>> Absorber(np.array([0, 0, 1, 1])).residualize_rows(np.array([[1.0, 3.0, 5.0, 9.0]]))
        array([[-1.,  1., -2.,  2.]])
        """
        m = np.asarray(m, dtype=float)
        if self._c is None:
            return self.residualize(m.T).T
        means = (self._dmat.T @ m.T) / self._wsum[:, None]  # (levels, M), sums in row order
        proj = means.T[:, self._c]
        if self._weighted:
            proj = proj * self.sqrt_w[None, :]
        return m - proj

    def hat_diag(self) -> np.ndarray:
        """Return the diagonal of ``H_D``."""
        self._need_exact()
        if self._basis is not None:
            return np.einsum("ij,ij->i", self._basis, self._basis)
        return self.sqrt_w**2 / self._wsum[self._c]

    def hat_block(self, rows: np.ndarray) -> np.ndarray:
        """Return ``H_D[rows][:, rows]``."""
        self._need_exact()
        if self._basis is not None:
            b = self._basis[rows]
            return b @ b.T
        c = self._c[rows]
        s = self.sqrt_w[rows]
        same = c[:, None] == c[None, :]
        return np.where(same, np.outer(s, s) / self._wsum[c][:, None], 0.0)


def _fe_rank(codes: np.ndarray, levels: tuple[int, ...]) -> int:
    """Rank of the dummies of several fixed effects.

    Exact for two (levels minus connected components of the bipartite graph of levels); with
    more, each further fixed effect is assumed to lose one level to the intercept (as reghdfe
    does by default), which is exact unless some of its levels are nested in the others.
    """
    l1, l2 = levels[0], levels[1]
    edges = scipy.sparse.coo_matrix(
        (np.ones(len(codes)), (codes[:, 0], l1 + codes[:, 1])), shape=(l1 + l2, l1 + l2)
    )
    n_comp = connected_components(edges, directed=False)[0]
    return l1 + l2 - n_comp + sum(lev - 1 for lev in levels[2:])
