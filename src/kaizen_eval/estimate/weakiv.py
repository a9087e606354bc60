"""Inference on a LATE that stays valid when the first stage is weak: Anderson–Rubin sets.

The core (:func:`anderson_rubin_set`, :func:`projection_set`, and from
:mod:`~kaizen_eval.estimate._reduced_form` :func:`reduced_form` and :func:`solve_line`) takes
arrays and returns frozen dataclasses; :func:`anderson_rubin` is the public wrapper for a data
frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, as_list, check_alpha
from kaizen_eval.estimate._docs_regression import DOCS
from kaizen_eval.estimate._ivdata import iv_data
from kaizen_eval.estimate._reduced_form import (
    AndersonRubinSet,
    ReducedForm,
    _as_set,
    _quadratic_set,
    reduced_form,
    solve_line,
)
from kaizen_eval.estimate.result import PicklesMappings

__all__ = [
    "AndersonRubin",
    "AndersonRubinSet",
    "ReducedForm",
    "anderson_rubin",
    "anderson_rubin_set",
    "projection_set",
    "reduced_form",
    "solve_line",
]


@fill_doc(DOCS)
def anderson_rubin_set(
    y: np.ndarray,
    d: np.ndarray,
    z: np.ndarray,
    x: np.ndarray,
    *,
    se: str,
    clusters: np.ndarray | None = None,
    fixed_effects: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    alpha: float = 0.05,
) -> AndersonRubinSet:
    """Invert the Anderson–Rubin test of ``H0: β = b`` for one treatment and ``k`` instruments.

    The test regresses ``y − b·d`` on the instruments and the exogenous regressors and rejects
    when the Wald statistic that all instrument coefficients are zero (same covariance type as
    the estimate) exceeds ``k·F_{1−alpha}(k, df)``. Because every covariance type here is
    quadratic in the residuals, the statistic is
    ``W(b) = (a − bc)ᵀ [V_aa − 2b V_ac + b² V_cc]⁻¹ (a − bc)`` with ``a``, ``c`` the
    reduced-form and first-stage coefficients on the instruments, and the set is found exactly.

    Parameters
    ----------
    y, d : numpy.ndarray, shape (n,)
        Outcome, treatment.
    z : numpy.ndarray, shape (n,) or (n, k)
        Instrument(s).
    %(params_iv_exog_inference)s
    alpha : float

    Returns
    -------
    AndersonRubinSet
        An interval, two rays, the real line, the empty set (``k > 1`` only) or a union.

    Notes
    -----
    With one instrument the inequality ``(a − bc)² ≤ q (V_aa − 2bV_ac + b²V_cc)`` is a
    quadratic in ``b``, solved in closed form (``q = F_{1−alpha}(1, df)``, ``df`` the
    instrument coefficient's). With ``k > 1`` the roots of ``det(kF·S(b) − r(b)r(b)ᵀ)``, a
    polynomial of degree ``2k``, split the line; see :func:`solve_line`. The ``df`` are those
    of :func:`~kaizen_eval._core.linear.wald_test` (``N − K``, or ``G − 1`` when clustered),
    as Stata's ``weakiv``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, 300).astype(float)
    >>> d = z * (rng.random(300) < 0.5)
    >>> y = 2 * d + rng.normal(size=300)
    >>> ar = anderson_rubin_set(y, d, z, np.ones((300, 1)), se="HC1")
    >>> ar.kind, 2.0 in ar
    ('interval', True)
    """
    if np.ndim(d) > 1 and np.shape(d)[1] != 1:
        raise KaizenError("anderson_rubin_set takes one treatment; use anderson_rubin for two")
    rf = reduced_form(
        y, d, z, x, se=se, clusters=clusters, fixed_effects=fixed_effects, weights=weights
    )
    return _one_treatment_set(rf, alpha)


def _one_treatment_set(rf: ReducedForm, alpha: float) -> AndersonRubinSet:
    """Return the exact AR set of one treatment (closed form with one instrument, else the line)."""
    if rf.k == 1:
        return _quadratic_set(rf, alpha)
    pieces = solve_line(rf, np.array([1.0, 0.0]), np.array([0.0, -1.0]), rf.critical(alpha))
    return _as_set(pieces, alpha)


def projection_set(
    rf: ReducedForm,
    j: int,
    alpha: float,
    *,
    grid: int | np.ndarray = 401,
    tol: float | None = None,
) -> AndersonRubinSet:
    """Project the joint AR set of two treatments onto treatment ``j`` (0 or 1).

    ``β_j`` belongs to the projection iff some ``β_o`` (the other treatment) is not rejected,
    i.e. iff the exact one-dimensional set of :func:`solve_line` in ``β_o`` at that ``β_j`` is
    non-empty, at the joint critical value ``k·F_{1−alpha}(k, df)``. Unboundedness is decided
    exactly: the projection is unbounded (on both sides) iff some ``β_o``-direction at infinity
    is accepted, i.e. iff ``{s : W(0, −e_j − s e_o) ≤ crit}`` is non-empty. The bounded part is
    found on a grid (``grid`` points, widened by doubling around the minimum-distance estimate
    until its ends are rejected, or the given values), and each change of status between two
    grid points is refined by bisection to ``tol`` (default: grid step / 1000), which is the
    reported ``resolution``. Pieces narrower than the grid step, or outside the grid, can be
    missed. A grid whose ends are inside a bounded projection (or outside an unbounded one) is
    an error, never a silently truncated set.

    Parameters
    ----------
    rf : ReducedForm
        With two treatments (``rf.pi.shape[1] == 3``).
    j : int
    alpha : float
    grid : int or numpy.ndarray
        Number of grid points, or the grid itself (increasing).
    tol : float, optional

    Returns
    -------
    AndersonRubinSet
        With ``resolution > 0``.
    """
    if rf.pi.shape[1] != 3:
        raise KaizenError("projection_set needs exactly two treatments")
    crit = rf.critical(alpha)
    jj, oo = 1 + j, 2 - j
    ej, eo = np.eye(3)[jj], np.eye(3)[oo]
    unbounded = bool(solve_line(rf, -ej, -eo, crit))

    def accepted(t: float) -> bool:
        return bool(solve_line(rf, np.eye(3)[0] - t * ej, -eo, crit))

    if isinstance(grid, (int, np.integer)):
        if grid < 11:
            raise KaizenError(f"`grid` needs at least 11 points; got {grid}")
        center, scale = _md_estimate(rf)
        h = 8 * scale[j] if np.isfinite(scale[j]) and scale[j] > 0 else 1.0 + abs(center[j])
        for _ in range(60):
            pts = np.linspace(center[j] - h, center[j] + h, int(grid))
            ends = (accepted(pts[0]), accepted(pts[-1]))
            if all(ends) if unbounded else not any(ends):
                break
            h *= 2
    else:
        pts = np.asarray(grid, dtype=float)
        if pts.ndim != 1 or len(pts) < 2 or np.any(np.diff(pts) <= 0):
            raise KaizenError("`grid` must be a number of points or an increasing 1-D array")
    if unbounded and not (accepted(pts[0]) and accepted(pts[-1])):
        raise KaizenError(
            f"the projection for treatment {j} is unbounded but the grid "
            f"[{pts[0]:.4g}, {pts[-1]:.4g}] is too narrow to reach its rays: widen `grid`"
        )
    step = float(np.min(np.diff(pts)))
    tol = step / 1000 if tol is None else float(tol)
    acc = np.array([accepted(t) for t in pts])
    if not unbounded and (acc[0] or acc[-1]):
        raise KaizenError(
            f"the projection for treatment {j} is bounded but reaches the end of the grid "
            f"[{pts[0]:.4g}, {pts[-1]:.4g}]: widen `grid`"
        )
    pieces: list[list[float]] = []
    for i, a in enumerate(acc):
        if not a:
            continue
        if i == 0 or not acc[i - 1]:
            lo = -np.inf if i == 0 and unbounded else pts[i]
            if i > 0:
                lo = _bisect(accepted, pts[i - 1], pts[i], tol)
            pieces.append([lo, pts[i]])
        if i == len(acc) - 1:
            pieces[-1][1] = np.inf if unbounded else pts[i]
        elif not acc[i + 1]:
            pieces[-1][1] = _bisect(accepted, pts[i + 1], pts[i], tol)
        else:
            pieces[-1][1] = pts[i + 1]
    return _as_set(tuple((float(a), float(b)) for a, b in pieces), alpha, resolution=tol)


def _bisect(accepted, out: float, inn: float, tol: float) -> float:
    """Boundary between a rejected point ``out`` and an accepted point ``inn``."""
    while abs(inn - out) > tol:
        mid = (inn + out) / 2
        if accepted(mid):
            inn = mid
        else:
            out = mid
    return (inn + out) / 2


def _md_estimate(rf: ReducedForm) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-distance (2SLS-like) estimate of β from ``π_y = Π_d β`` and its Wald SE."""
    pd_ = rf.pi[:, 1:]
    beta = np.linalg.lstsq(pd_, rf.pi[:, 0], rcond=None)[0]
    u = np.concatenate([[1.0], -beta])
    s = np.einsum("j,l,jlab->ab", u, u, rf.v)
    with np.errstate(all="ignore"):
        try:
            cov = np.linalg.inv(pd_.T @ np.linalg.solve(s, pd_))
            scale = np.sqrt(np.abs(np.diag(cov)))
        except np.linalg.LinAlgError:
            scale = np.full(len(beta), np.nan)
    return beta, scale


@dataclass(frozen=True, eq=False)
class AndersonRubin(PicklesMappings):
    """Anderson–Rubin inference on the LATE of one or two treatments.

    Attributes
    ----------
    treatments, instruments : tuple of str
    alpha : float
    sets : Mapping[str, AndersonRubinSet]
        Per treatment: with one treatment, the exact ``1 − alpha`` AR set; with two, the
        projection of the joint set (grid-based: its ``resolution`` says how precise its ends
        are; unboundedness is decided exactly).
    reduced_form : ReducedForm
        The coefficients and covariance behind every statistic.
    nobs : int
    se_type : str
    """

    _mappings = ("sets",)

    treatments: tuple[str, ...]
    instruments: tuple[str, ...]
    alpha: float
    sets: Mapping[str, AndersonRubinSet]
    reduced_form: ReducedForm = field(repr=False)
    nobs: int
    se_type: str

    @property
    def df(self) -> tuple[int, float]:
        """``(k, df)`` of the F reference distribution."""
        return (self.reduced_form.k, self.reduced_form.df)

    @property
    def critical_value(self) -> float:
        """The F critical value: a point is in the joint set iff its F ≤ this."""
        return self.reduced_form.critical(self.alpha) / self.reduced_form.k

    def _u(self, beta: float | Sequence[float]) -> np.ndarray:
        b = np.atleast_1d(np.asarray(beta, dtype=float))
        if b.shape != (len(self.treatments),):
            raise KaizenError(
                f"`beta` needs {len(self.treatments)} value(s), one per treatment "
                f"({', '.join(self.treatments)}); got {b.tolist()}"
            )
        return np.concatenate([[1.0], -b])

    def statistic(self, beta: float | Sequence[float]) -> float:
        """AR F statistic ``W(β)/k`` of ``H0: β = beta`` (one value per treatment)."""
        return self.reduced_form.wald(self._u(beta)) / self.reduced_form.k

    def pvalue(self, beta: float | Sequence[float]) -> float:
        """Joint AR p-value of ``H0: β = beta``."""
        return self.reduced_form.pvalue(self._u(beta))

    def __contains__(self, beta: float | Sequence[float]) -> bool:
        return self.statistic(beta) <= self.critical_value

    def __repr__(self) -> str:
        lines = [f"<AndersonRubin k={self.reduced_form.k}, df={self.reduced_form.df:g}>"]
        lines += [f"  {t}: {s}" for t, s in self.sets.items()]
        return "\n".join(lines)


@fill_doc(DOCS)
def anderson_rubin(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str | Sequence[str],
    instrument: str | Sequence[str],
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    cluster: str | None = None,
    se: str | None = None,
    baseline: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    grid: int | Sequence[float] | Mapping[str, Sequence[float]] = 401,
) -> AndersonRubin:
    """Anderson–Rubin confidence sets for the LATE, valid however weak the first stage.

    The AR test of ``H0: β = β0`` regresses ``y − Dβ0`` on the instruments and the exogenous
    regressors (same fixed effects) and tests that all instrument coefficients are zero with the
    Wald F of the chosen covariance (``F = W/k`` on ``(k, df)``, ``df = N − K`` or ``G − 1``
    when clustered, as Stata's ``weakiv``/``ivreg2`` robust AR). Its size does not depend on
    the strength of the first stage, so the set it inverts may be unbounded: then the data
    cannot rule out arbitrarily large effects, and the string of the set says so.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
    treatment : str or sequence of str
        One or two endogenous take-up columns.
    instrument : str or sequence of str
        At least as many instruments as treatments.
    %(params_linear)s
    grid : int, sequence of float, or mapping of treatment to sequence of float
        Two treatments only: the number of grid points for each projection (widened
        automatically), or the grid(s) itself. Ignored with one treatment (exact set).

    Returns
    -------
    AndersonRubin
        ``.sets[treatment]`` (exact with one treatment; the projection of the joint set with
        two, ends to within ``.resolution``), ``.pvalue(beta)`` and ``.statistic(beta)`` at any
        point, ``beta in result`` for the joint set.

    Raises
    ------
    KaizenError
        For no or overlapping columns, more than two treatments, fewer instruments than
        treatments, a non-numeric column, or an unknown ``se``.

    See Also
    --------
    late : the 2SLS estimate; with one treatment it carries the same set in
        ``extra["anderson_rubin"]``.

    Notes
    -----
    With reduced-form and first-stage coefficients ``Π = [π_y, π_1, …]`` on the instruments
    and their joint covariance (from the fits' scores, exact for every type),
    ``W(β) = (Πu)ᵀ [Σ_jl u_j u_l V_jl]⁻¹ (Πu)`` with ``u = (1, −β)``. With one treatment the
    set ``{β : W ≤ k F_crit}`` is solved exactly (see :func:`anderson_rubin_set`); it can be an
    interval, two rays, the whole line, empty (overidentifying restrictions rejected) or a union
    of intervals. With two the joint set is 2-D; each treatment's interval is its projection
    (conservative for one coefficient: it covers it with at least ``1 − alpha``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, (400, 2))
    >>> d = z * (rng.random((400, 2)) < 0.6)
    >>> y = 2.0 * d[:, 0] + 1.0 * d[:, 1] + rng.normal(size=400)
    >>> df = pd.DataFrame({"inv": z[:, 0], "ons": z[:, 1], "att": d[:, 0], "rec": d[:, 1],
    ...                    "y": y})
    >>> ar = ke.anderson_rubin(df, outcome="y", treatment=["att", "rec"],
    ...                        instrument=["inv", "ons"], grid=101)
    >>> ar.sets["att"].kind, [2.0, 1.0] in ar
    ('interval', True)
    """
    treatments = as_list(treatment)
    instruments = as_list(instrument)
    if len(treatments) > 2:
        raise KaizenError(
            f"anderson_rubin handles one or two treatments; got {len(treatments)} "
            f"({', '.join(treatments)})"
        )
    alpha = check_alpha(alpha)
    iv = iv_data(
        df,
        outcome=outcome,
        treatments=treatments,
        instruments=instruments,
        covariates=as_list(covariates),
        fixed_effects=as_list(fixed_effects),
        cluster=cluster,
        se=se,
        baseline=baseline,
        weights=weights,
        where="anderson_rubin",
    )
    rf = reduced_form(iv.y, iv.d, iv.z, iv.x, **iv.inference)
    sets: dict[str, AndersonRubinSet] = {}
    if len(treatments) == 1:
        sets[treatments[0]] = _one_treatment_set(rf, alpha)
    else:
        for j, t in enumerate(treatments):
            g = grid[t] if isinstance(grid, Mapping) else grid
            g = g if isinstance(g, (int, np.integer)) else np.asarray(g, dtype=float)
            sets[t] = projection_set(rf, j, alpha, grid=g)
    return AndersonRubin(
        treatments=tuple(treatments),
        instruments=tuple(instruments),
        alpha=alpha,
        sets=MappingProxyType(sets),
        reduced_form=rf,
        nobs=len(iv.y),
        se_type=iv.se_type,
    )
