"""Sampling uncertainty of the gain: parametric draws from an estimate, or bootstrap replicates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import KaizenError, check_count, check_seed, require_columns
from kaizen_eval.estimate.result import Estimate

Seed = int | np.random.Generator


@dataclass(frozen=True)
class GainDistribution:
    """Point value and sampling draws of an annual gain.

    Attributes
    ----------
    estimate : float
        Point estimate.
    std_error : float
        Its standard error (``nan`` for bootstrap draws given without one).
    dof : float
        Degrees of freedom of the t distribution (``inf``: normal; ``nan``: bootstrap).
    draws : numpy.ndarray, shape (draws,)
        Draws of the gain (read-only).
    method : str
        ``"t"``, ``"normal"`` or ``"bootstrap"``.
    """

    estimate: float
    std_error: float
    dof: float
    draws: np.ndarray
    method: str


def parametric_draws(
    estimate: float, std_error: float, dof: float, *, draws: int, seed: Seed
) -> GainDistribution:
    """Draw the gain from its sampling distribution ``estimate + std_error · T_dof``.

    Parameters
    ----------
    estimate, std_error : float
        Point estimate and standard error.
    dof : float
        Degrees of freedom (``inf`` for a normal distribution).
    draws : int
        Number of draws.
    seed : int or numpy.random.Generator
        Random source (the global RNG is never used).

    Returns
    -------
    GainDistribution

    Examples
    --------
    >>> d = parametric_draws(100.0, 10.0, float("inf"), draws=4, seed=1)
    >>> d.method, d.draws.shape
    ('normal', (4,))
    """
    if not (np.isfinite(std_error) and std_error >= 0):
        raise KaizenError(f"the gain's standard error must be finite and >= 0: {std_error!r}.")
    rng = np.random.default_rng(check_seed("seed", seed))
    if np.isfinite(dof):
        z = rng.standard_t(dof, size=draws)
        method = "t"
    else:
        z = rng.standard_normal(size=draws)
        method = "normal"
    out = estimate + std_error * z
    out.flags.writeable = False
    return GainDistribution(float(estimate), float(std_error), float(dof), out, method)


def from_estimate(est: Estimate, term: str | None = None) -> tuple[float, float, float]:
    """Return ``(estimate, std_error, dof)`` of one term of an :class:`Estimate`.

    Examples
    --------
    >>> e = Estimate(terms=("attended",), coef=[5.0], vcov=[[4.0]], dof=30, se_type="HC1",
    ...              method="2SLS", estimand="LATE", outcome="value_added", nobs=32)
    >>> from_estimate(e)
    (5.0, 2.0, 30.0)
    """
    if term is None:
        if len(est.terms) != 1:
            raise KaizenError(
                f"the gain estimate has {len(est.terms)} terms ({', '.join(est.terms)}); pass "
                f"`term=` to say which one is the gain."
            )
        term = est.terms[0]
    if term not in est.terms:
        raise KaizenError(f"term {term!r} not in the gain estimate; terms: {est.terms}.")
    row = est.tidy().loc[term]
    return float(row["estimate"]), float(row["std_error"]), float(row["df"])


def bootstrap_gain(
    data: pd.DataFrame,
    estimator: Callable[[pd.DataFrame], Estimate | float],
    *,
    draws: int = 999,
    cluster: str | None = None,
    strata: str | None = None,
    term: str | None = None,
    seed: Seed = 0,
    progress: bool = False,
) -> np.ndarray:
    """Re-estimate the gain on bootstrap resamples of the data.

    Firms (rows, or whole clusters when ``cluster`` is given) are drawn with replacement, within
    each stratum when ``strata`` is given, and ``estimator`` is applied to each resample. Only the
    point estimate of each resample is kept; a cluster drawn twice appears twice with the same
    identifier.

    Parameters
    ----------
    data : pandas.DataFrame
        The estimation data.
    estimator : callable
        ``estimator(df)`` returns an :class:`Estimate` (its ``term`` is taken) or a number.
    draws : int
        Number of bootstrap replicates.
    cluster, strata : str, optional
        Resampling unit and strata columns.
    term : str, optional
        Term of a multi-term Estimate to keep.
    seed : int or numpy.random.Generator
        Random source.
    progress : bool
        Show a progress bar of the replicates on standard error.

    Returns
    -------
    numpy.ndarray, shape (draws,)
        The replicates; pass them to ``ke.cost_benefit(..., gain_draws=...)``.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]})
    >>> bootstrap_gain(df, lambda d: d["y"].mean(), draws=3, seed=0).shape
    (3,)
    """
    check_count("draws", draws, least=2)
    require_columns(data, [c for c in (cluster, strata) if c is not None], where="the data")
    rng = np.random.default_rng(check_seed("seed", seed))
    units = (
        data[cluster] if cluster is not None else pd.Series(np.arange(len(data)), index=data.index)
    )
    if units.isna().any():
        raise KaizenError(f"column {cluster!r} has missing values; every row needs a cluster.")
    groups: dict[object, np.ndarray] = {}
    if strata is not None:
        if data[strata].isna().any():
            raise KaizenError(f"column {strata!r} has missing values; every row needs a stratum.")
        frame = pd.DataFrame({"u": units.to_numpy(), "s": data[strata].to_numpy()})
        for s, part in frame.groupby("s", sort=True):
            groups[s] = part["u"].unique()
    else:
        groups[None] = units.unique()
    rows_of = {u: np.flatnonzero(units.to_numpy() == u) for g in groups.values() for u in g}
    out = np.empty(int(draws))
    replicates = progress_bar(
        range(int(draws)), total=int(draws), show=progress, desc="bootstrap", unit="draw"
    )
    for b in replicates:
        idx = np.concatenate(
            [
                np.concatenate([rows_of[u] for u in rng.choice(g, size=g.size, replace=True)])
                for g in groups.values()
            ]
        )
        result = estimator(data.iloc[idx].reset_index(drop=True))
        out[b] = from_estimate(result, term)[0] if isinstance(result, Estimate) else float(result)
    return out
