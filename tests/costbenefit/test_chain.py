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


@pytest.fixture(scope="module")
def tanzania_followup():
    trial = ke.synthetic.simulate_trial("tanzania", seed=0)
    panel = ke.load_waves(trial.waves, id_col="firm_id", codebook=trial.codebook)
    long = panel.long
    fu = long[(long["wave"] == "followup") & (long["status"] == "interviewed")].copy()
    rate = trial.exchange_rates.set_index("wave").loc["followup", "usd_per_unit"]
    fu["value_added"] = (fu["sales"] - fu["inputs"]) * rate
    return fu.dropna(subset=["value_added"]), trial.truth


def test_synthetic_tanzania_full_chain(tanzania_followup):
    # waves -> ATT of classroom and on-site training (2x2 factorial) -> cost-benefit with
    # uncertainty, each compared with the published cost on its basis (DOMAIN.md)
    fu, truth = tanzania_followup
    est = ke.att(
        fu,
        outcome="value_added",
        treatment=["attended", "onsite_received"],
        instrument=["invited", "onsite"],
        fixed_effects="stratum",
    )
    takeup = fu.loc[fu["invited"] == 1, "attended"].mean()
    classroom = ke.cost_benefit(
        gain=est,
        term="attended",
        cost=ke.Cost(2_905, per="invited"),
        takeup=takeup,
        draws=20_000,
        seed=19,
    )
    onsite = ke.cost_benefit(gain=est, term="onsite_received", cost=2_043, draws=20_000, seed=20)
    for cb, term, cost in [
        (classroom, "attended", 2_905 / takeup),
        (onsite, "onsite_received", 2_043.0),
    ]:
        row = est.tidy().loc[term]
        assert cb.gain == row["estimate"] and cb.cost == pytest.approx(cost, rel=1e-14)
        # independent direct Monte Carlo of P(gain > cost) from the estimate's t distribution
        draws = stats.t(row["df"], loc=row["estimate"], scale=row["std_error"]).rvs(
            size=200_000, random_state=np.random.default_rng(7)
        )
        direct = np.mean(draws / cost > 1)
        mc_sd = np.sqrt(direct * (1 - direct) / 20_000)
        assert abs(cb.prob_bcr_above_1 - direct) < 4 * mc_sd + 0.004  # both are Monte Carlo
    # the estimate is near the synthetic truth (4,181 classroom ATT): within 3 standard errors
    row = est.tidy().loc["attended"]
    assert abs(row["estimate"] - truth["att_classroom_value_added"]) < 3 * row["std_error"]
