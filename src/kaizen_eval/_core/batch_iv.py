r"""Many small just-identified 2SLS fits at once: one per simulated trial.

:func:`~kaizen_eval.power_grid` estimates the effect of take-up ``T`` instrumented by the
invitation ``Z`` in thousands of replications whose ``T``, ``Z`` and covariate all differ, while
``N``, the strata and the clusters stay the same. As for OLS
(:class:`~kaizen_eval._core.batch_ols.BatchOLS`; both stand on
:class:`~kaizen_eval._core.batch.BatchCore`), a block of
replications is handled as ``(B, K, N)`` arrays: regressors ``X = [W, T]`` and instruments
``Z = [W, Z]`` (``W`` the exogenous columns), as many instruments as regressors.

After absorbing the strata (within-stratum demeaning of every row), with ``A = Z̃ᵀX̃`` and
``S = Z̃ᵀZ̃`` (``(B, K, K)`` stacks):

* ``β̂ = A⁻¹ Z̃ᵀỹ`` (just identified, this is ``(X̂ᵀX̂)⁻¹ X̂ᵀỹ`` with ``X̂ = P_Z X̃``), and the
  residuals ``e = ỹ − X̃ β̂`` use the actual regressors, as in
  :func:`~kaizen_eval._core.linear.fit_2sls`;
* the bread of :func:`~kaizen_eval._core.linear.fit_2sls`, ``B = (X̂ᵀX̂)⁻¹ = A⁻¹ S A⁻ᵀ``, and
  ``X̂ = Z̃ S⁻¹ A`` turn its sandwich ``c · B (Σ ω_i x̂_i x̂_iᵀ) B`` into
  ``c · A⁻¹ (Σ ω_i z̃_i z̃_iᵀ) A⁻ᵀ``, and the cluster sums of ``x̂_i e_i`` into those of
  ``z̃_i e_i`` likewise (CR0/CR1); the classical covariance is ``s² A⁻¹ S A⁻ᵀ``;
* HC2/HC3 use the leverage ``h_i = x̂_iᵀ B x̂_i`` of :mod:`kaizen_eval._core.covariance`
  (estimatr's, not AER's ``x_iᵀ B x̂_i``) plus the strata's ``1/N_s``; just identified,
  ``x̂_iᵀ B x̂_i = z̃_iᵀ S⁻¹ z̃_i``, the leverage of the instruments;
* the small-sample factors and degrees of freedom are those of ``fit_2sls`` (``K`` counting the
  absorbed strata), from the same helpers as ``BatchOLS``.

A replication is flagged in :attr:`~kaizen_eval._core.batch.BatchFit.suspect` (its
numbers are not to be used; the caller refits it with ``fit_2sls``, which either reports the
problem or fits it) when a regressor or instrument has no variation left after absorbing the
strata (nobody took up, say), when the instruments may be collinear (scaled ``S`` with an
eigenvalue below 1e-8), when the first stage may have no variation left (scaled ``A``, columns
divided by their norms, with a singular value below 1e-8: take-up unrelated to the instrument
given the other columns), and when a variance is zero up to rounding, exactly as for OLS. These
thresholds are far above the rank tolerances of
:func:`~kaizen_eval._core.linear.check_full_rank`, so every replication ``fit_2sls`` rejects
is refitted, and raises the same error.

Every number of a replication comes from its own rows only, by reductions whose order does not
depend on the block, so results are bit-identical whatever the block size.
"""

from __future__ import annotations

import numpy as np

from kaizen_eval._core.batch import MIN_EIGEN, ZERO_NORM, BatchFit, BatchFitter
from kaizen_eval._validation import KaizenError


class Batch2SLS(BatchFitter):
    """Just-identified 2SLS for a block of replications sharing ``N``, strata and clusters.

    Parameters
    ----------
    n, k, se_type, fixed_effects, clusters
        As for :class:`~kaizen_eval._core.batch.BatchCore`; ``k`` counts the regressors,
        exogenous and endogenous, and the instruments are as many. The same ``K``, df and factor
        as OLS with ``K`` regressors: the meat has ``K`` rows (the ``z̃_i``).

    See Also
    --------
    kaizen_eval._core.linear.fit_2sls : the same fit, one replication at a time.
    kaizen_eval._core.batch_ols.BatchOLS : the OLS counterpart; both use
        :class:`~kaizen_eval._core.batch.BatchCore` (absorbing the strata, flags, sandwich).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, (3, 80)).astype(float)
    >>> took = z * (rng.random((3, 80)) < 0.7)
    >>> y = 0.5 * took + rng.normal(size=(3, 80))
    >>> one = np.ones((3, 1, 80))
    >>> x_rows = np.concatenate([one, took[:, None]], axis=1)  # (B, K, n): constant, take-up
    >>> z_rows = np.concatenate([one, z[:, None]], axis=1)  # constant, invitation
    >>> fit = Batch2SLS(80, 2, se_type="HC2").fit(y, x_rows, z_rows)
    >>> fit.coef.shape, fit.df, fit.suspect.tolist()
    ((3, 2), 78.0, [False, False, False])
    """

    def fit(self, y: np.ndarray, x: np.ndarray, z: np.ndarray) -> BatchFit:
        """Fit every replication of a block.

        Parameters
        ----------
        y : numpy.ndarray, shape (B, n)
            Outcomes, one row per replication.
        x : numpy.ndarray, shape (B, K, n)
            Regressors of each replication, one row per regressor: the exogenous ones (a
            constant row unless fixed effects are absorbed), then the endogenous ones.
        z : numpy.ndarray, shape (B, K, n)
            Instruments of each replication: the same exogenous rows, then the excluded
            instruments (as many as the endogenous regressors).

        Returns
        -------
        BatchFit
            Coefficients in the order of the rows of ``x``.
        """
        y = np.asarray(y, dtype=float)
        x = np.asarray(x, dtype=float)
        z = np.asarray(z, dtype=float)
        b_count, k, n = x.shape
        if (k, n) != (self.k, self.n) or z.shape != x.shape or y.shape != (b_count, n):
            raise KaizenError(
                f"expected x and z of shape (B, {self.k}, {self.n}) and y of shape "
                f"(B, {self.n}); got {x.shape}, {z.shape} and {y.shape}"
            )
        ref_x = np.sqrt(np.einsum("bin,bin->bi", x, x))
        ref_z = np.sqrt(np.einsum("bin,bin->bi", z, z))
        rows = b_count * k
        core = self.core
        both = core.absorb(np.concatenate([x.reshape(rows, n), z.reshape(rows, n), y]))
        xt = np.ascontiguousarray(both[:rows].reshape(b_count, k, n))
        zt = np.ascontiguousarray(both[rows : 2 * rows].reshape(b_count, k, n))
        yt = np.ascontiguousarray(both[2 * rows :])
        ztz = np.einsum("bin,bjn->bij", zt, zt)  # S
        ztx = np.einsum("bin,bjn->bij", zt, xt)  # A
        zty = np.einsum("bin,bn->bi", zt, yt)
        suspect = core.suspect(ztz, ref_z)
        suspect |= self._first_stage_suspect(xt, ztz, ztx, ref_x, suspect)
        ztz[suspect] = np.eye(k)  # keeps the stacked solves from failing; refit by the caller
        ztx[suspect] = np.eye(k)
        coef = np.linalg.solve(ztx, zty[:, :, None])[:, :, 0]
        p = np.linalg.inv(ztx)  # β̂ = P Z̃ᵀỹ; the covariance is P (meat) Pᵀ
        p_t = np.ascontiguousarray(p.transpose(0, 2, 1))
        e = yt - np.einsum("bin,bi->bn", xt, coef)
        if self.se_type == "classical":
            var = core.classical(e, np.einsum("bij,bjl,bil->bi", p, ztz, p))  # diag(P S Pᵀ)
            degenerate = ~(var > 0)
        else:
            s_inv = np.linalg.inv(ztz)
            s_inv = (s_inv + s_inv.transpose(0, 2, 1)) / 2
            var, degenerate = core.sandwich(zt, e, p, p_t, s_inv)
        suspect |= degenerate.any(axis=1)
        var[suspect] = np.nan
        return BatchFit(coef, np.sqrt(var), self.df, suspect)

    @staticmethod
    def _first_stage_suspect(
        xt: np.ndarray, ztz: np.ndarray, ztx: np.ndarray, ref_x: np.ndarray, done: np.ndarray
    ) -> np.ndarray:
        """Replications with a regressor with no variation left, or ``A`` near singular.

        ``done`` marks replications already flagged (their norms may be zero).
        """
        norms_x = np.sqrt(np.einsum("bin,bin->bi", xt, xt))
        suspect = ~(norms_x > ZERO_NORM * ref_x).all(axis=1)
        ok = ~(suspect | done)
        if ok.any():
            norms_z = np.sqrt(np.einsum("bii->bi", ztz[ok]))
            scaled = ztx[ok] / (norms_z[:, :, None] * norms_x[ok][:, None, :])
            smallest = np.linalg.svd(scaled, compute_uv=False)[:, -1]
            suspect[ok] = ~(smallest >= MIN_EIGEN)
        return suspect
