"""``ke.quantile_effects``: unconditional quantile treatment effects of random assignment.

For skewed accounting outcomes (value added, profit) the mean hides where the gains are. The
quantile treatment effect at ``τ`` is ``Q₁(τ) − Q₀(τ)``, the difference of the outcome's
``τ``-quantiles between the arms (under randomization, the effect on the distribution; not the
quantile of individual effects). Quantiles are the inverse of the empirical distribution
(``Q(τ) = min{y : F̂(y) ≥ τ}``), which is what ``quantreg::rq(y ~ d, tau)`` returns for a binary
``d``. Intervals come from a bootstrap that keeps the design: rows resampled within arm (and
stratum), or whole clusters within stratum when ``cluster`` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_count,
    check_probability,
    check_seed,
)
from kaizen_eval.estimate._build import check_assignment, check_cluster_column, check_outcome
from kaizen_eval.estimate._frame import estimation_sample


@dataclass(frozen=True, repr=False, eq=False)
class QuantileEffects:
    """Quantile treatment effects with bootstrap intervals; immutable.

    Attributes
    ----------
    outcome, treatment : str
        The columns.
    draws : int
        Bootstrap draws.
    alpha : float
        Level of the percentile intervals.
    nobs : int
        Rows used.
    n_clusters : int or None
        Clusters resampled (``None``: rows).
    notes : tuple of str
        How the bootstrap resampled.
    """

    _table: pd.DataFrame
    outcome: str
    treatment: str
    draws: int
    alpha: float
    nobs: int
    n_clusters: int | None
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """Rows by quantile: estimate, std_error, ci_low, ci_high, control, treated."""
        return self._table.copy()

    def summary(self) -> str:
        """Return a plain-text table (values with thousands separators)."""
        level = round(100 * (1 - self.alpha))
        t = self._table
        shown = pd.DataFrame(
            {
                "control": t["control"].map(lambda v: f"{v:,.2f}"),
                "treated": t["treated"].map(lambda v: f"{v:,.2f}"),
                "effect": t["estimate"].map(lambda v: f"{v:,.2f}"),
                f"{level}% interval": [
                    f"[{a:,.2f}, {b:,.2f}]" for a, b in zip(t["ci_low"], t["ci_high"], strict=True)
                ],
            },
            index=t.index,
        )
        head = (
            f"Quantile treatment effects of {self.treatment!r} on {self.outcome!r}: "
            f"N = {self.nobs}, {self.draws:,} bootstrap draws"
        )
        return "\n".join([head, shown.to_string(), *(f"Note: {n}" for n in self.notes)])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<QuantileEffects {self.summary()}>"


def _quantiles(y: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """``min{y : F̂(y) ≥ τ}`` for each ``τ`` (the inverse empirical distribution)."""
    return np.quantile(y, qs, method="inverted_cdf")


def quantile_effects(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    quantiles: Sequence[float] = (0.25, 0.5, 0.75),
    cluster: str | None = None,
    strata: str | None = None,
    instrument: str | None = None,
    draws: int = 999,
    alpha: float = 0.05,
    seed: int = 0,
    progress: bool = False,
) -> QuantileEffects:
    """Estimate unconditional quantile treatment effects, the difference of arm quantiles.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
        Outcome column (value added, profit, …).
    treatment : str
        The randomized 0/1 assignment.
    quantiles : sequence of float
        Quantiles in ``(0, 1)``.
    cluster : str, optional
        Unit of randomization: the bootstrap resamples whole clusters.
    strata : str, optional
        Randomization strata: the bootstrap resamples within each (arm and) stratum.
    instrument : str, optional
        The random assignment when ``treatment`` is take-up: the effects are then the local
        quantile treatment effects on compliers, ``Q₁ᶜ(τ) − Q₀ᶜ(τ)``, from the compliers'
        potential-outcome distributions identified by the instrument (Imbens & Rubin 1997;
        the estimator of Frölich & Melly 2013 without covariates). The bootstrap then
        resamples within assignment arm.
    draws : int
        Bootstrap draws.
    alpha : float
        Level of the percentile intervals.
    seed : int
        Seed of the bootstrap.
    progress : bool
        Show a progress bar over draws.

    Returns
    -------
    QuantileEffects
        ``.tidy()`` indexed by quantile: ``estimate, std_error, ci_low, ci_high, control,
        treated`` (the arms' quantiles).

    Raises
    ------
    KaizenError
        A missing column, a treatment not coded 0/1 or without both arms, a quantile outside
        (0, 1), fewer than 2 clusters, ``draws < 1``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> d = rng.integers(0, 2, 500)
    >>> df = pd.DataFrame({"d": d, "y": rng.lognormal(0, 1, 500) * (1 + d)})
    >>> q = ke.quantile_effects(df, outcome="y", treatment="d", quantiles=[0.5], draws=199)
    >>> list(q.tidy().columns[:4]), bool(q.tidy().loc[0.5, "estimate"] > 0)
    (['estimate', 'std_error', 'ci_low', 'ci_high'], True)
    """
    qs = np.array([check_probability("quantiles", q, zero=False) for q in _as_floats(quantiles)])
    if np.any(qs >= 1):
        raise KaizenError("`quantiles` must be in (0, 1); 1 is the maximum, not a quantile")
    draws = check_count("draws", draws)
    alpha = check_alpha(alpha)
    check_seed("seed", seed, generator=False)
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("instrument", as_list(instrument)),
            ("cluster", as_list(cluster)),
            ("stratum", as_list(strata)),
        ],
        where="quantile_effects",
    )
    data = sample.data
    y = check_outcome(data, outcome, where="quantile_effects")
    d = _two_arms(data, treatment, "treatment")
    clusters = check_cluster_column(data, cluster, where="quantile_effects", warn=False)
    s = np.zeros(len(y), dtype=int) if strata is None else pd.factorize(data[strata])[0]
    if clusters is not None and strata is not None:
        spans = pd.Series(s).groupby(np.asarray(clusters)).nunique()
        if (spans > 1).any():
            raise KaizenError(
                f"cluster(s) {', '.join(map(repr, spans.index[spans > 1][:3]))} of {cluster!r} "
                f"span several strata of {strata!r}: the bootstrap resamples whole clusters "
                f"within strata, so clusters must be nested in strata ({int((spans > 1).sum())} "
                "are not)."
            )
    z = d if instrument is None else _two_arms(data, instrument, "instrument")
    stat = _arm_quantiles if instrument is None else _complier_quantiles
    q1, q0 = stat(y, d, z, qs)
    rng = np.random.default_rng(seed)
    boot = np.empty((draws, len(qs)))
    resample = _cluster_resampler(clusters, s) if clusters is not None else _row_resampler(z, s)
    for b in progress_bar(range(draws), total=draws, show=progress, desc="bootstrap", unit="draw"):
        idx = resample(rng)
        t = z[idx] == 1
        if t.all() or not t.any():  # a cluster draw with one arm only: redraw
            idx = resample(rng)
            t = z[idx] == 1
            if t.all() or not t.any():
                raise KaizenError("bootstrap draws keep missing an arm: too few clusters")
        b1, b0 = stat(y[idx], d[idx], z[idx], qs)
        boot[b] = b1 - b0
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    table = pd.DataFrame(
        {
            "estimate": q1 - q0,
            "std_error": boot.std(axis=0, ddof=1),
            "ci_low": lo,
            "ci_high": hi,
            "control": q0,
            "treated": q1,
        },
        index=pd.Index(qs, name="quantile"),
    )
    how = (f"whole clusters of {cluster!r}" if clusters is not None else "rows within each arm") + (
        "" if strata is None else f", within strata {strata!r}"
    )
    notes = (f"percentile bootstrap resampling {how}",)
    if instrument is not None:
        notes = (
            f"local quantile treatment effects on compliers ({treatment!r} instrumented by "
            f"{instrument!r}; Frölich & Melly 2013 without covariates)",
            *notes,
        )
    return QuantileEffects(
        _table=table,
        outcome=outcome,
        treatment=treatment,
        draws=draws,
        alpha=alpha,
        nobs=len(y),
        n_clusters=None if clusters is None else len(np.unique(clusters)),
        notes=notes,
    )


def _two_arms(data: pd.DataFrame, col: str, role: str) -> np.ndarray:
    """Return a 0/1 column that holds both arms."""
    v = check_assignment(data, [col], role, where="quantile_effects", dose=False, declared="")
    if v.min() == v.max():
        raise KaizenError(f"{role} {col!r} has a single arm; nothing to compare")
    return v[:, 0]


def _arm_quantiles(y, d, z, qs):
    """Quantiles of the outcome in the treated and the control arm."""
    t = d == 1
    return _quantiles(y[t], qs), _quantiles(y[~t], qs)


def _weighted_quantiles(y: np.ndarray, w: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """``min{y : F̂(y) ≥ τ}`` for a distribution ``F̂(y) = Σ w_i 1{y_i ≤ y}`` (weights may be < 0)."""
    order = np.argsort(y, kind="stable")
    ys, cdf = y[order], np.cumsum(w[order])
    out = np.empty(len(qs))
    for j, q in enumerate(qs):
        hit = np.flatnonzero(cdf >= q - 1e-12)
        out[j] = ys[hit[0]] if len(hit) else ys[-1]
    return out


def _complier_quantiles(y, d, z, qs):
    """Quantiles of the compliers' treated and untreated outcome distributions.

    ``F₁ᶜ(y) = (E[1{Y ≤ y} D | Z = 1] − E[1{Y ≤ y} D | Z = 0]) / π`` and ``F₀ᶜ(y)`` likewise with
    ``1 − D`` and the arms swapped, ``π = E[D | Z = 1] − E[D | Z = 0]`` the complier share.
    """
    on = z == 1
    n1, n0 = on.sum(), (~on).sum()
    share = d[on].mean() - d[~on].mean()
    if not share > 0:
        raise KaizenError(
            "the instrument does not raise take-up (no compliers): complier quantiles are not "
            "identified"
        )
    a = np.where(on, 1.0 / n1, -1.0 / n0)
    return _weighted_quantiles(y, d * a / share, qs), _weighted_quantiles(
        y, -(1 - d) * a / share, qs
    )


def _as_floats(values) -> list[float]:
    """Return a number or a sequence of numbers as a list."""
    return [values] if np.ndim(values) == 0 else list(values)


def _row_resampler(d: np.ndarray, s: np.ndarray):
    """Resample rows with replacement within each arm × stratum cell (sizes kept)."""
    cells = [np.flatnonzero((d == a) & (s == k)) for a in (0, 1) for k in np.unique(s)]
    cells = [c for c in cells if len(c)]

    def draw(rng: np.random.Generator) -> np.ndarray:
        return np.concatenate([c[rng.integers(0, len(c), len(c))] for c in cells])

    return draw


def _cluster_resampler(clusters: np.ndarray, s: np.ndarray):
    """Resample whole clusters with replacement within each stratum."""
    labels, inverse = np.unique(clusters, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(labels))]
    stratum_of = np.array([s[m[0]] for m in members])
    groups = [np.flatnonzero(stratum_of == k) for k in np.unique(stratum_of)]

    def draw(rng: np.random.Generator) -> np.ndarray:
        picked = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        return np.concatenate([members[g] for g in picked])

    return draw
