r"""Many small OLS fits at once: one per simulated trial, each with its own design and outcome.

:func:`~kaizen_eval.simulate_power` fits ``y_b = X_b β_b (+ strata fixed effects) + ε_b`` for
thousands of replications ``b`` whose regressors (re-drawn arms, their interaction, a fresh
covariate) all differ, while ``N``, the fixed-effect codes and the clusters stay the same. With
``K`` regressors (a handful) the work per replication is a few length-``N`` sums, so a block of
replications is handled as ``(B, K, N)`` arrays:

* the strata fixed effects are absorbed by subtracting within-stratum means of every row
  (Frisch–Waugh–Lovell; the group sums are one sparse product for the whole block);
* ``X̃ᵀX̃`` and ``X̃ᵀỹ`` are ``(B, K, K)`` and ``(B, K)`` stacks, solved by
  :func:`numpy.linalg.solve` and inverted by :func:`numpy.linalg.inv` matrix by matrix;
* the sandwich ``c · B meat B`` of :mod:`kaizen_eval.estimate.covariance` (same meats, same
  small-sample factors :func:`~kaizen_eval.estimate.covariance.small_sample_factor` and
  leverage adjustment :func:`~kaizen_eval.estimate.covariance.leverage_adjusted`, same degrees
  of freedom): ``classical``, HC0–HC3 (HC2/HC3 with the leverage of the full design,
  ``h_i = x̃_iᵀ B x̃_i + 1/N_s`` for unit ``i`` of stratum ``s``) and CR0/CR1 (cluster sums of
  ``x̃_i e_i`` by a sparse product). CR2 needs a matrix square root per cluster and replication
  and is not done here.

The sandwich step (meat, ``c · diag(P meat Pᵀ)``, degenerate variances) is shared with the
just-identified 2SLS of :class:`~kaizen_eval.design._batch_iv.Batch2SLS`, whose ``P`` is
``(Z̃ᵀX̃)⁻¹`` and whose meat has the instruments' rows.

A replication whose design may be rank deficient (a column with no variation left, or scaled
``X̃ᵀX̃`` with an eigenvalue below 1e-8, far above what
:func:`~kaizen_eval.estimate.linear.check_full_rank` rejects), and one with a variance that is
zero up to rounding (below 1e-8 times its bound ``c · tr(meat) · ‖b_j‖²``, ``b_j`` the row of
the bread: a degenerate fit, whose sign rounding decides), is flagged in
:attr:`BatchFit.suspect` and its numbers are not to be used: the caller refits it with
:func:`~kaizen_eval.estimate.linear.fit_ols`, which either reports the collinearity or fits it.

Every number of a replication comes from its own rows only, by reductions whose order does not
depend on the block (:func:`numpy.einsum` loops, sparse sums, LAPACK on one small matrix at a
time), so results are bit-identical whatever the block size (a test compares blocks of one,
two, three and seven replications with one block of all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.estimate.absorb import factorize
from kaizen_eval.estimate.covariance import leverage_adjusted, small_sample_factor

BATCH_SE_TYPES: tuple[str, ...] = ("classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1")
_ZERO_NORM = 1e-6  # column norm after absorbing / before, below which a column is suspect
_MIN_EIGEN = 1e-8  # smallest eigenvalue of the scaled X̃ᵀX̃ below which a design is suspect
_DEGENERATE = 1e-8  # variance relative to its Cauchy–Schwarz bound below which a fit is suspect


@dataclass(frozen=True, eq=False)
class BatchFit:
    """Coefficients and standard errors of a block of replications.

    Attributes
    ----------
    coef : numpy.ndarray, shape (B, K)
    std_error : numpy.ndarray, shape (B, K)
    df : float
        Degrees of freedom of every coefficient (``N − K_total``, or ``G − 1`` when clustered).
    suspect : numpy.ndarray of bool, shape (B,)
        Replications that may be rank deficient: refit them one by one (their rows here are
        meaningless).
    """

    coef: np.ndarray
    std_error: np.ndarray
    df: float
    suspect: np.ndarray


class BatchOLS:
    """The pieces shared by every replication: fixed effects, clusters, covariance type.

    Parameters
    ----------
    n : int
        Observations per replication.
    k : int
        Regressors per replication (not counting the absorbed fixed effects).
    se_type : str
        One of :data:`BATCH_SE_TYPES`.
    fixed_effects : numpy.ndarray, shape (n,), optional
        Codes of one fixed effect to absorb (the strata).
    clusters : numpy.ndarray, shape (n,), optional
        Cluster labels; required by (and only allowed with) CR0/CR1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.stack([np.ones((3, 40)), rng.integers(0, 2, (3, 40))], axis=1)  # (B, K, n)
    >>> y = 0.5 * x[:, 1] + rng.normal(size=(3, 40))
    >>> fit = BatchOLS(40, 2, se_type="HC2").fit(y, x)
    >>> fit.coef.shape, fit.df, fit.suspect.tolist()
    ((3, 2), 38.0, [False, False, False])
    """

    def __init__(
        self,
        n: int,
        k: int,
        *,
        se_type: str,
        fixed_effects: np.ndarray | None = None,
        clusters: np.ndarray | None = None,
    ) -> None:
        check_option("se_type", se_type, BATCH_SE_TYPES)
        self.n, self.k, self.se_type = int(n), int(k), se_type
        self._codes = None
        n_absorbed = 0
        if fixed_effects is not None:
            self._codes = factorize(np.asarray(fixed_effects))
            n_absorbed = int(self._codes.max()) + 1
            self._size = np.bincount(self._codes, minlength=n_absorbed).astype(float)
            # (levels × n) sparse: times a (n × M) array, each column's sums by stratum
            self._group_sum = scipy.sparse.csr_matrix(
                (np.ones(n), (self._codes, np.arange(n))), shape=(n_absorbed, n)
            )
        self.k_total = self.k + n_absorbed
        self.df_resid = self.n - self.k_total
        if self.df_resid <= 0:
            raise KaizenError(
                f"no residual degrees of freedom: {self.n} observations for {self.k_total} "
                "parameters"
            )
        self.n_clusters = None
        if se_type in ("CR0", "CR1"):
            if clusters is None:
                raise KaizenError(f"`se={se_type!r}` needs cluster labels")
            codes = factorize(np.asarray(clusters))
            self.n_clusters = int(codes.max()) + 1
            if self.n_clusters < 2:
                raise KaizenError("clustered standard errors need at least 2 clusters")
            self._cluster_sum = scipy.sparse.csr_matrix(
                (np.ones(n), (codes, np.arange(n))), shape=(self.n_clusters, n)
            )
            self.df = float(self.n_clusters - 1)
        elif clusters is not None:
            raise KaizenError(f"`se={se_type!r}` is not a clustered covariance type")
        else:
            self.df = float(self.df_resid)
        self.factor = small_sample_factor(se_type, self.n, self.k_total, self.n_clusters)

    def _absorb(self, m: np.ndarray) -> np.ndarray:
        """Subtract the within-stratum means of every row of ``m`` (shape ``(M, n)``)."""
        if self._codes is None:
            return m
        means = (self._group_sum @ m.T) / self._size[:, None]  # (levels, M)
        return m - means.T[:, self._codes]

    def fit(self, y: np.ndarray, x: np.ndarray) -> BatchFit:
        """Fit every replication of a block.

        Parameters
        ----------
        y : numpy.ndarray, shape (B, n)
            Outcomes, one row per replication.
        x : numpy.ndarray, shape (B, K, n)
            Regressors of each replication, one row per regressor (a constant row unless fixed
            effects are absorbed).

        Returns
        -------
        BatchFit
        """
        y = np.asarray(y, dtype=float)
        x = np.asarray(x, dtype=float)
        b_count, k, n = x.shape
        if (k, n) != (self.k, self.n) or y.shape != (b_count, n):
            raise KaizenError(
                f"expected x of shape (B, {self.k}, {self.n}) and y of shape (B, {self.n}); "
                f"got {x.shape} and {y.shape}"
            )
        ref = np.sqrt(np.einsum("bin,bin->bi", x, x))
        both = self._absorb(np.concatenate([x.reshape(b_count * k, n), y]))
        xt = np.ascontiguousarray(both[: b_count * k].reshape(b_count, k, n))
        yt = np.ascontiguousarray(both[b_count * k :])
        xtx = np.einsum("bin,bjn->bij", xt, xt)
        xty = np.einsum("bin,bn->bi", xt, yt)
        suspect = self._suspect(xtx, ref)
        xtx[suspect] = np.eye(k)  # keeps the stacked solve from failing; refit by the caller
        coef = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
        bread = np.linalg.inv(xtx)
        bread = (bread + bread.transpose(0, 2, 1)) / 2
        e = yt - np.einsum("bin,bi->bn", xt, coef)
        if self.se_type == "classical":
            s2 = np.einsum("bn,bn->b", e, e) / self.df_resid
            var = s2[:, None] * np.einsum("bii->bi", bread)
            degenerate = ~(var > 0)
        else:
            var, degenerate = self._sandwich(xt, e, bread, bread, bread)
        suspect |= degenerate.any(axis=1)
        var[suspect] = np.nan
        return BatchFit(coef, np.sqrt(var), self.df, suspect)

    def _suspect(self, xtx: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Replications whose design may be rank deficient (see the module notes)."""
        norms = np.sqrt(np.einsum("bii->bi", xtx))
        zero = ~(norms > _ZERO_NORM * ref)
        suspect = zero.any(axis=1)
        ok = ~suspect
        if ok.any():
            scaled = xtx[ok] / (norms[ok][:, :, None] * norms[ok][:, None, :])
            suspect[ok] = ~(np.linalg.eigvalsh(scaled)[:, 0] >= _MIN_EIGEN)
        return suspect

    def _sandwich(
        self, w: np.ndarray, e: np.ndarray, p: np.ndarray, p_t: np.ndarray, lev: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Variances ``c · diag(P meat Pᵀ)`` of the robust types, and the degenerate ones.

        ``w`` (shape ``(B, K, n)``) holds the rows of the meat (OLS: ``x̃_i``; just-identified
        2SLS: ``z̃_i``), whose leverages are ``h_i = w_iᵀ lev w_i`` (plus the strata's), ``p``
        is ``P`` (OLS: the bread) and ``p_t`` its transpose, C-contiguous (OLS: the symmetric
        bread itself). Returns the variances, shape ``(B, K)``, and where they are zero up to
        rounding, far below their bound ``var_j <= c·tr(meat)·‖p_j‖²`` (Cauchy–Schwarz,
        ``p_j`` a row of ``P``): rounding decides even their sign, a degenerate fit to refit.
        """
        meat = self._meat(w, e, lev)
        half = np.einsum("bij,bjl->bil", p, meat)
        var = self.factor * np.einsum("bil,bli->bi", half, p_t)
        bound = np.einsum("bii->b", meat)[:, None] * np.einsum("bij,bij->bi", p, p)
        return var, ~(var > _DEGENERATE * self.factor * bound)

    def _meat(self, xt: np.ndarray, e: np.ndarray, bread: np.ndarray) -> np.ndarray:
        """``Σ_i ω_i x̃_i x̃_iᵀ`` (HC) or ``Σ_g s_g s_gᵀ`` (CR), shape ``(B, K, K)``.

        HC2/HC3 weigh by the leverage ``h_i = x̃_iᵀ bread x̃_i`` (plus ``1/N_s`` of the strata).
        """
        b_count, k, n = xt.shape
        if self.n_clusters is not None:
            xe = (xt * e[:, None, :]).reshape(b_count * k, n)
            scores = (self._cluster_sum @ xe.T).T.reshape(b_count, k, self.n_clusters)
            return np.einsum("big,bjg->bij", scores, scores)
        omega = e * e
        if self.se_type in ("HC2", "HC3"):
            h = np.einsum("bin,bin->bn", np.einsum("bij,bjn->bin", bread, xt), xt)
            if self._codes is not None:
                h = h + 1.0 / self._size[self._codes]
            omega = leverage_adjusted(omega, 1.0 - h, self.se_type)
        return np.einsum("bin,bjn->bij", xt * omega[:, None, :], xt)
