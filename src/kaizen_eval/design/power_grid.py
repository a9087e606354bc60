"""Simulated power over a grid of designs (sample size × take-up × effect × ICC), in parallel.

Every grid point is an independent task: it draws ``sims`` assignments of its design (complete
randomization of ``invited`` within strata, whole clusters, and with ``design="factorial"`` a
factorial second stage ``onsite`` drawn within first-stage arm × stratum:
:func:`kaizen_eval.assign`, :meth:`Assignment.redraw_many`), simulates take-up and an outcome
with a known effect, and estimates it as an analyst would. Each task gets its own child of
``numpy.random.SeedSequence(seed).spawn(n_points)``, so the results do not depend on the
backend (``"serial"``, ``"processes"``, ``"dask"``), the number of workers or the order in which
tasks finish: they are identical bit for bit.

The model, for unit ``i`` in cluster ``c`` (``σ = sd``, ``τ = effect``, ``π = takeup``):

``T_i = Z_i · B_i`` with ``B_i ~ Bernoulli(π)`` (one-sided non-compliance: only invited units
take up), ``y_i = τ T_i + b x_i + u_c + e_i``, ``x_i ~ N(0, 1)`` with ``b = σ sqrt(r2)``,
``u_c ~ N(0, icc (1 - r2) σ²)``, ``e_i ~ N(0, (1 - icc)(1 - r2) σ²)``. The second-stage arm
``onsite`` of the factorial design has no effect; it is in the regression, as in the analysis
of the factorial trials. With ``π = 1`` the estimand is the ITT (``= τ``), estimated by OLS;
with ``π < 1`` it is the LATE (``= τ``), estimated by 2SLS with ``T`` instrumented by ``Z``
(:func:`kaizen_eval._core.linear.fit_2sls`). Both regressions include the covariate ``x``
when ``r2 > 0`` (ANCOVA) and strata fixed effects when ``strata > 1``; the covariance is HC2
(CR1 by cluster when ``cluster_size > 1``).

The replications of a grid point are fitted in blocks, OLS by
:class:`~kaizen_eval._core.batch_ols.BatchOLS` and the just-identified 2SLS by
:class:`~kaizen_eval._core.batch_iv.Batch2SLS` (batched normal equations and sandwiches),
equal to one ``fit_ols`` / ``fit_2sls`` per replication up to rounding (tested to 1e-10) and
identical whatever the block size. A replication the batch flags (nobody took up, a collinear
draw) is refitted with ``fit_ols`` / ``fit_2sls``, so one that cannot be fitted raises their
error, naming the grid point and the replication.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._core.batch import BatchFit
from kaizen_eval._core.batch_iv import Batch2SLS
from kaizen_eval._core.batch_ols import BatchOLS
from kaizen_eval._core.linear import LinearFit, fit_2sls, fit_ols
from kaizen_eval._validation import (
    KaizenError,
    check_alpha,
    check_nonnegative,
    check_option,
    check_r2,
)
from kaizen_eval.design._backends import dask_client, run_tasks
from kaizen_eval.design._grid_result import PowerGrid
from kaizen_eval.design._montecarlo import OutcomeModel, batch_then_refit, streams
from kaizen_eval.design.assignment import assign
from kaizen_eval.design.simulate import _block_size
from kaizen_eval.design.stages import Stage

GridDesign = Literal["single", "factorial"]
GRID_DESIGNS: tuple[str, ...] = get_args(GridDesign)
Backend = Literal["processes", "serial", "dask"]
BACKENDS: tuple[str, ...] = get_args(Backend)

GRID_COLUMNS = (
    "n",
    "takeup",
    "effect",
    "icc",
    "estimand",
    "power",
    "power_mc_se",
    "bias",
    "coverage",
    "mean_estimate",
    "mean_std_error",
    "sims",
)


@dataclass(frozen=True)
class _Point:
    """One grid point's design: everything a task needs besides its seed (picklable)."""

    n: int
    takeup: float
    effect: float
    icc: float
    cluster_size: int
    design: str
    strata: int
    sims: int
    alpha: float
    sd: float
    r2: float


def _simulate_point(point: _Point, seed: np.random.SeedSequence) -> dict[str, float]:
    """Simulate one grid point; a pure function of ``(point, seed)``.

    Returns the mean estimate, bias, mean standard error, power and coverage of the effect of
    take-up (ITT when ``takeup == 1``, else LATE).
    """
    est, ses, dfs = _replications(point, seed)
    q = stats.t.ppf(1 - point.alpha / 2, dfs)
    pvals = 2 * stats.t.sf(np.abs(est / ses), dfs)
    return {
        "power": float((pvals < point.alpha).mean()),
        "bias": float(est.mean() - point.effect),
        "coverage": float((np.abs(est - point.effect) <= q * ses).mean()),
        "mean_estimate": float(est.mean()),
        "mean_std_error": float(ses.mean()),
    }


def _point_assignment(point: _Point) -> tuple[Any, np.ndarray, np.ndarray]:
    """Return the assignment of a grid point and the cluster and stratum of every unit."""
    n, m = point.n, point.cluster_size
    cluster = np.repeat(np.arange(n // m), m)
    stratum = cluster % point.strata  # constant within clusters, strata of equal size
    frame = pd.DataFrame(
        {"firm_id": [f"F{i:07d}" for i in range(n)], "stratum": stratum, "cluster": cluster}
    )  # zero-padded ids: the assignment's row order is this frame's
    asg = assign(
        frame,
        strata="stratum" if point.strata > 1 else None,
        cluster="cluster" if m > 1 else None,
        stage2=(
            Stage(arms={"onsite": 0.5}, strata="stratum" if point.strata > 1 else None)
            if point.design == "factorial"
            else None
        ),
        seed=0,  # only its re-draws are used
    )
    return asg, cluster, stratum


def _fit_one(
    y: np.ndarray,
    exog: np.ndarray,
    z: np.ndarray,
    took: np.ndarray,
    late: bool,
    *,
    se: str,
    clusters: np.ndarray | None,
    fe: np.ndarray | None,
) -> LinearFit:
    """One replication by ``fit_2sls`` (LATE: take-up instrumented by ``z``) or ``fit_ols``."""
    exog_x = np.ascontiguousarray(exog.T)  # (n, k_exog), as the former column_stack
    if late:
        return fit_2sls(
            y, exog_x, took[:, None], z[:, None], se=se, clusters=clusters, fixed_effects=fe
        )
    return fit_ols(y, np.column_stack([z, exog_x]), se=se, clusters=clusters, fixed_effects=fe)


def _replications(
    point: _Point, seed: np.random.SeedSequence, block: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate, standard error and df of the effect in every replication of a grid point.

    Blocks of ``block`` replications (default
    :func:`~kaizen_eval.design.simulate._block_size`) are fitted at once: the ITT by
    :class:`~kaizen_eval._core.batch_ols.BatchOLS`, the LATE by
    :class:`~kaizen_eval._core.batch_iv.Batch2SLS`, equal to one ``fit_ols`` / ``fit_2sls``
    per replication up to rounding and identical whatever the block size. Replications the
    batch flags (nobody took up, a collinear draw, a degenerate variance) are refitted one by
    one with ``fit_ols`` / ``fit_2sls``, so they fit, or fail with their error, as before. The
    random streams are those of the former one-fit-per-replication loop: the assignments come
    from one :meth:`Assignment.redraw_many`, then the outcome generator draws take-up (LATE
    only), ``x``, ``u``, ``e`` replication after replication. The seed split, the outcome model
    and the batch-then-refit loop are :mod:`kaizen_eval.design._montecarlo`'s, shared with
    :func:`~kaizen_eval.simulate_power`.
    """
    n, m = point.n, point.cluster_size
    asg, cluster, stratum = _point_assignment(point)
    draws, rng = streams(seed, asg.redraw_many, point.sims)
    model = OutcomeModel(sd=point.sd, r2=point.r2, icc=point.icc, group=cluster)

    clustered = m > 1
    se_type = "CR1" if clustered else "HC2"
    clusters = cluster if clustered else None
    fe = stratum if point.strata > 1 else None
    late = point.takeup < 1
    factorial = "onsite" in draws
    # exogenous rows of every replication: constant (without strata FE), onsite, x (ANCOVA)
    k_exog = int(fe is None) + int(factorial) + int(point.r2 > 0)
    k = k_exog + 1  # and the invitation (ITT) or take-up instrumented by it (LATE)
    j = k_exog if late else 0  # the effect's position: 2SLS orders exog then endog
    batch: BatchOLS | Batch2SLS | None = None
    try:
        batch = (Batch2SLS if late else BatchOLS)(
            n, k, se_type=se_type, fixed_effects=fe, clusters=clusters
        )
    except KaizenError:
        pass  # e.g. no residual df: fit_ols / fit_2sls report it at replication 0, with its point
    size = int(block) if block is not None else _block_size(n, 2 * k if late else k)

    def make_block(start: int, stop: int) -> tuple[np.ndarray, ...]:
        rows = stop - start
        z = draws["invited"][start:stop].astype(float)
        took = np.empty_like(z) if late else z
        y = np.empty((rows, n))
        exog = np.empty((rows, k_exog, n))
        if fe is None:
            exog[:, 0] = 1.0
        if factorial:
            exog[:, int(fe is None)] = draws["onsite"][start:stop]
        for i in range(rows):  # the outcome stream, replication after replication
            if late:
                took[i] = z[i] * (rng.random(n) < point.takeup)
            y[i], x = model.draw(rng, point.effect * took[i])
            if point.r2 > 0:
                exog[i, -1] = x
        return y, exog, z, took

    def fit_block(blk: tuple[np.ndarray, ...]) -> BatchFit:
        y, exog, z, took = blk
        if late:
            return batch.fit(
                y,
                np.concatenate([exog, took[:, None]], axis=1),
                np.concatenate([exog, z[:, None]], axis=1),
            )
        return batch.fit(y, np.concatenate([z[:, None], exog], axis=1))

    def refit(blk: tuple[np.ndarray, ...], i: int, s: int) -> tuple[float, float, float]:
        y, exog, z, took = (a[i] for a in blk)
        try:
            fit = _fit_one(y, exog, z, took, late, se=se_type, clusters=clusters, fe=fe)
        except KaizenError as err:  # e.g. nobody took up in a tiny sample: say where
            raise KaizenError(
                f"grid point n={n}, takeup={point.takeup:g}, effect={point.effect:g}, "
                f"icc={point.icc:g}, replication {s}: {err}"
            ) from err
        return fit.coef[j], fit.std_error[j], fit.df[j]

    blocks = batch_then_refit(
        point.sims, size, make_block, None if batch is None else fit_block, lambda a: a[:, j], refit
    )
    est, ses, dfs = (np.concatenate(col) for col in zip(*blocks, strict=True))
    return est, ses, dfs


def _grid_values(name: str, values: Any, lo: float, hi: float, *, lo_open: bool, hi_open: bool):
    vals = list(values) if isinstance(values, Sequence | np.ndarray) else [values]
    if not vals:
        raise KaizenError(f"`{name}` must have at least one value.")
    out = []
    for v in vals:
        if isinstance(v, bool | np.bool_) or not isinstance(v, Real) or math.isnan(v):
            raise KaizenError(f"`{name}` values must be numbers. You passed: {v!r}.")
        if (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi):
            lb, rb = "(" if lo_open else "[", ")" if hi_open else "]"
            raise KaizenError(f"`{name}` values must be in {lb}{lo}, {hi}{rb}. You passed: {v!r}.")
        out.append(float(v))
    if len(set(out)) != len(out):
        raise KaizenError(f"`{name}` has repeated values: {vals!r}.")
    return out


def _count(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral) or value < least:
        raise KaizenError(f"`{name}` must be an integer >= {least}. You passed: {value!r}.")
    return int(value)


def power_grid(
    *,
    n: Sequence[int] | int,
    takeup: Sequence[float] | float = 1.0,
    effect: Sequence[float] | float,
    icc: Sequence[float] | float = 0.0,
    cluster_size: int = 1,
    design: GridDesign = "factorial",
    strata: int = 1,
    sims: int = 500,
    alpha: float = 0.05,
    sd: float = 1.0,
    r2: float = 0.0,
    seed: int | np.random.Generator = 0,
    backend: Backend = "processes",
    client: Any = None,
    max_workers: int | None = None,
    progress: bool = False,
) -> PowerGrid:
    """Simulate power, bias and coverage over every combination of the grid, in parallel.

    Parameters
    ----------
    n : int or sequence of int
        Sample sizes (firms), each a multiple of ``cluster_size``.
    takeup : float or sequence of float
        Share of invited firms that take up, in (0, 1] (nobody else can: one-sided
        non-compliance). 1 gives the ITT (OLS); below 1 the LATE (2SLS).
    effect : float or sequence of float
        True effect of take-up, in units of the outcome (``sd`` = 1: standard deviations).
    icc : float or sequence of float
        Intra-cluster correlation of the outcome, in [0, 1); above 0 needs ``cluster_size > 1``.
    cluster_size : int
        Firms per cluster; whole clusters are assigned and standard errors are clustered (CR1).
    design : {"factorial", "single"}
        ``"factorial"``: ``invited`` (half the units) crossed with a second-stage ``onsite``
        arm (half of each first-stage arm × stratum) that has no effect and is in the
        regression; ``"single"``: ``invited`` only.
    strata : int
        Number of strata of equal size (assignment blocked within them, strata fixed effects).
    sims : int
        Replications per grid point.
    alpha : float
        Test level; intervals are ``1 - alpha``.
    sd : float
        Standard deviation of the outcome given take-up.
    r2 : float
        Share of the outcome variance explained by a baseline covariate in the regression.
    seed : int or numpy.random.Generator
        Randomness: grid point ``k`` (in the row order of ``table``) uses child ``k`` of
        ``numpy.random.SeedSequence(seed).spawn(n_points)``.
    backend : {"processes", "serial", "dask"}
        ``"processes"``: a :class:`concurrent.futures.ProcessPoolExecutor` on the local cores;
        ``"serial"``: in this process; ``"dask"``: ``client.map`` on a ``dask.distributed``
        cluster (needs ``pip install "kaizen-eval[dask]"``). All give identical results.
    client : distributed.Client, optional
        The dask client (default: the current one, :func:`distributed.get_client`).
    max_workers : int, optional
        Processes of the ``"processes"`` backend (default :func:`os.cpu_count`).
    progress : bool
        Show a progress bar over grid points (tqdm when installed, else a counter on stderr).

    Returns
    -------
    PowerGrid
        ``table`` (one row per grid point) and ``plot()``.

    Raises
    ------
    KaizenError
        Bad grid values or options; ``backend="dask"`` without dask installed or without a
        cluster; a replication that cannot be fitted (e.g. nobody takes up in a tiny sample),
        naming its grid point and replication.

    See Also
    --------
    kaizen_eval.mde : the analytic minimum detectable effect.
    kaizen_eval.simulate_power : simulated power of one given assignment, any terms.

    Notes
    -----
    See the module docstring for the model. Grid points are ordered as
    ``itertools.product(n, takeup, effect, icc)``. The ``"processes"`` backend uses the
    platform's default start method; where that is ``spawn`` or ``forkserver`` (Windows,
    macOS, Python >= 3.14) a script must call this under ``if __name__ == "__main__":``, as
    for any :class:`~concurrent.futures.ProcessPoolExecutor`.

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> grid = ke.power_grid(n=[100, 300], effect=[0.0, 0.4], design="single", sims=100,
    ...                      seed=1, backend="serial")
    >>> print(grid.table[["n", "effect", "power", "power_mc_se"]].round(3).to_string(index=False))
      n  effect  power  power_mc_se
    100     0.0   0.05        0.022
    100     0.4   0.49        0.050
    300     0.0   0.06        0.024
    300     0.4   0.93        0.026
    >>> fig = grid.plot()
    """
    check_option("design", design, GRID_DESIGNS)
    check_option("backend", backend, BACKENDS)
    cluster_size = _count("cluster_size", cluster_size, 1)
    strata = _count("strata", strata, 1)
    sims = _count("sims", sims, 2)
    ns = [_count("n", v, 2) for v in (list(n) if isinstance(n, Sequence | np.ndarray) else [n])]
    if not ns or len(set(ns)) != len(ns):
        raise KaizenError(f"`n` must have at least one value and no repeats. You passed: {n!r}.")
    takeups = _grid_values("takeup", takeup, 0, 1, lo_open=True, hi_open=False)
    effects = _grid_values("effect", effect, -math.inf, math.inf, lo_open=True, hi_open=True)
    iccs = _grid_values("icc", icc, 0, 1, lo_open=False, hi_open=True)
    if cluster_size == 1 and any(v > 0 for v in iccs):
        raise KaizenError(
            "`icc` > 0 needs clusters: set cluster_size > 1 (with one firm per cluster the "
            "intra-cluster correlation has no meaning)."
        )
    check_alpha(alpha)
    check_nonnegative("sd", sd, positive=True)
    check_r2(r2)
    per_stratum = 4 if design == "factorial" else 2
    for v in ns:
        if v % cluster_size:
            raise KaizenError(f"n={v} is not a multiple of cluster_size={cluster_size}.")
        if v // cluster_size < per_stratum * strata:
            raise KaizenError(
                f"n={v} gives {v // cluster_size} clusters for {strata} strata: the {design} "
                f"design needs at least {per_stratum} clusters (units) per stratum."
            )
    if max_workers is not None:
        max_workers = _count("max_workers", max_workers, 1)
    if backend == "dask":
        client = dask_client(client)
    elif client is not None:
        raise KaizenError(f'`client` is only used with backend="dask", not {backend!r}.')

    points = [
        _Point(
            nv, tv, ev, iv, cluster_size, design, strata, sims, float(alpha), float(sd), float(r2)
        )
        for nv, tv, ev, iv in itertools.product(ns, takeups, effects, iccs)
    ]
    root = np.random.SeedSequence(
        seed.integers(2**63) if isinstance(seed, np.random.Generator) else seed
    )
    seeds = root.spawn(len(points))
    results = run_tasks(_simulate_point, points, seeds, backend, client, max_workers, progress)
    table = pd.DataFrame(
        {
            "n": [p.n for p in points],
            "takeup": [p.takeup for p in points],
            "effect": [p.effect for p in points],
            "icc": [p.icc for p in points],
            "estimand": ["ITT" if p.takeup == 1 else "LATE" for p in points],
        }
    )
    for col in ("power", "bias", "coverage", "mean_estimate", "mean_std_error"):
        table[col] = [r[col] for r in results]
    table["power_mc_se"] = np.sqrt(table["power"] * (1 - table["power"]) / sims)
    table["sims"] = sims
    return PowerGrid(table[list(GRID_COLUMNS)], sims, float(alpha), design, cluster_size, strata)
