"""``kaizen-eval demo``: the bundled synthetic trials, end to end, in one report.

By default the demo analyses the bundled Ghana and Tanzania trials of ``data/synthetic/``: it
copies their files (or, in an installed package without the repository's ``data/`` folder,
writes :func:`~kaizen_eval.synthetic.load_bundled`'s trials, which are the same files bit for
bit), writes an analysis plan for each, runs both plans through
:func:`~kaizen_eval.pipeline.run.analyse`, and adds what no single plan shows: a headline box,
the estimates next to the known truth, and the published one-year cost-benefit comparisons.
With ``seed`` it simulates new trials with that seed instead (not the bundled ones). After the
cross-site section comes the spillover section of the bundled saturation trial
(:func:`~kaizen_eval.pipeline._spillover_section.spillover_section`; always the bundled trial).

Benefit-cost ratios are over a one-year horizon without discounting, as in the published
comparisons (the plans' ``years = 1``, the default of :func:`~kaizen_eval.cost_benefit`).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

import kaizen_eval as ke
from kaizen_eval._atomic import atomic_folder
from kaizen_eval._docs import fill_doc
from kaizen_eval.pipeline._cross_site import cross_site_section
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._headline import headline_sentences
from kaizen_eval.pipeline._spillover_section import spillover_section
from kaizen_eval.pipeline.plan import load_plan
from kaizen_eval.pipeline.pool_plan import load_pool
from kaizen_eval.pipeline.run_sites import _analyse_sites
from kaizen_eval.report import Report
from kaizen_eval.studies.saturation_site import (
    SaturationSite,
    read_saturation_site,
    saturation_site,
)
from kaizen_eval.synthetic.bundled import BUNDLED_SEEDS, bundled_folder, load_bundled

_COMMON_DATA = """
[data]
id = "firm_id"
waves = {waves}
codebook = "codebook.csv"
exchange_rates = "exchange_rates.csv"
currency_columns = ["sales", "inputs"]
value_added = true
items = "items.csv"
"""

_FAMILIES = """
[[families]]
name = "management"
outcomes = ["score_overall", "score_kaizen_5s", "score_record_keeping", "score_marketing"]
wave = "followup"
ancova = true

[[families]]
name = "performance"
outcomes = ["value_added"]
wave = "followup"
ancova = true
"""


def _design_and_families(assignment: list[str], takeup: list[str]) -> str:
    """Return the [design] table (balance on the same baseline columns) and the families."""
    return (
        f"""
[design]
assignment = {assignment}
takeup = {takeup}
strata = "stratum"
baseline_wave = "baseline"
balance = ["educ_years", "female", "firm_age", "employees", "value_added", "score_overall"]
""".replace("'", '"')
        + _FAMILIES
    )


def _estimate_table(estimands: list[str]) -> str:
    """Return the [estimate] table of the demo plans (HC1, 2000 RI draws, sharpened q)."""
    return f"""
[estimate]
estimands = {estimands}
se = "HC1"
ri_draws = 2000
multiple_testing = "sharpened-q"
heterogeneity = ["female"]
""".replace("'", '"')


PLANS: dict[str, str] = {
    "ghana": """title = "Ghana (case 10): classroom Kaizen training, metalwork MSEs in Kumasi"
"""
    + _COMMON_DATA
    + _design_and_families(["invited"], ["attended"])
    + """
[[families]]
name = "survival"
outcomes = ["operating"]
wave = "followup"
"""
    + _estimate_table(["itt", "late"])
    + """
[attrition]
outcomes = ["value_added", "score_overall"]
tighten = ["stratum"]
draws = 200

[[cost_benefit]]
label = "classroom"
outcome = "value_added"
cost = 740
cost_basis = "participant"
years = 1
""",
    "tanzania": """title = "Tanzania (case 19): classroom x on-site Kaizen training, garment MSEs"
"""
    + _COMMON_DATA
    + _design_and_families(["invited", "onsite"], ["attended", "onsite_received"])
    + _estimate_table(["itt", "att"])
    + """
[[cost_benefit]]
label = "classroom"
outcome = "value_added"
term = "attended"
cost = 2905
cost_basis = "invited"
years = 1

[[cost_benefit]]
label = "onsite"
outcome = "value_added"
term = "onsite_received"
cost = 2043
cost_basis = "participant"
years = 1
""",
}

#: The demo's pool plan (data/pool.toml): the ITT of the classroom invitation on value added,
#: the one estimate both plans share, pooled across the two sites; the roll-out cost is the
#: Tanzania classroom programme's cost per invited firm, over one year as the published
#: comparisons.
POOL = """[pool]
family = "performance"
outcome = "value_added"
estimand = "itt"
term = "invited"
method = "REML"
test = "knha"
alpha = 0.05

[pool.rollout]
cost = 2905
cost_basis = "invited"
years = 1
"""

#: How the demo's treatment columns are named in its tables.
_TERM_LABELS = {
    "invited": "Invited to classroom training",
    "attended": "Attended classroom training",
    "onsite_received": "Received on-site training",
}

#: (site, estimand of the performance family's value added, term) -> truth key.
_TRUTH_KEYS = {
    ("ghana", "late", "attended"): "late_value_added",
    ("ghana", "itt", "invited"): "itt_value_added",
    ("tanzania", "att", "attended"): "att_classroom_value_added",
    ("tanzania", "att", "onsite_received"): "att_onsite_value_added",
}

_PUBLISHED = [
    ("Ghana (10), classroom LATE", 13_890.0, "LATE", 740.0, "participant"),
    ("Tanzania (19), classroom ATT", 4_181.0, "ATT", 2_905.0, "invited"),
    ("Tanzania (19), on-site ATT", 4_038.0, "ATT", 2_043.0, "participant"),
]


def _write_site(site: str, target: Path, seed: int | None) -> list[str]:
    """Put the site's trial into ``target``; return its wave names in survey order."""
    source = bundled_folder(site) if seed is None else None
    if source is not None:
        shutil.copytree(source, target)
        return list(json.loads((target / "meta.json").read_text(encoding="utf-8"))["waves"])
    trial = load_bundled(site) if seed is None else ke.synthetic.simulate_trial(site, seed=seed)
    trial.write(target)
    return list(trial.waves)


def describe_inputs(seed: int | None = None) -> str:
    """Say where the demo's trials come from (the first progress line of the demo).

    Examples
    --------
    >>> describe_inputs(5)
    'simulating new synthetic Ghana and Tanzania trials with seed 5 (not the bundled ones)'
    """
    if seed is not None:
        return (
            f"simulating new synthetic Ghana and Tanzania trials with seed {seed} "
            "(not the bundled ones)"
        )
    seeds = ", ".join(f"{s.capitalize()} seed {BUNDLED_SEEDS[s]}" for s in PLANS)
    folders = [bundled_folder(s) for s in PLANS]
    if all(f is not None for f in folders):
        return f"copying the bundled synthetic trials from {Path(str(folders[0])).parent} ({seeds})"
    return (
        f"regenerating the bundled synthetic trials ({seeds}; the files of data/synthetic/, "
        "bit for bit)"
    )


def write_demo_inputs(directory: Path, seed: int | None = None) -> dict[str, Path]:
    """Write the Ghana and Tanzania trials and their plans; return the plan paths.

    Without ``seed`` these are the bundled trials of ``data/synthetic/``; with it, new trials
    simulated with that seed.
    """
    plans = {}
    for site, text in PLANS.items():
        site_dir = directory / site
        names = _write_site(site, site_dir, seed)
        waves = "{ " + ", ".join(f'{w} = "{w}.parquet"' for w in names) + " }"
        plan_path = site_dir / "plan.toml"
        plan_path.write_text(text.replace("{waves}", waves), encoding="utf-8")
        plans[site] = plan_path
    return plans


def _truth_display(truth: pd.DataFrame) -> pd.DataFrame:
    """Return the estimates-vs-truth table with the words a reader expects (not column names)."""
    return pd.DataFrame(
        {
            "Site": truth["site"].str.capitalize(),
            "Estimand": truth["estimate"],
            "Treatment": truth["term"].map(_TERM_LABELS),
            "Estimate": truth["estimated"],
            "95% CI low": truth["ci_low"],
            "95% CI high": truth["ci_high"],
            "Truth": truth["truth"],
            "Interval covers the truth": truth["covered"].map({True: "yes", False: "no"}),
        }
    ).set_index("Site")


def _published_table() -> pd.DataFrame:
    rows = []
    for label, gain, estimand, cost, per in _PUBLISHED:
        # The paper compares the Tanzania ATT with the cost per invited firm directly, which
        # is the conversion at take-up 1 (almost every invitee attended).
        takeup = 1.0 if per == "invited" else None
        cb = ke.cost_benefit(gain=gain, cost=ke.Cost(cost, per=per), takeup=takeup)
        rows.append(
            {
                "comparison": label,
                "gain (USD/yr)": gain,
                "estimand": estimand,
                "cost (USD)": cost,
                "cost per": per,
                "take-up used": takeup,
                "one-year BCR": cb.bcr,
            }
        )
    return pd.DataFrame(rows).set_index("comparison")


def load_saturation_site() -> SaturationSite:
    """Return the bundled saturation trial: read from ``data/synthetic/saturation/``, else built.

    Reading the files is a little faster than building the trial (the same numbers: the folder
    is :func:`~kaizen_eval.saturation_site` written bit for bit); an installed package without
    the repository's ``data/`` folder builds it.

    Examples
    --------
    >>> site = load_saturation_site()
    >>> len(site.firms), site.truth.terms["spillover:0.5"]
    (715, 0.1)
    """
    folder = bundled_folder("saturation")
    return saturation_site() if folder is None else read_saturation_site(folder)


@fill_doc(DOCS)
def run_demo(
    out: Path,
    *,
    seed: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
    flag: str = "overwrite=True",
) -> dict[str, Any]:
    """Run the demo and write the report into ``out``; return a JSON-able summary.

    The folder (report and data) is built in a hidden sibling folder and appears only when it
    is complete; an existing non-empty ``out`` is replaced only with ``overwrite``.

    Parameters
    ----------
    out : pathlib.Path
        Report folder; the generated trials and plans go to ``out/data``.
    seed : int, optional
        Simulate new trials with this seed instead of analysing the bundled ones (the default).
    progress : bool
        Print one line per step (on standard error, so ``--json`` output stays clean).
    %(param_overwrite)s
    %(param_flag)s

    Returns
    -------
    dict
        ``report`` (path of index.html), ``seconds``, ``headline`` and, per site, the estimates
        of value added next to their truth.
    """
    start = time.perf_counter()
    out = Path(out)

    def say(msg: str) -> None:
        if progress:
            print(f"[{time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    with atomic_folder(out, overwrite=overwrite, flag=flag) as folder:
        say(describe_inputs(seed) + ", and their analysis plans")
        plan_paths = write_demo_inputs(folder / "data", seed)
        report = Report("kaizen_eval demo: synthetic Ghana and Tanzania Kaizen trials")
        report.add_text(
            "About",
            "Synthetic trials shaped like the Kaizen experiments, with known true effects: the "
            "estimates below can be checked against the truth. Each site is analysed from its "
            "analysis plan (data/<site>/plan.toml).",
        )
        truth_rows = []
        headline = []
        sentences: list[str] = []
        labels = {site: site.capitalize() for site in plan_paths}
        plans = {site: load_plan(path) for site, path in plan_paths.items()}
        sites, results = _analyse_sites(plans, labels, report.title, say)
        for site, path in plan_paths.items():
            res = results[labels[site]]
            truth = json.loads((path.parent / "truth.json").read_text(encoding="utf-8"))
            for (s, estimand, term), tkey in _TRUTH_KEYS.items():
                if s != site:
                    continue
                row = res.estimate("performance", estimand, "value_added").term(term)
                truth_rows.append(
                    {
                        "site": site,
                        "estimate": estimand.upper(),
                        "term": term,
                        "estimated": row["estimate"],
                        "ci_low": row["ci_low"],
                        "ci_high": row["ci_high"],
                        "truth": truth[tkey],
                        "covered": bool(row["ci_low"] <= truth[tkey] <= row["ci_high"]),
                    }
                )
            headline.append(f"{site}:\n{res.headline()}")
            sentences += headline_sentences(res, labels[site])
        report.add_headline(
            sentences,
            "Headline (synthetic trials; benefit-cost ratios over one year, undiscounted)",
        )
        truth_table = pd.DataFrame(truth_rows)
        report.add_table(
            "truth",
            _truth_display(truth_table),
            "Estimated effect on annual value added (USD per firm) against the known truth of the "
            "synthetic trial, with the 95% confidence interval.",
            heading="Estimates vs truth",
        )
        report.add_table(
            "published",
            _published_table(),
            "The published one-year comparisons (Ghana case 10, Tanzania case 19; see "
            "replication/published_cost_benefit.py in the repository), reproduced; money in USD.",
            heading="Published cost-benefit comparisons",
            blank="no take-up conversion: the cost is already per participant",
            kinds={"take-up used": "share", "one-year BCR": "ratio"},
        )
        say("pooling the sites")
        pool_path = folder / "data" / "pool.toml"
        pool_path.write_text(POOL, encoding="utf-8")
        cross_site_section(results, load_pool(pool_path), report)
        say("estimating the spillovers of the saturation trial")
        spillover_section(load_saturation_site(), report)
        report.extend(sites)
        say("writing the report")
        report.write_into(folder)
    seconds = time.perf_counter() - start
    say(f"done in {seconds:.1f}s")
    return {
        "report": str(out / "index.html"),
        "seconds": round(seconds, 2),
        "headline": "\n".join(headline),
        "headline_sentences": sentences,
        "truth": truth_table.to_dict(orient="records"),
    }
