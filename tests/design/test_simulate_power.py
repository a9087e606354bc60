"""Simulation-based power against the analytic formulas, and its bias/coverage in a factorial."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def test_power_at_the_analytic_mde_is_the_target():
    asg = ke.assign(pd.DataFrame({"firm_id": range(400)}), seed=1)
    effect = ke.mde(400, distribution="t")
    sp = ke.simulate_power(asg, effects={"invited": effect}, sims=2000, seed=3)
    row = sp.table.loc["invited"]
    # Monte Carlo SE of the power is sqrt(0.16 / 2000) ≈ 0.009: 0.036 is 4 SE
    assert abs(row["power"] - 0.8) < 0.036
    assert abs(row["coverage"] - 0.95) < 0.02  # SE ≈ 0.0049
    assert abs(row["bias"]) < 4 * row["sd_estimate"] / np.sqrt(2000)


def test_clustered_design_matches_design_effect():
    f = pd.DataFrame({"firm_id": range(400), "cl": np.repeat(np.arange(80), 5)})
    asg = ke.assign(f, cluster="cl", seed=2)
    effect = ke.mde(400, icc=0.2, cluster_size=5, distribution="t")
    sp = ke.simulate_power(asg, effects={"invited": effect}, icc=0.2, sims=1500, seed=4)
    row = sp.table.loc["invited"]
    assert sp.se_type == "CR1"
    # SE ≈ 0.0103; 0.045 allows for CR1 (G - 1 df) vs the formula's J - 2 df
    assert abs(row["power"] - 0.8) < 0.045
    assert abs(row["coverage"] - 0.95) < 0.025


def test_factorial_with_interaction_and_rerandomization_is_unbiased():
    f = pd.DataFrame({"firm_id": range(240), "s": np.arange(240) % 4, "z": np.arange(240) % 7})
    asg = ke.assign(
        f,
        strata="s",
        seed=5,
        stage2=ke.Stage(arms={"onsite": 0.5}, strata="s"),
        rerandomize=ke.Rerandomize(covariates=["z"], bound=1.0),
    )
    effects = {"invited": 0.3, "onsite": 0.2, "invited:onsite": -0.1}
    sp = ke.simulate_power(asg, effects=effects, r2=0.3, sims=600, seed=6)
    t = sp.table
    assert list(t.index) == list(effects)
    assert (t["effect"] == pd.Series(effects)).all()
    assert (t["bias"].abs() < 4 * t["sd_estimate"] / np.sqrt(600)).all()
    assert (t["coverage"].sub(0.95).abs() < 0.036).all()  # SE ≈ 0.0089
    assert t.loc["invited", "power"] > t.loc["invited:onsite", "power"]


def test_bad_terms_and_progress(capsys):
    asg = ke.assign(pd.DataFrame({"firm_id": range(20)}), seed=0)
    with pytest.raises(KaizenError, match=r"term 'onsite' is not an arm"):
        ke.simulate_power(asg, effects={"onsite": 1.0})
    with pytest.raises(KaizenError, match=r"`sims` must be an integer >= 2"):
        ke.simulate_power(asg, effects={"invited": 1.0}, sims=1)
    ke.simulate_power(asg, effects={"invited": 1.0}, sims=5, progress=True)
    assert "5/5" in capsys.readouterr().err
