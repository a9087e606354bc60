"""Estimate -> cost-benefit: the chain on simulated invitation data, checked independently."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


@pytest.fixture
def invitation_trial():
    # Tanzania-like: random invitation, almost full take-up, ATT of 4,000 USD on value added
    rng = np.random.default_rng(19)
    n = 400
    invited = rng.integers(0, 2, n)
    attended = invited * (rng.random(n) < 0.95)
    value_added = 5_000 + 4_000 * attended + rng.normal(0, 9_000, n)
    return pd.DataFrame({"invited": invited, "attended": attended, "value_added": value_added})


def test_att_to_cost_benefit_with_uncertainty(invitation_trial):
    df = invitation_trial
    est = ke.att(df, outcome="value_added", treatment="attended", instrument="invited")
    takeup = df.loc[df["invited"] == 1, "attended"].mean()
    r, T, d = 0.05, 3, 0.2
    with pytest.raises(KaizenError, match="per invited firm"):
        ke.cost_benefit(gain=est, cost=ke.Cost(2_905, per="invited"))
    cb = ke.cost_benefit(
        gain=est,
        cost=ke.Cost(2_905, per="invited"),
        takeup=takeup,
        years=T,
        discount_rate=r,
        decay=d,
        draws=20_000,
        seed=8,
    )
    assert cb.estimand == "ATT" and cb.basis == "participant"
    cost = 2_905 / takeup
    assert cb.cost == pytest.approx(cost, rel=1e-14)
    # independent direct Monte Carlo from the estimate's tidy row (scipy's t sampler, own PV)
    row = est.tidy().iloc[0]
    q = (1 - d) / (1 + r)
    factor = (1 - q**T) / (1 + r) / (1 - q)
    gains = row["estimate"] + row["std_error"] * stats.t(row["df"]).rvs(
        size=200_000, random_state=np.random.default_rng(99)
    )
    direct = np.mean(gains * factor > cost)
    exact = stats.t(row["df"]).sf((cost / factor - row["estimate"]) / row["std_error"])
    assert direct == pytest.approx(exact, abs=0.005)  # 200k draws: MC sd < 0.0011
    mc_sd = np.sqrt(exact * (1 - exact) / 20_000)
    assert abs(cb.prob_bcr_above_1 - direct) < 4 * mc_sd + 0.005
    assert cb.bcr == pytest.approx(row["estimate"] * factor / cost, rel=1e-12)


def test_itt_needs_a_per_invited_cost(invitation_trial):
    est = ke.itt(invitation_trial, outcome="value_added", treatment="invited")
    assert est.estimand == "ITT"
    with pytest.raises(KaizenError, match=r"gain \(ITT\) is a gain per invited firm"):
        ke.cost_benefit(gain=est, cost=ke.Cost(3_000, per="participant"))
    cb = ke.cost_benefit(gain=est, cost=ke.Cost(2_905, per="invited"))
    assert cb.bcr == pytest.approx(est.estimate / 2_905, rel=1e-14)
