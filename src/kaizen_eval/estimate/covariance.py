"""Covariance matrices of linear estimators: one bread, many meats.

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
(:func:`~kaizen_eval.estimate.linear.wald_test` with ``test="HTZ"``), built from the same Gram
matrices as the degrees of freedom. Weighted CR2 takes independence on the original scale as its
working model (as clubSandwich and estimatr do).

For 2SLS the leverage is ``h_ii = x̂_iᵀ B x̂_i`` as in ``estimatr::iv_robust``; ``AER``'s
``hatvalues.ivreg`` (used by ``sandwich::vcovHC``) uses ``x_iᵀ B x̂_i`` instead, so HC2/HC3 of an
IV fit differ slightly between those two R packages (the tests check both numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.estimate.absorb import Absorber, factorize

SEType = Literal["classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"]
SE_TYPES: tuple[str, ...] = get_args(SEType)
CLUSTER_SE_TYPES: tuple[str, ...] = ("CR0", "CR1", "CR2")
_EIG_TOL = 1e-12  # eigenvalues of I - H_gg below this are treated as zero (pseudo-inverse)
_LEVERAGE_ONE = 1e-10  # 1 − h_ii below this: a leverage of one, whose residual is zero


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


def leverage_adjusted(omega: np.ndarray, one_minus_h: np.ndarray, se_type: str) -> np.ndarray:
    """Divide meat weights by ``(1 − h_ii)`` (HC2) or ``(1 − h_ii)²`` (HC3); others unchanged.

    A leverage of one (a singleton fixed-effect group) has a zero residual: its weight is 0.
    Works elementwise on arrays of any (matching) shape.

    Examples
    --------
    >>> leverage_adjusted(np.array([1.0, 1.0]), np.array([0.5, 0.0]), "HC3").tolist()
    [4.0, 0.0]
    """
    power = {"HC2": 1, "HC3": 2}.get(se_type, 0)
    if not power:
        return omega
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(one_minus_h > _LEVERAGE_ONE, omega / one_minus_h**power, 0.0)


@dataclass(frozen=True)
class Covariance:
    """A covariance matrix with its degrees of freedom.

    Attributes
    ----------
    vcov : numpy.ndarray, shape (k, k)
    df : numpy.ndarray, shape (k,)
        Degrees of freedom for t-inference on each coefficient.
    se_type : str
    n_clusters : int or None
    df_resid : int
        ``N − K`` (``K`` includes absorbed fixed-effect levels).
    cr2_gram : callable or None
        For CR2: ``cr2_gram(u, v)`` is the ``G × G`` matrix ``[q_g(u)ᵀ q_h(v)]`` of the
        Satterthwaite/HTZ approximations for contrasts ``u`` and ``v`` (see module notes).
    """

    vcov: np.ndarray
    df: np.ndarray
    se_type: str
    n_clusters: int | None
    df_resid: int
    cr2_gram: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )


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

    Returns
    -------
    Covariance

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(50), rng.normal(size=50)])
    >>> e = rng.normal(size=50)
    >>> cov = sandwich(x, e, se_type="HC1")
    >>> cov.vcov.shape, float(cov.df[0])
    ((2, 2), 48.0)
    """
    x = np.asarray(x, dtype=float)
    e = np.asarray(resid, dtype=float)
    n, k = x.shape
    check_option("se_type", se_type, SE_TYPES)
    b = np.linalg.inv(x.T @ x) if bread is None else bread
    k_total = k + n_absorbed
    df_resid = n - k_total
    if df_resid <= 0:
        raise KaizenError(
            f"no residual degrees of freedom: {n} observations for {k_total} parameters"
        )
    if se_type in CLUSTER_SE_TYPES:
        if clusters is None:
            raise KaizenError(f"`se={se_type!r}` needs cluster labels")
        if se_type == "CR2" and sqrt_w is not None:
            if absorber is not None:
                raise KaizenError(
                    "CR2 with both weights and absorbed fixed effects is not supported; add the "
                    "fixed effects as dummy covariates, or use se='CR1'"
                )
            return _cr2_weighted(x, e, b, clusters, k_total, np.asarray(sqrt_w, dtype=float))
        return _clustered(x, e, b, se_type, clusters, k_total, absorber)
    if clusters is not None:
        raise KaizenError(f"`se={se_type!r}` is not a clustered covariance type")
    df = np.full(k, float(df_resid))
    if se_type == "classical":
        s2 = float(e @ e) / df_resid
        return Covariance(_sym(s2 * b), df, se_type, None, df_resid)
    omega = e**2
    if se_type in ("HC2", "HC3"):
        omega = leverage_adjusted(omega, 1.0 - _leverage(x, b, absorber), se_type)
    meat = (x * omega[:, None]).T @ x
    v = b @ meat @ b * small_sample_factor(se_type, n, k_total, None)
    return Covariance(_sym(v), df, se_type, None, df_resid)


def _sym(v: np.ndarray) -> np.ndarray:
    return (v + v.T) / 2


def _leverage(x: np.ndarray, b: np.ndarray, absorber: Absorber | None) -> np.ndarray:
    h = np.einsum("ij,jk,ik->i", x, b, x)
    if absorber is not None:
        h = h + absorber.hat_diag()
    return h


def _inv_sqrt_psd(m: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(_sym(m))
    inv = np.zeros_like(vals)
    keep = vals > _EIG_TOL
    inv[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T


def _clustered(
    x: np.ndarray,
    e: np.ndarray,
    b: np.ndarray,
    se_type: str,
    clusters: np.ndarray,
    k_total: int,
    absorber: Absorber | None,
) -> Covariance:
    n, k = x.shape
    codes = factorize(np.asarray(clusters))
    g_count = int(codes.max()) + 1
    df_resid = n - k_total
    if g_count < 2:
        raise KaizenError(
            "clustered standard errors need at least 2 clusters; the estimation sample has "
            f"{g_count} cluster"
        )
    if se_type in ("CR0", "CR1"):
        xe = x * e[:, None]
        scores = np.column_stack(
            [np.bincount(codes, weights=xe[:, j], minlength=g_count) for j in range(k)]
        ).reshape(g_count, k)
        v = b @ (scores.T @ scores) @ b * small_sample_factor(se_type, n, k_total, g_count)
        df = np.full(k, float(g_count - 1))
        return Covariance(_sym(v), df, se_type, g_count, df_resid)
    # CR2 (Bell–McCaffrey) with Pustejovsky–Tipton degrees of freedom
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(g_count + 1))
    scores = np.zeros((g_count, k))
    p_rows = np.zeros((n, k))  # row i in cluster g: (A_g X_g B)[i, :]
    for g in range(g_count):
        idx = order[bounds[g] : bounds[g + 1]]
        xg = x[idx]
        hgg = xg @ b @ xg.T
        if absorber is not None:
            hgg = hgg + absorber.hat_block(idx)
        a_g = _inv_sqrt_psd(np.eye(len(idx)) - hgg)
        axg = a_g @ xg
        scores[g] = axg.T @ e[idx]
        p_rows[idx] = axg @ b
    v = b @ (scores.T @ scores) @ b

    def embed(c: np.ndarray) -> np.ndarray:
        # n x G: column g holds p_g(c) = A_g X_g B c in the rows of cluster g
        pmat = np.zeros((n, g_count))
        pmat[np.arange(n), codes] = p_rows @ c
        return pmat

    def gram(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        # [p_g(u)ᵀ (I − H)_{gh} p_h(w)] = δ_gh p_g(u)ᵀp_g(w) − p_g(u)ᵀ H_gh p_h(w)
        pu, pw = embed(u), embed(w)
        out = np.diag(np.einsum("ij,ij->j", pu, pw)) - (x.T @ pu).T @ b @ (x.T @ pw)
        if absorber is not None:
            out = out - absorber.factor_t(pu).T @ absorber.factor_t(pw)
        return out

    df = np.array([_satterthwaite(gram(c, c)) for c in np.eye(k)])
    return Covariance(_sym(v), df, se_type, g_count, df_resid, cr2_gram=gram)


def _satterthwaite(gram: np.ndarray) -> float:
    return float(np.trace(gram) ** 2 / np.sum(gram**2))


def _cluster_blocks(clusters: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    codes = factorize(np.asarray(clusters))
    g_count = int(codes.max()) + 1
    if g_count < 2:
        raise KaizenError(
            "clustered standard errors need at least 2 clusters; the estimation sample has "
            f"{g_count} cluster"
        )
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(g_count + 1))
    return codes, [order[bounds[g] : bounds[g + 1]] for g in range(g_count)]


def _cr2_weighted(
    x: np.ndarray, e: np.ndarray, b: np.ndarray, clusters: np.ndarray, k_total: int, s: np.ndarray
) -> Covariance:
    """CR2 of a weighted fit, working model ``Φ = I`` on the original scale.

    With ``S = diag(sqrt(w))`` and ``H*`` the hat matrix of the scaled design ``x``, the
    residual maker on the original scale is ``I − H_X = S⁻¹ (I − H*) S``; the adjustment is
    ``A_g = [(I − H_X)_g (I − H_X)_gᵀ]^{-1/2}`` and the meat term ``X_gᵀ W_g A_g e_g``.
    """
    n, k = x.shape
    codes, blocks = _cluster_blocks(clusters)
    g_count = len(blocks)
    xs2 = x.T @ (x * (s**2)[:, None])  # X*ᵀ S² X*
    mid = b @ xs2 @ b
    scores = np.zeros((g_count, k))
    r_rows = np.zeros((n, k))  # S_g⁻¹ A_g S_g X*_g B, stacked by cluster rows
    for g, idx in enumerate(blocks):
        xg, sg = x[idx], s[idx]
        h = xg @ b @ xg.T
        s2 = sg**2
        inner = np.diag(s2) - h * s2[None, :] - s2[:, None] * h + xg @ mid @ xg.T
        bg = inner / np.outer(sg, sg)
        a_g = _inv_sqrt_psd(bg)
        # meat term X_gᵀ W_g A_g e_g = X*_gᵀ S_g A_g S_g⁻¹ e*_g
        scores[g] = (xg.T * sg[None, :]) @ a_g @ (e[idx] / sg)
        r_rows[idx] = ((a_g @ (xg * sg[:, None])) @ b) / sg[:, None]
    v = b @ (scores.T @ scores) @ b

    def embed(c: np.ndarray) -> np.ndarray:
        rmat = np.zeros((n, g_count))
        rmat[np.arange(n), codes] = r_rows @ c
        return rmat - x @ (b @ (x.T @ rmat))  # F = (I − H*) R

    def gram(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        # q_g = (I − H_X)_gᵀ p_g with p_g = A_g S_g X*_g B c; in scaled terms the Gram matrix
        # is Fᵀ S² F with F = (I − H*) R and R holding S_g⁻¹ p_g in the rows of cluster g
        return embed(u).T @ (embed(w) * (s**2)[:, None])

    df = np.array([_satterthwaite(gram(c, c)) for c in np.eye(k)])
    return Covariance(_sym(v), df, "CR2", g_count, n - k_total, cr2_gram=gram)
