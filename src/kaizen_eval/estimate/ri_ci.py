"""Confidence intervals by inverting randomization tests under a constant-effect model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, as_list, check_alpha, check_count, check_seed
from kaizen_eval.estimate._build import check_assignment, check_outcome
from kaizen_eval.estimate._frame import estimation_sample, numeric_column
from kaizen_eval.estimate.ri_draws import assignment_blocks, design_units
from kaizen_eval.estimate.ri_pvalues import TIE_RTOL
from kaizen_eval.estimate.ri_statistic import StatisticAdapter, baseline_columns

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


def randomization_ci(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    instrument: str | None = None,
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
) -> RandomizationCI:
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

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
    treatment : str
        The randomized column, or (with ``instrument``) the take-up.
    instrument : str, optional
        The randomized column when ``treatment`` is take-up.
    covariates, strata, cluster, fixed_effects, draws, seed
        As in :func:`~kaizen_eval.estimate.ri.randomization_inference`.
    alpha : float
    baseline : str, optional
        Baseline outcome as a covariate (McKenzie's dummy for missing values).
    progress : bool
        Show a progress bar over the blocks of draws (on standard error).
    dose : bool
        Declare a randomized column (``instrument``, else ``treatment``) coded other than 0/1;
        by default that is an error. Take-up (``treatment`` with ``instrument``) may be an
        intensity.

    Returns
    -------
    RandomizationCI

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
    randomized = instrument if instrument is not None else treatment
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("instrument", as_list(instrument)),
            ("covariate", covs),
            ("stratum", as_list(strata)),
            ("cluster", as_list(cluster)),
            ("fixed effect", fes),
        ],
        where="randomization_ci",
        keep=as_list(baseline),
    )
    data = sample.data
    y = check_outcome(data, outcome, where="randomization_ci")
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
        obs = abs(a0 - tau * c0)
        hits = int(np.sum(np.abs(a - tau * c) >= obs - TIE_RTOL * max(obs, 1e-300)))
        return hits / b if exact else (1 + hits) / (1 + b)

    estimate = a0 / c0
    step = max(float(np.std(a)) / abs(c0), 1e-12 * max(1.0, abs(estimate)))

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

    return RandomizationCI(
        low=float(edge(-1.0)),
        high=float(edge(1.0)),
        estimate=float(estimate),
        alpha=alpha,
        exact=bool(exact),
        draws=b,
        pvalue=float(pvalue(0.0)),
    )
