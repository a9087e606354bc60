"""Confidence intervals by inverting randomization tests under a constant-effect model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, as_list, check_alpha, check_count, check_seed
from kaizen_eval.estimate._build import check_assignment
from kaizen_eval.estimate._docs_ri import DOCS
from kaizen_eval.estimate._frame import numeric_column
from kaizen_eval.estimate.ri_arms import JointSummary, arm_coefficients, joint_redraws
from kaizen_eval.estimate.ri_draws import DrawPlan, assignment_blocks, design_units
from kaizen_eval.estimate.ri_pvalues import randomization_pvalues
from kaizen_eval.estimate.ri_statistic import (
    StatisticAdapter,
    baseline_columns,
    design_roles,
    ri_sample,
)

_MAX_STEPS = 200  # search up to this many null standard errors on each side
_BISECT = 60


@dataclass(frozen=True)
class RandomizationCI:
    """A randomization-based confidence interval for a constant effect.

    Attributes
    ----------
    low, high : float
        Ends of the interval (``-inf``/``inf`` when the tests never reject on that side within
        200 null standard errors: the interval is unbounded there, e.g. with a weak first stage).
    estimate : float
        The point estimate (the coefficient; for a LATE the Wald ratio).
    alpha : float
    exact : bool
        Whether all assignments were enumerated.
    draws : int
        Number of assignments used.
    pvalue : float
        Randomization p-value of ``H0: effect = 0`` from the same tests (for a LATE: the
        randomization test of the 2SLS estimate, Imbens and Rosenbaum 2005; it equals the
        reduced-form test, since ``y − 0·treatment = y``).
    """

    low: float
    high: float
    estimate: float
    alpha: float
    exact: bool
    draws: int
    pvalue: float

    @property
    def bounded(self) -> bool:
        """Whether both ends are finite."""
        return bool(np.isfinite(self.low) and np.isfinite(self.high))


@fill_doc(DOCS)
def randomization_ci(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str | Sequence[str],
    instrument: str | Sequence[str] | None = None,
    covariates: str | Sequence[str] = (),
    strata: str | None = None,
    cluster: str | None = None,
    fixed_effects: str | Sequence[str] | None = None,
    draws: int = 2_000,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    baseline: str | None = None,
    progress: bool = False,
    dose: bool = False,
    assignment: Any = None,
) -> RandomizationCI | RandomizationCIs:
    """Invert randomization tests of ``H0: effect = τ`` under a constant additive effect.

    Without ``instrument``: the randomized ``treatment`` shifts every outcome by ``τ``, so
    ``y − τ·treatment`` does not depend on the assignment under ``H0``. With ``instrument``
    (Imbens and Rosenbaum 2005): the randomized ``instrument`` affects the outcome only through
    take-up ``treatment``, whose effect is ``τ``, so ``y − τ·treatment`` does not depend on the
    instrument. Each test uses the coefficient statistic of
    :func:`~kaizen_eval.estimate.ri.randomization_inference` with the same re-drawn assignments
    for every ``τ``; the coefficient is linear in ``τ``, so all tests cost one pass over the
    draws. The interval is the set of ``τ`` not rejected at level ``alpha`` around the point
    estimate (its connected part), with ends located by bisection.

    Several arms (``treatment=[...]``, and with take-up ``instrument=[...]``, one instrument
    per treatment, in the same order): all arms are re-drawn jointly, as they were drawn (from
    ``assignment``, or by permuting each unit's combination of arms within strata), and the
    model is ``y = y(0) + Σ_k τ_k treatment_k``. The statistic for arm ``j`` is arm ``j``'s
    coefficient in the regression of ``y − Σ_k τ_k treatment_k`` on all arms, with ``τ_j`` the
    tested value and the other effects at their (2SLS) estimates, so each interval is exact
    when the other arms' effects equal their estimates (and when they are zero and the arms
    are independent, as in a factorial). The result is a :class:`RandomizationCIs`, one
    interval per treatment; each interval's ``pvalue`` tests ``τ_j = 0`` with the other effects
    at their estimates.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
    treatment : str or sequence of str
        The randomized column, or (with ``instrument``) the take-up; several for several arms.
    instrument : str or sequence of str, optional
        The randomized column(s) when ``treatment`` is take-up.
    %(params_ri_design)s
    alpha : float
    baseline : str, optional
        Baseline outcome as a covariate (McKenzie's dummy for missing values).
    %(param_ri_progress)s
    dose : bool
        Declare a randomized column (``instrument``, else ``treatment``) coded other than 0/1;
        by default that is an error. Take-up (``treatment`` with ``instrument``) may be an
        intensity.
    assignment : kaizen_eval.design.Assignment, optional
        The assignment that produced the randomized column(s): the draws then come from its
        ``redraw_many`` (both stages, strata, clusters, re-randomization), rows are matched on
        its id column, and ``strata`` must not be given.

    Returns
    -------
    RandomizationCI or RandomizationCIs

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"t": np.repeat([0, 1], 40)})
    >>> df["y"] = 1.0 * df["t"] + rng.normal(size=80)
    >>> ci = ke.randomization_ci(df, outcome="y", treatment="t", draws=999)
    >>> ci.low < 1.0 < ci.high, ci.bounded
    (True, True)
    """
    check_count("draws", draws)
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    covs, fes = as_list(covariates), as_list(fixed_effects)
    treatments = as_list(treatment)
    instruments = as_list(instrument) if instrument is not None else None
    if instruments is not None and len(instruments) != len(treatments):
        raise KaizenError(
            f"{len(treatments)} treatments for {len(instruments)} instruments: give one "
            "instrument per treatment (in the same order)"
        )
    if assignment is not None and strata is not None:
        raise KaizenError("give either `assignment` or `strata`: the assignment knows its strata")
    several = not isinstance(treatment, str)
    if several or assignment is not None:
        res = _arms_ci(
            df,
            outcome=outcome,
            treatments=treatments,
            instruments=instruments,
            covariates=covs,
            strata=strata,
            cluster=cluster,
            fixed_effects=fes,
            draws=draws,
            rng=rng,
            alpha=alpha,
            baseline=baseline,
            progress=progress,
            dose=dose,
            assignment=assignment,
        )
        return res if several else res[treatments[0]]
    treatment = treatments[0]
    instrument = instruments[0] if instruments is not None else None
    randomized = instrument if instrument is not None else treatment
    roles = design_roles([treatment], as_list(instrument), covs, strata, cluster, fes)
    sample, y = ri_sample(df, outcome, roles, None, strata, baseline, "randomization_ci")
    data = sample.data
    d = numeric_column(data, treatment, "treatment")
    role = "instrument" if instrument else "treatment"
    z = check_assignment(data, [randomized], role, where="randomization_ci", dose=dose)[:, 0]
    unit, t_unit, s_unit = design_units(data, z, randomized, strata, cluster)
    extra = baseline_columns(data, baseline)
    stat = StatisticAdapter(data, y, covs, fes, "coef", cluster_codes=None, extra=extra)
    a0, c0 = (float(v[0]) for v in stat.coef_and_slope(z[:, None], d))
    if abs(c0) < 1e-12:
        raise KaizenError(
            f"{randomized!r} does not move {treatment!r} at all: the effect is not identified"
        )
    exact, _, chunks = assignment_blocks(t_unit, s_unit, draws, rng, show=progress)
    pairs = [stat.coef_and_slope((a[:, unit] if cluster else a).T, d) for a in chunks]
    a = np.concatenate([p[0] for p in pairs])
    c = np.concatenate([p[1] for p in pairs])
    b = len(a)

    def pvalue(tau: float) -> float:
        return _share_at_least(np.abs(a - tau * c), abs(a0 - tau * c0), exact)

    return _interval(pvalue, a0 / c0, float(np.std(a)) / abs(c0), alpha, exact, b)


def _share_at_least(null: np.ndarray, observed: float, exact: bool) -> float:
    """P-value of one test: the share of ``null`` (absolute values) at least ``observed``."""
    return float(randomization_pvalues(null[:, None], np.array([observed]), exact)[0])


def _interval(
    pvalue: Callable[[float], float],
    estimate: float,
    null_se: float,
    alpha: float,
    exact: bool,
    b: int,
) -> RandomizationCI:
    """Invert the tests ``pvalue`` of one effect, searching by steps of its null ``null_se``."""
    step = max(null_se, 1e-12 * max(1.0, abs(estimate)))
    low, high = _invert(pvalue, estimate, step, alpha)
    return RandomizationCI(
        low=low,
        high=high,
        estimate=float(estimate),
        alpha=alpha,
        exact=bool(exact),
        draws=b,
        pvalue=float(pvalue(0.0)),
    )


def _invert(
    pvalue: Callable[[float], float], estimate: float, step: float, alpha: float
) -> tuple[float, float]:
    """Return the ends of the connected set not rejected at ``alpha`` around ``estimate``."""

    def edge(direction: float) -> float:
        inside = estimate
        for k in range(1, _MAX_STEPS + 1):
            tau = estimate + direction * k * step
            if pvalue(tau) <= alpha:
                outside = tau
                break
            inside = tau
        else:
            return direction * np.inf
        for _ in range(_BISECT):
            mid = (inside + outside) / 2
            if pvalue(mid) > alpha:
                inside = mid
            else:
                outside = mid
        return inside

    return float(edge(-1.0)), float(edge(1.0))


@dataclass(frozen=True)
class RandomizationCIs(JointSummary):
    """Randomization confidence intervals of several arms, from one set of joint re-draws.

    Attributes
    ----------
    intervals : dict of str to RandomizationCI
        One interval per treatment (``cis["attended"]``).
    exact : bool
    draws : int
    """

    intervals: Mapping[str, RandomizationCI]
    exact: bool
    draws: int

    def __getitem__(self, treatment: str) -> RandomizationCI:
        return self.intervals[treatment]

    def tidy(self) -> pd.DataFrame:
        """One row per treatment: ``estimate, ci_low, ci_high, pvalue``."""
        rows = {t: [ci.estimate, ci.low, ci.high, ci.pvalue] for t, ci in self.intervals.items()}
        out = pd.DataFrame.from_dict(
            rows, orient="index", columns=["estimate", "ci_low", "ci_high", "pvalue"]
        )
        out.index.name = "term"
        return out

    def __str__(self) -> str:
        lines = [f"Randomization confidence intervals ({self._how(self.draws)})"]
        for t, ci in self.intervals.items():
            lines.append(
                f"  {t:<20s} {ci.estimate:.4g}  [{ci.low:.4g}, {ci.high:.4g}]  "
                f"p(0) = {ci.pvalue:.4g}"
            )
        return "\n".join(lines)


def _arms_ci(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatments: list[str],
    instruments: list[str] | None,
    covariates: list[str],
    strata: str | None,
    cluster: str | None,
    fixed_effects: list[str],
    draws: int,
    rng: np.random.Generator,
    alpha: float,
    baseline: str | None,
    progress: bool,
    dose: bool,
    assignment: Any,
) -> RandomizationCIs:
    """Per-arm intervals from joint re-draws of all arms (see :func:`randomization_ci`)."""
    where = "randomization_ci"
    randomized = instruments if instruments is not None else treatments
    roles = design_roles(treatments, instruments or [], covariates, strata, cluster, fixed_effects)
    sample, y = ri_sample(df, outcome, roles, assignment, strata, baseline, where)
    data = sample.data
    role = "instrument" if instruments is not None else "treatment"
    z = check_assignment(data, randomized, role, where=where, dose=dose)
    d = np.column_stack([numeric_column(data, t, "treatment") for t in treatments])
    extra = baseline_columns(data, baseline)
    stat = StatisticAdapter(data, y, covariates, fixed_effects, "coef", None, extra=extra)
    cols = np.hstack([stat.engine.y, stat.engine.partial_columns(d)])  # ỹ, d̃_1..d̃_J
    obs = arm_coefficients(stat, z[None], cols)[0]  # (J, 1 + J): on ỹ, on each d̃
    a0, c0 = obs[:, 0], obs[:, 1:]
    if np.linalg.matrix_rank(c0) < len(treatments):
        raise KaizenError(
            f"the arms {', '.join(map(repr, randomized))} do not move "
            f"{', '.join(map(repr, treatments))} independently: the effects are not identified"
        )
    tau_hat = np.linalg.solve(c0, a0)  # 2SLS (just identified) or OLS on the arms
    plan = DrawPlan(strata, cluster, assignment, draws, rng, progress)
    joint = joint_redraws(data, z, randomized, plan)
    null = np.concatenate([arm_coefficients(stat, zb, cols) for zb in joint.blocks])
    a, c = null[:, :, 0], null[:, :, 1:]  # (B, J), (B, J, J)
    b = len(a)
    exact = joint.exact
    intervals = {}
    for j, name in enumerate(treatments):

        def pvalue(tau: float, j: int = j) -> float:
            t = tau_hat.copy()
            t[j] = tau
            return _share_at_least(np.abs(a[:, j] - c[:, j, :] @ t), abs(a0[j] - c0[j] @ t), exact)

        null_se = float(np.std(a[:, j])) / abs(c0[j, j])
        intervals[name] = _interval(pvalue, float(tau_hat[j]), null_se, alpha, exact, b)
    return RandomizationCIs(intervals, bool(exact), b)
