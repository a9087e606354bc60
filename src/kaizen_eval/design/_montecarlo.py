r"""One Monte Carlo core for the design-stage power simulations.

:func:`~kaizen_eval.simulate_power` and :func:`~kaizen_eval.power_grid` share three steps, each
written once here:

1. **the seed split** (:func:`streams`): one :class:`numpy.random.SeedSequence` spawns the stream
   of the re-drawn assignments (all replications in one :meth:`Assignment.redraw_many`) and the
   stream of the outcomes;
2. **the outcome model** (:class:`OutcomeModel`): for unit ``i`` in cluster ``c``,
   ``y_i = signal_i + b·x_i + u_c + e_i`` with ``x_i ~ N(0, 1)``, ``b = σ·sqrt(r2)``,
   ``u_c ~ N(0, icc·(1 − r2)·σ²)``, ``e_i ~ N(0, (1 − icc)·(1 − r2)·σ²)``, drawn replication
   after replication (``x``, then ``u``, then ``e``) from the outcome stream;
3. **batch, then refit** (:func:`batch_then_refit`): each block of replications is fitted at
   once by a batched kernel (:mod:`~kaizen_eval._core.batch_ols`,
   :mod:`~kaizen_eval._core.batch_iv`); replications the batch flags are refitted one by
   one, in order, so that they fit or fail exactly as a one-fit-per-replication loop would.

What differs between the two tools (which regressors, which estimator, which error message) is
passed in by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.batch import BatchFit


def streams(
    seed: np.random.SeedSequence, redraw_many: Callable[[int, np.random.Generator], Any], sims: int
) -> tuple[Any, np.random.Generator]:
    """Split ``seed`` into the assignments' and the outcomes' streams; draw the assignments.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
    redraw_many : callable
        :meth:`Assignment.redraw_many` of the design.
    sims : int
        Replications.

    Returns
    -------
    (draws, numpy.random.Generator)
        The re-drawn assignments, and the generator of the outcome stream.

    Examples
    --------
    >>> draws, rng = streams(np.random.SeedSequence(1), lambda m, g: g.integers(0, 2, m), 3)
    >>> draws.shape, isinstance(rng, np.random.Generator)
    ((3,), True)
    """
    ss_assign, ss_outcome = seed.spawn(2)
    draws = redraw_many(int(sims), np.random.default_rng(ss_assign))
    return draws, np.random.default_rng(ss_outcome)


@dataclass(frozen=True, repr=False, eq=False)
class MonteCarloResult:
    """The table a simulation gives, its replications and its test level; immutable.

    The base of :class:`~kaizen_eval.design.simulate.SimulatedPower` and
    :class:`~kaizen_eval.design._grid_result.PowerGrid`, which hand out and document their
    tables (``table``, a copy of ``_table``).
    """

    _table: pd.DataFrame
    sims: int
    alpha: float


@dataclass(frozen=True, eq=False)
class OutcomeModel:
    """The simulated outcome: a signal, a baseline covariate, a cluster effect and noise.

    Attributes
    ----------
    sd : float
        ``σ``, the outcome's standard deviation given the treatments.
    r2 : float
        Share of the variance explained by the covariate ``x``.
    icc : float
        Share of the rest that is between clusters.
    group : numpy.ndarray of int, shape (n,)
        Cluster codes ``0..G-1`` of the units (each unit its own cluster without clustering).
    share : float
        Variance of the outcome averaged over the follow-up rounds relative to one round's
        (:func:`~kaizen_eval.design.power.round_average_share`; 1, the default, for one round).
        The covariate and the cluster effect persist in every round, so only the unit noise
        ``e`` averages out: its variance becomes ``σ² (share − r2 − icc (1 − r2))``.

    Examples
    --------
    >>> model = OutcomeModel(sd=1.0, r2=0.36, icc=0.0, group=np.arange(4))
    >>> y, x = model.draw(np.random.default_rng(0), np.zeros(4))
    >>> bool(np.allclose(y - 0.6 * x, y - model.b * x)), y.shape
    (True, (4,))
    """

    sd: float
    r2: float
    icc: float
    group: np.ndarray
    share: float = 1.0
    n_groups: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_groups", int(self.group.max()) + 1)

    @property
    def b(self) -> float:
        """Coefficient of ``x``: ``σ·sqrt(r2)``."""
        return self.sd * math.sqrt(self.r2)

    @property
    def s_u(self) -> float:
        """Standard deviation of the cluster effect ``u_c``."""
        return self.sd * math.sqrt(self.icc * (1 - self.r2))

    @property
    def s_e(self) -> float:
        """Standard deviation of the unit noise ``e_i`` (of its average over the rounds)."""
        if self.share == 1.0:
            return self.sd * math.sqrt((1 - self.icc) * (1 - self.r2))
        return self.sd * math.sqrt(self.share - self.r2 - self.icc * (1 - self.r2))

    def draw(self, rng: np.random.Generator, signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One replication's outcome ``signal + b·x + u + e`` and its covariate ``x``.

        Draws ``x`` (one per unit), ``u`` (one per cluster), then ``e`` (one per unit).
        """
        n = len(self.group)
        x = rng.standard_normal(n)
        u = rng.standard_normal(self.n_groups)[self.group] * self.s_u
        e = rng.standard_normal(n) * self.s_e
        return signal + self.b * x + u + e, x


Row = tuple[Any, Any, Any]


def batch_then_refit(
    sims: int,
    size: int,
    make_block: Callable[[int, int], Any],
    fit_block: Callable[[Any], BatchFit] | None,
    select: Callable[[np.ndarray], np.ndarray],
    refit: Callable[[Any, int, int], Row],
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Fit ``sims`` replications in blocks of ``size``; yield each block's results.

    Parameters
    ----------
    sims, size : int
        Replications, and replications per block.
    make_block : callable
        ``make_block(start, stop)``: the data of replications ``start..stop-1`` (drawing their
        outcomes from the outcome stream, in order).
    fit_block : callable or None
        ``fit_block(block)``: the batched fit of a block; ``None`` (no batched kernel for this
        covariance type, or none could be built) refits every replication.
    select : callable
        Picks the reported coefficients from a ``(B, K)`` array of the batch.
    refit : callable
        ``refit(block, i, s)``: (estimate, standard error, df) of row ``i`` of the block,
        replication ``s``, by one single fit (which raises the single fit's error).

    Yields
    ------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Estimates, standard errors and degrees of freedom of a block, one row per replication.

    Examples
    --------
    >>> out = batch_then_refit(
    ...     5, 2, lambda a, b: np.arange(a, b), None, None, lambda blk, i, s: (s, 1.0, 9.0)
    ... )
    >>> [est.tolist() for est, _, _ in out]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    for start in range(0, sims, size):
        stop = min(start + size, sims)
        block = make_block(start, stop)
        if fit_block is None:
            rows = [refit(block, i, start + i) for i in range(stop - start)]
            yield tuple(np.array(col, dtype=float) for col in zip(*rows, strict=True))
            continue
        fit = fit_block(block)
        coef, std_error = select(fit.coef), select(fit.std_error)
        df = np.full_like(coef, fit.df)
        for i in np.flatnonzero(fit.suspect):  # in order: the first failure is the loop's
            coef[i], std_error[i], df[i] = refit(block, int(i), start + int(i))
        yield coef, std_error, df
