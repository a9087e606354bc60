"""Metrics against closed forms and independent (numpy-financial-style) definitions."""

import numpy as np
import pytest
from numpy.polynomial import polynomial as P

from kaizen_eval.costbenefit import metrics as m
from kaizen_eval.costbenefit.benefits import BenefitPath, time_profile


# --- independent references (numpy-financial definitions, written from scratch here) -----------
def ref_npv(rate, cashflows):
    """numpy_financial.npv: sum_t cf_t / (1 + rate)^t with cf_0 at t = 0."""
    x = 1.0 / (1.0 + rate)
    return P.polyval(x, np.asarray(cashflows, dtype=float))


def ref_irr(cashflows):
    """numpy_financial.irr: roots of sum_t cf_t x^t, x = 1/(1+r); keep real x > 0."""
    roots = P.polyroots(np.asarray(cashflows, dtype=float))
    real = roots[np.abs(roots.imag) < 1e-10].real
    rates = 1.0 / real[real > 0] - 1.0
    assert rates.size == 1  # one sign change in the cash flows: a unique positive root
    return rates[0]


def annuity(g, r, T):
    return g * T if r == 0 else g * (1 - (1 + r) ** -T) / r


def decaying_annuity(g, r, T, d, s=1.0):
    # sum_{t=1}^T g (1-d)^(t-1) s^t / (1+r)^t = g s/(1+r) (1 - q^T)/(1 - q),  q = (1-d) s/(1+r)
    q = (1 - d) * s / (1 + r)
    return g * s / (1 + r) * (1 - q**T) / (1 - q)


@pytest.mark.parametrize("g, r, T", [(1000.0, 0.05, 10), (13890.0, 0.10, 3), (4038.0, 0.0, 5)])
def test_present_value_of_level_gain_is_the_annuity(g, r, T):
    assert m.present_value([g] * T, r) == pytest.approx(annuity(g, r, T), rel=1e-13)


@pytest.mark.parametrize("d, s", [(0.2, 1.0), (0.1, 0.9), (0.5, 0.95)])
def test_present_value_of_decaying_surviving_gain(d, s):
    g, r, T = 2500.0, 0.07, 8
    gains = BenefitPath(g, years=T, decay=d, survival=s).gains()
    assert m.present_value(gains, r) == pytest.approx(decaying_annuity(g, r, T, d, s), rel=1e-13)


@pytest.mark.parametrize("r", [0.0, 0.03, 0.12])
def test_npv_and_bcr_match_the_numpy_financial_definition(r):
    cost, gains = 2905.0, [4181.0, 3000.0, 1500.0, 800.0]
    expected = ref_npv(r, [-cost, *gains])
    assert m.npv(cost, gains, r) == pytest.approx(expected, rel=1e-13)
    assert m.bcr(cost, gains, r) == pytest.approx((expected + cost) / cost, rel=1e-13)


@pytest.mark.parametrize(
    "cost, gains",
    [
        (740.0, [13890.0]),
        (2905.0, [4181.0] * 3),
        (1000.0, [300.0, 300.0, 300.0, 300.0]),
        (5000.0, [100.0, 2000.0, 2000.0, 2000.0]),
    ],
)
def test_irr_matches_polynomial_roots(cost, gains):
    assert m.irr(cost, gains) == pytest.approx(ref_irr([-cost, *gains]), rel=1e-10, abs=1e-12)


def test_irr_closed_forms():
    assert m.irr(740.0, [13890.0]) == pytest.approx(13890 / 740 - 1, rel=1e-13)
    # two years: c (1+i)^2 = g (1+i) + g  ->  1+i = (g + sqrt(g^2 + 4cg)) / (2c)
    c, g = 1000.0, 600.0
    assert m.irr(c, [g, g]) == pytest.approx(
        (g + np.sqrt(g * g + 4 * c * g)) / (2 * c) - 1, rel=1e-12
    )


def test_irr_negative_and_undefined():
    # gains sum below the cost: the IRR exists but is negative
    assert m.irr(1000.0, [400.0, 400.0]) == pytest.approx(ref_irr([-1000.0, 400.0, 400.0]))
    assert m.irr(1000.0, [400.0, 400.0]) < 0
    res = m.internal_rate_of_return(1000.0, [-5.0, 0.0])
    assert np.isnan(res.value)
    assert "no year has a positive gain" in res.reason


def test_payback_interpolates_discounted_cumulative_gains():
    assert m.payback_years(250.0, [100.0] * 5) == pytest.approx(2.5)
    # discounted: PV_1 = 100/1.1, PV_2 = PV_1 + 100/1.21
    pv1, pv2 = 100 / 1.1, 100 / 1.1 + 100 / 1.21
    assert m.payback_years(150.0, [100.0, 100.0], 0.1) == pytest.approx(
        1 + (150 - pv1) / (pv2 - pv1)
    )
    assert np.isnan(m.payback_years(500.0, [100.0] * 3))


def test_breakeven_years_at_an_integer_horizon_and_never():
    g, r = 1000.0, 0.08
    cost = annuity(g, r, 4)
    assert m.breakeven_years(cost, [g] * 50, r) == pytest.approx(4.0, rel=1e-12)
    # a decaying gain whose infinite discounted sum, g/(1+r)/(1-q), is below the cost
    q = 0.5 / 1.08
    limit = g / 1.08 / (1 - q)
    assert (
        m.breakeven_years(limit * 1.01, BenefitPath(g, years=200, decay=0.5).gains(), r) == np.inf
    )


@pytest.mark.parametrize("r, T", [(0.05, 5), (0.0, 3), (0.1, 1)])
def test_breakeven_gain_is_cost_over_annuity_factor(r, T):
    cost = 2043.0
    expected = cost / annuity(1.0, r, T)
    assert m.breakeven_gain(cost, time_profile(T), r) == pytest.approx(expected, rel=1e-13)
    assert m.npv(cost, [expected] * T, r) == pytest.approx(0.0, abs=1e-9)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="positive cost"):
        m.bcr(0.0, [1.0])
    with pytest.raises(ValueError, match="discount_rate"):
        m.present_value([1.0], -1.0)
    with pytest.raises(ValueError, match="non-empty 1-d"):
        m.npv(1.0, [])


def test_irr_on_random_cash_flows_matches_polynomial_roots():
    rng = np.random.default_rng(2024)
    for _ in range(50):
        T = int(rng.integers(1, 12))
        gains = rng.uniform(0, 5_000, size=T)
        cost = float(rng.uniform(100, 20_000))
        expected = ref_irr([-cost, *gains])
        assert m.irr(cost, gains) == pytest.approx(expected, rel=1e-9, abs=1e-11)
        assert m.npv(cost, gains, m.irr(cost, gains)) == pytest.approx(0.0, abs=1e-6 * cost)
