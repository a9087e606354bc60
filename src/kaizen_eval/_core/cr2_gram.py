r"""The Gram matrices of CR2's small-sample approximations, in low-rank form.

For a contrast ``c`` let ``π_g(c) = A_g V_g B c`` (the adjusted cluster rows of the contrast,
``A_g = (I − E_g)^{+1/2}`` the CR2 adjustment of cluster ``g``). The Satterthwaite degrees of
freedom and the HTZ test of Pustejovsky and Tipton (2018) need the ``G × G`` matrices

.. math::

    Γ(u, w)_{gh} = δ_{gh}\, π_g(u)ᵀ π_h(w) − π_g(u)ᵀ F_g K F_hᵀ π_h(w)

where ``F_g K F_gᵀ = E_g`` is the low-rank part of cluster ``g``'s block of the (oblique)
hat matrix: unweighted, ``F = [X̃, C]`` (design and orthonormal basis of the absorbed fixed
effects) with ``K = diag(B, I)``, so ``I − F K Fᵀ = I − H``; weighted (working model
``Φ = I`` on the original scale), ``F = [X, W X]`` with ``K = [[−M, B], [B, 0]]``,
``M = B XᵀW²X B``, so that ``Γ = Πᵀ (I − H_X)(I − H_X)ᵀ Π``. Writing ``U(c)`` for the
``m × G`` matrix of columns ``F_gᵀ π_g(c)`` and ``d_g(u, w) = π_g(u)ᵀ π_g(w)``,

.. math::

    Γ(u, w) = \operatorname{diag}(d(u, w)) − U(u)ᵀ K U(w),

so traces and Frobenius inner products of Gram matrices cost ``O(G m²)`` and never form a
``G × G`` (let alone ``n × G``) array. Everything is linear in the contrast, so the per-cluster
pieces are stored once for the unit contrasts (``k × k`` and ``m × k`` per cluster).
The fixed effects of a single absorbed factor enter ``U`` as sparse rows, one entry per
(level, cluster) cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse


@dataclass(frozen=True, eq=False)
class Cells:
    """The sparse rows of ``U`` for one absorbed fixed effect (identity block of ``K``).

    Attributes
    ----------
    level : numpy.ndarray of int, shape (c,)
        Fixed-effect level of each (level, cluster) cell; cells are sorted by cluster.
    cluster : numpy.ndarray of int, shape (c,)
        Cluster of each cell (non-decreasing).
    indptr : numpy.ndarray of int, shape (G + 1,)
        First cell of each cluster (and the number of cells at the end).
    values : numpy.ndarray, shape (c, k)
        ``Σ_{i in cell} C_{i,level} π_i`` for the unit contrasts.
    n_levels : int
    """

    level: np.ndarray
    cluster: np.ndarray
    indptr: np.ndarray
    values: np.ndarray
    n_levels: int


@dataclass(frozen=True, eq=False)
class CR2Gram:
    """The Gram matrices ``Γ(u, w)`` of a CR2 fit, held in low-rank form (see module notes).

    Call it, ``gram(u, w)``, for the dense ``G × G`` matrix (small ``G`` only: tests and
    diagnostics); :meth:`trace`, :meth:`inner`, :meth:`satterthwaite` and :meth:`htz_eta`
    work on the low-rank pieces.

    Attributes
    ----------
    pp : numpy.ndarray, shape (G, k, k)
        ``π_gᵀ π_g`` for the unit contrasts: ``d_g(u, w) = uᵀ pp_g w``.
    ud : numpy.ndarray, shape (G, m, k)
        Dense rows of ``U`` for the unit contrasts: ``U(c)[:, g] = ud_g c``.
    k_mat : numpy.ndarray, shape (m, m)
        ``K`` (its block for the dense rows; the sparse cells have an identity block).
    cells : Cells or None
        The single absorbed fixed effect's sparse rows.
    """

    pp: np.ndarray
    ud: np.ndarray
    k_mat: np.ndarray
    cells: Cells | None = None

    @property
    def n_clusters(self) -> int:
        """``G``."""
        return self.pp.shape[0]

    # --- pieces for one contrast ------------------------------------------------------------
    def _dense(self, c: np.ndarray) -> np.ndarray:
        return self.ud @ np.asarray(c, dtype=float)  # (G, m)

    def _sparse(self, c: np.ndarray) -> scipy.sparse.csc_matrix | None:
        cl = self.cells
        if cl is None:
            return None
        # cells are sorted by cluster: Uᵀ is CSR with one row per cluster, built without a sort
        ut = scipy.sparse.csr_matrix(
            (cl.values @ np.asarray(c, dtype=float), cl.level, cl.indptr),
            shape=(self.n_clusters, cl.n_levels),
        )
        return ut.T

    def _d(self, u: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.einsum("gij,i,j->g", self.pp, np.asarray(u, float), np.asarray(w, float))

    def _diag_low(self, u: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Diagonal of ``U(u)ᵀ K U(w)``, shape ``(G,)``."""
        out = np.einsum("gm,mn,gn->g", self._dense(u), self.k_mat, self._dense(w))
        if self.cells is not None:
            prod = (self.cells.values @ u) * (self.cells.values @ w)
            out = out + np.bincount(self.cells.cluster, weights=prod, minlength=self.n_clusters)
        return out

    # --- the public operations --------------------------------------------------------------
    def __call__(self, u: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Return the dense ``G × G`` matrix ``Γ(u, w)`` (``O(G²)`` memory)."""
        au, aw = self._dense(u), self._dense(w)
        out = np.diag(self._d(u, w)) - au @ self.k_mat @ aw.T
        su, sw = self._sparse(u), self._sparse(w)
        if su is not None:
            out = out - (su.T @ sw).toarray()
        return out

    def trace(self, u: np.ndarray, w: np.ndarray) -> float:
        """Return ``tr Γ(u, w)``."""
        return float(np.sum(self._d(u, w)) - np.sum(self._diag_low(u, w)))

    def inner(self, u1: np.ndarray, w1: np.ndarray, u2: np.ndarray, w2: np.ndarray) -> float:
        """Return the Frobenius inner product ``Σ_gh Γ(u1, w1)_gh Γ(u2, w2)_gh``.

        With ``Γᵢ = Dᵢ − Aᵢᵀ K Bᵢ``: ``Σ d₁d₂ − Σ d₁ diag(A₂ᵀKB₂) − Σ d₂ diag(A₁ᵀKB₁)
        + tr(K A₁A₂ᵀ K B₂B₁ᵀ)``, the last from ``m × m`` products.
        """
        d1, d2 = self._d(u1, w1), self._d(u2, w2)
        total = float(d1 @ d2 - d1 @ self._diag_low(u2, w2) - d2 @ self._diag_low(u1, w1))
        a1, b1, a2, b2 = (self._dense(c) for c in (u1, w1, u2, w2))
        k = self.k_mat
        p_dd, s_dd = a1.T @ a2, b2.T @ b1
        total += float(np.sum((k @ p_dd @ k) * s_dd.T))
        if self.cells is not None:
            sa1, sb1, sa2, sb2 = (self._sparse(c) for c in (u1, w1, u2, w2))
            p_ds = (sa2 @ a1).T  # A1d A2sᵀ, (m, r)
            p_sd = sa1 @ a2  # A1s A2dᵀ, (r, m)
            s_ds = (sb1 @ b2).T  # B2d B1sᵀ
            s_sd = sb2 @ b1  # B2s B1dᵀ
            total += float(np.sum((k @ p_ds) * s_sd.T))
            total += float(np.sum((p_sd @ k) * s_ds.T))
            p_ss = sa1 @ sa2.T
            s_ss = sb2 @ sb1.T
            total += float(p_ss.multiply(s_ss.T).sum())
        return total

    def satterthwaite(self, c: np.ndarray) -> float:
        """Satterthwaite degrees of freedom of the contrast ``c``: ``tr(Γ)² / ‖Γ‖²_F``."""
        return self.trace(c, c) ** 2 / self.inner(c, c, c, c)

    def htz_eta(self, rmat: np.ndarray) -> float:
        """Wishart degrees of freedom ``η`` of the HTZ test of the rows of ``rmat`` (q × k).

        ``η = q(q+1) / Σ_st [⟨Γ̃_ss, Γ̃_tt⟩ + ⟨Γ̃_st, Γ̃_ts⟩]`` with ``Γ̃`` the Gram matrices of
        the contrasts standardized by ``Ω^{-1/2}``, ``Ω_st = tr Γ(r_s, r_t)`` (by bilinearity
        ``Γ̃_st = Γ(ũ_s, ũ_t)`` with ``ũ = Ω^{-1/2} R``), as ``clubSandwich::Wald_test``.
        """
        rmat = np.atleast_2d(np.asarray(rmat, dtype=float))
        q = rmat.shape[0]
        omega = np.array([[self.trace(rmat[s], rmat[t]) for t in range(q)] for s in range(q)])
        vals, vecs = np.linalg.eigh((omega + omega.T) / 2)
        root = (vecs / np.sqrt(vals)) @ vecs.T  # Ω^{-1/2}
        std = root @ rmat
        total = 0.0
        for s in range(q):
            for t in range(q):
                total += self.inner(std[s], std[s], std[t], std[t])
                total += self.inner(std[s], std[t], std[t], std[s])
        return float(q * (q + 1) / total)
