r"""Resampling engine: the statistic of one re-drawn regressor for thousands of draws at once.

Randomization inference and Romano–Wolf need the coefficient (or its studentized t) of one
column ``t`` — the assignment — in a regression with the same outcomes, covariates and fixed
effects, for many re-drawn versions of ``t`` (the wild cluster bootstrap, whose draws
re-weight residuals, has its own cluster-sum kernel, :mod:`kaizen_eval._core.wild`).
Refitting per draw repeats the same work; here the covariates ``X`` and the absorbed fixed
effects ``D`` are partialled out once (Frisch–Waugh–Lovell), and each block of draws (rows of a
``B × N`` array) needs only row-wise products.

With ``W = [X, D]``, ``M = I − H_W``, ``ỹ = M y`` and ``t̃ = M t`` (one row of the block):

=================  ===================================================================
OLS (ITT)          ``β = t̃ᵀỹ / t̃ᵀt̃``; ``e = ỹ − β t̃``; the regressor of the sandwich is
                   ``z̃ = t̃`` and its bread ``(t̃ᵀt̃)⁻¹``
2SLS (LATE)        ``t`` is the instrument of the endogenous ``d``: ``β = z̃ᵀỹ / z̃ᵀd̃``;
                   ``e = ỹ − β d̃``; the projected regressor ``x̂ = π z̃`` with
                   ``π = z̃ᵀd̃ / z̃ᵀz̃``, so ``Var β = Σ ω_i z̃_i² e_i² / (z̃ᵀd̃)²`` for every
                   sandwich below (``π`` cancels)
HC0–HC3            ``meat = Σ_i z̃_i² e_i² / (1 − h_i)^p`` (``p`` = 0, 0, 1, 2) with the
                   leverage of the full design ``h_i = h_W,i + z̃_i² / z̃ᵀz̃``
CR0, CR1           ``meat = Σ_g (Σ_{i∈g} z̃_i e_i)²``
=================  ===================================================================

``Var β = c · meat / den²`` with the small-sample factor ``c`` of
:mod:`kaizen_eval._core.covariance` (``N/(N − K)`` for HC1, ``G/(G − 1)·(N − 1)/(N − K)`` for
CR1; ``K`` counts the tested regressor, the covariates and the fixed-effect levels), which is
exactly what refitting with :func:`~kaizen_eval._core.linear.fit_ols` or
:func:`~kaizen_eval._core.linear.fit_2sls` gives (tested to 1e-10). For several outcomes the
meat is expanded as ``Σ w ỹ² − 2β Σ w a ỹ + β² Σ w a²`` (``w = z̃²/(1 − h)^p``, ``a = t̃`` or
``d̃``), so that all outcomes share the per-draw work.

Every quantity of a draw is computed from its own row only, and always inside a block of the
same shape: draws are processed in chunks of :func:`chunk_rows` rows (the last one padded with
zero rows that are discarded), so that the BLAS matrix products, whose summation order depends on
the shapes of their operands (and differs in the last bits between, say, a 3-row and a 256-row
product), see exactly the same shapes whatever the caller's blocks; outcomes likewise enter
the products in blocks of a fixed number of columns. Results are therefore bit-identical whatever
the block size, and an outcome's results are the same alone or in a family. Fixed effects
absorbed iteratively (very large ones, see :class:`~kaizen_eval._core.absorb.Absorber`) are
the exception: their convergence check spans the chunk.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse

from kaizen_eval._core import meats
from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.chunks import DrawStatistics, block_rows, chunk_rows, column_blocks
from kaizen_eval._core.covariance import SE_TYPES, CovarianceSpec
from kaizen_eval._validation import KaizenError

__all__ = ["ENGINE_SE_TYPES", "DrawStatistics", "ResamplingEngine", "block_rows", "chunk_rows"]

#: The sandwich types the engine studentizes with: not classical, not CR2.
ENGINE_SE_TYPES: tuple[str, ...] = tuple(s for s in SE_TYPES if s not in ("classical", "CR2"))
_DENSE_FE_CELLS = 2**22  # one fixed effect is partialled densely up to n × levels = 4M cells


class ResamplingEngine:
    """Partial covariates and fixed effects out once; then studentize any number of draws.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,) or (n, K)
        Outcome(s).
    covariates : numpy.ndarray, shape (n, p), optional
        Regressors other than the tested one, with a constant column unless fixed effects are
        absorbed.
    fixed_effects : numpy.ndarray, shape (n,) or (n, m), or Absorber, optional
        Codes of fixed effects to absorb.
    clusters : numpy.ndarray, shape (n,), optional
        Cluster labels (required by ``CR0``/``CR1``).
    se_type : str
        One of :data:`ENGINE_SE_TYPES` (CR2 needs a matrix square root per cluster and draw).
    endogenous : numpy.ndarray, shape (n,), optional
        Take-up: the statistic is then the 2SLS coefficient of ``endogenous`` instrumented by the
        re-drawn column (with ``covariates`` and fixed effects as exogenous regressors).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.repeat([0.0, 1.0], 20)
    >>> y = 0.5 * t + rng.normal(size=40)
    >>> eng = ResamplingEngine(y, covariates=np.ones((40, 1)))
    >>> draws = np.array([rng.permutation(t) for _ in range(5)])
    >>> eng.statistics(draws).t.shape
    (5, 1)
    """

    def __init__(
        self,
        y: np.ndarray,
        *,
        covariates: np.ndarray | None = None,
        fixed_effects: np.ndarray | Absorber | None = None,
        clusters: np.ndarray | None = None,
        se_type: str = "HC1",
        endogenous: np.ndarray | None = None,
    ) -> None:
        y = np.asarray(y, dtype=float)
        self.n = n = y.shape[0]
        self.se_type = se_type
        x = np.empty((n, 0)) if covariates is None else np.asarray(covariates, dtype=float)
        x = x.reshape(n, -1)
        if isinstance(fixed_effects, Absorber) or fixed_effects is None:
            self.absorber = fixed_effects
        else:
            self.absorber = Absorber(fixed_effects)
        ab = self.absorber
        self.k_total = 1 + x.shape[1] + (ab.rank if ab is not None else 0)
        # the one covariance specification (checks se type, clusters, residual df; factor)
        self.spec = CovarianceSpec.build(
            se_type, nobs=n, k_total=self.k_total, clusters=clusters, allowed=ENGINE_SE_TYPES
        )
        self.n_clusters, self.factor = self.spec.n_clusters, self.spec.factor
        q = self._set_basis(x)
        y2 = y[:, None] if y.ndim == 1 else y
        self.y = self._partial_columns(y2)  # ỹ, (n, K)
        self._yt = np.ascontiguousarray(self.y.T)  # (K, n): contiguous row-wise sums
        self.chunk = chunk_rows(n)
        self._work: dict[str, np.ndarray] = {}  # scratch buffers of one chunk (_buffer)
        self._y_cols = column_blocks(self.y)  # ỹ in fixed-width column blocks (see _times)
        self._yy_cols = column_blocks(self.y * self.y)
        self.d = (
            None
            if endogenous is None
            else self._partial_columns(np.asarray(endogenous, dtype=float).reshape(n, 1))[:, 0]
        )
        if meats.leverage_power(se_type):
            if ab is not None and ab.iterative:
                ab.hat_diag()  # raises: the leverages of iteratively absorbed FE are unknown
            self._h0 = np.einsum("ij,ij->i", q, q) + (ab.hat_diag() if ab is not None else 0.0)
        if self.d is not None:
            self._ya_cols = column_blocks(self.y * self.d[:, None])
            self._aa = self.d * self.d

    def _set_basis(self, x: np.ndarray) -> np.ndarray:
        """Set what is partialled out and return the covariates' orthonormal basis.

        An orthonormal basis ``Q`` (covariates, dense fixed effects) and, for one large fixed
        effect, its group sums.
        """
        n, ab = self.n, self.absorber
        basis = None
        if ab is not None and not ab.iterative:
            # several fixed effects: their orthonormal basis; one with few levels: its scaled
            # indicators, so that the draws are partialled by two BLAS products
            basis = ab.orthonormal_basis(max_cells=_DENSE_FE_CELLS)
        self._fe_basis = np.empty((n, 0)) if basis is None else basis
        xr = ab.residualize(x) if ab is not None and x.shape[1] else x
        q = np.linalg.qr(xr)[0] if xr.shape[1] else np.empty((n, 0))
        # basis of everything partialled out by row-wise products (covariates; dense FE basis)
        self._q = np.hstack([q, self._fe_basis])
        self._qt = np.ascontiguousarray(self._q.T)  # rows: basis vectors (contiguous sums)
        groups = ab.groups() if ab is not None else None
        self._one_fe = groups is not None and not self._fe_basis.shape[1]
        if self._one_fe:
            self._codes, self._group_size = groups
            self._group_sum = scipy.sparse.csr_matrix(
                (np.ones(n), (self._codes, np.arange(n))), shape=(ab.rank, n)
            )
        return q

    # --- partialling ------------------------------------------------------------------------
    def _partial_columns(self, m: np.ndarray) -> np.ndarray:
        """``M m`` for columns of ``m``, in fixed-width column blocks.

        A column's result does not depend on how many columns come with it.
        """
        if m.ndim == 1:
            return self._partial_columns(m[:, None])[:, 0]
        q = self._q[:, : self._q.shape[1] - self._fe_basis.shape[1]]
        qt = np.ascontiguousarray(q.T)
        out = []
        for blk in column_blocks(m):
            if self.absorber is not None:
                blk = self.absorber.residualize(blk)
            out.append(blk - q @ (qt @ blk))
        return np.hstack(out)[:, : m.shape[1]]

    def partial(self, rows: np.ndarray) -> np.ndarray:
        """``M t`` for each row ``t`` of a ``(B, n)`` block (bit-identical whatever ``B``)."""
        return self._over_chunks(rows, lambda c: (self._partial_chunk(c),))[0]

    def _buffer(self, name: str) -> np.ndarray:
        """Return the ``(chunk, n)`` scratch array ``name``, reused from chunk to chunk.

        Scratch arrays hold intermediate results only and are never handed to callers (an
        engine is therefore not safe to share between threads). Writing into the same memory
        instead of fresh arrays saves the page faults of allocating them, which cost more than
        the arithmetic at these sizes.
        """
        buf = self._work.get(name)
        if buf is None:
            buf = self._work[name] = np.empty((self.chunk, self.n))
        return buf

    def _partial_chunk(self, rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``M t`` for the rows of one chunk (always :attr:`chunk` rows: fixed BLAS shapes).

        The result is written to ``out`` when given (a scratch buffer), else to a new array.
        """
        if self.absorber is None or not (self._one_fe or self.absorber.iterative):
            # everything partialled out is in the orthonormal basis ``Q``: t − (t Q) Qᵀ
            if not self._q.shape[1]:
                return rows.copy()
            proj = np.matmul(rows @ self._q, self._qt, out=self._buffer("projection"))
            return np.subtract(rows, proj, out=out)
        m = np.array(rows, dtype=float, order="C", copy=True)
        ab = self.absorber
        if ab is not None and self._one_fe:
            sums = (self._group_sum @ m.T).T  # (B, levels): sequential sums per row
            m -= (sums / self._group_size)[:, self._codes]
        elif ab is not None and ab.iterative:
            m = np.ascontiguousarray(ab.residualize(m.T).T)
        if self._q.shape[1]:
            m -= (m @ self._q) @ self._qt
        return m

    # --- fixed-shape chunks -------------------------------------------------------------------
    def _over_chunks(self, rows: np.ndarray, fn) -> tuple[np.ndarray, ...]:
        """Apply ``fn`` to fixed-shape chunks of ``rows`` and stack its outputs' rows.

        Every chunk has exactly :attr:`chunk` rows (the last is padded with zero rows, whose
        results are discarded), so every matrix product sees the same shapes.
        """
        b, c = rows.shape[0], self.chunk
        outs: list[list[np.ndarray]] = []
        for start in range(0, b, c):
            part = rows[start : start + c]
            if part.shape[0] < c:
                padded = np.zeros((c, self.n))
                padded[: part.shape[0]] = part
                part = padded
            with np.errstate(divide="ignore", invalid="ignore"):
                res = fn(part)
            outs.append([r[: min(c, b - start)] for r in res])
        if not outs:
            return tuple(np.empty((0, *r.shape[1:])) for r in fn(np.zeros((c, self.n))))
        return tuple(np.concatenate(parts) for parts in zip(*outs, strict=True))

    # --- statistics -------------------------------------------------------------------------
    def _check(self, draws: np.ndarray) -> np.ndarray:
        draws = np.asarray(draws, dtype=float)
        if draws.ndim != 2 or draws.shape[1] != self.n:
            raise KaizenError(f"draws must have shape (B, {self.n}); got {draws.shape}")
        return draws

    def coefficients(self, draws: np.ndarray) -> np.ndarray:
        """Coefficients only (no standard errors) for each draw: shape ``(B, K)``."""
        return self._over_chunks(self._check(draws), lambda c: (self._coef_chunk(c),))[0]

    def _coef_chunk(self, rows: np.ndarray) -> np.ndarray:
        z = self._partial_chunk(rows, out=self._buffer("z"))
        den = np.einsum("bn,bn->b", z, z) if self.d is None else z @ self.d
        return self._times(z, self._y_cols) / den[:, None]

    def _times(self, a: np.ndarray, blocks: list[np.ndarray], k: int | None = None) -> np.ndarray:
        """Multiply ``a`` by an outcome-side matrix held as fixed-width column blocks.

        Each product has :data:`_OUTCOME_BLOCK` columns whatever the number of outcomes, so an
        outcome's statistics are bit-identical whether it is tested alone or in a family.
        """
        out = np.hstack([a @ blk for blk in blocks])
        return out[:, : self.y.shape[1] if k is None else k]

    def statistics(self, draws: np.ndarray) -> DrawStatistics:
        """Coefficients and standard errors for each draw (row) of the tested regressor.

        Parameters
        ----------
        draws : numpy.ndarray, shape (B, n)
            Re-drawn values of the tested regressor (of the instrument with ``endogenous``).

        Returns
        -------
        DrawStatistics
            Arrays of shape ``(B, K)``.
        """
        coef, se = self._over_chunks(
            self._check(draws),
            lambda c: self._stat_chunk(self._partial_chunk(c, out=self._buffer("z"))),
        )
        return DrawStatistics(coef, se)

    def _stat_chunk(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients and standard errors of the partialled draws of one chunk (BLAS)."""
        zz = np.einsum("bn,bn->b", z, z)
        num = self._times(z, self._y_cols)
        den = zz if self.d is None else z @ self.d
        beta = num / den[:, None]
        if self.n_clusters is None:
            ya = self._y_cols if self.d is None else self._ya_cols
            meat = self._hc_meat(z, zz, beta, self._yy_cols, ya, buffers=True)
        else:
            meat = self._cr_meat(z, beta, self._yt)
        var = self.factor * np.maximum(meat, 0.0) / (den**2)[:, None]
        return beta, np.sqrt(var)

    def partial_columns(self, m: np.ndarray) -> np.ndarray:
        """``M m`` for columns of ``m`` (shape ``(n, m)``, or one column ``(n,)``)."""
        return self._partial_columns(np.asarray(m, dtype=float))

    def _hc_meat(
        self,
        z: np.ndarray,
        zz: np.ndarray,
        beta: np.ndarray,
        yy_cols: list[np.ndarray],
        ya_cols: list[np.ndarray],
        buffers: bool = False,
    ) -> np.ndarray:
        """HC meats ``Σ w (ỹ − β a)²`` of a block of draws, shape ``(B, K)``.

        ``w = z̃² (1 − h)^{-p}`` (:meth:`_hc_weights`) and ``a = z̃`` (OLS) or ``d̃`` (2SLS);
        ``yy_cols`` and ``ya_cols`` hold ``ỹ²`` and ``ỹ`` (OLS) or ``d̃ ỹ`` (2SLS) in fixed-width
        column blocks; the square is expanded by :func:`~kaizen_eval._core.meats.scalar_meat`.
        """
        w = self._hc_weights(z, zz, out=self._buffer("w") if buffers else None)
        k = beta.shape[1]
        s_yy = self._times(w, yy_cols, k)
        if self.d is None:  # a = z̃
            wa = np.multiply(w, z, out=self._buffer("wa") if buffers else None)
            s_ya, s_aa = self._times(wa, ya_cols, k), np.einsum("bn,bn->b", wa, z)
        else:  # a = d̃
            s_ya, s_aa = self._times(w, ya_cols, k), w @ self._aa
        return meats.scalar_meat(s_yy, s_ya, s_aa[:, None], beta)

    def _hc_weights(
        self, z: np.ndarray, zz: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``w = z̃² (1 − h)^{-p}``: the squared scores of the HC meat divided by ``e²``.

        The leverage of the full design is ``h = h_W + z̃²/z̃ᵀz̃``; the weights ``(1 − h)^{-p}``
        are the specification's (:meth:`CovarianceSpec.leverage_weights`).
        """
        w = np.multiply(z, z, out=out)
        if meats.leverage_power(self.se_type):
            with np.errstate(divide="ignore", invalid="ignore"):
                lev = self.spec.leverage_weights(1.0 - self._h0[None, :] - w / zz[:, None])
            w *= lev
        return w

    def _cr_meat(self, z: np.ndarray, beta: np.ndarray, yt: np.ndarray) -> np.ndarray:
        """CR0/CR1 meats ``Σ_g s_g²``, ``s_g = Σ_{i∈g} z̃ ỹ − β Σ_{i∈g} z̃ a``: shape ``(B, K)``."""
        a = z if self.d is None else self.d[None, :]
        r = self.spec.cluster_sums(z * a)  # (B, G)
        if z.shape[0] == 1:  # one regressor, many outcomes: all at once
            s = self.spec.cluster_sums(yt * z) - beta[0][:, None] * r  # (K, G)
            return meats.meat(s[:, None, :])[:, 0, 0][None, :]
        meat = np.empty_like(beta)
        for k in range(yt.shape[0]):
            s = self.spec.cluster_sums(z * yt[k]) - beta[:, k : k + 1] * r  # (B, G)
            meat[:, k] = meats.meat(s[:, None, :])[:, 0, 0]
        return meat

    def run(self, blocks: Iterable[np.ndarray]) -> DrawStatistics:
        """Statistics of every draw of an iterable of blocks, stacked."""
        return DrawStatistics.concat(self.statistics(b) for b in blocks)
