"""The numerical pieces of the Anderson–Rubin sets: reduced form, exact line solutions, set kinds.

Arrays in, frozen dataclasses out (:mod:`kaizen_eval.estimate.weakiv` holds the public functions):
:func:`reduced_form` regresses the outcome and each treatment on the instruments with the shared
sandwich and takes their cross-covariances from the fits' scores; :func:`solve_line` inverts the
Wald statistic along a line exactly; :class:`AndersonRubinSet` names the kind of set found.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy import stats

from kaizen_eval import _format as F
from kaizen_eval._core.linear import LinearFit, fit_ols
from kaizen_eval._docs import fill_doc
from kaizen_eval.estimate._docs_regression import DOCS

Pieces = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class AndersonRubinSet:
    """A ``1 − alpha`` Anderson–Rubin confidence set for one coefficient.

    Attributes
    ----------
    kind : str
        ``"interval"`` (``[low, high]``), ``"two rays"`` (``(−∞, low] ∪ [high, ∞)``),
        ``"real line"`` (unbounded: the data are uninformative about the LATE), ``"empty"``
        (every value is rejected: with several instruments, the overidentifying restrictions
        fail) or ``"union"`` (any other union of the intervals in ``pieces``).
    low, high : float
        Ends as described by ``kind``; for ``"union"`` the smallest and largest end
        (``-inf``/``inf`` when unbounded); ``nan`` for ``"empty"``.
    alpha : float
    pieces : tuple of (float, float)
        The set as a union of disjoint closed intervals, in increasing order (ends may be
        infinite).
    resolution : float
        0 when the ends are exact (up to floating point); otherwise the absolute accuracy of the
        ends of a grid-based projection.
    """

    kind: str
    low: float
    high: float
    alpha: float
    pieces: Pieces = ()
    resolution: float = 0.0

    def __post_init__(self) -> None:
        if not self.pieces and self.kind != "empty":
            pieces = {
                "interval": ((self.low, self.high),),
                "two rays": ((-np.inf, self.low), (self.high, np.inf)),
                "real line": ((-np.inf, np.inf),),
            }[self.kind]
            object.__setattr__(self, "pieces", pieces)

    @property
    def bounded(self) -> bool:
        """Whether the set is bounded (no infinite end; an empty set counts as bounded)."""
        return all(np.isfinite(e) for p in self.pieces for e in p)

    def __contains__(self, value: float) -> bool:
        return any(lo <= value <= hi for lo, hi in self.pieces)

    def __str__(self) -> str:
        level = f"{100 * (1 - self.alpha):g} %"
        ends = [e for p in self.pieces for e in p if np.isfinite(e)]
        d = F.column_decimals(ends)  # one precision for every end: [924, 15,750]

        def end(v: float) -> str:
            return F.number(v, d)

        approx = "" if self.resolution == 0 else f" (ends to within {F.number(self.resolution)})"
        if self.kind == "interval":
            return f"{level} Anderson-Rubin set: [{end(self.low)}, {end(self.high)}]{approx}"
        if self.kind == "two rays":
            return (
                f"{level} Anderson-Rubin set: (-inf, {end(self.low)}] U [{end(self.high)}, inf) "
                f"(unbounded: weak first stage){approx}"
            )
        if self.kind == "real line":
            return f"{level} Anderson-Rubin set: the whole real line (unbounded: weak first stage)"
        if self.kind == "empty":
            return f"{level} Anderson-Rubin set: empty (the overidentifying restrictions fail)"
        body = " U ".join(
            f"[{'-inf' if lo == -np.inf else end(lo)}, {'inf' if hi == np.inf else end(hi)}]"
            for lo, hi in self.pieces
        )
        tail = "" if self.bounded else " (unbounded: weak first stage)"
        return f"{level} Anderson-Rubin set: {body}{tail}{approx}"


@dataclass(frozen=True, eq=False)
class ReducedForm:
    """Coefficients of the outcome and treatments on the instruments, with their covariance.

    Attributes
    ----------
    pi : numpy.ndarray, shape (k, m + 1)
        Column 0: outcome on the ``k`` instruments (reduced form); column ``j``: treatment ``j``
        (first stage); all with the exogenous regressors and absorbed fixed effects.
    v : numpy.ndarray, shape (m + 1, m + 1, k, k)
        ``v[j, l]`` is the symmetrized covariance ``(Cov(π̂_j, π̂_l) + Cov(π̂_l, π̂_j)) / 2`` of
        the chosen type (from the fits' scores, ``B S_j S_lᵀ B``: every robust covariance type
        is bilinear in the residuals; the classical one by polarization).
    df : float
        Denominator degrees of freedom of the F test (as :func:`~.linear.wald_test`; with one
        instrument the coefficient's own df, so CR2 uses Satterthwaite's).
    """

    pi: np.ndarray
    v: np.ndarray
    df: float

    @property
    def k(self) -> int:
        """Number of instruments."""
        return self.pi.shape[0]

    def critical(self, alpha: float) -> float:
        """``k · F_{1−alpha}(k, df)`` (``χ²_k`` quantile if ``df`` is infinite)."""
        if np.isfinite(self.df):
            return self.k * float(stats.f.ppf(1 - alpha, self.k, self.df))
        return float(stats.chi2.ppf(1 - alpha, self.k))

    def wald(self, u: np.ndarray) -> float:
        """Wald statistic that ``π̂ u = 0``: ``(π̂u)ᵀ [Σ_jl u_j u_l v_jl]⁻¹ (π̂u)``."""
        u = np.asarray(u, dtype=float)
        r = self.pi @ u
        s = np.einsum("j,l,jlab->ab", u, u, self.v)
        return float(r @ np.linalg.solve(s, r))

    def pvalue(self, u: np.ndarray) -> float:
        """p-value of the AR test ``F = W/k`` on ``(k, df)`` degrees of freedom."""
        f = self.wald(u) / self.k
        if np.isfinite(self.df):
            return float(stats.f.sf(f, self.k, self.df))
        return float(stats.chi2.sf(f * self.k, self.k))


@fill_doc(DOCS)
def reduced_form(
    y: np.ndarray,
    d: np.ndarray,
    z: np.ndarray,
    x: np.ndarray,
    *,
    se: str,
    clusters: np.ndarray | None = None,
    fixed_effects: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> ReducedForm:
    """Regress the outcome and each treatment on ``[z, x]`` with the shared sandwich.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,)
    d : numpy.ndarray, shape (n,) or (n, m)
    z : numpy.ndarray, shape (n,) or (n, k)
    %(params_iv_exog_inference)s

    Returns
    -------
    ReducedForm
    """
    d = np.asarray(d, dtype=float).reshape(len(y), -1)
    z = np.asarray(z, dtype=float).reshape(len(y), -1)
    cols = [np.asarray(y, dtype=float), *d.T]
    k = z.shape[1]
    design = np.column_stack([z, x])
    kw = {"se": se, "clusters": clusters, "fixed_effects": fixed_effects, "weights": weights}
    fits = [fit_ols(c, design, **kw) for c in cols]
    m1 = len(cols)
    v = np.empty((m1, m1, k, k))
    for j in range(m1):
        v[j, j] = fits[j].vcov[:k, :k]
    for j in range(m1):
        for i in range(j + 1, m1):
            v[j, i] = v[i, j] = _cross_covariance(
                fits[j], fits[i], k, cols[j] + cols[i], design, kw
            )
    f0 = fits[0]
    if k == 1:
        df = float(f0.df[0])
    else:
        df = float(f0.n_clusters - 1) if f0.n_clusters is not None else float(f0.df_resid)
    pi = np.column_stack([f.coef[:k] for f in fits])
    return ReducedForm(pi=pi, v=v, df=df)


def _cross_covariance(
    a: LinearFit, b: LinearFit, k: int, both: np.ndarray, design: np.ndarray, kw: dict
) -> np.ndarray:
    """Symmetrized ``Cov(π̂_a, π̂_b)`` of the first ``k`` coefficients of two fits on one design.

    From the fits' scores (``Cov = B S_a S_bᵀ B``, every robust type being bilinear in the
    residuals); the classical covariance has no scores and is polarized from a fit of the
    summed outcomes, ``(V(a + b) − V(a) − V(b)) / 2``.
    """
    if a.scores is None or b.scores is None:
        vab = fit_ols(both, design, **kw).vcov[:k, :k]
        return (vab - a.vcov[:k, :k] - b.vcov[:k, :k]) / 2
    cross = (a.bread[:k] @ a.scores) @ (b.bread[:k] @ b.scores).T
    return (cross + cross.T) / 2


def solve_line(rf: ReducedForm, u0: np.ndarray, e: np.ndarray, crit: float) -> Pieces:
    """Solve ``{b : W(u0 + b e) ≤ crit}`` exactly, as a union of closed intervals.

    With ``r(b) = π̂(u0 + be)`` and ``S(b) = Σ_jl (u0 + be)_j (u0 + be)_l v_jl`` positive
    definite, ``W ≤ crit`` iff ``det(crit·S(b) − r(b)r(b)ᵀ) ≥ 0`` (matrix determinant lemma), a
    polynomial of degree ``2k`` in ``b``. Its real roots are the finite eigenvalues of the
    quadratic matrix pencil ``M0 + bM1 + b²M2`` (companion linearization, solved by
    :func:`scipy.linalg.eigvals`); the sign between consecutive roots is read off ``W`` itself.
    """
    u0 = np.asarray(u0, dtype=float)
    e = np.asarray(e, dtype=float)
    r0, r1 = rf.pi @ u0, rf.pi @ e
    s00 = np.einsum("j,l,jlab->ab", u0, u0, rf.v)
    s01 = np.einsum("j,l,jlab->ab", u0, e, rf.v)
    s11 = np.einsum("j,l,jlab->ab", e, e, rf.v)
    m0 = crit * s00 - np.outer(r0, r0)
    m1 = 2 * crit * s01 - np.outer(r0, r1) - np.outer(r1, r0)
    m2 = crit * s11 - np.outer(r1, r1)
    k = rf.k
    eye, zero = np.eye(k), np.zeros((k, k))
    a = np.block([[zero, eye], [-m0, -m1]])
    b = np.block([[eye, zero], [zero, m2]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ev = scipy.linalg.eigvals(a, b)
    ok = np.isfinite(ev) & (np.abs(ev.imag) <= 1e-7 * (1 + np.abs(ev.real)))
    roots = np.unique(ev.real[ok])
    edges = np.concatenate([[-np.inf], roots, [np.inf]])
    pieces: list[list[float]] = []
    for lo, hi in itertools.pairwise(edges):
        if np.isfinite(lo) and np.isfinite(hi):
            mid = (lo + hi) / 2
        elif np.isfinite(lo):
            mid = lo + max(1.0, abs(lo))
        elif np.isfinite(hi):
            mid = hi - max(1.0, abs(hi))
        else:
            mid = 0.0
        if rf.wald(u0 + mid * e) <= crit:
            if pieces and pieces[-1][1] == lo:
                pieces[-1][1] = hi
            else:
                pieces.append([lo, hi])
    return tuple((float(lo), float(hi)) for lo, hi in pieces)


def _as_set(pieces: Pieces, alpha: float, resolution: float = 0.0) -> AndersonRubinSet:
    if not pieces:
        return AndersonRubinSet("empty", np.nan, np.nan, alpha, (), resolution)
    lo, hi = pieces[0][0], pieces[-1][1]
    if len(pieces) == 1 and np.isinf(lo) and np.isinf(hi):
        kind = "real line"
    elif len(pieces) == 1 and np.isfinite(lo) and np.isfinite(hi):
        kind = "interval"
    elif len(pieces) == 2 and np.isinf(lo) and np.isinf(hi):
        kind, lo, hi = "two rays", pieces[0][1], pieces[1][0]
    else:
        kind = "union"
    return AndersonRubinSet(kind, lo, hi, alpha, pieces, resolution)


def _quadratic_set(rf: ReducedForm, alpha: float) -> AndersonRubinSet:
    """One instrument: ``(π_y − bπ_d)² ≤ q (V_y − 2bC + b²V_d)`` solved in closed form."""
    py, pd_ = rf.pi[0]
    vy, c, vd = rf.v[0, 0, 0, 0], rf.v[0, 1, 0, 0], rf.v[1, 1, 0, 0]
    q = rf.critical(alpha)
    a2 = pd_**2 - q * vd
    a1 = -2 * (py * pd_ - q * c)
    a0 = py**2 - q * vy
    disc = a1**2 - 4 * a2 * a0
    if a2 > 0:
        r = np.sqrt(max(disc, 0.0))
        return AndersonRubinSet("interval", (-a1 - r) / (2 * a2), (-a1 + r) / (2 * a2), alpha)
    if a2 < 0 and disc > 0:
        r = np.sqrt(disc)
        lo, hi = sorted(((-a1 - r) / (2 * a2), (-a1 + r) / (2 * a2)))
        return AndersonRubinSet("two rays", lo, hi, alpha)
    return AndersonRubinSet("real line", -np.inf, np.inf, alpha)
