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
* the sandwich ``c · B meat B`` of :mod:`kaizen_eval._core.covariance` (the same
  :class:`~kaizen_eval._core.covariance.CovarianceSpec`, meats, small-sample factors and
  degrees of freedom as a single fit): ``classical``, HC0–HC3 (HC2/HC3 with the leverage of
  the full design, ``h_i = x̃_iᵀ B x̃_i + 1/N_s`` for unit ``i`` of stratum ``s``) and CR0/CR1
  (cluster sums of ``x̃_i e_i`` by a sparse product). CR2 needs a matrix square root per
  cluster and replication and is not done here.

The pieces shared with the just-identified 2SLS of :class:`~kaizen_eval._core.batch_iv.Batch2SLS`
(absorbing the strata, the rank flags, the sandwich ``c · diag(P meat Pᵀ)`` with its degenerate
variances; its ``P`` is ``(Z̃ᵀX̃)⁻¹`` and its meat has the instruments' rows) live in
:class:`~kaizen_eval._core.batch.BatchCore`; the meats themselves are the single fits' own
(:class:`~kaizen_eval._core.covariance.CovarianceSpec`, :mod:`~kaizen_eval._core.meats`).

A replication whose design may be rank deficient (a column with no variation left, or scaled
``X̃ᵀX̃`` with an eigenvalue below 1e-8, far above what
:func:`~kaizen_eval._core.linear.check_full_rank` rejects), and one with a variance that is
zero up to rounding (below 1e-8 times its bound ``c · tr(meat) · ‖b_j‖²``, ``b_j`` the row of
the bread: a degenerate fit, whose sign rounding decides), is flagged in
:attr:`BatchFit.suspect` and its numbers are not to be used: the caller refits it with
:func:`~kaizen_eval._core.linear.fit_ols`, which either reports the collinearity or fits it.

Every number of a replication comes from its own rows only, by reductions whose order does not
depend on the block (:func:`numpy.einsum` loops, sparse sums, BLAS and LAPACK on one small
matrix at a time), so results are bit-identical whatever the block size (a test compares blocks
of one, two, three and seven replications with one block of all).
"""

from __future__ import annotations

import numpy as np

from kaizen_eval._core.batch import BATCH_SE_TYPES, BatchFit, BatchFitter
from kaizen_eval._validation import KaizenError

__all__ = ["BATCH_SE_TYPES", "BatchFit", "BatchOLS"]


class BatchOLS(BatchFitter):
    """The pieces shared by every replication: fixed effects, clusters, covariance type.

    Parameters
    ----------
    n, k, se_type, fixed_effects, clusters
        As for :class:`~kaizen_eval._core.batch.BatchCore`: observations and regressors per
        replication, one of :data:`BATCH_SE_TYPES`, the strata codes, the cluster labels.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.stack([np.ones((3, 40)), rng.integers(0, 2, (3, 40))], axis=1)  # (B, K, n)
    >>> y = 0.5 * x[:, 1] + rng.normal(size=(3, 40))
    >>> fit = BatchOLS(40, 2, se_type="HC2").fit(y, x)
    >>> fit.coef.shape, fit.df, fit.suspect.tolist()
    ((3, 2), 38.0, [False, False, False])
    """

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
        core = self.core
        ref = np.sqrt(np.einsum("bin,bin->bi", x, x))
        both = core.absorb(np.concatenate([x.reshape(b_count * k, n), y]))
        xt = np.ascontiguousarray(both[: b_count * k].reshape(b_count, k, n))
        yt = np.ascontiguousarray(both[b_count * k :])
        xtx = np.einsum("bin,bjn->bij", xt, xt)
        xty = np.einsum("bin,bn->bi", xt, yt)
        suspect = core.suspect(xtx, ref)
        xtx[suspect] = np.eye(k)  # keeps the stacked solve from failing; refit by the caller
        coef = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
        bread = np.linalg.inv(xtx)
        bread = (bread + bread.transpose(0, 2, 1)) / 2
        e = yt - np.einsum("bin,bi->bn", xt, coef)
        if self.se_type == "classical":
            var = core.classical(e, np.einsum("bii->bi", bread))
            degenerate = ~(var > 0)
        else:
            var, degenerate = core.sandwich(xt, e, bread, bread, bread)
        suspect |= degenerate.any(axis=1)
        var[suspect] = np.nan
        return BatchFit(coef, np.sqrt(var), self.df, suspect)
