r"""A synthetic saturation trial with known direct and spillover effects (issue 17).

Two steps, so that the design stage draws the assignment (this floor may not import it):
:func:`saturation_firms` makes the firms (industrial clusters with coordinates), then
``kaizen_eval.assign(firms, cluster="cluster_id", saturation=...)`` draws the two stages, and
:func:`saturation_outcomes` gives the follow-up outcome under the truth:

.. math::

    y_i = μ + u_c + τ T_i + (κ + β)\, s_c\, (1 - T_i)\, 1[s_c > 0] + ε_i,

``u_c ~ N(0, ρσ²)``, ``ε_i ~ N(0, (1-ρ)σ²)``: an invited firm gains ``τ`` (``direct``); an
uninvited firm of a cluster at saturation ``s`` gains the knowledge spillover ``κ s`` (it learns
from its invited neighbours) and loses ``|β| s`` to business stealing (``β < 0``: the invited
firms take its customers). The truths of :func:`kaizen_eval.spillover`'s terms follow:
``direct:<s> = τ``, ``spillover:<s> = (κ + β) s``, ``total:<s> = s τ + (1 - s)(κ + β) s``, and the
pooled ``direct = τ`` and ``spillover`` the mean of ``(κ + β) s`` over the uninvited firms of
treated clusters in the sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from kaizen_eval._validation import (
    KaizenError,
    check_count,
    check_finite_number,
    check_probability,
    check_seed,
    require_columns,
)


def saturation_firms(
    n_clusters: int = 60,
    *,
    sizes: tuple[int, int] = (8, 16),
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Make the firms of a synthetic industrial-cluster trial (no assignment, no outcome).

    Parameters
    ----------
    n_clusters : int
        Number of clusters.
    sizes : (int, int)
        Smallest and largest number of firms per cluster (uniform).
    seed : int or numpy.random.Generator
        Randomness.

    Returns
    -------
    pandas.DataFrame
        ``firm_id``, ``cluster_id``, ``stratum`` (two regions, constant within clusters),
        ``lat``, ``lon`` (firms within about 300 m of their cluster's centre, clusters spread
        over about 20 km) and ``baseline`` (a baseline outcome).

    Examples
    --------
    >>> f = saturation_firms(10, seed=1)
    >>> f.groupby("cluster_id").size().between(8, 16).all()
    np.True_
    """
    n_clusters = check_count("n_clusters", n_clusters, least=2)
    lo, hi = (int(v) for v in sizes)
    if not 1 <= lo <= hi:
        raise KaizenError(
            f"`sizes` must be (smallest, largest) with 1 <= smallest <= largest: {sizes!r}."
        )
    rng = np.random.default_rng(check_seed("seed", seed))
    m = rng.integers(lo, hi + 1, n_clusters)
    cl = np.repeat(np.arange(n_clusters), m)
    n = len(cl)
    centre = np.column_stack(
        [-6.9 + rng.uniform(0, 0.18, n_clusters), 39.1 + rng.uniform(0, 0.18, n_clusters)]
    )
    return pd.DataFrame(
        {
            "firm_id": [f"S{i:05d}" for i in range(n)],
            "cluster_id": [f"C{c:03d}" for c in cl],
            "stratum": np.where(cl % 2 == 0, "north", "south"),
            "lat": centre[cl, 0] + rng.normal(0, 0.0015, n),
            "lon": centre[cl, 1] + rng.normal(0, 0.0015, n),
            "baseline": rng.normal(0, 1, n),
        }
    )


@dataclass(frozen=True)
class SaturationTruth:
    """The true effects of a synthetic saturation trial.

    Attributes
    ----------
    direct : float
        ``τ``, the effect of an invitation (at every saturation).
    knowledge : float
        ``κ``, knowledge spillover per unit of saturation on uninvited firms (``>= 0``).
    stealing : float
        ``β``, business stealing per unit of saturation on uninvited firms (``<= 0``).
    terms : Mapping of str to float
        The truth of each term of :func:`kaizen_eval.spillover` in this sample.
    """

    direct: float
    knowledge: float
    stealing: float
    terms: Mapping[str, float] = field(default_factory=dict)

    def spillover_at(self, s: float) -> float:
        """Return the true spillover on an uninvited firm at saturation ``s``."""
        return (self.knowledge + self.stealing) * float(s)


def saturation_outcomes(
    firms: pd.DataFrame,
    assignment: pd.DataFrame,
    *,
    direct: float = 0.3,
    knowledge: float = 0.4,
    stealing: float = -0.2,
    icc: float = 0.1,
    sd: float = 1.0,
    seed: int | np.random.Generator = 0,
) -> tuple[pd.DataFrame, SaturationTruth]:
    """Add the follow-up outcome ``y`` under known direct, knowledge and stealing effects.

    Parameters
    ----------
    firms : pandas.DataFrame
        From :func:`saturation_firms`.
    assignment : pandas.DataFrame
        ``Assignment.frame`` of a saturation design on ``firms``: ``firm_id``, ``invited``,
        ``saturation``.
    direct, knowledge, stealing : float
        ``τ``, ``κ`` (``>= 0``) and ``β`` (``<= 0``) of the module docstring.
    icc : float
        Intra-cluster correlation of the outcome.
    sd : float
        Outcome standard deviation (without effects).
    seed : int or numpy.random.Generator
        Randomness of the outcome.

    Returns
    -------
    (pandas.DataFrame, SaturationTruth)
        The firms with ``invited``, ``saturation`` and ``y``; the truth (``terms`` keyed like
        :func:`kaizen_eval.spillover`'s).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> f = saturation_firms(4, seed=0)
    >>> a = f[["firm_id"]].assign(invited=0, saturation=0.0)
    >>> d, truth = saturation_outcomes(f, a, seed=1)
    >>> truth.spillover_at(0.5)
    0.1
    """
    require_columns(firms, ["firm_id", "cluster_id"], where="saturation_outcomes (firms)")
    require_columns(
        assignment, ["firm_id", "invited", "saturation"], where="saturation_outcomes (assignment)"
    )
    direct = check_finite_number("direct", direct)
    knowledge = check_finite_number("knowledge", knowledge)
    stealing = check_finite_number("stealing", stealing)
    if knowledge < 0 or stealing > 0:
        raise KaizenError(
            "`knowledge` must be >= 0 (a gain) and `stealing` <= 0 (a loss); "
            f"you passed knowledge={knowledge!r}, stealing={stealing!r}."
        )
    icc = check_probability("icc", icc)
    sd = check_finite_number("sd", sd)
    rng = np.random.default_rng(check_seed("seed", seed))
    d = firms.merge(assignment[["firm_id", "invited", "saturation"]], on="firm_id", how="left")
    if d[["invited", "saturation"]].isna().any().any():
        raise KaizenError("`assignment` does not cover every firm of `firms`.")
    codes, _ = pd.factorize(d["cluster_id"])
    u = rng.normal(0, np.sqrt(icc) * sd, codes.max() + 1)
    t = d["invited"].to_numpy(dtype=float)
    s = d["saturation"].to_numpy(dtype=float)
    spill_i = (knowledge + stealing) * s * (1 - t) * (s > 0)
    d["y"] = 1.0 + u[codes] + direct * t + spill_i + rng.normal(0, np.sqrt(1 - icc) * sd, len(d))
    terms: dict[str, float] = {"direct": direct}
    untreated = (t == 0) & (s > 0)
    terms["spillover"] = float(spill_i[untreated].mean()) if untreated.any() else float("nan")
    for level in sorted(set(s[s > 0].tolist())):
        terms[f"direct:{level:g}"] = direct
        if level < 1:
            terms[f"spillover:{level:g}"] = (knowledge + stealing) * level
        terms[f"total:{level:g}"] = level * direct + (1 - level) * (knowledge + stealing) * level
    truth = SaturationTruth(direct, knowledge, stealing, MappingProxyType(terms))
    return d, truth
