"""On every synthetic site (seed 0) the estimators' 95% intervals contain the true effects.

This runs the whole chain a user runs: simulate the trial, load the waves through the codebook,
value added in USD, then ITT / LATE / ATT with strata fixed effects and the baseline value added
(McKenzie's missing-baseline dummy keeps firms without a baseline).
"""

from functools import cache

import pytest

import kaizen_eval as ke

SITES = ("ghana", "tanzania", "vietnam", "ethiopia")


@cache
def _loaded(site):
    """Simulate and load each site once for this module (the tests only read them)."""
    trial = ke.synthetic.simulate_trial(site, seed=0)
    return trial, ke.load_waves(trial.waves, id_col="firm_id", codebook=trial.codebook)


def _followup(site):
    trial, panel = _loaded(site)
    long = panel.long.assign(va=lambda d: d["sales"] - d["inputs"])
    long = ke.to_usd(long, "va", rates=trial.exchange_rates)
    base = long[long["wave"] == panel.waves[0]][["firm_id", "va_usd"]]
    last = long[long["wave"] == panel.waves[-1]]
    df = last.merge(base.rename(columns={"va_usd": "va0"}), on="firm_id", how="left")
    return df.assign(stratum=df["stratum"].astype(str)), trial.truth


@pytest.mark.parametrize("site", SITES)
def test_itt_and_late_cover_the_truth(site):
    df, truth = _followup(site)
    common = {"outcome": "va_usd", "fixed_effects": "stratum", "baseline": "va0"}
    itt = ke.itt(df, treatment="invited", **common)
    late = ke.late(df, treatment="attended", instrument="invited", **common)
    assert itt.ci_low <= truth["itt_value_added"] <= itt.ci_high
    assert late.ci_low <= truth["late_value_added"] <= late.ci_high
    assert truth["late_value_added"] in late.extra["anderson_rubin"]
    assert late.nobs + len(late.dropped) == len(df)


@pytest.mark.parametrize("site", ["tanzania", "vietnam", "ethiopia"])
def test_factorial_sites_two_treatments_cover_the_truth(site):
    df, truth = _followup(site)
    att = ke.att(
        df,
        outcome="va_usd",
        treatment=["attended", "onsite_received"],
        instrument=["invited", "onsite"],
        fixed_effects="stratum",
        baseline="va0",
    )
    t = att.tidy()
    assert att.estimand == "ATT"
    assert t.loc["attended", "ci_low"] <= truth["att_classroom_value_added"]
    assert truth["att_classroom_value_added"] <= t.loc["attended", "ci_high"]
    assert t.loc["onsite_received", "ci_low"] <= truth["att_onsite_value_added"]
    assert truth["att_onsite_value_added"] <= t.loc["onsite_received", "ci_high"]


@pytest.mark.parametrize("site", SITES)
def test_survival_is_an_outcome_too(site):
    trial, panel = _loaded(site)
    last = panel.long[panel.long["wave"] == panel.waves[-1]]
    df = last.assign(
        survived=(last["status"] != "closed").astype(int), stratum=last["stratum"].astype(str)
    )
    itt = ke.itt(df, outcome="survived", treatment="invited", fixed_effects="stratum")
    late = ke.late(
        df, outcome="survived", treatment="attended", instrument="invited", fixed_effects="stratum"
    )
    assert itt.nobs == len(df)  # every firm has a survival status: none is dropped
    assert itt.ci_low <= trial.truth["itt_survival"] <= itt.ci_high
    assert late.ci_low <= trial.truth["late_survival"] <= late.ci_high
