"""The report's spillover section on the bundled saturation trial.

The section's numbers, read back from the written tables at full precision, are exactly those of
``ke.spillover`` and ``ke.cost_benefit`` called here with the notebook's arguments; the exposure
map is written; the demo report shows the section (the session's ``demo_report``, not a new run).
"""

import re

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval.pipeline._spillover_section import COST_TERMS, spillover_section
from kaizen_eval.pipeline.demo import load_saturation_site
from kaizen_eval.report import Report

TERMS = ["direct", "spillover"] + [f"{k}:{s:g}" for s in (0.25, 0.5, 0.75)
                                   for k in ("direct", "spillover")]  # fmt: skip


@pytest.fixture(scope="module")
def site():
    return load_saturation_site()


@pytest.fixture(scope="module")
def written(site, tmp_path_factory):
    report = Report("Saturation")
    section = spillover_section(site, report)
    out = report.write(tmp_path_factory.mktemp("spill") / "report")
    return out, section


def _direct(site):
    sp = ke.spillover(site.data, outcome="y", treatment="invited", saturation="saturation",
                      cluster="cluster_id", fixed_effects="stratum", se="CR2")  # fmt: skip
    private = ke.cost_benefit(gain=sp, term="direct", cost=0.5, takeup=1.0, years=3,
                              discount_rate=0.1, draws=2_000, seed=3)  # fmt: skip
    social = ke.cost_benefit(gain=sp, term="direct", spillover_gain=sp, cost=0.5, takeup=1.0,
                             years=3, discount_rate=0.1, draws=2_000, seed=3)  # fmt: skip
    return sp, private, social


def test_the_bundled_files_are_the_built_trial(site):
    built = ke.saturation_site()
    pd.testing.assert_frame_equal(site.data, built.data)
    assert dict(site.truth.terms) == dict(built.truth.terms)


def test_the_estimates_are_those_of_spillover(site, written):
    out, _ = written
    sp, _, _ = _direct(site)
    table = pd.read_csv(out / "tables" / "spillover_estimates.csv", index_col=0)
    tidy = sp.tidy().loc[TERMS]
    assert len(table) == len(TERMS)
    for col in ("estimate", "std_error", "ci_low", "ci_high"):
        assert table[col].tolist() == tidy[col].astype(float).tolist(), col
    assert table["Truth"].tolist() == [site.truth.terms[t] for t in TERMS]
    assert list(table.index[:3]) == ["Direct (all saturations)", "Spillover (all saturations)",
                                     "Direct, saturation 25 %"]  # fmt: skip
    test = sp.extra["linear_dose_response"]["spillover"]
    md = (out / "tables" / "spillover_estimates.md").read_text(encoding="utf-8")
    assert f"p = {F.pvalue(test.pvalue)}" in md and "Linear dose-response" in md


def test_the_cost_benefit_is_that_of_cost_benefit(site, written):
    out, section = written
    _, private, social = _direct(site)
    assert COST_TERMS == dict(cost=0.5, takeup=1.0, years=3, discount_rate=0.1, draws=2_000,
                              seed=3)  # fmt: skip
    table = pd.read_csv(out / "tables" / "spillover_cost_benefit.csv", index_col=0)
    for row, cb in zip(table.index, (private, social), strict=True):
        assert table.loc[row, "bcr"] == cb.bcr
        assert (table.loc[row, "bcr_low"], table.loc[row, "bcr_high"]) == cb.bcr_interval
        assert table.loc[row, "prob_bcr_above_1"] == cb.prob_bcr_above_1
    assert table["Annual gain"].iloc[1] == social.gain + social.spillover.value
    assert section.social.bcr == social.bcr and section.social.bcr > section.private.bcr


def test_the_design_table_counts_the_clusters(site, written):
    out, _ = written
    table = pd.read_csv(out / "tables" / "spillover_design.csv", index_col=0)
    assert table["Clusters"].sum() == 60 and table["Firms"].sum() == len(site.firms)
    assert table["Invited firms"].sum() == site.data["invited"].sum()
    assert table["Share invited"].iloc[0] == 0.0


def test_the_exposure_map_is_written(site, written):
    out, section = written
    assert (out / "figures" / "spillover_exposure.png").stat().st_size > 10_000
    assert (out / "figures" / "spillover_exposure.svg").is_file()
    direct = ke.exposure(site.data, id_col="firm_id", lat="lat", lon="lon", treatment="invited",
                         radius_km=1.0)  # fmt: skip
    pd.testing.assert_frame_equal(section.exposure, direct)


def test_the_demo_report_has_the_section(demo_report):
    out, _ = demo_report
    md = (out / "report.md").read_text(encoding="utf-8")
    heads = re.findall(r"^## (.+)$", md, re.M)
    at = heads.index("Spillovers (saturation trial)")
    assert heads[at - 1] == "Across sites" and heads[at + 1] == "Ghana: Data"
    section = md.split("## Spillovers (saturation trial)")[1].split("## Ghana: Data")[0]
    for text in ("Direct (all saturations)", "Spillover, saturation 75 %", "Truth",
                 "Linear dose-response test", "figures/spillover_exposure.png",
                 "Social (with spillover)", "P(BCR > 1)", "0 % (pure control)"):  # fmt: skip
        assert text in section, text
    for name in ("spillover_design", "spillover_estimates", "spillover_cost_benefit"):
        assert (out / "tables" / f"{name}.csv").is_file()
    assert (out / "figures" / "spillover_exposure.png").is_file()
