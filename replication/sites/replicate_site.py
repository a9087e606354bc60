"""Regenerate a synthetic site's paper-style tables and compare the estimates with the truth.

Run (from anywhere)::

    python replication/sites/replicate_site.py ghana --out out/ghana
    python replication/sites/replicate_site.py all --out out      # one sub-folder per site

For each site of ``data/synthetic`` (Ghana, Tanzania, Vietnam, Ethiopia) the script loads the
waves as delivered through the codebook, converts sales and inputs to USD with each wave's
exchange rate, computes annual value added and the management-practice score (share of the 20
practices adopted), and estimates on the last survey wave

* the ITT of the random assignment(s) by OLS, and
* the effect of take-up by 2SLS, the assignment(s) instrumenting the take-up(s): the LATE in
  Ghana, Vietnam and Ethiopia, the ATT in Tanzania (take-up ≈ 96%; with one-sided
  non-compliance the 2SLS estimate is the effect on participants),

on value added, the management score and survival (``operating``: 1 if the firm still operates,
0 if it closed, missing if it was not found), each with randomization-strata fixed effects, HC1
(Stata ``robust``) standard errors and, for value added and the score, ANCOVA on the baseline
value of the outcome (McKenzie's dummy for a missing baseline). In the factorial sites (2×2:
classroom invitation × on-site training) both arms enter together, and ``attended`` and
``onsite_received`` are instrumented by ``invited`` and ``onsite``.

Where the site has a "survey 2" between the classroom and the on-site training (Vietnam,
Ethiopia), the classroom ITT and LATE on value added and the score are also estimated there
(on-site training had not started; its truth is half the classroom effect on value added).

Outputs in the ``--out`` folder: ``<site>_results.{md,tex,csv}`` (the paper-style table with
control mean and N; the CSV holds the same numbers at full precision) and ``<site>_truth.csv``
(each estimate next to the synthetic truth and whether its 95% confidence interval covers it).
``<site>_survey2_*`` files hold the survey-2 tables. Everything is also printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import kaizen_eval as ke
from kaizen_eval.synthetic.frame import ANCOVA_OUTCOMES, analysis_frame

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"
OUTCOMES = {
    "value_added": "Value added (USD)",
    "score_overall": "Management score",
    "operating": "Survival",
}
#: Outcomes with a baseline value (ANCOVA); every firm operated at baseline.
ANCOVA = ANCOVA_OUTCOMES


@dataclass(frozen=True)
class Site:
    """How a site was designed and which truth key each estimate targets."""

    assignment: tuple[str, ...]
    takeup: tuple[str, ...]
    estimand: str  # "late" or "att": the 2SLS estimand of take-up
    # (estimand, outcome, term) -> key of truth.json
    truth: dict[tuple[str, str, str], str]


def _factorial(prefix: str, classroom: str) -> dict[tuple[str, str, str], str]:
    survival = {(prefix, "operating", "attended"): "late_survival"} if prefix == "late" else {}
    return survival | {
        ("itt", "operating", "invited"): "itt_survival",
        ("itt", "value_added", "invited"): "itt_value_added",
        ("itt", "value_added", "onsite"): "itt_onsite_value_added",
        (prefix, "value_added", "attended"): f"{prefix}_{classroom}value_added",
        (prefix, "value_added", "onsite_received"): f"{prefix}_onsite_value_added",
        (prefix, "score_overall", "attended"): f"{prefix}_{classroom}management_score",
        (prefix, "score_overall", "onsite_received"): f"{prefix}_onsite_management_score",
    }


SITES: dict[str, Site] = {
    "ghana": Site(
        assignment=("invited",),
        takeup=("attended",),
        estimand="late",
        truth={
            ("itt", "value_added", "invited"): "itt_value_added",
            ("late", "value_added", "attended"): "late_value_added",
            ("late", "score_overall", "attended"): "late_management_score",
            ("itt", "operating", "invited"): "itt_survival",
            ("late", "operating", "attended"): "late_survival",
        },
    ),
    "tanzania": Site(
        assignment=("invited", "onsite"),
        takeup=("attended", "onsite_received"),
        estimand="att",
        truth=_factorial("att", "classroom_"),
    ),
    "vietnam": Site(
        assignment=("invited", "onsite"),
        takeup=("attended", "onsite_received"),
        estimand="late",
        truth=_factorial("late", ""),
    ),
    "ethiopia": Site(
        assignment=("invited", "onsite"),
        takeup=("attended", "onsite_received"),
        estimand="late",
        truth=_factorial("late", ""),
    ),
}


def site_waves(site: str, data: Path = DATA) -> list[str]:
    """The survey waves of a site, in order."""
    meta = json.loads((Path(data) / site / "meta.json").read_text(encoding="utf-8"))
    return list(meta["waves"])


#: Survey 2 (Vietnam, Ethiopia): after the classroom training, before on-site training started.
SURVEY2 = Site(
    assignment=("invited",),
    takeup=("attended",),
    estimand="late",
    truth={
        ("late", "value_added", "attended"): "late_value_added_survey2",
        ("late", "score_overall", "attended"): "late_management_score_survey2",
    },
)


def load_site(
    site: str, data: Path = DATA, wave: str | None = None
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Analysis frame of ``wave`` (default: the last) with ``<outcome>_baseline`` columns, and the
    truth of a site."""
    folder = Path(data) / site
    waves = site_waves(site, data)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    frame = analysis_frame(
        {w: folder / f"{w}.parquet" for w in waves},
        codebook=folder / "codebook.csv",
        exchange_rates=ke.read_wave(folder / "exchange_rates.csv"),
        items=ke.read_wave(folder / "items.csv"),
        wave=wave,
    )
    return frame, truth


def estimate_site(
    frame: pd.DataFrame, site: Site, outcomes: Sequence[str] = tuple(OUTCOMES)
) -> dict[tuple[str, str], ke.Estimate]:
    """ITT and LATE/ATT of each outcome: ``(estimand, outcome) -> Estimate``."""
    out = {}
    for outcome in outcomes:
        spec = {
            "outcome": outcome,
            "fixed_effects": "stratum",
            "baseline": f"{outcome}_baseline" if outcome in ANCOVA else None,
            "se": "HC1",
        }
        out["itt", outcome] = ke.itt(frame, treatment=list(site.assignment), **spec)
        iv = ke.att if site.estimand == "att" else ke.late
        out[site.estimand, outcome] = iv(
            frame, treatment=list(site.takeup), instrument=list(site.assignment), **spec
        )
    return out


def results_table(estimates: dict[tuple[str, str], ke.Estimate]) -> ke.ResultsTable:
    """Paper-style table: one column per (outcome, estimand), control mean and N."""
    return ke.results_table(_columns(estimates), stars=True)


def _columns(estimates: dict[tuple[str, str], ke.Estimate]) -> dict[str, ke.Estimate]:
    order = list(OUTCOMES)
    ordered = sorted(estimates.items(), key=lambda kv: order.index(kv[0][1]))
    return {f"{OUTCOMES[outcome]}: {estimand.upper()}": est for (estimand, outcome), est in ordered}


def numbers_table(estimates: dict[tuple[str, str], ke.Estimate]) -> pd.DataFrame:
    """The table's numbers at full precision, one row per cell, with control mean and N."""
    rows = []
    for column, est in _columns(estimates).items():
        tidy = est.tidy().reset_index()
        tidy.insert(0, "column", column)
        rows.append(tidy.assign(control_mean=est.control_mean, nobs=est.nobs, se_type=est.se_type))
    return pd.concat(rows, ignore_index=True)


def truth_table(
    estimates: dict[tuple[str, str], ke.Estimate], site: Site, truth: dict[str, float]
) -> pd.DataFrame:
    """Each estimate with a known truth: estimate, SE, 95% CI, truth and coverage."""
    rows = []
    for (estimand, outcome, term), key in site.truth.items():
        t = estimates[estimand, outcome].term(term)
        rows.append(
            {
                "estimand": estimand.upper(),
                "outcome": outcome,
                "term": term,
                "estimate": t["estimate"],
                "std_error": t["std_error"],
                "ci_low": t["ci_low"],
                "ci_high": t["ci_high"],
                "truth_key": key,
                "truth": truth[key],
                "covered": bool(t["ci_low"] <= truth[key] <= t["ci_high"]),
            }
        )
    return pd.DataFrame(rows)


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.4f}"


def _analyse(
    site: str,
    config: Site,
    wave: str | None,
    outcomes: Sequence[str],
    name: str,
    out: Path | None,
    data: Path,
) -> dict[str, object]:
    frame, truth = load_site(site, data, wave)
    estimates = estimate_site(frame, config, outcomes)
    table = results_table(estimates)
    vs_truth = truth_table(estimates, config, truth)
    title = "the last wave" if wave is None else wave
    print(f"## {site.capitalize()}: ITT and {config.estimand.upper()} at {title}\n")
    print(table.to_markdown())
    print("Estimates vs the synthetic truth:")
    print(vs_truth.drop(columns="truth_key").to_string(index=False, float_format=_number))
    print()
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}_results.md").write_text(table.to_markdown(), encoding="utf-8")
        (out / f"{name}_results.tex").write_text(table.to_latex(), encoding="utf-8")
        numbers_table(estimates).to_csv(out / f"{name}_results.csv", index=False)
        vs_truth.to_csv(out / f"{name}_truth.csv", index=False)
    return {"frame": frame, "estimates": estimates, "table": table, "truth": vs_truth}


def replicate(site: str, out: Path | None = None, data: Path = DATA) -> dict[str, object]:
    """Estimate one site, print its tables and write them to ``out`` (if given).

    Returns the last wave's ``frame``, ``estimates``, ``table`` and ``truth`` (estimates vs
    truth), and under ``"survey2"`` the same for survey 2 when the site has it (else ``None``).
    """
    res = _analyse(site, SITES[site], None, tuple(OUTCOMES), site, out, data)
    res["survey2"] = None
    if "survey2" in site_waves(site, data):
        res["survey2"] = _analyse(site, SURVEY2, "survey2", ANCOVA, f"{site}_survey2", out, data)
    return res


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``replicate_site.py SITE [--out DIR] [--data DIR]``; SITE may be ``all``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", choices=[*SITES, "all"])
    parser.add_argument("--out", type=Path, default=None, help="folder for md/tex/csv tables")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the synthetic sites")
    args = parser.parse_args(argv)
    sites = list(SITES) if args.site == "all" else [args.site]
    for site in sites:
        out = args.out / site if args.out is not None and args.site == "all" else args.out
        replicate(site, out, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
