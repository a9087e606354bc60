import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def tanzania():
    return ke.simulate_trial_power("tanzania", reps=40, seed=5)


def test_estimands_of_the_factorial_and_their_truth(tanzania):
    s = tanzania.summary
    assert list(s.index) == [
        ("ITT", "invited"),
        ("ITT", "onsite"),
        ("ITT", "invited:onsite"),
        ("LATE", "attended"),
        ("LATE", "onsite_received"),
    ]
    assert s.loc[("ITT", "invited:onsite"), "truth"] == 0.0
    assert s["reps"].eq(40).all()
    # each trial's LATE truth is its own realized-sample complier average
    d = tanzania.draws
    assert d.loc[d["term"] == "attended", "truth"].nunique() > 1


def test_estimators_unbiased_and_intervals_cover(tanzania):
    s = tanzania.summary
    mc_se = s["sd"] / np.sqrt(s["reps"])
    assert (s["bias"].abs() < 4 * mc_se).all(), s[["bias", "sd"]]
    # 40 draws: coverage of nominal-95% (conservative) intervals is far from 0.8
    assert (s["coverage"] >= 0.8).all(), s["coverage"]
    assert s.loc[("LATE", "attended"), "power"] > 0.9  # ~4,200 USD effect, SE ~ 570


def test_summary_is_recomputed_from_draws(tanzania):
    d = tanzania.draws
    g = d[d["term"] == "onsite_received"]
    row = tanzania.summary.loc[("LATE", "onsite_received")]
    assert row["mean_estimate"] == pytest.approx(g["estimate"].mean())
    covered = ((g["ci_low"] <= g["truth"]) & (g["truth"] <= g["ci_high"])).mean()
    assert row["coverage"] == pytest.approx(covered)
    assert row["power"] == pytest.approx((g["pvalue"] < 0.05).mean())


def test_reproducible_and_bad_input():
    a = ke.simulate_trial_power("ghana", reps=3, n_firms=120, seed=2)
    b = ke.simulate_trial_power("ghana", reps=3, n_firms=120, seed=2)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    with pytest.raises(ke.KaizenError, match="`site` must be one of"):
        ke.simulate_trial_power("kenya", reps=3)
    with pytest.raises(ke.KaizenError, match="`reps` must be an integer >= 2"):
        ke.simulate_trial_power("ghana", reps=1)
    with pytest.raises(ke.KaizenError, match="`outcome` must be 'value_added'"):
        ke.simulate_trial_power("ghana", reps=3, outcome="profit")
