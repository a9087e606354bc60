"""Joint Wald tests of linear restrictions on a :class:`~kaizen_eval._core.linear.LinearFit`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
from scipy import stats

from kaizen_eval._core.linear import LinearFit
from kaizen_eval._validation import KaizenError, check_option


class WaldTest(NamedTuple):
    """Result of a joint Wald test: ``F`` on ``(df1, df2)`` degrees of freedom."""

    fstat: float
    pvalue: float
    df1: int
    df2: float


def wald_test(
    fit: LinearFit,
    restrictions: np.ndarray | Sequence[int] | Sequence[str],
    value: np.ndarray | None = None,
    *,
    test: Literal["F", "HTZ"] = "F",
) -> WaldTest:
    """Joint Wald test of ``R β = r`` with an F reference distribution.

    ``F = (Rβ̂ − r)ᵀ (R V Rᵀ)⁻¹ (Rβ̂ − r) / q`` on ``(q, df2)`` degrees of freedom, ``df2 = N − K``
    for heteroskedasticity-robust and classical covariances and ``G − 1`` for clustered ones
    (as Stata's ``test`` and ``estimatr``'s F statistic do).

    With ``test="HTZ"`` (CR2 fits only) the statistic is Pustejovsky and Tipton's (2018)
    Hotelling-T² approximation, as ``clubSandwich::Wald_test(test="HTZ")``: ``R V Rᵀ`` is matched
    to a Wishart with ``η`` degrees of freedom, ``η = q(q+1) / Σ_st Var(D_st)`` for
    ``D = Ω^{-1/2} R V Rᵀ Ω^{-1/2}`` under the working model, and
    ``F = (η − q + 1)/(η q) · Q`` on ``(q, η − q + 1)`` degrees of freedom. With one restriction
    it is the Satterthwaite t-test.

    Parameters
    ----------
    fit : LinearFit
    restrictions : array of shape (q, k), or a sequence of coefficient positions or names
        A matrix ``R``, or the coefficients that are jointly zero.
    value : numpy.ndarray, shape (q,), optional
        ``r`` (zeros by default).

    Returns
    -------
    WaldTest
        ``(fstat, pvalue, df1, df2)``.

    Examples
    --------
    >>> from kaizen_eval._core.linear import fit_ols
    >>> rng = np.random.default_rng(3)
    >>> x = np.column_stack([np.ones(200), rng.normal(size=(200, 2))])
    >>> fit = fit_ols(rng.normal(size=200), x, names=["const", "a", "b"])
    >>> wt = wald_test(fit, ["a", "b"])
    >>> wt.df1, wt.df2
    (2, 197.0)
    """
    k = len(fit.coef)
    if isinstance(restrictions, np.ndarray) and restrictions.ndim == 2:
        rmat = np.asarray(restrictions, dtype=float)
    else:
        idx = [fit.index(r) if isinstance(r, str) else int(r) for r in restrictions]
        if not idx:
            raise KaizenError("no coefficients to test")
        rmat = np.zeros((len(idx), k))
        rmat[np.arange(len(idx)), idx] = 1.0
    if rmat.shape[1] != k:
        raise KaizenError(f"restriction matrix has {rmat.shape[1]} columns for {k} coefficients")
    q = rmat.shape[0]
    r = np.zeros(q) if value is None else np.asarray(value, dtype=float).reshape(q)
    diff = rmat @ fit.coef - r
    middle = rmat @ fit.vcov @ rmat.T
    if np.linalg.matrix_rank(middle) < q:
        raise KaizenError(
            "the restrictions are not jointly testable: their covariance matrix is singular "
            "(too few clusters or redundant restrictions)"
        )
    check_option("test", test, ("F", "HTZ"))
    wald = float(diff @ np.linalg.solve(middle, diff))
    if test == "HTZ":
        if fit.cr2_gram is None:
            raise KaizenError(f"test='HTZ' needs a CR2 fit; this one has se_type={fit.se_type!r}")
        eta = fit.cr2_gram.htz_eta(rmat)
        df2 = eta - q + 1
        fstat = (eta - q + 1) / (eta * q) * wald
        return WaldTest(fstat, float(stats.f.sf(fstat, q, df2)), q, float(df2))
    fstat = wald / q
    df2 = float(fit.n_clusters - 1) if fit.n_clusters is not None else float(fit.df_resid)
    return WaldTest(fstat, float(stats.f.sf(fstat, q, df2)), q, df2)
