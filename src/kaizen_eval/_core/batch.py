"""What the batched OLS and 2SLS fits share: absorbed strata, rank flags and the sandwich.

:class:`BatchCore` holds, for a block of replications sharing ``N``, the strata and the clusters,
the absorbed fixed effect (an :class:`~kaizen_eval._core.absorb.Absorber`) and the one
:class:`~kaizen_eval._core.covariance.CovarianceSpec`;
:class:`~kaizen_eval._core.batch_ols.BatchOLS` and :class:`~kaizen_eval._core.batch_iv.Batch2SLS`
each hold one and call only its public
methods. Arrays are laid out ``(B, K, N)``: one row per regressor of each replication.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kaizen_eval._core import meats
from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.covariance import SE_TYPES, CovarianceSpec

#: Every SE type but CR2, whose per-cluster matrix roots are fitted replication by replication.
BATCH_SE_TYPES: tuple[str, ...] = tuple(s for s in SE_TYPES if s != "CR2")
ZERO_NORM = 1e-6  # column norm after absorbing / before, below which a column is suspect
MIN_EIGEN = 1e-8  # smallest eigenvalue of the scaled X̃ᵀX̃ below which a design is suspect
DEGENERATE = 1e-8  # variance relative to its Cauchy–Schwarz bound below which a fit is suspect


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


class BatchCore:
    """Absorbed strata and covariance specification of a block of replications.

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
    >>> core = BatchCore(6, 1, se_type="HC1", fixed_effects=np.array([0, 0, 0, 1, 1, 1]))
    >>> core.spec.k_total, core.df
    (3, 3.0)
    >>> core.absorb(np.arange(6.0)[None, :]).tolist()
    [[-1.0, 0.0, 1.0, -1.0, 0.0, 1.0]]
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
        self.n, self.k, self.se_type = int(n), int(k), se_type
        self.absorber = None if fixed_effects is None else Absorber(np.asarray(fixed_effects))
        n_absorbed = 0 if self.absorber is None else self.absorber.rank
        self.spec = CovarianceSpec.build(
            se_type,
            nobs=self.n,
            k_total=self.k + n_absorbed,
            clusters=clusters,
            allowed=BATCH_SE_TYPES,
        )
        self.df = self.spec.df

    def absorb(self, m: np.ndarray) -> np.ndarray:
        """Subtract the within-stratum means of every row of ``m`` (shape ``(M, n)``)."""
        if self.absorber is None:
            return m
        return self.absorber.residualize_rows(m)

    @staticmethod
    def suspect(xtx: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Replications whose cross-product ``xtx`` (``(B, K, K)``) may be rank deficient.

        A column with no variation left (norm below :data:`ZERO_NORM` times ``ref``, its norm
        before absorbing), or a scaled cross-product with an eigenvalue below :data:`MIN_EIGEN`.
        """
        norms = np.sqrt(np.einsum("bii->bi", xtx))
        zero = ~(norms > ZERO_NORM * ref)
        suspect = zero.any(axis=1)
        ok = ~suspect
        if ok.any():
            scaled = xtx[ok] / (norms[ok][:, :, None] * norms[ok][:, None, :])
            suspect[ok] = ~(np.linalg.eigvalsh(scaled)[:, 0] >= MIN_EIGEN)
        return suspect

    def classical(self, e: np.ndarray, cov_unscaled_diag: np.ndarray) -> np.ndarray:
        """Classical variances ``s² · diag(·)`` with ``s² = eᵀe / (N − K)``, shape ``(B, K)``."""
        s2 = np.einsum("bn,bn->b", e, e) / self.spec.df_resid
        return s2[:, None] * cov_unscaled_diag

    def sandwich(
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
        one_minus_h = None
        if meats.leverage_power(self.se_type):
            h = np.einsum("bin,bin->bn", np.einsum("bij,bjn->bin", lev, w), w)
            if self.absorber is not None:
                h = h + self.absorber.hat_diag()
            one_minus_h = 1.0 - h
        meat = meats.meat(self.spec.scores(w, e, one_minus_h))
        half = np.einsum("bij,bjl->bil", p, meat)
        factor = self.spec.factor
        var = factor * np.einsum("bil,bli->bi", half, p_t)
        bound = np.einsum("bii->b", meat)[:, None] * np.einsum("bij,bij->bi", p, p)
        return var, ~(var > DEGENERATE * factor * bound)


class BatchFitter:
    """Base of the batched fits: builds the :class:`BatchCore` every replication shares.

    Parameters
    ----------
    n, k, se_type, fixed_effects, clusters
        As for :class:`BatchCore` (``k`` counts the regressors, exogenous and endogenous).

    Examples
    --------
    >>> fitter = BatchFitter(6, 1, se_type="HC1")
    >>> fitter.n, fitter.k, fitter.df
    (6, 1, 5.0)
    """

    def __init__(self, n: int, k: int, **options: Any) -> None:
        # the options (se_type, fixed_effects, clusters) are BatchCore's, checked there
        self.core = BatchCore(n, k, **options)
        self.n, self.k, self.se_type = self.core.n, self.core.k, self.core.se_type
        self.df = self.core.df
