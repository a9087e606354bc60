"""``simulate_power(response_rate=...)``: attrition in the simulated power, against the formula."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def asg():
    return ke.assign(pd.DataFrame({"firm_id": range(400)}), seed=1)


def test_full_response_leaves_the_simulation_unchanged(asg):
    a = ke.simulate_power(asg, effects={"invited": 0.3}, sims=50, seed=4)
    b = ke.simulate_power(asg, effects={"invited": 0.3}, sims=50, seed=4, response_rate=1.0)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_simulated_power_with_attrition_matches_the_analytic_mde(asg):
    effect = ke.mde(400, response_rate=(0.9, 0.6), distribution="t")
    sp = ke.simulate_power(
        asg, effects={"invited": effect}, sims=600, seed=7, response_rate=(0.9, 0.6)
    )
    power = sp.table.loc["invited", "power"]
    assert power == pytest.approx(0.80, abs=3 * np.sqrt(0.8 * 0.2 / 600))  # 0.049
    full = ke.simulate_power(asg, effects={"invited": effect}, sims=600, seed=7)
    assert full.table.loc["invited", "power"] > power + 0.05  # attrition costs power
    assert abs(sp.table.loc["invited", "bias"]) < 0.03  # missing at random: no bias


def test_outcomes_resampled_from_a_pilot(asg):
    rng = np.random.default_rng(3)
    pilot = pd.Series(np.exp(rng.normal(size=250)) * 1_000)  # skewed, like value added
    sd = float(pilot.std(ddof=0))
    effect = ke.mde(400, sd=sd, distribution="t")
    sp = ke.simulate_power(asg, effects={"invited": effect}, sims=600, seed=5, pilot=pilot)
    row = sp.table.loc["invited"]
    assert row["power"] == pytest.approx(0.80, abs=3 * np.sqrt(0.8 * 0.2 / 600))
    assert abs(row["bias"]) < 4 * row["sd_estimate"] / np.sqrt(600)  # 4 Monte Carlo s.e.
    assert row["sd_estimate"] == pytest.approx(sd * np.sqrt(4 / 400), rel=0.1)
    # with attrition as well
    both = ke.simulate_power(
        asg, effects={"invited": effect}, sims=200, seed=5, pilot=pilot, response_rate=0.7
    )
    assert both.table.loc["invited", "power"] < row["power"]


def test_bad_pilot(asg):
    from kaizen_eval._validation import KaizenError

    with pytest.raises(KaizenError, match="missing or infinite"):
        ke.simulate_power(asg, effects={"invited": 0.3}, pilot=[1.0, np.nan, 2.0])
    with pytest.raises(KaizenError, match="leave `sd`, `r2` and `icc`"):
        ke.simulate_power(asg, effects={"invited": 0.3}, pilot=[1.0, 2.0], r2=0.3)
    with pytest.raises(KaizenError, match="two distinct"):
        ke.simulate_power(asg, effects={"invited": 0.3}, pilot=[1.0, 1.0])
