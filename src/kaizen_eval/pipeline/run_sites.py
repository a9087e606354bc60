"""Run several sites' plans and pool them: one report with every site and "Across sites".

:func:`run_sites` is what ``kaizen-eval pool`` calls: each site's analysis plan runs as
:func:`~kaizen_eval.pipeline.run.run_plan` would (its tables prefixed by the site's name), then
the pool plan (:mod:`~kaizen_eval.pipeline.pool_plan`) pools the estimate it names across the
sites and adds the cross-site section (forest plot, pooled table, heterogeneity statistics,
leave-one-site-out sensitivity, the roll-out cost-benefit of a new cluster).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kaizen_eval._atomic import atomic_folder
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline._cross_site import CrossSite, cross_site_section
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline.plan import Plan, load_plan
from kaizen_eval.pipeline.pool_plan import PoolSpec, load_pool
from kaizen_eval.pipeline.results import PlanResults
from kaizen_eval.pipeline.run import analyse
from kaizen_eval.report import Report

_SITE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _analyse_sites(
    plans: Mapping[str, Plan],
    labels: Mapping[str, str],
    title: str,
    say: Callable[[str], None],
) -> tuple[Report, dict[str, PlanResults]]:
    """Run each site's plan into one report of the sites' sections, before the pooling.

    The tables of site ``s`` are prefixed ``"s_"`` and its headings by its label
    (``labels[s]``, e.g. ``"Ghana: "``); :func:`run_sites` and the demo both add this report
    after their own sections (``report.extend(sites)``).

    Returns
    -------
    sites : Report
        The sites' sections, titled ``title``.
    results : dict
        Each site's :class:`PlanResults` by its label, ready for
        :func:`~kaizen_eval.pipeline._cross_site.cross_site_section`.
    """
    sites = Report(title)
    results = {}
    for site, plan in plans.items():
        say(f"analysing {site}" + ("" if plan.path is None else f" ({plan.path})"))
        label = labels[site]
        results[label] = analyse(plan, sites, prefix=f"{site}_", section=f"{label}: ", log=say)
    return sites, results


@dataclass(frozen=True)
class SitesResults:
    """What :func:`run_sites` computed: each site's plan results and the cross-site section."""

    sites: Mapping[str, PlanResults]
    cross_site: CrossSite


@fill_doc(DOCS)
def run_sites(
    plans: Mapping[str, Plan | str | Path],
    pool: PoolSpec | str | Path,
    out: str | Path,
    *,
    title: str | None = None,
    log: Callable[[str], None] | None = None,
    overwrite: bool = False,
    flag: str = "overwrite=True",
) -> SitesResults:
    """Run each site's plan, pool the named estimate across sites, and write one report.

    Parameters
    ----------
    plans : mapping of str to Plan or path
        Site name (letters, digits, ``_`` or ``-``, starting with a letter: it prefixes the
        site's table files) to its analysis plan. At least two sites.
    pool : PoolSpec or path
        The pool plan (``[pool]`` and optionally ``[pool.rollout]``; see
        :func:`~kaizen_eval.pipeline.pool_plan.parse_pool`).
    out : path
        Report folder; it appears only when complete (as :func:`run_plan`'s).
    title : str, optional
        The report's title (default: "Across sites: " and the site names).
    log : callable, optional
        Progress messages.
    %(param_overwrite)s
    %(param_flag)s

    Returns
    -------
    SitesResults
        ``sites`` (read-only mapping of site to :class:`PlanResults`) and ``cross_site``
        (the pooled estimate, leave-one-out table and roll-out cost-benefit).

    Raises
    ------
    KaizenError
        Fewer than two sites, a site name that cannot prefix a file name, a plan or pool plan
        that is invalid, or a pooled estimate missing from a site's plan (named).
    OutputExistsError
        ``out`` holds files and ``overwrite`` is false (checked before any work is done).

    Examples
    --------
    >>> res = run_sites({"ghana": "ghana/plan.toml", "tanzania": "tanzania/plan.toml"},
    ...                 "pool.toml", "report")  # doctest: +SKIP
    >>> res.cross_site.pooled.mu  # doctest: +SKIP
    """
    if not isinstance(plans, Mapping) or len(plans) < 2:
        raise KaizenError(
            "pooling needs the plans of at least two sites, as a mapping of site name to plan; "
            f"got {len(plans) if isinstance(plans, Mapping) else type(plans).__name__}."
        )
    bad = [str(s) for s in plans if not isinstance(s, str) or not _SITE_NAME.fullmatch(s)]
    if bad:
        raise KaizenError(
            f"site name(s) {bad} cannot prefix the report's file names: use letters, digits, "
            "'_' or '-', starting with a letter (e.g. ghana, dar_es_salaam)."
        )
    labels = {s: s.replace("_", " ").capitalize() for s in plans}
    if len(set(labels.values())) < len(labels):
        raise KaizenError(
            f"site names {sorted(plans)} print alike in the report ({sorted(labels.values())}); "
            "give each site a name of its own."
        )
    loaded = {s: p if isinstance(p, Plan) else load_plan(p) for s, p in plans.items()}
    spec = pool if isinstance(pool, PoolSpec) else load_pool(pool)
    say = log or (lambda _message: None)
    with atomic_folder(Path(out), overwrite=overwrite, flag=flag) as tmp:
        report = Report(title or "Across sites: " + ", ".join(loaded))
        sites, results = _analyse_sites(loaded, labels, report.title, say)
        say("pooling the sites")
        cross = cross_site_section(results, spec, report)
        report.extend(sites)
        report.write_into(tmp)
    return SitesResults(MappingProxyType(results), cross)
