"""The report's cross-site section: what a new cluster should expect, and whether it pays.

From the plan runs of several sites (:class:`~kaizen_eval.pipeline.results.PlanResults`) and a
pool plan (:class:`~kaizen_eval.pipeline.pool_plan.PoolSpec`), the section "Across sites" shows
the forest plot, the pooled effect with its heterogeneity and prediction interval, each site's
estimate, weight and shrunk estimate, the pooled effect without each site in turn and, with a
roll-out cost, the chance that the training pays in a new cluster beside the average site. The
numbers are those of :func:`~kaizen_eval.pool_sites`, :func:`~kaizen_eval.leave_one_site_out`
and :func:`~kaizen_eval.cost_benefit` called on the sites' estimates; the section only lays them
out.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, KaizenWarning
from kaizen_eval.pipeline._cost_benefit import bcr_columns
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._sections import family_unit, label_of
from kaizen_eval.pipeline.pool_plan import PoolSpec
from kaizen_eval.pipeline.results import PlanResults
from kaizen_eval.report import Report
from kaizen_eval.report.figures import tick_formatter

__all__ = ["CrossSite", "cross_site_section"]

#: How :func:`~kaizen_eval.pool_sites` begins its warning that two sites barely identify tau.
_TWO_SITES = "only 2 sites: tau is barely identified"

_METHODS = {
    "FE": "a fixed-effect model (inverse-variance weights, no spread between sites)",
    "DL": "a random-effects model (DerSimonian–Laird)",
    "PM": "a random-effects model (Paule–Mandel)",
    "ML": "a random-effects model (maximum likelihood)",
    "REML": "a random-effects model (REML)",
    "bayes": "a Bayesian hierarchical model",
}
_TESTS = {"z": "normal reference", "knha": "Hartung–Knapp–Sidik–Jonkman t test"}


@dataclass(frozen=True)
class CrossSite:
    """What the section computed: the pooled estimate, the leave-one-out table, the roll-out.

    ``leave_one_out`` is indexed by the site left out, with ``remaining_sites`` (the others),
    ``estimate``, ``ci_low`` and ``ci_high``; ``rollout`` maps ``"new"`` and ``"average"`` to
    the :class:`~kaizen_eval.CostBenefit` of a new cluster and of the average site (empty
    without a roll-out cost).
    """

    pooled: ke.PooledEstimate
    leave_one_out: pd.DataFrame
    rollout: Mapping[str, ke.CostBenefit] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _site_effects(results: Mapping[str, PlanResults], spec: PoolSpec) -> dict[str, ke.Estimate]:
    """Return each site's estimate that the pool plan names; a site without it is named."""
    out = {}
    for site, res in results.items():
        try:
            out[site] = res.estimate(spec.family, spec.estimand, spec.outcome)
        except KaizenError as err:
            raise KaizenError(f"site {site!r} of the pool: {err}") from None
    return out


def _pool(
    estimates: Mapping[str, ke.Estimate], spec: PoolSpec, term: str
) -> tuple[ke.PooledEstimate, list[str]]:
    """Pool the sites; the two-site warning about tau becomes a note, other warnings pass."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pooled = ke.pool_sites(estimates, **_options(spec, term))
        fe = (
            ke.pool_sites(estimates, method="FE", test="z", alpha=spec.alpha, term=term)
            if len(estimates) == 2 and spec.method != "FE"
            else None
        )
    two = False
    for w in caught:
        if issubclass(w.category, KaizenWarning) and str(w.message).startswith(_TWO_SITES):
            two = True
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    notes = []
    if two:
        money = _kind(spec) == "money"
        notes.append(
            "Only two sites: the spread of the effect between sites (τ) is barely identified; its "
            "estimate rests on the one difference between them, so read τ, I² and the prediction "
            "interval as rough"
            + (
                ""
                if fe is None
                else f". The fixed-effect estimate, which assumes no spread, is "
                f"{_fmt(fe.mu, money)} (SE {_fmt(fe.std_error, money)})"
            )
        )
    return pooled, notes


def _options(spec: PoolSpec, term: str) -> dict[str, Any]:
    """Return the keyword arguments of ``ke.pool_sites`` that the pool plan sets."""
    opts: dict[str, Any] = {"method": spec.method, "test": spec.test, "alpha": spec.alpha}
    if spec.method == "bayes":
        opts |= {"prior": spec.prior, "prior_scale": spec.prior_scale}
    return opts | {"term": term}


def _kind(spec: PoolSpec) -> str:
    """Return how the effect is written: money for an outcome in USD, else a plain number."""
    return "money" if family_unit((spec.outcome,)) == "USD per year" else "number"


def _fmt(x: float, money: bool) -> str:
    return F.money(x) if money else F.number(x)


def _leave_one_out(
    estimates: Mapping[str, ke.Estimate], pooled: ke.PooledEstimate, term: str, alpha: float
) -> pd.DataFrame:
    """Return the effect without each site: pooled again, or with two sites the other alone."""
    names = list(estimates)
    if len(names) >= 3:
        loo = ke.leave_one_site_out(pooled)
        est = loo["mu"]
    else:  # leaving one of two out leaves a single site: its own estimate, not a pool of one
        own = {s: estimates[s].tidy(alpha=alpha).loc[term] for s in names}
        other = {s: own[next(o for o in names if o != s)] for s in names}
        loo = pd.DataFrame({c: [float(other[s][c]) for s in names] for c in ("ci_low", "ci_high")},
                           index=names)  # fmt: skip
        est = pd.Series([float(other[s]["estimate"]) for s in names], index=names)
    rest = [", ".join(label_of(o) for o in names if o != s) for s in names]
    return pd.DataFrame(
        {
            "remaining_sites": rest,
            "estimate": est.to_numpy(),
            "ci_low": loo["ci_low"].to_numpy(),
            "ci_high": loo["ci_high"].to_numpy(),
        },
        index=pd.Index(names, name="left out"),
    )


def _rollout(pooled: ke.PooledEstimate, spec: PoolSpec) -> dict[str, ke.CostBenefit]:
    """Return the cost-benefit of a new cluster and of the average site (none without a cost)."""
    r = spec.rollout
    if r is None:
        return {}
    return {
        where: ke.cost_benefit(
            gain=pooled,
            cost=ke.Cost(r.cost, per=r.cost_basis),
            years=r.years,
            discount_rate=r.discount_rate,
            decay=r.decay,
            takeup=r.takeup,
            alpha=spec.alpha,
            for_site=where,
        )
        for where in ("new", "average")
    }


@fill_doc(DOCS)
def cross_site_section(
    results: Mapping[str, PlanResults],
    spec: PoolSpec,
    report: Report,
    *,
    name: str = "cross_site",
    heading: str = "Across sites",
) -> CrossSite:
    """Pool the sites' estimates and add the section "Across sites" to ``report``.

    Parameters
    ----------
    results : mapping of str to PlanResults
        The plan run of each site (at least two), by the site's name as the report shows it.
    spec : PoolSpec
        What to pool and how, and the roll-out cost (see
        :func:`~kaizen_eval.pipeline.pool_plan.parse_pool`).
    %(param_report_section)s
    name : str, default "cross_site"
        Prefix of the section's table and figure file names.
    heading : str, default "Across sites"
        The section's heading.

    Returns
    -------
    CrossSite
        The pooled estimate, the leave-one-out table and the roll-out cost-benefits.

    Raises
    ------
    KaizenError
        A site without the estimate the pool plan names, fewer than two sites, or estimates
        that ``ke.pool_sites`` refuses (e.g. without the term).

    Warns
    -----
    UserWarning
        Any warning of the pooling or the cost-benefit, except the one that two sites barely
        identify tau: that one becomes a note under the pooled table.

    Examples
    --------
    >>> from kaizen_eval.pipeline.results import PlanEstimate, PlanResults
    %(example_plan)s
    >>> plan = parse_plan(PLAN)
    >>> def run(coef, se):  # a plan run that holds its ITT of value added
    ...     itt = ke.Estimate(terms=("invited",), coef=[coef], vcov=[[se**2]], dof=200.0,
    ...                       se_type="HC1", method="OLS", estimand="ITT",
    ...                       outcome="value_added", nobs=202)
    ...     est = PlanEstimate("performance", "itt", "value_added", itt)
    ...     return PlanResults(plan, None, None, (est,))
    >>> runs = {"Ghana": run(7193, 2233), "Tanzania": run(3471, 550), "Kenya": run(1200, 900)}
    >>> report = Report("Three sites")
    >>> cs = cross_site_section(runs, PoolSpec("performance", "value_added"), report)
    >>> cs.pooled.n_sites, list(cs.leave_one_out["remaining_sites"])
    (3, ['Tanzania, Kenya', 'Ghana, Kenya', 'Ghana, Tanzania'])
    """
    estimates = _site_effects(results, spec)
    first = next(iter(estimates.values()), None)
    term = spec.term or (first.terms[0] if first is not None else "")
    pooled, notes = _pool(estimates, spec, term)
    loo = _leave_one_out(estimates, pooled, term, spec.alpha)
    rollout = _rollout(pooled, spec)
    _add_section(report, spec, term, pooled, loo, rollout, notes, name, heading)
    return CrossSite(pooled, loo, rollout, tuple(notes))


def _add_section(
    report: Report,
    spec: PoolSpec,
    term: str,
    pooled: ke.PooledEstimate,
    loo: pd.DataFrame,
    rollout: Mapping[str, ke.CostBenefit],
    notes: list[str],
    name: str,
    heading: str,
) -> None:
    """Add the text, the forest plot and the tables of the section."""
    labels = report.labels
    kind = _kind(spec)
    level = F.number(100 * (1 - spec.alpha), 0 if (100 * (1 - spec.alpha)) % 1 == 0 else 1)
    what = (
        f"the {spec.estimand.upper()} of {label_of(term, labels)} on "
        f"{label_of(spec.outcome, labels)}"
    )
    test = "" if spec.method == "bayes" else f" with the {_TESTS[spec.test]}"
    report.add_text(
        heading,
        f"What should a new cluster expect, and does the training pay there? The {pooled.n_sites} "
        f"sites' estimates of {what} are pooled by {_METHODS[spec.method]}{test}. The average "
        "effect (μ) is what the evaluated sites have in common; the prediction interval adds the "
        "spread between sites (τ), and is what a new cluster should expect.",
    )
    fig = pooled.plot(
        title=f"{spec.estimand.upper()} of {label_of(term, labels)}, across sites",
        xlabel=label_of(spec.outcome, labels),
    )
    ax = fig.axes[0]
    ax.xaxis.set_major_formatter(tick_formatter(ax.xaxis))
    # the legend goes below the axes, where it covers no interval however few the sites, and
    # the room the plot keeps for it above the sites goes
    ax.set_ylim(0.0, pooled.n_sites + 1.6)
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + 0.9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize="small",
              frameon=False)  # fmt: skip
    fig.tight_layout()
    report.add_figure(
        f"{name}_forest",
        fig,
        caption=f"Each site's estimate and its shrunk estimate with {level} % intervals, the "
        "pooled effect (diamond) and the prediction interval for a new site.",
    )
    _pooled_table(report, pooled, notes, kind, level, name, what)
    sites = pooled.sites
    report.add_table(
        f"{name}_sites",
        pd.DataFrame(
            {
                "estimate": sites["estimate"],
                "std_error": sites["std_error"],
                "weight": sites["weight"] / 100.0,
                "shrunk_estimate": sites["shrunk"],
            }
        ).rename(index=lambda s: label_of(str(s), labels)),
        caption="Each site's estimate, its weight in μ and its shrunk estimate (borrowing "
        "strength from the other sites)",
        kinds={"estimate": kind, "std_error": kind, "weight": "percent", "shrunk_estimate": kind},
    )
    two = pooled.n_sites == 2
    report.add_table(
        f"{name}_leave_one_out",
        loo.rename(index=lambda s: label_of(str(s), labels)),
        caption=f"The effect without each site in turn, with its {level} % interval",
        kinds={"remaining_sites": "text", "estimate": kind, "ci_low": kind, "ci_high": kind},
        notes=[
            "With two sites, leaving one out leaves a single site: each row shows the other "
            "site's own estimate and interval, not a pool of one"
        ]
        if two
        else ["Each row pools the remaining sites again, with the same method and test"],
    )
    if rollout:
        _rollout_table(report, spec, rollout, name)


def _pooled_table(
    report: Report,
    pooled: ke.PooledEstimate,
    notes: list[str],
    kind: str,
    level: str,
    name: str,
    what: str,
) -> None:
    """Add the pooled effect, its heterogeneity and the prediction interval, one row each."""
    lo, hi = pooled.prediction_interval
    rows = [
        ("Average effect (μ)", pooled.mu, kind),
        ("SE of μ", pooled.std_error, kind),
        (f"{level} % interval of μ, low", pooled.ci_low, kind),
        (f"{level} % interval of μ, high", pooled.ci_high, kind),
        ("p-value of μ", pooled.pvalue, "pvalue"),
        ("Spread between sites (τ)", pooled.tau, kind),
        ("I² (share of the variation between sites)", pooled.i2 / 100.0, "percent"),
        ("Cochran's Q", pooled.q, "ratio"),
        ("p-value of Q", pooled.q_pvalue, "pvalue"),
        (f"A new cluster: {level} % prediction interval, low", lo, kind),
        (f"A new cluster: {level} % prediction interval, high", hi, kind),
    ]
    table = pd.DataFrame(
        {"value": [r[1] for r in rows]}, index=pd.Index([r[0] for r in rows], name="quantity")
    )
    df = "" if pooled.df == float("inf") else f" (t on {F.count(pooled.df)} df)"
    report.add_table(
        f"{name}_pooled",
        table,
        caption=f"Pooled across {pooled.n_sites} sites: {what}",
        kinds={r[0]: r[2] for r in rows},
        by_row=True,
        notes=[
            F.sentence(_METHODS[pooled.method].removeprefix("a ")).rstrip(".")
            + ("" if pooled.method == "bayes" else f", {_TESTS[pooled.test]}{df}"),
            *notes,
            *(F.sentence(n) for n in pooled.notes),
        ],
    )


def _rollout_table(
    report: Report, spec: PoolSpec, rollout: Mapping[str, ke.CostBenefit], name: str
) -> None:
    """Add the benefit-cost ratio of a new cluster beside the average site's."""
    r = spec.rollout
    assert r is not None  # the caller checked
    rows = {"A new cluster": rollout["new"], "The average site": rollout["average"]}
    table = pd.DataFrame(
        {
            "annual_gain": [cb.gain for cb in rows.values()],
            "cost_per_firm": [cb.cost for cb in rows.values()],
            **bcr_columns(rows),
        },
        index=pd.Index(list(rows), name="roll-out to"),
    )
    years = "one year" if r.years == 1 else f"{r.years} years"
    basis = "participant" if spec.estimand != "itt" else "invited firm"
    said = [F.sentence(n) for cb in rows.values() for n in cb.notes]
    report.add_table(
        f"{name}_rollout",
        table,
        caption=f"Does it pay? The benefit-cost ratio over {years} of a new cluster (its gain "
        f"drawn with the spread between sites) and of the average site; money in USD per {basis}",
        kinds={
            "annual_gain": "money",
            "cost_per_firm": "money",
            "bcr": "ratio",
            "bcr_low": "ratio",
            "bcr_high": "ratio",
            "prob_bcr_above_1": "percent",
        },
        notes=list(dict.fromkeys(said)),
    )
