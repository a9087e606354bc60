"""Covariance matrices of linear estimators: one specification, one bread, many meats.

Every estimator here is ``β̂ = B X̃ᵀ y`` with bread ``B = (X̃ᵀ X̃)⁻¹``: for OLS ``X̃`` is the design
(after absorbing fixed effects and scaling rows by ``sqrt(w)``), for 2SLS it is the projected
design ``X̂ = P_Z X``; the residuals are always ``e = y − X β̂`` with the *actual* regressors.
A covariance type only supplies its meat and its small-sample factor:

=============  =======================================================  ================
``se_type``    covariance                                               degrees of freedom
=============  =======================================================  ================
``classical``  ``s² B`` with ``s² = eᵀe / (N − K)``                     ``N − K``
``HC0``        ``B (Σ e_i² x_i x_iᵀ) B``                                ``N − K``
``HC1``        ``HC0 · N / (N − K)`` (Stata ``robust``)                 ``N − K``
``HC2``        ``e_i²`` divided by ``1 − h_ii``                         ``N − K``
``HC3``        ``e_i²`` divided by ``(1 − h_ii)²``                      ``N − K``
``CR0``        ``B (Σ_g X_gᵀ e_g e_gᵀ X_g) B``                          ``G − 1``
``CR1``        ``CR0 · G/(G − 1) · (N − 1)/(N − K)`` (Stata cluster)    ``G − 1``
``CR2``        ``e_g`` premultiplied by ``(I − H_gg)^{-1/2}``           Satterthwaite
=============  =======================================================  ================

``K`` counts the regressors *and* the absorbed fixed-effect levels (the rank of the dummies), as
Stata's ``areg`` and R's ``estimatr::lm_robust(fixed_effects=)`` do. (Stata's ``reghdfe`` instead
drops fixed effects nested within clusters from ``K``, which gives a slightly smaller CR1.)
``h_ii`` and ``H_gg`` come from the hat matrix of the full design including the fixed effects.
The CR2 degrees of freedom are those of Bell and McCaffrey (2002) as generalized by Pustejovsky
and Tipton (2018) with an identity working model: for a contrast ``c``,
``ν = tr(QᵀQ)² / ‖QᵀQ‖²_F`` with columns ``q_g = (I − H)_{·g} (I − H_gg)^{-1/2} X̃_g B c``;
this is what ``estimatr`` reports and what ``clubSandwich::coef_test(test="Satterthwaite")``
reports for unweighted fits.

Joint tests with CR2 can use the Hotelling-T² (HTZ) approximation of Pustejovsky and Tipton
(:func:`~kaizen_eval._core.wald.wald_test` with ``test="HTZ"``), built from the same Gram
matrices as the degrees of freedom. Weighted CR2 takes independence on the original scale as its
working model (as clubSandwich and estimatr do).

For 2SLS the leverage is ``h_ii = x̂_iᵀ B x̂_i`` as in ``estimatr::iv_robust``; ``AER``'s
``hatvalues.ivreg`` (used by ``sandwich::vcovHC``) uses ``x_iᵀ B x̂_i`` instead, so HC2/HC3 of an
IV fit differ slightly between those two R packages (the tests check both numbers).

One :class:`CovarianceSpec` per fit holds what does not depend on the coefficients: the type,
the cluster codes (checked once: labels present, at least two clusters, a clustered type), the
small-sample factor and the degrees-of-freedom rule. The single fits (:func:`sandwich`, OLS and
2SLS alike), the batched fits (:mod:`~kaizen_eval._core.batch`) and the resampling engine
(:mod:`~kaizen_eval._core.engine`) all build one and take their scores and meats from
:mod:`~kaizen_eval._core.meats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import scipy.sparse

from kaizen_eval._core import cr2, meats
from kaizen_eval._core.absorb import Absorber, factorize
from kaizen_eval._core.meats import symmetric as _sym
from kaizen_eval._validation import KaizenError, check_option

SEType = Literal["classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"]
SE_TYPES: tuple[str, ...] = get_args(SEType)
CLUSTER_SE_TYPES: tuple[str, ...] = tuple(s for s in SE_TYPES if s.startswith("CR"))


def small_sample_factor(se_type: str, n: int, k_total: int, n_clusters: int | None) -> float:
    """Small-sample factor ``c`` of the covariance ``c · B meat B`` (see the module table).

    ``N/(N − K)`` for HC1, ``G/(G − 1) · (N − 1)/(N − K)`` for CR1, 1 otherwise (the classical
    ``s²`` carries its own ``N − K``).

    Examples
    --------
    >>> small_sample_factor("HC1", 100, 4, None)
    1.0416666666666667
    """
    if se_type == "HC1":
        return n / (n - k_total)
    if se_type == "CR1":
        return n_clusters / (n_clusters - 1) * (n - 1) / (n - k_total)
    return 1.0


@dataclass(frozen=True, eq=False)
class CovarianceSpec:
    """Everything about a covariance that does not depend on the coefficients, built once.

    Build it with :meth:`build`, which holds the checks of the clusters and of the residual
    degrees of freedom (one message each, whichever kernel asks).

    Attributes
    ----------
    se_type : str
        One of :data:`SE_TYPES`.
    nobs : int
        ``N``.
    k_total : int
        ``K``: regressors plus absorbed fixed-effect levels.
    df_resid : int
        ``N − K`` (positive).
    factor : float
        The small-sample factor (:func:`small_sample_factor`).
    n_clusters : int or None
        ``G`` for the clustered types.
    cluster_codes : numpy.ndarray or None, shape (n,)
        Cluster codes ``0..G-1`` (clustered types only).
    summer : scipy.sparse.csr_matrix or None, shape (G, n)
        Sums a row's entries within clusters (:func:`~kaizen_eval._core.meats.cluster_sums`).

    Examples
    --------
    >>> spec = CovarianceSpec.build("CR1", nobs=6, k_total=2, clusters=np.array([1, 1, 2, 2, 3, 3]))
    >>> spec.n_clusters, spec.df, round(spec.factor, 4)
    (3, 2.0, 1.875)
    """

    se_type: str
    nobs: int
    k_total: int
    df_resid: int
    factor: float
    n_clusters: int | None = None
    cluster_codes: np.ndarray | None = field(default=None, repr=False)
    summer: scipy.sparse.csr_matrix | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        se_type: str,
        *,
        nobs: int,
        k_total: int,
        clusters: np.ndarray | None = None,
        allowed: tuple[str, ...] = SE_TYPES,
    ) -> CovarianceSpec:
        """Check the inputs of a covariance once and fix its factor and degrees of freedom.

        Parameters
        ----------
        se_type : str
            The covariance type, one of ``allowed``.
        nobs : int
            Observations ``N``.
        k_total : int
            Parameters ``K``, absorbed fixed-effect levels included.
        clusters : numpy.ndarray, shape (n,), optional
            Cluster labels: required by the ``CR*`` types and refused by the others.
        allowed : tuple of str
            The types the calling kernel computes (a subset of :data:`SE_TYPES`).

        Returns
        -------
        CovarianceSpec
        """
        check_option("se_type", se_type, allowed)
        nobs, k_total = int(nobs), int(k_total)
        if nobs - k_total <= 0:
            raise KaizenError(
                f"no residual degrees of freedom: {nobs} observations for {k_total} parameters"
            )
        if se_type not in CLUSTER_SE_TYPES:
            if clusters is not None:
                raise KaizenError(
                    f"`se={se_type!r}` is not a clustered covariance type; drop the cluster "
                    f"labels or use one of {', '.join(map(repr, CLUSTER_SE_TYPES))}"
                )
            factor = small_sample_factor(se_type, nobs, k_total, None)
            return cls(se_type, nobs, k_total, nobs - k_total, factor)
        if clusters is None:
            raise KaizenError(f"`se={se_type!r}` needs cluster labels (a `cluster` column)")
        codes = factorize(np.asarray(clusters))
        if len(codes) != nobs:
            raise KaizenError(f"{len(codes)} cluster labels for {nobs} observations")
        g_count = int(codes.max()) + 1 if len(codes) else 0
        if g_count < 2:
            raise KaizenError(
                "clustered standard errors need at least 2 clusters; the estimation sample has "
                f"{g_count} cluster"
            )
        factor = small_sample_factor(se_type, nobs, k_total, g_count)
        summer = meats.cluster_summer(codes, g_count)
        return cls(se_type, nobs, k_total, nobs - k_total, factor, g_count, codes, summer)

    @property
    def clustered(self) -> bool:
        """Whether the type is clustered (``CR0``, ``CR1``, ``CR2``)."""
        return self.n_clusters is not None

    @property
    def df(self) -> float:
        """Degrees of freedom of t-inference: ``G − 1`` clustered, else ``N − K``.

        (CR2 replaces it by per-contrast Satterthwaite degrees of freedom.)
        """
        return float(self.n_clusters - 1) if self.clustered else float(self.df_resid)

    def scores(
        self, rows: np.ndarray, e: np.ndarray, one_minus_h: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores ``S`` of the meat ``S Sᵀ`` (HC0–HC3, CR0, CR1), with a leading batch axis.

        Parameters
        ----------
        rows : numpy.ndarray, shape (..., k, n)
            Rows of the meat (regressors, projected regressors or instruments).
        e : numpy.ndarray, shape (..., n)
            Residuals.
        one_minus_h : numpy.ndarray, shape (..., n), optional
            ``1 − h_ii`` (HC2 and HC3 only).

        Returns
        -------
        numpy.ndarray, shape (..., k, n) or (..., k, G)
        """
        if self.se_type in ("classical", "CR2"):
            raise KaizenError(f"se_type={self.se_type!r} has no scores of this form")
        if self.clustered:
            return meats.cr_scores(self.summer, rows, e)
        return meats.hc_scores(rows, e, self.se_type, one_minus_h)

    def leverage_weights(self, one_minus_h: np.ndarray) -> np.ndarray | None:
        """``(1 − h_ii)^{-p}`` of this type (``None`` unless HC2/HC3)."""
        return meats.leverage_weights(self.se_type, one_minus_h)

    def cluster_sums(self, v: np.ndarray) -> np.ndarray:
        """Within-cluster sums of the last axis of ``v``: shape ``(..., G)``."""
        return meats.cluster_sums(self.summer, v)


@dataclass(frozen=True)
class Covariance:
    """A covariance matrix with its degrees of freedom (and the scores it came from).

    Attributes
    ----------
    vcov : numpy.ndarray, shape (k, k)
        ``factor · B S Sᵀ B`` (classical: ``s² B``).
    df : numpy.ndarray, shape (k,)
        Degrees of freedom for t-inference on each coefficient.
    se_type : str
    n_clusters : int or None
    df_resid : int
        ``N − K`` (``K`` includes absorbed fixed-effect levels).
    cr2_gram : callable or None
        For CR2: ``cr2_gram(u, v)`` is the ``G × G`` matrix ``[q_g(u)ᵀ q_h(v)]`` of the
        Satterthwaite/HTZ approximations for contrasts ``u`` and ``v`` (see module notes).
    scores : numpy.ndarray or None, shape (k, m)
        The meat's scores ``S`` (``m = N`` for HC types, ``G`` for clustered ones; ``None``
        for classical): the cross-covariance of two fits on the same rows with the same
        specification is ``factor · B₁ S₁ S₂ᵀ B₂``.
    bread : numpy.ndarray or None, shape (k, k)
        ``B``.
    factor : float
        The small-sample factor.
    """

    vcov: np.ndarray
    df: np.ndarray
    se_type: str
    n_clusters: int | None
    df_resid: int
    cr2_gram: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )
    scores: np.ndarray | None = field(default=None, repr=False, compare=False)
    bread: np.ndarray | None = field(default=None, repr=False, compare=False)
    factor: float = 1.0


def check_se_type(se: str | None, clustered: bool) -> str:
    """Validate ``se`` against the clustering; ``None`` means HC1 (or CR1 with clusters).

    Examples
    --------
    >>> check_se_type(None, clustered=True)
    'CR1'
    """
    if se is None:
        return "CR1" if clustered else "HC1"
    allowed = CLUSTER_SE_TYPES if clustered else tuple(s for s in SE_TYPES if s[:2] != "CR")
    if se not in allowed and se in SE_TYPES:
        if clustered:
            raise KaizenError(
                f"with `cluster` the `se` must be one of {', '.join(map(repr, allowed))}. "
                f"You passed: {se!r}."
            )
        raise KaizenError(f"`se={se!r}` needs a `cluster` column.")
    return check_option("se", se, allowed)


def sandwich(
    x: np.ndarray,
    resid: np.ndarray,
    *,
    se_type: str,
    clusters: np.ndarray | None = None,
    n_absorbed: int = 0,
    absorber: Absorber | None = None,
    bread: np.ndarray | None = None,
    sqrt_w: np.ndarray | None = None,
    spec: CovarianceSpec | None = None,
) -> Covariance:
    """Compute the covariance of ``β̂ = (X̃ᵀX̃)⁻¹ X̃ᵀ y`` for one covariance type.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, k)
        ``X̃``: the regressors of the bread (OLS: the design; 2SLS: the projected design), after
        absorbing fixed effects and multiplying rows by ``sqrt(w)``.
    resid : numpy.ndarray, shape (n,)
        Residuals with the actual regressors, rows multiplied by ``sqrt(w)``.
    se_type : str
        One of :data:`SE_TYPES`; the ``CR*`` types need ``clusters``.
    clusters : numpy.ndarray, shape (n,), optional
        Cluster labels.
    n_absorbed : int
        Rank of the absorbed fixed effects (added to ``K``).
    absorber : Absorber, optional
        The absorbed fixed effects, needed for the leverages of HC2, HC3 and CR2.
    bread : numpy.ndarray, shape (k, k), optional
        ``(X̃ᵀX̃)⁻¹`` if already computed.
    sqrt_w : numpy.ndarray, shape (n,), optional
        Square roots of the regression weights by which ``x`` and ``resid`` were scaled. Only
        CR2 needs them (its working model is independence on the original scale, as in
        clubSandwich and estimatr); weighted CR2 with absorbed fixed effects is not supported.
    spec : CovarianceSpec, optional
        The fit's specification, if already built (then ``se_type``, ``clusters`` and
        ``n_absorbed`` must agree with it).

    Returns
    -------
    Covariance

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(50), rng.normal(size=50)])
    >>> e = rng.normal(size=50)
    >>> cov = sandwich(x, e, se_type="HC1")
    >>> cov.vcov.shape, float(cov.df[0]), cov.scores.shape
    ((2, 2), 48.0, (2, 50))
    """
    x = np.asarray(x, dtype=float)
    e = np.asarray(resid, dtype=float)
    n, k = x.shape
    if spec is None:
        spec = CovarianceSpec.build(se_type, nobs=n, k_total=k + n_absorbed, clusters=clusters)
    b = np.linalg.inv(x.T @ x) if bread is None else bread
    if spec.se_type == "CR2":
        codes, g_count = spec.cluster_codes, spec.n_clusters
        if sqrt_w is not None:
            if absorber is not None:
                raise KaizenError(
                    "CR2 with both weights and absorbed fixed effects is not supported; add the "
                    "fixed effects as dummy covariates, or use se='CR1'"
                )
            res = cr2.cr2_weighted(x, e, b, codes, g_count, np.asarray(sqrt_w, dtype=float))
        else:
            res = cr2.cr2(x, e, b, codes, g_count, absorber)
        return Covariance(
            res.vcov,
            res.df,
            "CR2",
            g_count,
            spec.df_resid,
            cr2_gram=res.gram,
            scores=res.scores,
            bread=b,
        )
    df = np.full(k, spec.df)
    if spec.se_type == "classical":
        s2 = float(e @ e) / spec.df_resid
        return Covariance(_sym(s2 * b), df, "classical", None, spec.df_resid, bread=b)
    one_minus_h = None
    if meats.leverage_power(spec.se_type):
        one_minus_h = 1.0 - leverage(x, b, absorber)
    scores = spec.scores(x.T, e, one_minus_h)
    v = b @ meats.meat(scores) @ b * spec.factor
    return Covariance(
        _sym(v),
        df,
        spec.se_type,
        spec.n_clusters,
        spec.df_resid,
        scores=scores,
        bread=b,
        factor=spec.factor,
    )


def leverage(x: np.ndarray, b: np.ndarray, absorber: Absorber | None) -> np.ndarray:
    """Leverages ``h_ii = x_iᵀ B x_i`` of the full design (plus the absorbed fixed effects').

    Examples
    --------
    >>> leverage(np.ones((4, 1)), np.array([[0.25]]), None).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    h = np.einsum("ij,jk,ik->i", x, b, x)
    if absorber is not None:
        h = h + absorber.hat_diag()
    return h
