"""Each site's benefit-cost ratio beside the average and a new site's: the roll-out table.

The roll-out question the source papers end on ("the estimated effect tends to exceed the
cost") asked across sites: does the programme pay in each evaluated site, with that site's own
cost, and how sure can a ministry be that it pays in the next cluster?
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_count, check_seed
from kaizen_eval.costbenefit._inputs import ESTIMAND_BASIS
from kaizen_eval.costbenefit.analysis import CostBenefit, cost_benefit
from kaizen_eval.costbenefit.costs import Cost, CostStructure
from kaizen_eval.estimate.pooling_result import PooledEstimate

__all__ = ["BY_SITE_COLUMNS", "cost_benefit_by_site"]

BY_SITE_COLUMNS = ("gain", "cost", "npv", "bcr", "bcr_low", "bcr_high", "prob_bcr_above_1")
_FORBIDDEN = ("gain", "gain_draws", "term", "for_site", "seed", "draws")


def cost_benefit_by_site(
    pooled: PooledEstimate,
    *,
    cost: float | Cost | CostStructure,
    site_costs: Mapping[str, float | Cost | CostStructure] | None = None,
    draws: int = 10_000,
    seed: int = 0,
    **options: Any,
) -> pd.DataFrame:
    """Return the benefit-cost ratios of every pooled site, the average site and a new site.

    Parameters
    ----------
    pooled : PooledEstimate
        From :func:`~kaizen_eval.pool_sites`; its ``sites`` table gives each site's own
        estimate and standard error.
    cost : float, Cost or CostStructure
        The cost in a new site (and in every site without an entry in ``site_costs``).
    site_costs : mapping of site to cost, optional
        Each evaluated site's own cost (e.g. converted to USD of its survey year).
    draws : int, default 10000
        Draws of each gain.
    seed : int, default 0
        Random seed (each row draws from its own stream).
    **options
        Passed to :func:`~kaizen_eval.cost_benefit` for every row: ``years``,
        ``discount_rate``, ``decay``, ``survival``, ``takeup``, ``gain_basis``, ``alpha`` ...

    Returns
    -------
    pandas.DataFrame
        Indexed by site, then ``"average site"`` (``mu``) and ``"new site"`` (the predictive
        distribution): ``gain, cost, npv, bcr, bcr_low, bcr_high, prob_bcr_above_1``. A site's
        gain is drawn as ``estimate + std_error * e`` with ``e`` standard normal; the pooled
        rows as :func:`~kaizen_eval.cost_benefit` with ``for_site``. The gain is per
        participant for a pooled LATE/ATT and per invited firm for a pooled ITT.

    Raises
    ------
    KaizenError
        ``site_costs`` naming a site that was not pooled, or an option that this function sets
        itself (``gain``, ``gain_draws``, ``term``, ``for_site``).

    Examples
    --------
    >>> import pandas as pd
    >>> import kaizen_eval as ke
    >>> t = pd.DataFrame({"estimate": [13_890.0, 4_181.0, 2_500.0],
    ...                   "std_error": [5_000.0, 1_500.0, 1_200.0]},
    ...                  index=["ghana", "tanzania", "vietnam"])
    >>> p = ke.pool_sites(t, method="REML")
    >>> tab = ke.cost_benefit_by_site(p, cost=2_000, site_costs={"ghana": 740},
    ...                               gain_basis="participant", years=3, discount_rate=0.1)
    >>> list(tab.index)
    ['ghana', 'tanzania', 'vietnam', 'average site', 'new site']
    >>> float(tab.loc["ghana", "cost"])
    740.0
    """
    if not isinstance(pooled, PooledEstimate):
        raise TypeError(
            f"`pooled` must be a PooledEstimate from ke.pool_sites; got {type(pooled).__name__}."
        )
    clash = sorted(set(options) & set(_FORBIDDEN))
    if clash:
        raise KaizenError(
            f"cost_benefit_by_site sets {', '.join(map(repr, clash))} itself for each row; do "
            "not pass them."
        )
    draws = check_count("draws", draws, least=2)
    check_seed("seed", seed)
    sites = pooled.sites
    site_costs = dict(site_costs or {})
    unknown = sorted(set(map(str, site_costs)) - set(map(str, sites.index)))
    if unknown:
        raise KaizenError(
            f"`site_costs` names sites that were not pooled: {', '.join(unknown)}; pooled sites: "
            f"{', '.join(map(str, sites.index))}."
        )
    implied = ESTIMAND_BASIS.get(str(pooled.estimand))
    if implied is not None and "gain_basis" not in options:
        options["gain_basis"] = implied  # the sites' gains are per the pooled estimand's firm
    streams = np.random.SeedSequence(int(seed)).spawn(len(sites) + 2)
    results: dict[str, CostBenefit] = {}
    for (site, row), stream in zip(sites.iterrows(), streams, strict=False):
        rng = np.random.default_rng(stream)
        gain_draws = row["estimate"] + row["std_error"] * rng.standard_normal(draws)
        results[str(site)] = cost_benefit(
            gain=float(row["estimate"]),
            cost=site_costs.get(str(site), cost),
            gain_draws=gain_draws,
            **options,
        )
    for label, for_site, stream in (
        ("average site", "average", streams[-2]),
        ("new site", "new", streams[-1]),
    ):
        results[label] = cost_benefit(
            gain=pooled,
            cost=cost,
            for_site=for_site,
            draws=draws,
            seed=np.random.default_rng(stream),
            **options,
        )
    table = (
        pd.DataFrame(
            {
                name: {
                    "gain": r.gain,
                    "cost": r.cost,
                    "npv": r.npv,
                    "bcr": r.bcr,
                    "bcr_low": r.bcr_interval[0],  # type: ignore[index]
                    "bcr_high": r.bcr_interval[1],  # type: ignore[index]
                    "prob_bcr_above_1": r.prob_bcr_above_1,
                }
                for name, r in results.items()
            }
        )
        .T[list(BY_SITE_COLUMNS)]
        .astype(float)
    )
    table.index.name = "site"
    return table
