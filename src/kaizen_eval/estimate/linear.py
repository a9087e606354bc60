"""Pure numerical core of the linear estimators: OLS and 2SLS fits and Wald tests.

Arrays in, frozen dataclasses out. Fixed effects are absorbed by Frisch–Waugh–Lovell
(:mod:`kaizen_eval.estimate.absorb`), weights by scaling rows with ``sqrt(w)``, and every
covariance type comes from the one sandwich in :mod:`kaizen_eval.estimate.covariance`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
import scipy.linalg
from scipy import stats

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.estimate.absorb import Absorber
from kaizen_eval.estimate.covariance import CLUSTER_SE_TYPES, sandwich


@dataclass(frozen=True, eq=False)
class LinearFit:
    """A fitted linear model (OLS or 2SLS) with its covariance.

    Attributes
    ----------
    coef : numpy.ndarray, shape (k,)
        Coefficients of the non-absorbed regressors.
    vcov : numpy.ndarray, shape (k, k)
        Their covariance matrix under ``se_type``.
    df : numpy.ndarray, shape (k,)
        Degrees of freedom per coefficient (``N − K``, ``G − 1`` or Satterthwaite for CR2).
    resid : numpy.ndarray, shape (n,)
        Residuals ``y − Xβ̂`` (after absorbing fixed effects; unweighted).
    nobs : int
        ``N``.
    n_clusters : int or None
        ``G`` for clustered covariance types.
    se_type : str
        The covariance type.
    names : tuple of str
        Names of the coefficients.
    df_resid : int
        ``N − K`` with ``K`` counting absorbed fixed-effect levels.
    n_absorbed : int
        Rank of the absorbed fixed effects.
    method : str
        ``"OLS"`` or ``"2SLS"``.
    cr2_gram : callable or None
        CR2 only: the Gram matrices behind the small-sample approximations (used by
        :func:`wald_test` with ``test="HTZ"``).
    """

    coef: np.ndarray
    vcov: np.ndarray
    df: np.ndarray
    resid: np.ndarray
    nobs: int
    n_clusters: int | None
    se_type: str
    names: tuple[str, ...]
    df_resid: int
    n_absorbed: int = 0
    method: str = "OLS"
    cr2_gram: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(
        default=None, repr=False
    )

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["cr2_gram"] = None  # a closure over the fit's arrays: not pickled (HTZ needs a refit)
        return state

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    @property
    def std_error(self) -> np.ndarray:
        """Standard errors, shape ``(k,)``."""
        return np.sqrt(np.diag(self.vcov))

    def index(self, name: str) -> int:
        """Position of the coefficient ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no coefficient {name!r}; coefficients: {self.names}") from None


class WaldTest(NamedTuple):
    """Result of a joint Wald test: ``F`` on ``(df1, df2)`` degrees of freedom."""

    fstat: float
    pvalue: float
    df1: int
    df2: float


def _names(names: Sequence[str] | None, k: int, prefix: str = "x") -> tuple[str, ...]:
    if names is None:
        return tuple(f"{prefix}{j}" for j in range(k))
    names = tuple(str(s) for s in names)
    if len(names) != k:
        raise KaizenError(f"{len(names)} names for {k} columns")
    return names


def _column_norms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", x, x))


def check_full_rank(
    x: np.ndarray,
    names: Sequence[str],
    what: str = "regressors",
    reference: np.ndarray | None = None,
) -> None:
    """Raise a ``KaizenError`` naming the columns of ``x`` that are linear combinations of others.

    ``reference`` holds the columns before fixed effects were absorbed: a column whose absorbed
    version is negligible relative to it (norm ratio below 1e-9) has no variation left.

    Examples
    --------
    >>> x = np.column_stack([np.ones(4), [1.0, 2, 3, 4], [2.0, 4, 6, 8]])
    >>> check_full_rank(x, ["const", "a", "b"])
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: collinear regressors: 'b' is a linear combination of ...
    """
    n, k = x.shape
    if k == 0:
        return
    norms = _column_norms(x)
    if reference is not None:
        ref = _column_norms(np.asarray(reference, dtype=float))
        zero = [names[j] for j in range(k) if not norms[j] > 1e-9 * ref[j]]
    else:
        zero = [names[j] for j in range(k) if not np.any(np.abs(x[:, j]) > 1e-12 * max(1.0, n))]
    if zero:
        raise KaizenError(
            f"{', '.join(map(repr, zero))} {'has' if len(zero) == 1 else 'have'} no variation "
            f"left in the estimation sample (after absorbing fixed effects, if any)"
        )
    scale = norms
    _, r, piv = scipy.linalg.qr(x / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    tol = max(n, k) * np.finfo(float).eps * 1e3 * (diag[0] if diag.size else 1.0)
    rank = int((diag > tol).sum())
    if rank < k:
        bad = [names[j] for j in sorted(piv[rank:])]
        kept = [names[j] for j in sorted(piv[:rank])]
        raise KaizenError(
            f"collinear {what}: {', '.join(map(repr, bad))} "
            f"{'is a linear combination' if len(bad) == 1 else 'are linear combinations'} "
            f"of the others ({', '.join(map(repr, kept))}); drop "
            f"{'it' if len(bad) == 1 else 'them'}"
        )


def _prepare(
    arrays: list[np.ndarray],
    fixed_effects: np.ndarray | None,
    weights: np.ndarray | None,
) -> tuple[list[np.ndarray], Absorber | None, np.ndarray | None]:
    sw = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise KaizenError("weights must be positive and finite")
        sw = np.sqrt(w / w.mean())
        arrays = [a * (sw if a.ndim == 1 else sw[:, None]) for a in arrays]
    absorber = None
    if fixed_effects is not None:
        absorber = Absorber(fixed_effects, sqrt_w=sw)
        arrays = [absorber.residualize(a) for a in arrays]
    return arrays, absorber, sw


def fit_ols(
    y: np.ndarray,
    x: np.ndarray,
    *,
    se: str = "HC1",
    clusters: np.ndarray | None = None,
    fixed_effects: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> LinearFit:
    """Fit ``y = Xβ (+ fixed effects) + ε`` by (weighted) least squares.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,)
    x : numpy.ndarray, shape (n, k)
        The design, including a constant column if wanted (leave it out with fixed effects).
    se : str
        Covariance type (see :mod:`kaizen_eval.estimate.covariance`).
    clusters : numpy.ndarray, shape (n,), optional
        Cluster labels (required by ``CR0``, ``CR1``, ``CR2``).
    fixed_effects : numpy.ndarray, shape (n,) or (n, m), optional
        Labels of fixed effects to absorb.
    weights : numpy.ndarray, shape (n,), optional
        Positive regression weights.
    names : sequence of str, optional
        Column names (used in messages and in :class:`LinearFit`).

    Returns
    -------
    LinearFit

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = rng.integers(0, 2, 100).astype(float)
    >>> y = 1.0 + 2.0 * d + rng.normal(size=100)
    >>> fit = fit_ols(y, np.column_stack([np.ones(100), d]), names=["const", "d"])
    >>> round(float(fit.coef[1]), 1), fit.se_type
    (2.3, 'HC1')
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    names = _names(names, x.shape[1])
    (yt, xt), absorber, sw = _prepare([y, x], fixed_effects, weights)
    check_full_rank(xt, names, reference=x)
    q, r = np.linalg.qr(xt)
    coef = scipy.linalg.solve_triangular(r, q.T @ yt)
    return _linear_fit(
        coef, r, y, x, yt, xt, xt, se, clusters, fixed_effects, weights, absorber, sw, names, "OLS"
    )


def _linear_fit(
    coef: np.ndarray,
    r: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    yt: np.ndarray,
    xt: np.ndarray,
    meat_x: np.ndarray,
    se: str,
    clusters: np.ndarray | None,
    fixed_effects: np.ndarray | None,
    weights: np.ndarray | None,
    absorber: Absorber | None,
    sw: np.ndarray | None,
    names: Sequence[str],
    method: str,
) -> LinearFit:
    """Build the covariance and result of OLS and 2SLS alike, from the coefficients.

    ``r`` is the triangular factor of the regressors of the bread (``X`` for OLS, ``X̂`` for
    2SLS: bread ``(RᵀR)⁻¹``), ``meat_x`` the regressors of the meat (the same); residuals use
    the actual regressors ``xt`` (transformed: absorbed and weighted) and ``x`` (raw).
    """
    rinv = np.linalg.inv(r)  # (scipy solve_triangular with an identity rhs is very slow)
    bread = rinv @ rinv.T
    resid_t = yt - xt @ coef
    n_abs = absorber.rank if absorber is not None else 0
    cov = sandwich(
        meat_x,
        resid_t,
        se_type=se,
        clusters=clusters if se in CLUSTER_SE_TYPES else None,
        n_absorbed=n_abs,
        absorber=absorber,
        bread=bread,
        sqrt_w=sw,
    )
    return LinearFit(
        coef=coef,
        vcov=cov.vcov,
        df=cov.df,
        resid=_unweighted_resid(y, x, coef, fixed_effects, weights, absorber, resid_t),
        nobs=len(y),
        n_clusters=cov.n_clusters,
        se_type=se,
        names=tuple(names),
        df_resid=cov.df_resid,
        n_absorbed=n_abs,
        method=method,
        cr2_gram=cov.cr2_gram,
    )


def _unweighted_resid(y, x, coef, fixed_effects, weights, absorber, resid_t):
    if weights is None:
        return resid_t
    r = y - x @ coef
    if fixed_effects is None:
        return r
    # fixed-effect part: weighted group fit of the residual, back on the original scale
    sw = absorber.sqrt_w
    return r - absorber.project(r * sw) / sw


#: Above this many rows (administrative data; every trial of a few thousand firm-waves stays
#: below) 2SLS point estimates are computed by QR rather than by linearmodels.
LINEARMODELS_MAX_ROWS = 20_000


def fit_2sls(
    y: np.ndarray,
    exog: np.ndarray,
    endog: np.ndarray,
    instruments: np.ndarray,
    *,
    se: str = "HC1",
    clusters: np.ndarray | None = None,
    fixed_effects: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    exog_names: Sequence[str] | None = None,
    endog_names: Sequence[str] | None = None,
    instrument_names: Sequence[str] | None = None,
) -> LinearFit:
    """Fit ``y = X β + ε`` by two-stage least squares, ``X = [exog, endog]`` instrumented by ``Z``.

    The point estimates come from :class:`linearmodels.iv.IV2SLS` on the (fixed-effect-absorbed)
    data; above :data:`LINEARMODELS_MAX_ROWS` rows they are computed directly as
    ``β̂ = (X̂ᵀX̂)⁻¹ X̂ᵀ y`` by QR, because linearmodels' data layer dominates the time at
    administrative scale (a test checks both paths agree to 1e-10). The covariance uses the
    shared sandwich with bread ``(X̂ᵀX̂)⁻¹``, ``X̂ = P_Z X``, ``Z = [exog, instruments]``, and
    residuals ``y − Xβ̂`` with the actual ``X`` (as ``estimatr::iv_robust`` and
    ``AER::ivreg`` with ``sandwich`` do).

    Parameters
    ----------
    y : numpy.ndarray, shape (n,)
    exog : numpy.ndarray, shape (n, k1)
        Exogenous regressors (constant included if wanted; ``k1`` may be 0).
    endog : numpy.ndarray, shape (n, k2)
        Endogenous regressors (take-up).
    instruments : numpy.ndarray, shape (n, l)
        Excluded instruments, ``l >= k2``.
    se, clusters, fixed_effects, weights
        As in :func:`fit_ols`.
    exog_names, endog_names, instrument_names : sequence of str, optional

    Returns
    -------
    LinearFit
        Coefficients ordered ``exog`` then ``endog``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> z = rng.integers(0, 2, 400).astype(float)
    >>> d = z * (rng.random(400) < 0.7)
    >>> y = 3.0 * d + rng.normal(size=400)
    >>> fit = fit_2sls(y, np.ones((400, 1)), d[:, None], z[:, None])
    >>> fit.method, abs(float(fit.coef[1]) - 3.0) < 0.5
    ('2SLS', True)
    """
    y = np.asarray(y, dtype=float)
    exog = np.asarray(exog, dtype=float).reshape(len(y), -1)
    endog = np.asarray(endog, dtype=float).reshape(len(y), -1)
    instruments = np.asarray(instruments, dtype=float).reshape(len(y), -1)
    n = len(y)
    k1, k2, n_inst = exog.shape[1], endog.shape[1], instruments.shape[1]
    xn = _names(exog_names, k1, "exog")
    dn = _names(endog_names, k2, "endog")
    zn = _names(instrument_names, n_inst, "z")
    if n_inst < k2:
        raise KaizenError(
            f"{k2} endogenous regressors ({', '.join(dn)}) need at least as many instruments; "
            f"got {n_inst} ({', '.join(zn)})"
        )
    (yt, et, dt, zt), absorber, sw = _prepare([y, exog, endog, instruments], fixed_effects, weights)
    check_full_rank(
        np.hstack([et, zt]),
        (*xn, *zn),
        what="instruments and exogenous regressors",
        reference=np.hstack([exog, instruments]),
    )
    check_full_rank(np.hstack([et, dt]), (*xn, *dn), reference=np.hstack([exog, endog]))
    xt = np.hstack([et, dt])
    zfull = np.hstack([et, zt])
    qz = np.linalg.qr(zfull)[0]  # Z has full column rank (checked above)
    xhat = qz @ (qz.T @ xt)  # X̂ = P_Z X
    check_full_rank(xhat, (*xn, *dn), what="regressors after projecting on the instruments")
    q, r = np.linalg.qr(xhat)
    if n <= LINEARMODELS_MAX_ROWS:
        from linearmodels.iv import IV2SLS

        coef = np.asarray(
            IV2SLS(yt, et if k1 else None, dt, zt).fit(cov_type="unadjusted").params, dtype=float
        )
    else:  # β̂ = (X̂ᵀX̂)⁻¹ X̂ᵀ y (X̂ᵀX = X̂ᵀX̂) by QR: linearmodels' data layer costs ~5 s at 1e6 rows
        coef = scipy.linalg.solve_triangular(r, q.T @ yt)
    x = np.hstack([exog, endog])
    return _linear_fit(
        coef,
        r,
        y,
        x,
        yt,
        xt,
        xhat,
        se,
        clusters,
        fixed_effects,
        weights,
        absorber,
        sw,
        (*xn, *dn),
        "2SLS",
    )


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
        eta = _htz_eta(fit.cr2_gram, rmat)
        df2 = eta - q + 1
        fstat = (eta - q + 1) / (eta * q) * wald
        return WaldTest(fstat, float(stats.f.sf(fstat, q, df2)), q, float(df2))
    fstat = wald / q
    df2 = float(fit.n_clusters - 1) if fit.n_clusters is not None else float(fit.df_resid)
    return WaldTest(fstat, float(stats.f.sf(fstat, q, df2)), q, df2)


def _htz_eta(gram: Callable[[np.ndarray, np.ndarray], np.ndarray], rmat: np.ndarray) -> float:
    q = rmat.shape[0]
    grams = [[gram(rmat[s], rmat[t]) for t in range(q)] for s in range(q)]
    omega = np.array([[np.trace(grams[s][t]) for t in range(q)] for s in range(q)])
    vals, vecs = np.linalg.eigh((omega + omega.T) / 2)
    root = (vecs / np.sqrt(vals)) @ vecs.T  # Ω^{-1/2}
    std = [
        [
            sum(root[s, a] * root[t, c] * grams[a][c] for a in range(q) for c in range(q))
            for t in range(q)
        ]
        for s in range(q)
    ]
    total = sum(
        np.sum(std[s][s] * std[t][t] + std[s][t] * std[t][s]) for s in range(q) for t in range(q)
    )
    return float(q * (q + 1) / total)
