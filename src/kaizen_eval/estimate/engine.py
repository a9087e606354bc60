r"""Resampling engine: the statistic of one re-drawn regressor for thousands of draws at once.

Randomization inference, Romano–Wolf and simulation-based power all need the coefficient (or its
studentized t) of one column ``t`` — the assignment — in a regression with the same outcomes,
covariates and fixed effects, for many re-drawn versions of ``t``. Refitting per draw repeats
the same work; here the covariates ``X`` and the absorbed fixed effects ``D`` are partialled out
once (Frisch–Waugh–Lovell), and each block of draws (rows of a ``B × N`` array) needs only
row-wise products.

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
:mod:`kaizen_eval.estimate.covariance` (``N/(N − K)`` for HC1, ``G/(G − 1)·(N − 1)/(N − K)`` for
CR1; ``K`` counts the tested regressor, the covariates and the fixed-effect levels), which is
exactly what refitting with :func:`~kaizen_eval.estimate.linear.fit_ols` or
:func:`~kaizen_eval.estimate.linear.fit_2sls` gives (tested to 1e-10). For several outcomes the
meat is expanded as ``Σ w ỹ² − 2β Σ w a ỹ + β² Σ w a²`` (``w = z̃²/(1 − h)^p``, ``a = t̃`` or
``d̃``), so that all outcomes share the per-draw work.

Every quantity of a draw is computed from its own row only, by reductions whose order does not
depend on how many rows the block has (``numpy.einsum`` without BLAS, sparse sums), so results
are bit-identical whatever the block size (BLAS matrix products are not: their summation order
changes with the shape). Fixed effects absorbed iteratively (very large ones, see
:class:`~kaizen_eval.estimate.absorb.Absorber`) are the exception: their convergence check spans
the block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.estimate.absorb import Absorber, factorize

ENGINE_SE_TYPES: tuple[str, ...] = ("HC0", "HC1", "HC2", "HC3", "CR0", "CR1")
_LEVERAGE_ONE = 1e-10  # 1 − h below this: a leverage of one (zero residual), contributes 0


def small_sample_factor(se_type: str, n: int, k_total: int, n_clusters: int | None) -> float:
    """Small-sample factor ``c`` of a sandwich ``c · B meat B``.

    Examples
    --------
    >>> small_sample_factor("HC1", 100, 4, None)
    1.0416666666666667
    """
    if se_type == "HC1":
        return n / (n - k_total)
    if se_type == "CR1":
        g = n_clusters
        return g / (g - 1) * (n - 1) / (n - k_total)
    return 1.0


def leverage_power(se_type: str) -> int:
    """Power ``p`` of ``(1 − h_ii)`` dividing the squared residuals (HC2: 1, HC3: 2, else 0)."""
    return {"HC2": 1, "HC3": 2}.get(se_type, 0)


@dataclass(frozen=True, eq=False)
class DrawStatistics:
    """Coefficients and standard errors of the tested regressor, one row per draw.

    Attributes
    ----------
    coef : numpy.ndarray, shape (B, K)
        One column per outcome.
    std_error : numpy.ndarray, shape (B, K)
    """

    coef: np.ndarray
    std_error: np.ndarray

    @property
    def t(self) -> np.ndarray:
        """Studentized statistics ``coef / std_error``, shape ``(B, K)``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.coef / self.std_error

    @classmethod
    def concat(cls, parts: Iterable[DrawStatistics]) -> DrawStatistics:
        """Stack the rows of several blocks."""
        parts = list(parts)
        return cls(
            np.concatenate([p.coef for p in parts]), np.concatenate([p.std_error for p in parts])
        )


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
        check_option("se_type", se_type, ENGINE_SE_TYPES)
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
        if ab is not None and ab.iterative:
            self._fe_basis = np.empty((n, 0))
        elif ab is not None and ab._basis is not None:
            self._fe_basis = ab._basis  # several fixed effects: their orthonormal basis
        else:
            self._fe_basis = np.empty((n, 0))
        xr = ab.residualize(x) if ab is not None and x.shape[1] else x
        q = np.linalg.qr(xr)[0] if xr.shape[1] else np.empty((n, 0))
        # basis of everything partialled out by row-wise products (covariates; dense FE basis)
        self._q = np.ascontiguousarray(np.hstack([q, self._fe_basis]))
        self._one_fe = ab is not None and ab._c is not None
        if self._one_fe:
            self._codes = ab._c
            self._group_sum = scipy.sparse.csr_matrix(
                (np.ones(n), (ab._c, np.arange(n))), shape=(ab.rank, n)
            )
            self._group_size = ab._wsum
        y2 = y[:, None] if y.ndim == 1 else y
        self.y = self._partial_columns(y2)  # ỹ, (n, K)
        self.k_total = 1 + x.shape[1] + (ab.rank if ab is not None else 0)
        if n - self.k_total <= 0:
            raise KaizenError(
                f"no residual degrees of freedom: {n} observations for {self.k_total} parameters"
            )
        self.d = (
            None
            if endogenous is None
            else self._partial_columns(np.asarray(endogenous, dtype=float).reshape(n, 1))[:, 0]
        )
        self.power = leverage_power(se_type)
        if self.power:
            if ab is not None and ab.iterative:
                ab.hat_diag()  # raises: the leverages of iteratively absorbed FE are unknown
            self._h0 = np.einsum("ij,ij->i", q, q) + (ab.hat_diag() if ab is not None else 0.0)
        self.n_clusters = None
        if se_type in ("CR0", "CR1"):
            if clusters is None:
                raise KaizenError(f"`se_type={se_type!r}` needs cluster labels")
            codes = factorize(np.asarray(clusters))
            self.n_clusters = int(codes.max()) + 1
            if self.n_clusters < 2:
                raise KaizenError("clustered standard errors need at least 2 clusters")
            # (n × G) sparse: a block (B × n) times it sums each draw's row within clusters
            self._csum = scipy.sparse.csc_matrix(
                (np.ones(n), (np.arange(n), codes)), shape=(n, self.n_clusters)
            )
        elif clusters is not None:
            raise KaizenError(f"`se_type={se_type!r}` is not a clustered covariance type")
        self.factor = small_sample_factor(se_type, n, self.k_total, self.n_clusters)
        a = self.d if self.d is not None else None
        if a is not None:
            self._ya = self.y * a[:, None]  # d̃ ∘ ỹ
            self._aa = a * a

    # --- partialling ------------------------------------------------------------------------
    def _partial_columns(self, m: np.ndarray) -> np.ndarray:
        """``M m`` for fixed columns (done once; ordinary matrix products)."""
        if self.absorber is not None:
            m = self.absorber.residualize(m)
        q = self._q[:, : self._q.shape[1] - self._fe_basis.shape[1]]
        return m - q @ (q.T @ m)

    def partial(self, rows: np.ndarray) -> np.ndarray:
        """``M t`` for each row ``t`` of a ``(B, n)`` block, row by row (block-size invariant)."""
        m = np.array(rows, dtype=float, order="C", copy=True)
        ab = self.absorber
        if ab is not None and self._one_fe:
            sums = (self._group_sum @ m.T).T  # (B, levels): sequential sums per row
            m -= (sums / self._group_size)[:, self._codes]
        elif ab is not None and ab.iterative:
            m = np.ascontiguousarray(ab.residualize(m.T).T)
        if self._q.shape[1]:
            c = np.einsum("bn,nr->br", rows if ab is None else m, self._q)
            m -= np.einsum("br,nr->bn", c, self._q)
        return m

    # --- statistics -------------------------------------------------------------------------
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
        draws = np.asarray(draws, dtype=float)
        if draws.ndim != 2 or draws.shape[1] != self.n:
            raise KaizenError(f"draws must have shape (B, {self.n}); got {draws.shape}")
        if draws.shape[0] == 1:
            # numpy's einsum reduces a lone row through a BLAS dot, whose summation order
            # differs from its own loops: compute it as a two-row block
            both = self.statistics(np.vstack([draws, draws]))
            return DrawStatistics(both.coef[:1], both.std_error[:1])
        z = self.partial(draws)
        zz = np.einsum("bn,bn->b", z, z)
        num = np.einsum("bn,nk->bk", z, self.y)
        den = zz if self.d is None else np.einsum("bn,n->b", z, self.d)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = num / den[:, None]
            if self.n_clusters is None:
                meat = self._hc_meat(z, zz, beta)
            else:
                meat = self._cr_meat(z, beta)
            var = self.factor * np.maximum(meat, 0.0) / (den**2)[:, None]
        return DrawStatistics(beta, np.sqrt(var))

    def _hc_meat(self, z: np.ndarray, zz: np.ndarray, beta: np.ndarray) -> np.ndarray:
        w = z * z
        if self.power:
            with np.errstate(divide="ignore", invalid="ignore"):
                one_minus_h = 1.0 - self._h0[None, :] - w / zz[:, None]
                w = np.where(one_minus_h > _LEVERAGE_ONE, w / one_minus_h**self.power, 0.0)
        s_yy = np.einsum("bn,nk->bk", w, self.y * self.y)
        if self.d is None:  # a = z̃
            wa = w * z
            s_ya = np.einsum("bn,nk->bk", wa, self.y)
            s_aa = np.einsum("bn,bn->b", wa, z)
        else:  # a = d̃
            s_ya = np.einsum("bn,nk->bk", w, self._ya)
            s_aa = np.einsum("bn,n->b", w, self._aa)
        return s_yy - 2.0 * beta * s_ya + beta**2 * s_aa[:, None]

    def _cr_meat(self, z: np.ndarray, beta: np.ndarray) -> np.ndarray:
        a = z if self.d is None else self.d[None, :]
        r = (self._csum.T @ (z * a).T).T  # (B, G): Σ_g z̃ a
        meat = np.empty_like(beta)
        for k in range(self.y.shape[1]):
            p = (self._csum.T @ (z * self.y[:, k]).T).T  # (B, G): Σ_g z̃ ỹ
            s = p - beta[:, k : k + 1] * r
            meat[:, k] = np.einsum("bg,bg->b", s, s)
        return meat

    def run(self, blocks: Iterable[np.ndarray]) -> DrawStatistics:
        """Statistics of every draw of an iterable of blocks, stacked."""
        return DrawStatistics.concat(self.statistics(b) for b in blocks)
