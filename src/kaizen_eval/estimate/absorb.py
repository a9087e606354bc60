"""Absorbed fixed effects: Frisch–Waugh–Lovell residualization and the pieces of the hat matrix.

With fixed-effect dummies ``D`` (rows already multiplied by ``sqrt(w)`` for weighted fits), the
regression of ``y`` on ``[X, D]`` gives the same slope on ``X`` as the regression of
``M_D y`` on ``M_D X`` (FWL). The covariance types that need leverages (HC2, HC3, CR2) need the
hat matrix of the *full* design, which splits as ``H = H_X̃ + H_D`` because ``M_D X ⟂ D``.
:class:`Absorber` supplies ``M_D`` and ``H_D = C Cᵀ`` through a factor ``C`` (``n × r``,
orthonormal columns, ``r`` = rank of ``D``) without forming ``n × n`` matrices.

One fixed effect is handled in closed form (group means); several are handled through a dense
orthonormal basis of the dummy matrix (a pivoted QR), which is exact and fine for the strata ×
waves (× firms) designs of a trial.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse

_DENSE_LIMIT = 60_000_000  # elements of the dense dummy matrix we accept (about 480 MB)


def factorize(values: np.ndarray) -> np.ndarray:
    """Return integer codes ``0..L-1`` for the distinct values of a 1-d array (order of first use).

    Examples
    --------
    >>> factorize(np.array(["b", "a", "b"])).tolist()
    [0, 1, 0]
    """
    _, first, inv = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inv.reshape(-1)]


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
            if size > _DENSE_LIMIT:
                from kaizen_eval._validation import KaizenError

                raise KaizenError(
                    f"{len(self.levels)} fixed-effect variables with {sum(self.levels)} levels in "
                    f"total on {self.n} rows are too many to absorb exactly; absorb one of them "
                    "(e.g. the firm) and add the others as dummy covariates"
                )
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

    # --- H_D = C C' -----------------------------------------------------------------------
    def factor_t(self, v: np.ndarray) -> np.ndarray:
        """Return ``Cᵀ v`` (shape ``(r, m)`` for ``v`` of shape ``(n, m)``)."""
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
        if self._basis is not None:
            return self._basis @ (self._basis.T @ v)
        v2 = v if v.ndim == 2 else v[:, None]
        out = self._dmat @ ((self._dmat.T @ v2) / self._wsum[:, None])
        return out if v.ndim == 2 else out[:, 0]

    def residualize(self, v: np.ndarray) -> np.ndarray:
        """Return ``M_D v = v - H_D v``."""
        v = np.asarray(v, dtype=float)
        return v - self.project(v)

    def hat_diag(self) -> np.ndarray:
        """Return the diagonal of ``H_D``."""
        if self._basis is not None:
            return np.einsum("ij,ij->i", self._basis, self._basis)
        return self.sqrt_w**2 / self._wsum[self._c]

    def hat_block(self, rows: np.ndarray) -> np.ndarray:
        """Return ``H_D[rows][:, rows]``."""
        if self._basis is not None:
            b = self._basis[rows]
            return b @ b.T
        c = self._c[rows]
        s = self.sqrt_w[rows]
        same = c[:, None] == c[None, :]
        return np.where(same, np.outer(s, s) / self._wsum[c][:, None], 0.0)
