"""Pure numerical core of the linear estimators: OLS and 2SLS fits (Wald tests in ``wald``).

Arrays in, frozen dataclasses out. Fixed effects are absorbed by Frisch–Waugh–Lovell
(:mod:`kaizen_eval._core.absorb`), weights by scaling rows with ``sqrt(w)``, and every
covariance type comes from the one sandwich in :mod:`kaizen_eval._core.covariance`: OLS and
2SLS share one tail (:func:`_linear_fit`: bread, residuals, one :class:`CovarianceSpec`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.covariance import CLUSTER_SE_TYPES, CovarianceSpec, sandwich
from kaizen_eval._validation import KaizenError


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
        :func:`~kaizen_eval._core.wald.wald_test` with ``test="HTZ"``).
    scores : numpy.ndarray or None, shape (k, m)
        The meat's scores ``S`` times the square root of the small-sample factor ``c``
        (``m = N``, or ``G`` when clustered; ``None`` for classical): ``vcov = B S Sᵀ B``, and
        two fits on the same rows with the same covariance specification have
        cross-covariance ``B₁ S₁ S₂ᵀ B₂``.
    bread : numpy.ndarray or None, shape (k, k)
        ``B``, the inverse of the bread's cross-product.
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
    scores: np.ndarray | None = field(default=None, repr=False)
    bread: np.ndarray | None = field(default=None, repr=False)

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


def _names(names: Sequence[str] | None, k: int, prefix: str = "x") -> tuple[str, ...]:
    if names is None:
        return tuple(f"{prefix}{j}" for j in range(k))
    names = tuple(str(s) for s in names)
    if len(names) != k:
        raise KaizenError(f"{len(names)} names for {k} columns")
    return names


def _column_norms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", x, x))


def check_parameters(nobs: int, k: int, where: str) -> None:
    """Raise when the sample has no more rows than the regression has parameters.

    The estimators' check (``nobs > k``: at least one residual degree of freedom), beside
    :func:`check_full_rank`'s ``N >= K`` check of the linear kernel.

    Examples
    --------
    >>> check_parameters(10, 3, "itt")
    """
    if nobs <= k:
        raise KaizenError(
            f"{where}: {nobs} rows in the estimation sample for {k} parameters (with the fixed "
            "effects); the regression needs more rows than parameters. Use fewer covariates "
            "or fixed effects, or more data."
        )


def check_full_rank(
    x: np.ndarray,
    names: Sequence[str],
    what: str = "regressors",
    reference: np.ndarray | None = None,
    n_absorbed: int = 0,
) -> None:
    """Raise a ``KaizenError`` naming the columns of ``x`` that are linear combinations of others.

    ``reference`` holds the columns before fixed effects were absorbed: a column whose absorbed
    version is negligible relative to it (norm ratio below 1e-9) has no variation left.
    Fewer observations than parameters (the columns plus ``n_absorbed`` fixed-effect levels) is
    reported as such, before any collinearity.

    Examples
    --------
    >>> check_full_rank(np.ones((2, 3)), ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: fewer observations than parameters: N = 2 ...
    >>> x = np.column_stack([np.ones(4), [1.0, 2, 3, 4], [2.0, 4, 6, 8]])
    >>> check_full_rank(x, ["const", "a", "b"])
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: collinear regressors: 'b' is a linear combination of ...
    """
    n, k = x.shape
    if n < k + n_absorbed:
        absorbed = f" and {n_absorbed} absorbed fixed-effect levels" if n_absorbed else ""
        raise KaizenError(
            f"fewer observations than parameters: N = {n} observations for K = "
            f"{k + n_absorbed} parameters ({k} {what}{absorbed}); use more observations or "
            "fewer regressors"
        )
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


def _rank(absorber: Absorber | None) -> int:
    return absorber.rank if absorber is not None else 0


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
        Covariance type (see :mod:`kaizen_eval._core.covariance`).
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
    check_full_rank(xt, names, reference=x, n_absorbed=_rank(absorber))
    q, r = np.linalg.qr(xt)
    coef = scipy.linalg.solve_triangular(r, q.T @ yt)
    data = _Prepared(y, x, yt, xt, absorber, sw, names)
    return _linear_fit(data, coef=coef, r=r, meat_x=xt, se=se, clusters=clusters, method="OLS")


@dataclass(frozen=True, eq=False)
class _Prepared:
    """A fit's data after validation, weighting and absorption (what every tail step needs).

    ``y``, ``x`` are the raw outcome and actual regressors; ``yt``, ``xt`` the same absorbed
    and scaled by ``sqrt(w)``; ``sw`` those square roots (``None`` unweighted).
    """

    y: np.ndarray
    x: np.ndarray
    yt: np.ndarray
    xt: np.ndarray
    absorber: Absorber | None
    sw: np.ndarray | None
    names: tuple[str, ...]


def _linear_fit(
    data: _Prepared,
    *,
    coef: np.ndarray,
    r: np.ndarray,
    meat_x: np.ndarray,
    se: str,
    clusters: np.ndarray | None,
    method: str,
) -> LinearFit:
    """Build the covariance and result of OLS and 2SLS alike, from the coefficients.

    ``r`` is the triangular factor of the regressors of the bread (``X`` for OLS, ``X̂`` for
    2SLS: bread ``(RᵀR)⁻¹``), ``meat_x`` the regressors of the meat (the same); residuals use
    the actual regressors (``data.xt`` transformed, ``data.x`` raw).
    """
    rinv = np.linalg.inv(r)  # (scipy solve_triangular with an identity rhs is very slow)
    bread = rinv @ rinv.T
    resid_t = data.yt - data.xt @ coef
    absorber = data.absorber
    n_abs = _rank(absorber)
    spec = CovarianceSpec.build(
        se,
        nobs=len(data.y),
        k_total=data.xt.shape[1] + n_abs,
        clusters=clusters if se in CLUSTER_SE_TYPES else None,
    )
    cov = sandwich(
        meat_x, resid_t, se_type=se, absorber=absorber, bread=bread, sqrt_w=data.sw, spec=spec
    )
    return LinearFit(
        coef=coef,
        vcov=cov.vcov,
        df=cov.df,
        resid=_unweighted_resid(data, coef, resid_t),
        nobs=len(data.y),
        n_clusters=cov.n_clusters,
        se_type=se,
        names=data.names,
        df_resid=cov.df_resid,
        n_absorbed=n_abs,
        method=method,
        cr2_gram=cov.cr2_gram,
        scores=None if cov.scores is None else cov.scores * np.sqrt(cov.factor),
        bread=bread,
    )


def _unweighted_resid(data: _Prepared, coef: np.ndarray, resid_t: np.ndarray) -> np.ndarray:
    if data.sw is None:
        return resid_t
    r = data.y - data.x @ coef
    if data.absorber is None:
        return r
    # fixed-effect part: weighted group fit of the residual, back on the original scale
    sw = data.absorber.sqrt_w
    return r - data.absorber.project(r * sw) / sw


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
        n_absorbed=_rank(absorber),
    )
    check_full_rank(
        np.hstack([et, dt]),
        (*xn, *dn),
        reference=np.hstack([exog, endog]),
        n_absorbed=_rank(absorber),
    )
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
    data = _Prepared(y, x, yt, xt, absorber, sw, (*xn, *dn))
    return _linear_fit(data, coef=coef, r=r, meat_x=xhat, se=se, clusters=clusters, method="2SLS")
