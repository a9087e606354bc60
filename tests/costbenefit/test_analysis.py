"""ke.cost_benefit: published ratios, basis checks, and the uncertainty of an estimated gain."""

import numpy as np
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval import Estimate
from kaizen_eval._validation import KaizenError


def estimate(value, se, *, estimand="LATE", dof=120.0, terms=("attended",)):
    k = len(terms)
    return Estimate(
        terms=terms,
        coef=[value] * k,
        vcov=np.eye(k) * se**2,
        dof=dof,
        se_type="HC1",
        method="2SLS" if estimand == "LATE" else "OLS",
        estimand=estimand,
        outcome="value_added",
        nobs=int(dof) + 2 if np.isfinite(dof) else 500,
    )


# --- DOMAIN.md's published one-year comparisons, reproduced exactly ----------------------------
def test_ghana_one_year_ratio():
    # Ghana (case 10): LATE 13,890 USD vs 740 USD per participant.
    cb = ke.cost_benefit(gain=13_890, cost=740, years=1, discount_rate=0.0, decay=0.0)
    assert cb.bcr == 13_890 / 740
    assert cb.npv == 13_890 - 740
    assert cb.irr == pytest.approx(13_890 / 740 - 1, rel=1e-13)


def test_tanzania_classroom_ratio_as_published():
    # Tanzania (case 19): ATT 4,181 vs 2,905 per invited firm; the paper compares them directly,
    # which is the take-up = 1 conversion (almost every invitee attended).
    cb = ke.cost_benefit(gain=4_181, cost=ke.Cost(2_905, per="invited"), takeup=1.0)
    assert cb.bcr == 4_181 / 2_905
    assert cb.takeup == 1.0
    lower = ke.cost_benefit(gain=4_181, cost=ke.Cost(2_905, per="invited"), takeup=0.9)
    assert lower.bcr == pytest.approx(4_181 / (2_905 / 0.9), rel=1e-15)
    assert any("converted" in n for n in lower.notes)


def test_tanzania_onsite_ratio():
    cb = ke.cost_benefit(gain=4_038, cost=ke.Cost(2_043, per="participant"))
    assert cb.bcr == 4_038 / 2_043


# --- basis checks ------------------------------------------------------------------------------
def test_per_invited_cost_with_a_late_is_refused():
    with pytest.raises(
        KaizenError,
        match=r"gain \(LATE\) is a gain per participant firm but the "
        r"cost is per invited firm.*Pass `takeup=`",
    ):
        ke.cost_benefit(gain=estimate(13_890, 7_000), cost=ke.Cost(740, per="invited"))


def test_per_participant_cost_with_an_itt_is_refused_or_converted():
    itt = estimate(3_000, 1_500, estimand="ITT", terms=("invited",))
    with pytest.raises(KaizenError, match=r"gain \(ITT\) is a gain per invited firm"):
        ke.cost_benefit(gain=itt, cost=1_000)  # a bare number cost is per participant
    cb = ke.cost_benefit(gain=itt, cost=1_000, takeup=0.6)
    assert cb.basis == "invited"
    assert cb.cost == pytest.approx(600.0)
    # same ratio as LATE = ITT / takeup against the cost per participant
    assert cb.bcr == pytest.approx((3_000 / 0.6) / 1_000, rel=1e-14)


def test_cost_structure_supplies_its_own_takeup():
    cs = ke.CostStructure(
        fixed={"venue": 6_000}, per_participant={"trainer_days": 300}, participants=40, invited=50
    )
    itt = estimate(1_000, 400, estimand="ITT", terms=("invited",))
    cb = ke.cost_benefit(gain=itt, cost=cs)
    assert cb.cost == pytest.approx(0.8 * (6_000 / 40 + 300), rel=1e-14)
    with pytest.raises(KaizenError, match="contradicts the cost structure's own take-up"):
        ke.cost_benefit(gain=itt, cost=cs, takeup=0.5)


def test_estimand_and_gain_basis_conflicts():
    with pytest.raises(KaizenError, match=r"is per participant firm, but `gain_basis='invited'`"):
        ke.cost_benefit(gain=estimate(1.0, 1.0), cost=1, gain_basis="invited")
    odd = estimate(1.0, 1.0, estimand="other")
    with pytest.raises(KaizenError, match="say what unit it is per"):
        ke.cost_benefit(gain=odd, cost=1)
    two = estimate(1.0, 1.0, terms=("a", "b"))
    with pytest.raises(KaizenError, match="pass `term=`"):
        ke.cost_benefit(gain=two, cost=1)
    assert ke.cost_benefit(gain=two, cost=1, term="b").gain == 1.0


def test_argument_errors():
    with pytest.raises(TypeError):
        ke.cost_benefit(13_890, 740)  # keyword-only
    with pytest.raises(KaizenError, match="`cost` must be a number"):
        ke.cost_benefit(gain=1.0, cost="740")
    with pytest.raises(KaizenError, match="the cost is zero"):
        ke.cost_benefit(gain=1.0, cost=0)
    with pytest.raises(KaizenError, match="`years` must be a positive integer"):
        ke.cost_benefit(gain=1.0, cost=1, years=0)


# --- multi-year metrics through the public function --------------------------------------------
def test_multi_year_matches_growing_annuity_and_breakeven():
    g, c, r, d, s, T = 4_181.0, 2_905.0, 0.05, 0.2, 0.95, 5
    cb = ke.cost_benefit(gain=g, cost=c, years=T, discount_rate=r, decay=d, survival=s)
    q = (1 - d) * s / (1 + r)
    pv = g * s / (1 + r) * (1 - q**T) / (1 - q)
    assert cb.pv_gains == pytest.approx(pv, rel=1e-13)
    assert cb.bcr == pytest.approx(pv / c, rel=1e-13)
    assert cb.breakeven_gain == pytest.approx(c / (pv / g), rel=1e-13)
    assert cb.payback_years == pytest.approx(cb.breakeven_years)  # reached within the horizon
    # a tiny gain that decays: the infinite discounted sum is below the cost
    never = ke.cost_benefit(gain=100, cost=c, years=T, discount_rate=r, decay=d)
    assert never.breakeven_years == np.inf and np.isnan(never.payback_years)


def test_breakeven_years_beyond_the_horizon():
    # 1-year horizon, gain 1000/yr, cost 2500, no discounting: break-even after 2.5 years
    cb = ke.cost_benefit(gain=1_000, cost=2_500, years=1)
    assert cb.bcr == 0.4
    assert np.isnan(cb.payback_years)
    assert cb.breakeven_years == pytest.approx(2.5)


def test_spillovers_enter_the_net_gain():
    cb = ke.cost_benefit(gain=1_000, cost=500, spillover_gain=200, business_stealing=300)
    assert cb.bcr == pytest.approx(900 / 500)
    assert cb.breakeven_gain == pytest.approx(500 + 100)


# --- uncertainty -------------------------------------------------------------------------------
@pytest.mark.parametrize("dof", [30.0, np.inf])
def test_prob_bcr_above_1_one_year_equals_tail_probability(dof):
    est, se, cost = 3_000.0, 2_000.0, 2_500.0
    cb = ke.cost_benefit(gain=estimate(est, se, dof=dof), cost=cost, draws=20_000, seed=11)
    dist = stats.t(dof) if np.isfinite(dof) else stats.norm
    exact = dist.sf((cost - est) / se)  # P(BCR > 1) = P(gain > cost)
    mc_se = np.sqrt(exact * (1 - exact) / 20_000)
    assert abs(cb.prob_bcr_above_1 - exact) < 4 * mc_se  # Monte Carlo error, 4 standard errors


def test_prob_bcr_above_1_multi_year_against_independent_monte_carlo():
    est, se, dof, cost, r, d, T = 1_200.0, 900.0, 60.0, 2_905.0, 0.1, 0.15, 4
    cb = ke.cost_benefit(
        gain=estimate(est, se, dof=dof, estimand="ATT"),
        cost=cost,
        years=T,
        discount_rate=r,
        decay=d,
        draws=20_000,
        seed=3,
    )
    # independent: own draws, own present-value factor from the closed form
    q = (1 - d) / (1 + r)
    factor = 1 / (1 + r) * (1 - q**T) / (1 - q)
    rng = np.random.default_rng(12345)
    gains = est + se * rng.standard_t(dof, size=200_000)
    mc = np.mean(gains * factor / cost > 1)
    exact = stats.t(dof).sf((cost / factor - est) / se)
    assert mc == pytest.approx(exact, abs=0.005)  # 200k draws: MC sd ~0.001
    mc_se = np.sqrt(exact * (1 - exact) / 20_000)
    assert abs(cb.prob_bcr_above_1 - exact) < 4 * mc_se
    lo, hi = cb.bcr_interval
    q_lo, q_hi = (est + se * stats.t(dof).ppf([0.025, 0.975])) * factor / cost
    assert lo == pytest.approx(q_lo, rel=0.05)  # percentile of 20k draws vs exact quantile
    assert hi == pytest.approx(q_hi, rel=0.05)
    assert cb.table().loc["prob_bcr_above_1", "value"] == cb.prob_bcr_above_1


def test_draws_are_reproducible_and_use_the_seed():
    e = estimate(1_000.0, 500.0)
    a = ke.cost_benefit(gain=e, cost=800, draws=500, seed=1)
    b = ke.cost_benefit(gain=e, cost=800, draws=500, seed=np.random.default_rng(1))
    c = ke.cost_benefit(gain=e, cost=800, draws=500, seed=2)
    np.testing.assert_array_equal(a.draws["bcr"], b.draws["bcr"])
    assert not np.array_equal(a.draws["bcr"], c.draws["bcr"])
    assert ke.cost_benefit(gain=1_000.0, cost=800).prob_bcr_above_1 is None


def test_bootstrap_gain_draws():
    rng = np.random.default_rng(0)
    import pandas as pd

    df = pd.DataFrame({"y": rng.normal(1_000, 3_000, size=400), "s": np.repeat(["a", "b"], 200)})
    reps = ke.bootstrap_gain(df, lambda d: d["y"].mean(), draws=300, strata="s", seed=5)
    assert reps.std(ddof=1) == pytest.approx(3_000 / np.sqrt(400), rel=0.2)  # bootstrap noise
    cb = ke.cost_benefit(gain=float(df["y"].mean()), cost=800, gain_draws=reps)
    assert cb.distribution.method == "bootstrap"
    assert cb.prob_bcr_above_1 == pytest.approx(np.mean(reps / 800 > 1))


def test_summary_and_repr():
    cb = ke.cost_benefit(gain=estimate(13_890, 7_000), cost=740, years=3, discount_rate=0.05)
    text = repr(cb)
    assert "Cost-benefit per participant firm (gain: LATE)" in text
    assert "P(BCR > 1)" in text and "prob_bcr_above_1" not in text  # labelled (issue 14)
    assert "percentile intervals over 10,000 t draws" in text


def test_negative_gain_has_no_irr_and_never_breaks_even():
    cb = ke.cost_benefit(gain=-500, cost=740, years=3)
    assert cb.bcr == pytest.approx(-1_500 / 740)
    assert np.isnan(cb.irr) and "no year has a positive gain" in cb.irr_reason
    assert np.isnan(cb.payback_years) and cb.breakeven_years == np.inf
    assert "IRR: no year has a positive gain" in cb.summary()


def test_result_is_immutable_and_renders_html():
    import dataclasses

    cb = ke.cost_benefit(gain=13_890, cost=740)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cb.bcr = 1.0
    with pytest.raises(ValueError, match="read-only"):
        cb.gains[0] = 0.0
    assert "<table" in cb._repr_html_()


def test_yearly_path_reconciles_with_the_metrics():
    cb = ke.cost_benefit(gain=4_181, cost=2_905, years=4, discount_rate=0.1, decay=0.25, delay=1)
    y = cb.yearly()
    assert y["cumulative_pv"].iloc[-1] == pytest.approx(cb.pv_gains, rel=1e-14)
    assert y["balance"].iloc[-1] == pytest.approx(cb.npv, rel=1e-14)
    np.testing.assert_allclose(y["net_gain"], cb.gains)
    np.testing.assert_allclose(y["share"], [0.5, 1.0, 0.75, 0.5625])
