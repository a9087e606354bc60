r"""The one pass over the data of the fast wild cluster bootstrap: partialling and cluster sums.

Roodman, MacKinnon, Nielsen and Webb (2019, "Fast and wild", section 4): once the covariates
``X`` and the absorbed fixed effects ``D`` are partialled out (``W = [X, D]``, ``M = I − H_W``),
every quantity of a bootstrap draw is a linear combination, with the draw's cluster weights
``v_b``, of sums over the cells ``b ∩ h`` of a bootstrap cluster ``b`` and a covariance
(CR1) cluster ``h``. The sums needing the hat matrix,

``cross(a, c)[b, h] = (a ∘ 1_b)ᵀ H_W (c ∘ 1_h)``,

split as ``H_W = H_D + Q Qᵀ`` with ``Q`` an orthonormal basis of ``M_D X`` (FWL), so that no
``n × n`` (nor ``n_g × n_g``) matrix is ever formed: one fixed effect contributes
``Σ_f A[b, f] C[h, f] / n_f`` with the sparse ``b × f`` and ``h × f`` sums, several fixed
effects the projections of the ``H`` columns ``c ∘ 1_h`` (in blocks), the covariates the
product of the ``b × k`` and ``h × k`` sums of ``a Q`` and ``c Q``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from kaizen_eval._core.absorb import Absorber, factorize

__all__ = ["ClusterAlgebra"]

_BLOCK_CELLS = 4_000_000  # doubles of one block of projected columns (several fixed effects)


class ClusterAlgebra:
    """Partial ``W = [X, D]`` out and form sums by covariance and bootstrap clusters.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, k)
        Covariates (with a constant unless fixed effects are absorbed); full column rank.
    fixed_effects : numpy.ndarray or Absorber, optional
        Codes of the absorbed fixed effects, shape ``(n,)`` or ``(n, m)``.
    clusters : numpy.ndarray, shape (n,)
        Labels of the covariance (CR1) clusters ``h``.
    boot_clusters : numpy.ndarray, shape (n,), optional
        Labels of the bootstrap clusters ``b`` whose residuals share a weight (default: the
        covariance clusters). They may be finer (the subcluster bootstrap) or coarser.

    Attributes
    ----------
    k_total : int
        Parameters partialled out (covariates plus the rank of the fixed effects).
    n_clusters, n_boot : int
        ``H`` and ``G_b``.

    Examples
    --------
    >>> alg = ClusterAlgebra(np.ones((4, 1)), None, np.array([0, 0, 1, 1]))
    >>> alg.partial(np.array([1.0, 2.0, 3.0, 6.0])).tolist()
    [-2.0, -1.0, 0.0, 3.0]
    >>> alg.cells(np.arange(4.0)).tolist()
    [[1.0, 0.0], [0.0, 5.0]]
    """

    def __init__(
        self,
        x: np.ndarray,
        fixed_effects: np.ndarray | Absorber | None,
        clusters: np.ndarray,
        boot_clusters: np.ndarray | None = None,
    ) -> None:
        x = np.asarray(x, dtype=float)
        self.n = x.shape[0]
        if fixed_effects is None or isinstance(fixed_effects, Absorber):
            self.absorber = fixed_effects
        else:
            self.absorber = Absorber(fixed_effects)
        ab = self.absorber
        xr = ab.residualize(x) if ab is not None and x.shape[1] else x
        self.q = _orthonormal_basis(xr)
        self.k_total = x.shape[1] + (ab.rank if ab is not None else 0)
        self.h = factorize(np.asarray(clusters))
        self.n_clusters = int(self.h.max()) + 1
        self.b = self.h if boot_clusters is None else factorize(np.asarray(boot_clusters))
        self.n_boot = int(self.b.max()) + 1
        self._cell = self.b * self.n_clusters + self.h
        self._groups = ab.groups() if ab is not None else None

    # --- partialling ------------------------------------------------------------------------
    def partial(self, m: np.ndarray) -> np.ndarray:
        """``M m`` for a vector ``(n,)`` or the columns of ``(n, p)``."""
        m = np.asarray(m, dtype=float)
        if self.absorber is not None:
            m = self.absorber.residualize(m)
        if self.q.shape[1]:
            m = m - self.q @ (self.q.T @ m)
        return m

    # --- sums -------------------------------------------------------------------------------
    def by_cluster(self, v: np.ndarray) -> np.ndarray:
        """Sum within covariance clusters: ``(H,)`` for ``(n,)``, ``(H, p)`` for ``(n, p)``."""
        return _sums(self.h, self.n_clusters, v)

    def by_boot(self, v: np.ndarray) -> np.ndarray:
        """Sum within bootstrap clusters: ``(G_b,)`` or ``(G_b, p)``."""
        return _sums(self.b, self.n_boot, v)

    def cells(self, v: np.ndarray) -> np.ndarray:
        """Sum ``v`` (shape ``(n,)``) in the cells ``b ∩ h``: shape ``(G_b, H)``."""
        size = self.n_boot * self.n_clusters
        return np.bincount(self._cell, weights=v, minlength=size).reshape(
            self.n_boot, self.n_clusters
        )

    def cross(self, a: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Return ``(a ∘ 1_b)ᵀ H_W (c ∘ 1_h)`` for every pair ``(b, h)``: shape ``(G_b, H)``."""
        out = np.zeros((self.n_boot, self.n_clusters))
        if self.q.shape[1]:
            out += self.by_boot(self.q * a[:, None]) @ self.by_cluster(self.q * c[:, None]).T
        ab = self.absorber
        if ab is None:
            return out
        if self._groups is not None:  # one fixed effect: group sums
            f, size = self._groups
            levels = size.shape[0]
            sa = scipy.sparse.csr_matrix((a, (self.b, f)), shape=(self.n_boot, levels))
            sc = scipy.sparse.csr_matrix((c, (self.h, f)), shape=(self.n_clusters, levels))
            out += np.asarray((sa @ scipy.sparse.diags(1.0 / size) @ sc.T).todense())
            return out
        # several fixed effects: project the columns c ∘ 1_h, a block of clusters at a time
        width = max(1, _BLOCK_CELLS // max(self.n, 1))
        rows = np.arange(self.n)
        for start in range(0, self.n_clusters, width):
            stop = min(start + width, self.n_clusters)
            cols = np.zeros((self.n, stop - start))
            inside = (self.h >= start) & (self.h < stop)
            cols[rows[inside], self.h[inside] - start] = c[inside]
            out[:, start:stop] += self.by_boot(ab.project(cols) * a[:, None])
        return out


def _sums(codes: np.ndarray, size: int, v: np.ndarray) -> np.ndarray:
    """Sum ``v`` (``(n,)`` or ``(n, p)``) by ``codes``: ``(size,)`` or ``(size, p)``."""
    if v.ndim == 1:
        return np.bincount(codes, weights=v, minlength=size)
    return np.column_stack(
        [np.bincount(codes, weights=v[:, j], minlength=size) for j in range(v.shape[1])]
    ).reshape(size, v.shape[1])


def _orthonormal_basis(x: np.ndarray) -> np.ndarray:
    """Return an orthonormal basis of the columns of a tall, full-rank ``x`` (shape ``(n, k)``).

    CholeskyQR2 on the column-scaled matrix (two passes of ``xᵀx`` and a ``k × k`` triangular
    inverse: BLAS-3, several times faster than Householder QR for ``k << n``), falling back to
    Householder QR when the Cholesky factor fails or the result is not orthonormal to 1e-12.
    """
    n, k = x.shape
    if not k:
        return np.empty((n, 0))
    scale = np.sqrt(np.einsum("ij,ij->j", x, x))
    q = x / np.where(scale > 0, scale, 1.0)
    try:
        for _ in range(2):
            r = np.linalg.cholesky(q.T @ q).T
            q = q @ np.linalg.inv(r)
        if np.abs(q.T @ q - np.eye(k)).max() <= 1e-12:
            return q
    except np.linalg.LinAlgError:
        pass
    return np.linalg.qr(x)[0]
