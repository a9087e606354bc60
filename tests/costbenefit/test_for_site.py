"""``ke.cost_benefit(gain=pooled, for_site=...)``: the roll-out question across sites.

With a frequentist pooled gain the new site's gain is ``mu + sqrt(se**2 + tau2) e`` and the
average site's ``mu + se e``; PV is linear in the gain, so ``P(BCR > 1)`` has the closed form
``1 - Phi((breakeven_gain - mu) / sd)``, which the Monte Carlo share must match within its error.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke

SITES = pd.DataFrame(
    {
        "estimate": [13_890.0, 4_181.0, 2_500.0, 1_500.0],
        "std_error": [5_000.0, 1_500.0, 1_200.0, 900.0],
    },
    index=["ghana", "tanzania", "vietnam", "ethiopia"],
)


def _late(value: float, se: float) -> ke.Estimate:
    return ke.Estimate(
        terms=("attended",),
        coef=[value],
        vcov=[[se**2]],
        dof=np.inf,
        se_type="HC1",
        method="2SLS",
        estimand="LATE",
        outcome="value_added",
        nobs=200,
    )


@pytest.fixture(scope="module")
def pooled():
    est = {s: _late(r.estimate, r.std_error) for s, r in SITES.iterrows()}
    return ke.pool_sites(est, method="REML")


def test_new_site_draws_are_the_predictive_draws(pooled):
    cb = ke.cost_benefit(
        gain=pooled, cost=2_000, years=3, discount_rate=0.1, for_site="new", draws=5_000, seed=4
    )
    np.testing.assert_array_equal(cb.draws["gain"].to_numpy(), pooled.draws(5_000, seed=4))
    assert cb.gain == pooled.mu
    assert cb.basis == "participant" and cb.estimand == "LATE"


@pytest.mark.parametrize("for_site", ["new", "average"])
def test_prob_bcr_above_1_matches_closed_form(pooled, for_site):
    n = 400_000
    cb = ke.cost_benefit(
        gain=pooled, cost=3_000, years=2, discount_rate=0.05, for_site=for_site, draws=n, seed=1
    )
    sd = np.sqrt(pooled.std_error**2 + (pooled.tau2 if for_site == "new" else 0.0))
    exact = 1 - stats.norm.cdf((cb.breakeven_gain - pooled.mu) / sd)
    mc_se = np.sqrt(exact * (1 - exact) / n)
    assert abs(cb.prob_bcr_above_1 - exact) < 5 * mc_se


def test_new_site_is_less_sure_than_the_average_site(pooled):
    kw = {"gain": pooled, "cost": 3_000, "years": 3, "draws": 50_000, "seed": 2}
    new = ke.cost_benefit(**kw, for_site="new")
    avg = ke.cost_benefit(**kw, for_site="average")
    assert pooled.tau2 > 0
    lo_n, hi_n = new.bcr_interval
    lo_a, hi_a = avg.bcr_interval
    assert lo_n < lo_a and hi_n > hi_a
    assert new.bcr == avg.bcr  # same point value: mu


def test_default_is_new_site_with_a_note(pooled):
    cb = ke.cost_benefit(gain=pooled, cost=2_000, draws=1_000)
    assert any("new site" in n for n in cb.notes)
    np.testing.assert_array_equal(cb.draws["gain"].to_numpy(), pooled.draws(1_000, seed=0))


def test_bayes_pooled_gain_uses_exact_posterior_draws():
    b = ke.pool_sites(SITES, method="bayes", prior="half_normal", prior_scale=5_000.0)
    cb = ke.cost_benefit(
        gain=b, cost=2_000, gain_basis="participant", for_site="average", draws=3_000, seed=9
    )
    np.testing.assert_array_equal(cb.draws["gain"].to_numpy(), b.mu_draws(3_000, seed=9))


def test_itt_pooled_gain_is_per_invited_firm():
    est = {
        s: ke.Estimate(
            terms=("invited",),
            coef=[r.estimate / 2],
            vcov=[[r.std_error**2]],
            dof=np.inf,
            se_type="HC1",
            method="OLS",
            estimand="ITT",
            outcome="value_added",
            nobs=200,
        )
        for s, r in SITES.iterrows()
    }
    p = ke.pool_sites(est, method="DL")
    with pytest.raises(ke.KaizenError, match="per invited firm but the cost is per participant"):
        ke.cost_benefit(gain=p, cost=ke.Cost(2_000, per="participant"))
    cb = ke.cost_benefit(gain=p, cost=ke.Cost(2_000, per="participant"), takeup=0.5)
    assert cb.basis == "invited"


def test_bad_input(pooled):
    with pytest.raises(ke.KaizenError, match="`for_site` must be one of 'new', 'average'"):
        ke.cost_benefit(gain=pooled, cost=2_000, for_site="next")
    with pytest.raises(ke.KaizenError, match="`for_site` applies to a pooled gain"):
        ke.cost_benefit(gain=_late(1.0, 1.0), cost=2_000, for_site="new")
    with pytest.raises(ke.KaizenError, match="brings its own draws"):
        ke.cost_benefit(gain=pooled, cost=2_000, gain_draws=np.ones(10))
    numbers = ke.pool_sites(SITES, method="DL")
    with pytest.raises(ke.KaizenError, match=r"estimand is unknown.*gain_basis"):
        ke.cost_benefit(gain=numbers, cost=2_000)
    with pytest.raises(ke.KaizenError, match=r"per participant firm, but `gain_basis='invited'`"):
        ke.cost_benefit(gain=pooled, cost=2_000, gain_basis="invited")


def test_by_site_table(pooled):
    n = 200_000
    tab = ke.cost_benefit_by_site(
        pooled, cost=2_000, site_costs={"ghana": 740}, years=3, discount_rate=0.1, draws=n, seed=3
    )
    assert list(tab.index) == [*SITES.index, "average site", "new site"]
    assert list(tab.columns) == list(ke.costbenefit.by_site.BY_SITE_COLUMNS)
    assert tab.loc["ghana", "cost"] == 740.0 and tab.loc["vietnam", "cost"] == 2_000.0
    for site, row in SITES.iterrows():
        own = ke.cost_benefit(
            gain=row.estimate, cost=tab.loc[site, "cost"], years=3, discount_rate=0.1
        )
        assert tab.loc[site, "bcr"] == pytest.approx(own.bcr, rel=1e-12)
        exact = 1 - stats.norm.cdf((own.breakeven_gain - row.estimate) / row.std_error)
        assert abs(tab.loc[site, "prob_bcr_above_1"] - exact) < 5 * np.sqrt(
            max(exact * (1 - exact), 1e-6) / n
        )
    new = ke.cost_benefit(gain=pooled, cost=2_000, years=3, discount_rate=0.1, for_site="new")
    assert tab.loc["new site", "bcr"] == pytest.approx(new.bcr, rel=1e-12)
    assert tab.loc["new site", "bcr_low"] < tab.loc["average site", "bcr_low"]


def test_by_site_bad_input(pooled):
    with pytest.raises(ke.KaizenError, match="not pooled: peru"):
        ke.cost_benefit_by_site(pooled, cost=2_000, site_costs={"peru": 1.0})
    with pytest.raises(ke.KaizenError, match="sets 'for_site' itself"):
        ke.cost_benefit_by_site(pooled, cost=2_000, for_site="new")
    with pytest.raises(TypeError, match="must be a PooledEstimate"):
        ke.cost_benefit_by_site(SITES, cost=2_000)
