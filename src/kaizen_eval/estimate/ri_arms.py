"""Randomization inference with several randomized arms, re-drawn jointly as they were drawn.

A cross-randomized design (the Tanzania 2×2: classroom invitation × on-site training) assigns
several 0/1 arms. Under a sharp null the whole vector of arms is re-drawn at once: from the
:class:`~kaizen_eval.Assignment` that made it (both stages, strata, clusters,
re-randomization: ``redraw_many``), or else by permuting each unit's *combination* of arms
within strata (whole clusters), which keeps the joint distribution of the arms. The statistic
of each draw is the vector of the arms' coefficients in one regression on all arms (with the
covariates and fixed effects partialled out once); the regression of several columns (the
outcome and the take-ups of a LATE) on the arms costs one small ``J × J`` solve per draw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kaizen_eval._core.engine import block_rows
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.ri_draws import (
    DrawPlan,
    assignment_draws,
    assignment_positions,
    permuted_rows,
)
from kaizen_eval.estimate.ri_pvalues import randomization_pvalues
from kaizen_eval.estimate.ri_statistic import StatisticAdapter


@dataclass(frozen=True, eq=False)
class JointDraws:
    """Jointly re-drawn arms of the rows of an estimation sample, in blocks.

    Attributes
    ----------
    blocks : iterable of numpy.ndarray
        Arrays ``(draws in the block, rows, arms)`` (consumed once).
    exact : bool
        Whether every distinct assignment is enumerated (never with more than two cells).
    n_assignments : int
        Distinct assignments of the design (``-1`` for draws from an ``Assignment``).
    """

    blocks: Iterable[np.ndarray]
    exact: bool
    n_assignments: int


def joint_redraws(data: pd.DataFrame, z: np.ndarray, arms: list[str], plan: DrawPlan) -> JointDraws:
    """Re-draw all arms (columns of ``z``) jointly, ``plan.draws`` times, as they were drawn."""
    block = block_rows(len(z) * len(arms))
    if plan.assignment is not None:
        pos = [assignment_positions(plan.assignment, data, a, z[:, j]) for j, a in enumerate(arms)]

        def take(drawn: dict[str, np.ndarray]) -> np.ndarray:
            return np.stack([drawn[a][:, p] for a, p in zip(arms, pos, strict=True)], axis=2)

        return JointDraws(assignment_draws(plan, block, take), False, -1)
    # each row's combination of arms is one code; permuting codes keeps the joint distribution
    cells, combo = np.unique(z, axis=0, return_inverse=True)
    combo = combo.reshape(-1)
    _, exact, n_assign, rows = permuted_rows(
        data, combo.astype(float), " × ".join(arms), plan, block
    )
    return JointDraws((cells[a.astype(np.intp)] for a in rows), exact, n_assign)


def arm_coefficients(stat: StatisticAdapter, zb: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Coefficients of the arms on each column of ``cols``, one regression on all arms.

    Parameters
    ----------
    stat : StatisticAdapter
        Holds the covariates and fixed effects (partialled out of everything).
    zb : numpy.ndarray, shape (B, n, J)
        Arms of ``B`` assignments.
    cols : numpy.ndarray, shape (n, m)
        Already partialled columns (the outcome, take-ups).

    Returns
    -------
    numpy.ndarray, shape (B, J, m)
    """
    b, n, j = zb.shape
    zt = stat.partial(np.swapaxes(zb, 1, 2).reshape(b * j, n).T).T.reshape(b, j, n)
    gram = zt @ np.swapaxes(zt, 1, 2)
    rank = np.linalg.matrix_rank(gram)
    if np.any(rank < j):
        raise KaizenError(
            "the arms are collinear in some re-drawn assignments (after the covariates and "
            "fixed effects): each arm must vary on its own"
        )
    return np.linalg.solve(gram, zt @ cols)


class JointSummary:
    """Mixin of the results from joint re-draws: ``summary()`` and how the draws were made."""

    exact: bool

    def summary(self) -> str:
        """Return a short text table (the same as ``str``)."""
        return str(self)

    def _how(self, n_draws: int) -> str:
        return "exact enumeration" if self.exact else f"{n_draws:,} joint re-draws"


@dataclass(frozen=True, eq=False)
class RandomizationArms(JointSummary):
    """A randomization test of several arms re-drawn jointly; immutable.

    Attributes
    ----------
    pvalue : float
        Joint test of the sharp null that no arm has any effect: the statistic is
        ``max_j |b_j| / σ_j`` with ``σ_j`` the standard deviation of arm ``j``'s coefficient
        over the randomization distribution (the observed assignment included).
    pvalues : pandas.Series
        Each arm's two-sided p-value (share of assignments with ``|b_j| >= |observed_j|``).
    observed : pandas.Series
        The arms' coefficients for the actual assignment.
    draws : pandas.DataFrame
        The coefficients for each re-drawn assignment (one column per arm).
    exact : bool
    n_assignments : int
    statistic : str
    treatments : tuple of str
    outcome : str
    nobs : int
    dropped : pandas.DataFrame
    """

    pvalue: float
    pvalues: pd.Series
    observed: pd.Series
    draws: pd.DataFrame
    exact: bool
    n_assignments: int
    statistic: str
    treatments: tuple[str, ...]
    outcome: str
    nobs: int
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"reason": []}))

    def tidy(self) -> pd.DataFrame:
        """One row per arm: ``observed``, ``pvalue``; the joint test in the row ``"joint"``."""
        out = pd.DataFrame({"observed": self.observed, "pvalue": self.pvalues})
        out.loc["joint"] = [np.nan, self.pvalue]
        out.index.name = "term"
        return out

    def __str__(self) -> str:
        lines = [
            f"Randomization test of {', '.join(self.treatments)} on {self.outcome!r} "
            f"({self._how(len(self.draws))}, N = {self.nobs:,})"
        ]
        for arm in self.treatments:
            lines.append(
                f"  {arm:<20s} coef = {self.observed[arm]:.4g}   p = {self.pvalues[arm]:.4g}"
            )
        lines.append(f"  {'joint (max |b|/sd)':<20s} p = {self.pvalue:.4g}")
        return "\n".join(lines)


def joint_pvalues(observed: np.ndarray, null: np.ndarray, exact: bool) -> tuple[np.ndarray, float]:
    """Per-arm p-values and the joint max-|b|/σ p-value (σ over the draws and the observed)."""
    per_arm = randomization_pvalues(null, observed, exact)
    pooled = null if exact else np.vstack([observed[None, :], null])
    sd = pooled.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    joint_null = np.max(np.abs(null) / sd, axis=1)
    joint_obs = float(np.max(np.abs(observed) / sd))
    joint = randomization_pvalues(joint_null[:, None], np.array([joint_obs]), exact)[0]
    return per_arm, float(joint)
