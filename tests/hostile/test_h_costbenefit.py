"""Hostile input for the cost-benefit stage (issue 11): infinite or missing gains and costs,
negative costs, fractional horizons, impossible discount rates and shares. Every one is a named
error (the argument and what was expected), never a truncated horizon or an infinite ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval import KaizenError
from kaizen_eval.costbenefit.metrics import (
    bcr,
    breakeven_gain,
    discount_factors,
    internal_rate_of_return,
    npv,
    payback_years,
    present_value,
)

BASE = {"gain": 1_000.0, "cost": 740.0}


@pytest.mark.parametrize("gain", [np.inf, -np.inf, np.nan])
def test_gain_must_be_finite(gain):
    with pytest.raises(KaizenError, match="`gain` must be finite"):
        ke.cost_benefit(gain=gain, cost=740.0)


def test_gain_as_text():
    with pytest.raises(KaizenError, match="`gain` must be a number or an Estimate"):
        ke.cost_benefit(gain="1000", cost=740.0)


@pytest.mark.parametrize("cost", [np.inf, np.nan])
def test_cost_must_be_finite(cost):
    with pytest.raises(KaizenError, match="must be finite"):
        ke.cost_benefit(gain=1_000.0, cost=cost)


def test_negative_cost():
    with pytest.raises(KaizenError, match=r"a cost must be non-negative\. You passed: -5"):
        ke.cost_benefit(gain=1_000.0, cost=-5.0)


def test_zero_cost_has_no_ratio():
    with pytest.raises(KaizenError, match="the cost is zero: the benefit-cost ratio is undefined"):
        ke.cost_benefit(gain=1_000.0, cost=0.0)


@pytest.mark.parametrize("years", [2.9, 0.5, 0, -3, True, "3", np.nan, np.inf])
def test_years_must_be_a_positive_whole_number_never_truncated(years):
    with pytest.raises(KaizenError, match=r"`years` must be a positive integer .*never rounded"):
        ke.cost_benefit(**BASE, years=years)


def test_years_as_a_whole_float_is_accepted():
    three = ke.cost_benefit(**BASE, years=3).bcr
    assert ke.cost_benefit(**BASE, years=3.0).bcr == pytest.approx(three, rel=1e-15)


def test_time_profile_does_not_truncate_years():
    # before: time_profile(2.9) silently returned three years
    with pytest.raises(KaizenError, match="`years` must be a positive integer"):
        ke.time_profile(2.9)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"decay": 1.5}, "`decay` must be in"),
        ({"decay": -0.1}, "`decay` must be in"),
        ({"survival": 0.0}, r"`survival` must be in \(0, 1\]"),
        ({"delay": -1.0}, "`delay` must be"),
    ],
)
def test_time_profile_shares(kw, match):
    with pytest.raises(KaizenError, match=match):
        ke.time_profile(3, **kw)


def test_discount_factors_refuse_fractional_years():
    with pytest.raises(KaizenError, match="`years` must be a whole number >= 0"):
        discount_factors(2.9, 0.05)


@pytest.mark.parametrize("rate", [-1.0, -2.0])
def test_discount_rate_at_or_below_minus_one(rate):
    with pytest.raises(KaizenError, match="`discount_rate` must be > -1"):
        ke.cost_benefit(**BASE, discount_rate=rate)


@pytest.mark.parametrize("rate", [np.inf, np.nan, "0.05"])
def test_discount_rate_not_a_finite_number(rate):
    with pytest.raises(KaizenError, match="`discount_rate` must be a finite number"):
        ke.cost_benefit(**BASE, discount_rate=rate)


@pytest.mark.parametrize("decay", [1.01, -0.5, np.nan])
def test_decay_outside_0_1(decay):
    with pytest.raises(KaizenError, match=r"`decay` must be in \[0.0, 1.0\]"):
        ke.cost_benefit(**BASE, years=3, decay=decay)


@pytest.mark.parametrize("survival", [0.0, 1.2])
def test_survival_outside_0_1(survival):
    with pytest.raises(KaizenError, match=r"`survival` must be in \(0.0, 1.0\]"):
        ke.cost_benefit(**BASE, years=3, survival=survival)


@pytest.mark.parametrize("takeup", [0.0, 1.5, -0.2, np.nan])
def test_takeup_outside_0_1(takeup):
    with pytest.raises(KaizenError, match=r"`takeup` must be (in \(0, 1\]|a finite number)"):
        ke.cost_benefit(gain=1_000.0, cost=ke.Cost(500.0, per="invited"), takeup=takeup)


@pytest.mark.parametrize("name", ["spillover_gain", "business_stealing"])
def test_spillovers_must_be_non_negative_and_finite(name):
    for value in (-1.0, np.inf):
        with pytest.raises(KaizenError, match=f"`{name}` must be in"):
            ke.cost_benefit(**BASE, **{name: value})


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, "0.05"])
def test_alpha(alpha):
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.cost_benefit(**BASE, alpha=alpha)


def test_seed_checked_even_without_draws():
    with pytest.raises(KaizenError, match="`seed` must be a non-negative integer"):
        ke.cost_benefit(**BASE, seed="abc")


def test_draws_checked_even_without_draws():
    with pytest.raises(KaizenError, match="`draws` must be an integer >= 2"):
        ke.cost_benefit(**BASE, draws=0)


def test_gain_draws_with_inf():
    with pytest.raises(KaizenError, match="`gain_draws` must hold at least 2 finite draws"):
        ke.cost_benefit(**BASE, gain_draws=[900.0, np.inf, 1_100.0])


def test_cost_basis_mismatch_is_not_compared_silently():
    with pytest.raises(KaizenError, match=r"comparing them would be wrong\. Pass `takeup=`"):
        ke.cost_benefit(gain=1_000.0, cost=ke.Cost(500.0, per="invited"))


def test_cost_basis_spelling():
    with pytest.raises(KaizenError, match="`per` must be one of 'participant', 'invited'"):
        ke.Cost(500.0, per="firm")


def test_cost_structure_negative_component():
    with pytest.raises(KaizenError, match=r"cost component fixed\['venue'\] is negative"):
        ke.CostStructure(fixed={"venue": -1.0}, participants=10)


def test_cost_structure_more_participants_than_invited():
    with pytest.raises(KaizenError, match=r"`invited` \(5\) is smaller than `participants` \(10\)"):
        ke.CostStructure(fixed={"venue": 100.0}, participants=10, invited=5)


def test_bootstrap_gain_seed():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0]})
    with pytest.raises(KaizenError, match="`seed` must be a non-negative integer"):
        ke.bootstrap_gain(df, lambda d: d["y"].mean(), draws=5, seed="abc")


def test_bootstrap_gain_missing_cluster():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": [1, None, 2]})
    with pytest.raises(KaizenError, match="column 'g' has missing values; every row needs"):
        ke.bootstrap_gain(df, lambda d: d["y"].mean(), draws=5, cluster="g")


# --- the pure metrics ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [npv, bcr, payback_years, lambda c, g: internal_rate_of_return(c, g).value],
    ids=["npv", "bcr", "payback", "irr"],
)
@pytest.mark.parametrize("cost", [np.inf, np.nan, "740"])
def test_metrics_refuse_a_cost_that_is_not_a_finite_number(fn, cost):
    with pytest.raises(KaizenError, match="`cost` must be a finite number"):
        fn(cost, [500.0, 500.0])


@pytest.mark.parametrize("gains", [[np.inf, 1.0], [np.nan], []])
def test_metrics_refuse_bad_gains(gains):
    with pytest.raises(KaizenError, match="`gains` must be"):
        present_value(gains, 0.05)


def test_breakeven_gain_offset_must_be_finite():
    with pytest.raises(KaizenError, match="`offset` must be a finite number"):
        breakeven_gain(100.0, [1.0, 1.0], 0.1, offset=np.inf)


def test_present_value_is_right_on_clean_input():
    assert present_value([110.0, 121.0], 0.1) == pytest.approx(200.0, rel=1e-12)
