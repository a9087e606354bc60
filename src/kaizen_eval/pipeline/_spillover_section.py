"""The report's spillover section: the bundled saturation trial, its estimates and what they pay.

From a :class:`~kaizen_eval.studies.saturation_site.SaturationSite` (firms, the two-stage
assignment, the follow-up and the truth), the section "Spillovers (saturation trial)" shows the
design (clusters and firms per saturation, share invited), the direct and spillover effects of
:func:`~kaizen_eval.spillover` (CR2) beside the known truth with the linear dose-response test,
a map of the firms coloured by their exposure to invited neighbours
(:func:`~kaizen_eval.exposure`), and the private and social benefit-cost ratios of
:func:`~kaizen_eval.cost_benefit` with the measured spillover, as ``notebooks/04_spillovers``
computes them. The section computes nothing of its own; it lays those numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval.pipeline._cost_benefit import bcr_columns
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._sections import label_of
from kaizen_eval.report import Report
from kaizen_eval.studies.saturation_site import SaturationSite

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["COST_TERMS", "RADIUS_KM", "SpilloverSection", "spillover_section"]

#: Radius (km) within which an invited firm counts as a neighbour on the map.
RADIUS_KM = 1.0

#: The cost-benefit assumptions of ``notebooks/04_spillovers.ipynb``: the training costs 0.5 sd
#: of annual outcome per participant, every invited firm takes part, the gain lasts three years
#: discounted at 10 % a year; 2,000 draws.
COST_TERMS: dict[str, Any] = {
    "cost": 0.5,
    "takeup": 1.0,
    "years": 3,
    "discount_rate": 0.1,
    "draws": 2_000,
    "seed": 3,
}

#: The Okabe–Ito colours of the exposure bins, from none to most exposed.
_COLOURS = ("#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00")
_BINS = (0.0, 0.25, 0.5, 0.75)

_UNIT = "standard deviations of the follow-up outcome"


@dataclass(frozen=True, eq=False)
class SpilloverSection:
    """What the section computed: the spillover fit, the exposure and the two cost-benefits.

    Attributes
    ----------
    estimate : Estimate
        :func:`~kaizen_eval.spillover` of ``y`` (CR2, clustered on the cluster, region effects).
    exposure : pandas.DataFrame
        :func:`~kaizen_eval.exposure` within :data:`RADIUS_KM` of each firm.
    private, social : CostBenefit
        :func:`~kaizen_eval.cost_benefit` of the direct effect, without and with the spillover.
    """

    estimate: ke.Estimate
    exposure: pd.DataFrame
    private: ke.CostBenefit
    social: ke.CostBenefit


def _pct(s: float) -> str:
    """Write a saturation as a whole percentage: ``0.25`` -> ``"25 %"``."""
    return f"{F.number(100 * s, 0)} %"


def _term_labels(levels: list[float]) -> dict[str, str]:
    """Return the reader's names of the direct and spillover terms."""
    labels = {
        "direct": "Direct (all saturations)",
        "spillover": "Spillover (all saturations)",
    }
    for s in levels:
        labels[f"direct:{s:g}"] = f"Direct, saturation {_pct(s)}"
        labels[f"spillover:{s:g}"] = f"Spillover, saturation {_pct(s)}"
    return labels


def design_table(data: pd.DataFrame) -> pd.DataFrame:
    """Return clusters and firms per saturation and the share of firms invited.

    Examples
    --------
    >>> from kaizen_eval.studies.saturation_site import saturation_site
    >>> design_table(saturation_site().data)["Clusters"].tolist()
    [16, 14, 16, 14]
    """
    g = data.groupby("saturation")
    table = pd.DataFrame(
        {
            "Clusters": g["cluster_id"].nunique(),
            "Firms": g.size(),
            "Invited firms": g["invited"].sum(),
            "Share invited": g["invited"].mean(),
        }
    )
    table.index = pd.Index(
        [_pct(s) + (" (pure control)" if s == 0 else "") for s in table.index],
        name="Saturation",
    )
    return table


def estimates_table(sp: ke.Estimate, truth: dict[str, float], levels: list[float]) -> pd.DataFrame:
    """Return the direct and spillover terms of ``sp`` with their CI and the known truth.

    Examples
    --------
    >>> from kaizen_eval.studies.saturation_site import saturation_site
    >>> site = saturation_site()
    >>> sp = ke.spillover(site.data, outcome="y", treatment="invited", saturation="saturation",
    ...                   cluster="cluster_id", fixed_effects="stratum", se="CR2")
    >>> float(estimates_table(sp, dict(site.truth.terms), [0.25, 0.5, 0.75])["Truth"].iloc[0])
    0.3
    """
    labels = _term_labels(levels)
    tidy = sp.tidy()
    rows = list(labels)
    return pd.DataFrame(
        {
            "estimate": tidy.loc[rows, "estimate"].to_numpy(dtype=float),
            "std_error": tidy.loc[rows, "std_error"].to_numpy(dtype=float),
            "ci_low": tidy.loc[rows, "ci_low"].to_numpy(dtype=float),
            "ci_high": tidy.loc[rows, "ci_high"].to_numpy(dtype=float),
            "Truth": [float(truth[r]) for r in rows],
        },
        index=pd.Index([label_of(r, labels) for r in rows], name="Effect"),
    )


def cost_table(private: ke.CostBenefit, social: ke.CostBenefit) -> pd.DataFrame:
    """Return the private and social benefit-cost ratios, their intervals and P(BCR > 1)."""
    rows = {"Private (own gain)": private, "Social (with spillover)": social}
    gains = [cb.gain + (cb.spillover.value if cb.spillover is not None else 0.0)
             for cb in rows.values()]  # fmt: skip
    return pd.DataFrame(
        {
            "Annual gain": gains,
            **bcr_columns(rows),
        },
        index=pd.Index(list(rows), name="Benefit-cost ratio"),
    )


def exposure_figure(data: pd.DataFrame, exposure: pd.DataFrame, *, radius_km: float) -> Figure:
    """Map the firms (longitude, latitude) coloured by their share of invited neighbours.

    Exposure is binned (none, then quarters) in Okabe–Ito colours; invited firms are triangles,
    uninvited firms circles. No pyplot: a bare ``matplotlib.figure.Figure``.

    Examples
    --------
    >>> from kaizen_eval.studies.saturation_site import saturation_site
    >>> df = saturation_site().data
    >>> e = ke.exposure(df, id_col="firm_id", lat="lat", lon="lon", treatment="invited")
    >>> exposure_figure(df, e, radius_km=1.0).axes[0].get_xlabel()
    'Longitude (degrees east)'
    """
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    share = exposure["share_treated"].fillna(0.0).to_numpy(dtype=float)
    # bin 0: no invited neighbour; then (0, 25 %), [25, 50 %), [50, 75 %), 75 % or more
    bins = np.where(share <= 0, 0, np.searchsorted(_BINS, share, side="right"))
    names = ["none", f"under {_pct(0.25)}", f"{_pct(0.25)} to {_pct(0.5)}",
             f"{_pct(0.5)} to {_pct(0.75)}", f"{_pct(0.75)} or more"]  # fmt: skip
    invited = data["invited"].to_numpy() == 1
    lon, lat = data["lon"].to_numpy(dtype=float), data["lat"].to_numpy(dtype=float)
    fig = Figure(figsize=(7.0, 6.4), layout="constrained")
    ax = fig.add_subplot()
    for k, colour in enumerate(_COLOURS):
        for inv, marker, size in ((False, "o", 14), (True, "^", 26)):
            pick = (bins == k) & (invited == inv)
            ax.scatter(lon[pick], lat[pick], s=size, marker=marker, color=colour,
                       edgecolors="black" if inv else "none", linewidths=0.4)  # fmt: skip
    ax.set_aspect(1 / np.cos(np.deg2rad(float(np.mean(lat)))))
    ax.set_xlabel("Longitude (degrees east)")
    ax.set_ylabel("Latitude (degrees north; south is negative)")
    ax.set_title(f"Firms by share of invited firms within {F.number(radius_km, 0)} km")
    colours = [Line2D([], [], ls="", marker="s", color=c, label=n)
               for c, n in zip(_COLOURS, names, strict=True)]  # fmt: skip
    shapes = [Line2D([], [], ls="", marker="o", color="grey", label="not invited"),
              Line2D([], [], ls="", marker="^", color="grey", markeredgecolor="black",
                     label="invited")]  # fmt: skip
    fig.legend(handles=colours + shapes, loc="outside lower center", ncols=4, frameon=False,
               fontsize="small",
               title="Share of neighbours invited; marker: own invitation")  # fmt: skip
    return fig


@fill_doc(DOCS)
def spillover_section(
    site: SaturationSite,
    report: Report,
    *,
    name: str = "spillover",
    heading: str = "Spillovers (saturation trial)",
    radius_km: float = RADIUS_KM,
) -> SpilloverSection:
    """Estimate the spillovers of a saturation trial and add the section to ``report``.

    Parameters
    ----------
    site : SaturationSite
        The trial: firms, two-stage assignment, follow-up and truth (usually the bundled one,
        :func:`~kaizen_eval.saturation_site`).
    %(param_report_section)s
    name : str, default "spillover"
        Prefix of the section's table and figure file names.
    heading : str, default "Spillovers (saturation trial)"
        The section's heading.
    radius_km : float, default :data:`RADIUS_KM`
        Radius of a firm's neighbourhood on the exposure map.

    Returns
    -------
    SpilloverSection
        The spillover fit, the exposure table and the private and social cost-benefits.

    Examples
    --------
    >>> from kaizen_eval.studies.saturation_site import saturation_site
    >>> report = Report("Saturation")
    >>> sec = spillover_section(saturation_site(), report)
    >>> round(sec.social.bcr / sec.private.bcr, 3)
    1.243
    """
    data = site.data
    levels = sorted(float(s) for s in data["saturation"].unique() if s > 0)
    sp = ke.spillover(data, outcome="y", treatment="invited", saturation="saturation",
                      cluster="cluster_id", fixed_effects="stratum", se="CR2")  # fmt: skip
    exp = ke.exposure(data, id_col="firm_id", lat="lat", lon="lon", treatment="invited",
                      radius_km=radius_km)  # fmt: skip
    private = ke.cost_benefit(gain=sp, term="direct", **COST_TERMS)
    social = ke.cost_benefit(gain=sp, term="direct", spillover_gain=sp, **COST_TERMS)
    report.add_text(
        heading,
        "Do untrained neighbours gain or lose? The bundled synthetic saturation trial "
        f"({F.count(data['cluster_id'].nunique())} industrial clusters, {F.count(len(data))} "
        "firms) randomized twice: first each cluster's saturation, the share of its firms to "
        "invite (0 for pure control clusters), then the invited firms within the cluster. "
        "Uninvited firms of treated clusters against pure controls measure the spillover: the "
        "knowledge neighbours pass on, net of the customers they take. The outcome is in "
        f"{_UNIT}; the truth is known.",
    )
    report.add_table(
        f"{name}_design",
        design_table(data),
        caption="The design: clusters and firms at each saturation",
        kinds={
            "Clusters": "count",
            "Firms": "count",
            "Invited firms": "count",
            "Share invited": "percent",
        },
    )
    _estimates(report, sp, dict(site.truth.terms), levels, name)
    report.add_figure(
        f"{name}_exposure",
        exposure_figure(data, exp, radius_km=radius_km),
        caption=f"The firms' locations, coloured by the share of the firms within "
        f"{F.number(radius_km, 0)} km that were invited; invited firms are triangles.",
    )
    _costs(report, private, social, name)
    return SpilloverSection(sp, exp, private, social)


def _estimates(
    report: Report, sp: ke.Estimate, truth: dict[str, float], levels: list[float], name: str
) -> None:
    """Add the estimates table with the linear dose-response test as a note."""
    test = sp.extra["linear_dose_response"]["spillover"]
    report.add_table(
        f"{name}_estimates",
        estimates_table(sp, truth, levels),
        caption=f"Direct and spillover effects against the known truth ({_UNIT})",
        kinds={
            "estimate": "number",
            "std_error": "number",
            "ci_low": "number",
            "ci_high": "number",
            "Truth": "number",
        },
        notes=[
            "Direct: invited firms against pure controls; spillover: uninvited firms of treated "
            "clusters against pure controls. CR2 standard errors clustered on the cluster, "
            "region fixed effects, 95 % intervals with Pustejovsky–Tipton degrees of freedom",
            "Linear dose-response test (do the spillovers at the three saturations lie on a "
            f"line in the saturation?): F = {F.ratio(test.fstat, 2)} on {F.count(test.df1)} and "
            f"{F.number(test.df2, 1)} df, p = {F.pvalue(test.pvalue)}",
            "The design identifies the net spillover only, not its knowledge and "
            "business-stealing parts",
        ],
    )


def _costs(report: Report, private: ke.CostBenefit, social: ke.CostBenefit, name: str) -> None:
    """Add the private and social benefit-cost ratios, with the assumptions as notes."""
    assert social.spillover is not None  # a spillover estimate was given
    t = COST_TERMS
    report.add_table(
        f"{name}_cost_benefit",
        cost_table(private, social),
        caption=f"Does it pay, counting the neighbours? Private and social benefit-cost ratios "
        f"over {F.count(t['years'])} years; gains in {_UNIT} per invited firm and year",
        kinds={
            "Annual gain": "number",
            "bcr": "ratio",
            "bcr_low": "ratio",
            "bcr_high": "ratio",
            "prob_bcr_above_1": "percent",
        },
        notes=[
            f"Cost {F.number(t['cost'], 1)} sd of annual outcome per participant, every invited "
            f"firm takes part, discounted at {F.percent(t['discount_rate'])} a year; 95 % "
            f"intervals from {F.count(t['draws'])} draws",
            "The social gain adds the spillover per uninvited firm times "
            f"{F.number(social.spillover.per_firm, 3)} uninvited firms of treated clusters per "
            "invited firm (from the design), drawn jointly with the direct effect (one fit)",
        ],
    )
