r"""Randomization inference for a saturation design, through its two-stage ``Assignment``.

Under the sharp null that neither an invitation nor a neighbour's invitation changes any
firm's outcome, the outcomes are fixed and only the assignment varies. Each re-draw of the
design (``Assignment.redraw_many``: saturations of the clusters, then invitations within them,
strata as drawn) gives new indicators ``T`` and ``S = (1 − T)·1[s > 0]`` and new pooled
statistics ``direct = ȳ(T = 1) − ȳ(s = 0)`` and ``spillover = ȳ(S = 1) − ȳ(s = 0)`` (the
coefficients of :func:`kaizen_eval.spillover`'s pooled fit without covariates); the p-value is the
share of draws at least as extreme in absolute value as the observed statistic (counting the
observed assignment, ``(1 + #{|t_r| >= |t|}) / (1 + R)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_count, check_seed, finite_column


@dataclass(frozen=True, eq=False)
class SpilloverRI:
    """Randomization p-values of the pooled direct and spillover effects.

    Attributes
    ----------
    observed : pandas.Series
        The observed ``direct`` and ``spillover`` statistics.
    pvalues : pandas.Series
        Their two-sided randomization p-values.
    null : pandas.DataFrame
        The statistics of every re-draw (``draws`` rows).
    draws : int
        Number of re-draws.
    """

    observed: pd.Series
    pvalues: pd.Series
    null: pd.DataFrame
    draws: int

    def tidy(self) -> pd.DataFrame:
        """One row per statistic: ``estimate``, ``pvalue``, ``draws``."""
        return pd.DataFrame(
            {"estimate": self.observed, "pvalue": self.pvalues, "draws": self.draws}
        ).rename_axis("term")

    def summary(self) -> str:
        """Return a plain-text summary."""
        return (
            f"Randomization inference over {self.draws} re-draws of the saturation design\n"
            + self.tidy().to_string(float_format=lambda v: f"{v:.4g}")
        )

    def __str__(self) -> str:
        return self.summary()


def _stats(y: np.ndarray, t: np.ndarray, sat: np.ndarray) -> np.ndarray:
    """Pooled statistics for assignments (R, N): shape (R, 2), NaN when a group is empty."""
    control = sat == 0
    groups = (t == 1, (t == 0) & ~control)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = (control * y).sum(axis=1) / control.sum(axis=1)
        return np.column_stack([(g * y).sum(axis=1) / g.sum(axis=1) - base for g in groups])


def spillover_ri(
    df: pd.DataFrame,
    assignment: Any,
    *,
    outcome: str,
    treatment: str = "invited",
    saturation: str = "saturation",
    draws: int = 2_000,
    seed: int | np.random.Generator = 0,
) -> SpilloverRI:
    """Test the sharp null of no direct and no spillover effect by re-drawing the design.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm: the assignment's id column, ``treatment``, ``saturation``,
        ``outcome`` (complete).
    assignment : Assignment
        The saturation design's :class:`kaizen_eval.Assignment` (``ke.assign(...,
        saturation=...)``); both stages are re-drawn.
    outcome, treatment, saturation : str
        Columns.
    draws : int
        Number of re-draws.
    seed : int or numpy.random.Generator
        Randomness of the re-draws.

    Returns
    -------
    SpilloverRI
        ``observed``, ``pvalues``, ``null`` (the re-drawn statistics), ``draws``, ``tidy()``.

    Raises
    ------
    KaizenError
        An assignment without saturations, firms not in it, data that disagree with it, a
        missing outcome.

    Examples
    --------
    >>> import numpy as np, pandas as pd, kaizen_eval as ke
    >>> f = pd.DataFrame({"firm_id": range(200), "cluster_id": np.repeat(np.arange(20), 10)})
    >>> asg = ke.assign(f, cluster="cluster_id", saturation=[0, 0.5], seed=1)
    >>> d = f.merge(asg.frame, on="firm_id")
    >>> d["y"] = np.random.default_rng(0).normal(size=200)
    >>> ri = spillover_ri(d, asg, outcome="y", draws=500)
    >>> ri.draws, ri.pvalues.index.tolist()
    (500, ['direct', 'spillover'])
    """
    draws = check_count("draws", draws)
    seed = check_seed("seed", seed)
    frame = getattr(assignment, "frame", None)
    if frame is None or not hasattr(assignment, "redraw_many"):
        raise KaizenError("`assignment` must be a kaizen_eval.Assignment (from ke.assign).")
    if saturation not in frame.columns or treatment not in frame.columns:
        raise KaizenError(
            f"the assignment has no {treatment!r} and {saturation!r} columns: it is not a "
            "saturation design (draw it with ke.assign(..., saturation=[...]))."
        )
    id_col = assignment.id_col
    for c in (id_col, treatment, saturation, outcome):
        if c not in df.columns:
            raise KaizenError(f"column {c!r} is not in the data.")
    y = finite_column(df, outcome, "outcome", where="spillover_ri")
    pos = pd.Series(np.arange(len(frame)), index=frame[id_col].astype(str).to_numpy())
    keys = df[id_col].astype(str)
    if not keys.isin(pos.index).all():
        raise KaizenError(f"some firms of the data are not in the assignment (`{id_col}`).")
    cols = pos.loc[keys.to_numpy()].to_numpy()
    for c in (treatment, saturation):
        if not np.allclose(frame[c].to_numpy(dtype=float)[cols], df[c].to_numpy(dtype=float)):
            raise KaizenError(
                f"column {c!r} of the data differs from the assignment; the test must re-draw "
                "the design that produced the data."
            )
    t_obs = df[treatment].to_numpy(dtype=float)[None, :]
    s_obs = df[saturation].to_numpy(dtype=float)[None, :]
    observed = _stats(y[None, :], t_obs, s_obs)[0]
    many = assignment.redraw_many(draws, seed)
    null = _stats(y[None, :], many[treatment][:, cols], many[saturation][:, cols])
    extreme = np.abs(null) >= np.abs(observed)[None, :] - 1e-12 * np.maximum(1.0, np.abs(observed))
    pvalues = (1 + np.nansum(extreme, axis=0)) / (1 + draws)
    names = ["direct", "spillover"]
    return SpilloverRI(
        observed=pd.Series(observed, index=names, name="estimate"),
        pvalues=pd.Series(pvalues, index=names, name="pvalue"),
        null=pd.DataFrame(null, columns=names),
        draws=int(draws),
    )
