"""Power by simulation for any design an :class:`~kaizen_eval.Assignment` describes.

Each replication re-draws the assignment exactly as the design did (strata, clusters, both
stages, re-randomization: :meth:`Assignment.redraw_many`), simulates an outcome with known
effects, estimates them by OLS (strata fixed effects, robust or clustered covariance exactly
as :func:`kaizen_eval.fit_ols` computes them) and records whether each effect is detected and
covered. This is the check for designs the analytic :func:`kaizen_eval.mde` does not cover:
factorial arms and their interaction, re-randomization, few clusters.

The regressions of a block of replications are fitted at once
(:class:`~kaizen_eval._core.batch_ols.BatchOLS`: within-stratum demeaning, batched normal
equations and sandwiches), equal to one ``fit_ols`` per replication up to rounding (tested to
1e-10) and identical whatever the block size. CR2 (a matrix square root per cluster and
replication), and any replication that may be rank deficient or degenerate, are fitted one by
one with ``fit_ols``, so a collinear replication raises the error ``fit_ols`` gives.

The outcome model, for unit ``i`` in cluster ``c`` (each unit its own cluster without
clustering), with ``σ = sd``:

``y_i = Σ_t τ_t D_ti + b·x_i + u_c + e_i``, ``x_i ~ N(0, 1)`` with ``b = σ·sqrt(r2)`` (a
baseline covariate, included in the regression: ANCOVA), ``u_c ~ N(0, icc·(1 - r2)·σ²)`` and
``e_i ~ N(0, (1 - icc)·(1 - r2)·σ²)``, so ``Var(y | D) = σ²``. An interaction term
``"a:b"`` is the product of two arm columns.

With ``rounds = k`` follow-ups correlated ``ρ_k`` pairwise, ``y_i`` is the firm's average over
the rounds: ``x_i`` and ``u_c`` persist in every round, and the rest of the firm's outcome (a
persistent firm effect and round-to-round noise) averages to
``e_i ~ N(0, σ² ((1 + (k - 1)ρ_k)/k - r2 - icc·(1 - r2)))``, exactly the distribution of the
average of ``k`` simulated rounds (McKenzie 2012), drawn in one step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._core.batch import BatchFit
from kaizen_eval._core.batch_ols import BATCH_SE_TYPES, BatchOLS
from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._core.linear import fit_ols
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._render import copied
from kaizen_eval._validation import (
    KaizenError,
    check_alpha,
    check_nonnegative,
    check_probability,
    check_r2,
)
from kaizen_eval.design._montecarlo import (
    MonteCarloResult,
    OutcomeModel,
    batch_then_refit,
    streams,
)
from kaizen_eval.design._power_model import _response, _rounds, round_average_share
from kaizen_eval.design.assignment import Assignment

SIMULATION_COLUMNS = (
    "effect",
    "mean_estimate",
    "bias",
    "rmse",
    "sd_estimate",
    "mean_std_error",
    "power",
    "coverage",
)

#: Replications fitted together at most, and the bytes one ``(B, K, N)`` array of a block may
#: take (a block holds about ten such arrays): 169 replications a block for the Tanzania
#: factorial (310 firms, 4 regressors), whose peak memory is then that of the assignment draws.
#: Larger blocks are no faster.
_MAX_BLOCK = 1000
_BLOCK_BYTES = 2**21


@dataclass(frozen=True, repr=False, eq=False)
class SimulatedPower(MonteCarloResult):
    """Operating characteristics of a design's estimates, by simulation; immutable.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by term: ``effect`` (true), ``mean_estimate``, ``bias``, ``rmse``,
        ``sd_estimate`` (Monte Carlo standard deviation of the estimates), ``mean_std_error``,
        ``power`` (share of replications with p-value < ``alpha``), ``coverage`` (share of
        ``1 - alpha`` confidence intervals that contain the true effect). A copy on access.
    sims : int
        Number of replications.
    alpha : float
        Test level.
    se_type : str
        Covariance type of the estimates.
    """

    se_type: str
    table = copied("_table", "Per-term results (a copy).")

    def __repr__(self) -> str:
        return f"<SimulatedPower: {self.sims} replications, terms {list(self._table.index)}>"

    def mc_std_error(self, column: str = "power") -> pd.Series:
        """Monte Carlo standard error of a share (``power`` or ``coverage``): sqrt(p(1-p)/sims)."""
        p = self._table[column]
        return np.sqrt(p * (1 - p) / self.sims)


def simulate_power(
    asg: Assignment,
    *,
    effects: Mapping[str, float],
    sd: float = 1.0,
    r2: float = 0.0,
    icc: float = 0.0,
    sims: int = 500,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    se: str | None = None,
    strata_fe: bool = True,
    progress: bool = False,
    response_rate: float | tuple[float, float] = 1.0,
    pilot: np.ndarray | pd.Series | None = None,
    rounds: int = 1,
    autocorrelation: float | None = None,
) -> SimulatedPower:
    """Simulate the power, bias and coverage of the effects of a design.

    Parameters
    ----------
    asg : Assignment
        The design (its strata, clusters, stages and re-randomization are re-drawn every time).
    effects : mapping of str to float
        True effect of each term: arm columns (``"invited"``, ``"onsite"``) and interactions of
        two arms (``"invited:onsite"``). Every term is estimated; arms not named have no effect
        and are not in the regression.
    sd : float
        Standard deviation of the outcome given assignment.
    r2 : float
        Share of the outcome variance explained by a baseline covariate included in the
        regression (ANCOVA).
    icc : float
        Intra-cluster correlation of the residual outcome (needs a clustered design to matter).
    sims : int
        Number of replications.
    seed : int or numpy.random.Generator
        Randomness (assignments and outcomes use independent streams).
    alpha : float
        Test level; intervals are ``1 - alpha``.
    se : str, optional
        Covariance type: ``"HC2"`` by default, ``"CR1"`` for clustered designs.
    strata_fe : bool
        Absorb the first-stage strata as fixed effects (default), as the design suggests.
    progress : bool
        Show a progress bar on standard error, counting replications (it advances a block of
        replications at a time).
    response_rate : float or (float, float)
        Expected share of firms observed at follow-up, or ``(control, treated)`` (a firm in any
        arm counts as treated): each replication drops firms at random with these
        probabilities (from a stream of its own) and fits the observed ones, one fit per
        replication. 1 (default): everyone observed, the batched fits as before.
    pilot : array-like, optional
        Outcomes of a baseline or pilot survey (e.g. value added): each replication draws every
        firm's untreated outcome by resampling these values with replacement (from the outcome
        stream) and adds the effects, so skewness and outliers are the pilot's
        (DeclareDesign's ``diagnose_design`` / Stata ``pc_simulate`` habit). Replaces the
        normal outcome model: ``sd``, ``r2`` and ``icc`` must stay at their defaults; firms
        are drawn independently (the pilot carries no cluster structure).
    rounds : int
        Follow-up rounds; the effects are estimated on each firm's average of its rounds (the
        estimate of the pooled regression with round effects in a balanced panel). 1 (default):
        one follow-up. A firm is observed in every round or in none (``response_rate``).
    autocorrelation : float, optional
        Correlation of a firm's outcome between two follow-up rounds, required with
        ``rounds > 1``; at least ``r2 + icc (1 − r2)`` (the covariate and the cluster effect
        persist). As in :func:`kaizen_eval.mde`, whose formula the simulation checks.

    Returns
    -------
    SimulatedPower

    Raises
    ------
    KaizenError
        If a replication's regressors are collinear (e.g. an arm or interaction cell left empty
        by a draw of a tiny design), with :func:`kaizen_eval.fit_ols`'s message.

    Notes
    -----
    See the module docstring for the outcome model and for how the replications are fitted
    (all covariance types but CR2 in blocks, vectorized; CR2 one replication at a time, about
    1 ms each). Monte Carlo error of a share ``p`` is ``sqrt(p(1 - p) / sims)``
    (:meth:`SimulatedPower.mc_std_error`).

    Examples
    --------
    >>> import pandas as pd, kaizen_eval as ke
    >>> asg = ke.assign(pd.DataFrame({"firm_id": range(200)}), seed=1,
    ...                 stage2=ke.Stage(arms={"onsite": 0.5}))
    >>> sp = simulate_power(asg, effects={"invited": 0.5, "onsite": 0.0}, sims=200, seed=2)
    >>> bool(sp.table.loc["invited", "power"] > 0.8), bool(sp.table.loc["onsite", "power"] < 0.2)
    (True, True)
    """
    if not isinstance(asg, Assignment):
        raise KaizenError("`asg` must be an Assignment (from ke.assign or Assignment.read).")
    if not isinstance(effects, Mapping) or not effects:
        raise KaizenError("`effects` must be a non-empty dict of term -> true effect.")
    if isinstance(sims, bool) or int(sims) != sims or sims < 2:
        raise KaizenError(f"`sims` must be an integer >= 2. You passed: {sims!r}.")
    check_nonnegative("sd", sd, positive=True)
    check_r2(r2)
    check_probability("icc", icc)
    check_alpha(alpha)
    terms = list(effects)
    parts: list[list[str]] = []
    for t in terms:
        arms = t.split(":")
        unknown = [a for a in arms if a not in asg.arms]
        if unknown or len(arms) > 2:
            raise KaizenError(
                f"term {t!r} is not an arm or an interaction 'a:b' of two arms; "
                f"the arms are {list(asg.arms)}."
            )
        parts.append(arms)
    tau = np.array([effects[t] for t in terms], dtype=float)
    response = _response(response_rate)
    k, rho = _rounds(rounds, autocorrelation, r2, icc)
    pilot_values = _pilot(pilot, sd=sd, r2=r2, icc=icc)
    if pilot_values is not None and k > 1:
        raise KaizenError(
            "`pilot` resamples one round's outcomes; it cannot say how rounds are correlated: "
            "leave `rounds` at 1 with a pilot"
        )
    est, ses, dfs, se_type = _simulated_estimates(
        asg,
        terms,
        parts,
        tau,
        sd=sd,
        r2=r2,
        icc=icc,
        sims=int(sims),
        seed=seed,
        se=se,
        strata_fe=strata_fe,
        progress=progress,
        response=None if response == (1.0, 1.0) else response,
        pilot=pilot_values,
        share=round_average_share(k, rho),
    )
    q = stats.t.ppf(1 - alpha / 2, dfs)
    pvals = 2 * stats.t.sf(np.abs(est / ses), dfs)
    covered = np.abs(est - tau) <= q * ses
    out = pd.DataFrame(
        {
            "effect": tau,
            "mean_estimate": est.mean(axis=0),
            "bias": est.mean(axis=0) - tau,
            "rmse": np.sqrt(((est - tau) ** 2).mean(axis=0)),
            "sd_estimate": est.std(axis=0, ddof=1),
            "mean_std_error": ses.mean(axis=0),
            "power": (pvals < alpha).mean(axis=0),
            "coverage": covered.mean(axis=0),
        },
        index=pd.Index(terms, name="term"),
    )
    return SimulatedPower(out[list(SIMULATION_COLUMNS)], int(sims), float(alpha), se_type)


def _pilot(pilot, *, sd: float, r2: float, icc: float) -> np.ndarray | None:
    """Return the pilot outcomes as finite floats (``None`` without a pilot), checked."""
    if pilot is None:
        return None
    if (sd, r2, icc) != (1.0, 0.0, 0.0):
        raise KaizenError(
            "`pilot` replaces the normal outcome model: leave `sd`, `r2` and `icc` at their "
            f"defaults (you passed sd={sd}, r2={r2}, icc={icc})"
        )
    try:
        values = np.asarray(pilot, dtype=float).ravel()
    except (TypeError, ValueError):
        raise KaizenError("`pilot` must hold numbers (the pilot's outcomes)") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise KaizenError(
            f"`pilot` has {int(bad.sum())} missing or infinite values; drop them first "
            "(e.g. pilot.dropna()) so that nothing is left out silently"
        )
    if np.unique(values).size < 2:
        raise KaizenError("`pilot` needs at least two distinct values to resample from")
    return values


def _block_size(n: int, k: int) -> int:
    """Replications per block for ``n`` units and ``k`` regressors (see ``_BLOCK_BYTES``)."""
    return int(max(1, min(_MAX_BLOCK, _BLOCK_BYTES // (8 * n * (k + 1)))))


def _simulated_estimates(
    asg: Assignment,
    terms: list[str],
    parts: list[list[str]],
    tau: np.ndarray,
    *,
    sd: float,
    r2: float,
    icc: float,
    sims: int,
    seed: int | np.random.Generator,
    se: str | None,
    strata_fe: bool,
    progress: bool = False,
    block: int | None = None,
    response: tuple[float, float] | None = None,
    pilot: np.ndarray | None = None,
    share: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Estimates, standard errors and degrees of freedom of every replication, and the se type.

    The arrays have shape ``(sims, len(terms))``. The seed split, the outcome model and the
    batch-then-refit loop are :mod:`kaizen_eval.design._montecarlo`'s, shared with
    :func:`~kaizen_eval.power_grid`. Blocks of ``block`` replications (default
    :func:`_block_size`) are fitted at once by :class:`~kaizen_eval._core.batch_ols.BatchOLS`;
    CR2, and any replication the batch flags as possibly rank deficient or degenerate, are
    fitted one by one with :func:`~kaizen_eval._core.linear.fit_ols`. The random streams are
    those of the former one-fit-per-replication loop: the assignments come from one
    :meth:`Assignment.redraw_many`, then the outcome generator draws ``x``, ``u``, ``e``
    replication after replication.
    """
    design = asg._design
    table = design.table
    clustered = design.arguments["cluster"] is not None
    se_type = check_se_type(("CR1" if clustered else "HC2") if se is None else se, clustered)
    n_units = len(table)
    group = design.unit_group
    strata = design.arguments["strata"]
    fe = None
    if strata_fe and strata:
        fe = table.groupby(list(strata), sort=True).ngroup().to_numpy()
    clusters = group if clustered else None

    seq = np.random.SeedSequence(
        seed if not isinstance(seed, np.random.Generator) else seed.integers(2**63)
    )
    draws, rng = streams(seq, asg.redraw_many, sims)
    # attrition: a third stream, so that the assignments and outcomes stay those without it
    rng_seen = np.random.default_rng(seq.spawn(1)[0]) if response is not None else None
    model = OutcomeModel(sd=sd, r2=r2, icc=icc, group=group, share=share)
    names = ["(Intercept)"] if fe is None else []
    names += terms + (["x"] if r2 > 0 else [])
    idx = [names.index(t) for t in terms]
    lead = 1 if fe is None else 0  # rows of the batch design before the terms: the constant
    batch = None
    if se_type in BATCH_SE_TYPES and response is None:
        try:
            batch = BatchOLS(
                n_units, len(names), se_type=se_type, fixed_effects=fe, clusters=clusters
            )
        except KaizenError:
            pass  # no residual df or one cluster: fit_ols reports it at the first replication
    size = int(block) if block is not None else _block_size(n_units, len(names))

    def make_block(start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # arms and interactions, (m, N, T): d[i] is laid out as the per-trial column_stack was
        d = np.stack(
            [np.prod([draws[a][start:stop] for a in arms], axis=0) for arms in parts], axis=2
        ).astype(float)
        m = stop - start
        y = np.empty((m, n_units))
        xs = np.empty((m, n_units))
        for i in range(m):  # the outcome stream, replication after replication
            if pilot is None:
                y[i], xs[i] = model.draw(rng, d[i] @ tau)
            else:
                y[i] = pilot[rng.integers(0, len(pilot), n_units)] + d[i] @ tau
                xs[i] = 0.0  # no covariate (r2 = 0)
        if rng_seen is None:
            return d, y, xs, None
        treated = np.any([draws[a][start:stop] for a in asg.arms], axis=0)  # (m, N)
        rate = np.where(treated, response[1], response[0])
        return d, y, xs, rng_seen.uniform(size=(m, n_units)) < rate

    def refit(blk: tuple[np.ndarray, ...], i: int, s: int) -> tuple[np.ndarray, ...]:
        d, y, xs, seen = blk
        cols = [np.ones(n_units)] if fe is None else []
        cols.extend(d[i].T)
        if r2 > 0:
            cols.append(xs[i])
        keep = slice(None) if seen is None else seen[i]
        fit = fit_ols(
            y[i][keep],
            np.column_stack(cols)[keep],
            se=se_type,
            clusters=None if clusters is None else clusters[keep],
            fixed_effects=None if fe is None else fe[keep],
            names=names,
        )
        return fit.coef[idx], fit.std_error[idx], fit.df[idx]

    def fit_block(blk: tuple[np.ndarray, ...]) -> BatchFit:
        d, y, xs, _ = blk
        xb = np.empty((len(y), len(names), n_units))
        if fe is None:
            xb[:, 0] = 1.0
        xb[:, lead : lead + len(terms)] = d.transpose(0, 2, 1)
        if r2 > 0:
            xb[:, -1] = xs
        return batch.fit(y, xb)

    blocks = batch_then_refit(
        sims, size, make_block, None if batch is None else fit_block, lambda a: a[:, idx], refit
    )
    rows = chain.from_iterable(zip(*blk, strict=True) for blk in blocks)
    est = np.empty((sims, len(terms)))
    ses = np.empty((sims, len(terms)))
    dfs = np.empty((sims, len(terms)))
    # the bar counts trials; with batched fits it advances a block at a time
    bar = progress_bar(rows, total=sims, show=progress, desc="simulating", unit="trial")
    for s, (coef_s, se_s, df_s) in enumerate(bar):
        est[s], ses[s], dfs[s] = coef_s, se_s, df_s
    return est, ses, dfs, se_type
