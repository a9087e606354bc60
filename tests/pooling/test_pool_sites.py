"""``ke.pool_sites``: input checks (the message is the contract), the result's contract."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval.estimate.pooling_core import tau2_estimate

SCHOOLS = pd.DataFrame(
    {"estimate": [28.0, 8, -3, 7, -1, 1, 18, 12], "std_error": [15.0, 10, 16, 11, 9, 11, 10, 18]},
    index=list("ABCDEFGH"),
)
HETERO = pd.DataFrame(
    {
        "estimate": [-0.9, -1.6, -1.4, -1.5, -0.2, -0.5, -0.0],
        "std_error": [0.6, 0.4, 0.7, 0.4, 0.1, 0.3, 0.1],
    },
    index=[f"s{i}" for i in range(7)],
)


def _est(value, se, outcome="value_added", estimand="LATE", terms=("attended",)):
    k = len(terms)
    return ke.Estimate(
        terms=terms,
        coef=[value] * k,
        vcov=np.eye(k) * se**2,
        dof=np.inf,
        se_type="HC1",
        method="2SLS",
        estimand=estimand,
        outcome=outcome,
        nobs=200,
    )


# --- bad input ----------------------------------------------------------------------------
def test_fewer_than_two_sites_is_an_error():
    with pytest.raises(ke.KaizenError, match=r"at least 2 sites; `estimates` has 1 \('A'\)"):
        ke.pool_sites(SCHOOLS.iloc[:1])


def test_two_sites_warn_that_tau_is_barely_identified():
    with pytest.warns(ke.KaizenWarning, match="only 2 sites: tau is barely identified"):
        p = ke.pool_sites(HETERO.iloc[:2], method="DL")
    assert p.n_sites == 2


def test_two_sites_bayes_needs_a_proper_prior_and_shows_its_influence():
    with pytest.raises(ke.KaizenError, match="improper; pass prior='half_cauchy'"):
        ke.pool_sites(HETERO.iloc[:2], method="bayes")
    with pytest.warns(ke.KaizenWarning) as caught:
        p = ke.pool_sites(HETERO.iloc[:2], method="bayes", prior="half_cauchy", prior_scale=0.5)
    messages = [str(w.message) for w in caught]
    assert any(
        m.startswith("only 2 sites: tau is barely identified, the posterior leans on the prior")
        and "against the half_cauchy prior's median 0.5" in m
        for m in messages
    )
    # p(tau | y) ~ tau**-3 with a half-Cauchy prior and 2 sites: E[tau**2] is infinite
    assert any(
        "half_cauchy prior on tau the posterior sd of mu, tau, theta_new" in m for m in messages
    )
    assert np.isinf(p.std_error) and np.isfinite(p.mu) and np.isfinite(p.ci_high)
    assert (
        ke.pool_sites(HETERO.iloc[:3], method="bayes", prior="half_normal", prior_scale=0.5).n_sites
        == 3
    )
    # a normal prior on mu makes the uniform prior on tau proper with 2 sites
    with pytest.warns(ke.KaizenWarning) as caught:
        two = ke.pool_sites(HETERO.iloc[:2], method="bayes", mu_prior=(0.0, 2.0))
    messages = " | ".join(str(w.message) for w in caught)
    assert "against a uniform prior on tau (no median)" in messages
    # p(tau | y) ~ tau**-2 there: E[tau] and the sd of theta_new are infinite, mu's is not
    assert "posterior sd of tau, theta_new is infinite" in messages
    assert np.isnan(two.tau) and np.isfinite(two.std_error)
    assert np.isfinite(two.posterior.loc["tau", "q50"])


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_non_positive_or_missing_standard_error_names_the_site(bad):
    t = SCHOOLS.copy()
    t.loc["C", "std_error"] = bad
    with pytest.raises(ke.KaizenError, match=r"site 'C' has standard error .*positive, finite"):
        ke.pool_sites(t)


def test_missing_estimate_names_the_site():
    t = SCHOOLS.copy()
    t.loc["D", "estimate"] = np.nan
    with pytest.raises(ke.KaizenError, match="site 'D' has a missing or non-finite estimate"):
        ke.pool_sites(t)


def test_non_numeric_column_names_column_and_site():
    t = SCHOOLS.astype({"std_error": object})
    t.loc["B", "std_error"] = "ten"
    with pytest.raises(ke.KaizenError, match=r"column 'std_error' .* site 'B' has 'ten'"):
        ke.pool_sites(t)


def test_duplicate_sites_are_an_error():
    t = SCHOOLS.rename(index={"B": "A"})
    with pytest.raises(ke.KaizenError, match="duplicate site names in `estimates`: 'A'"):
        ke.pool_sites(t)
    with pytest.raises(ke.KaizenError, match="duplicate site names in `estimates`: '1'"):
        ke.pool_sites({1: _est(1.0, 1.0), "1": _est(2.0, 1.0), "x": _est(0.0, 1.0)})


def test_missing_columns_are_named():
    with pytest.raises(ke.MissingColumnError, match="'std_error' not found in `estimates`"):
        ke.pool_sites(SCHOOLS[["estimate"]])


def test_different_outcomes_refused_unless_told():
    sites = {
        "ghana": _est(1.0, 0.5),
        "tanzania": _est(2.0, 0.5, outcome="sales"),
        "vietnam": _est(1.5, 0.6),
    }
    with pytest.raises(
        ke.KaizenError,
        match=r"different outcomes or estimands \(value_added LATE"
        r": ghana, vietnam; sales LATE: tanzania\).*allow_mixed=True",
    ):
        ke.pool_sites(sites)
    p = ke.pool_sites(sites, allow_mixed=True)
    assert p.outcome is None and p.n_sites == 3
    mixed_estimand = {"a": _est(1.0, 0.5), "b": _est(1.0, 0.5, estimand="ITT")}
    with pytest.raises(ke.KaizenError, match="different outcomes or estimands"):
        ke.pool_sites(mixed_estimand)


def test_multi_term_estimates_need_term():
    sites = {s: _est(v, 0.5, terms=("attended", "onsite")) for s, v in [("a", 1.0), ("b", 2.0)]}
    sites["c"] = _est(0.5, 0.4, terms=("attended", "onsite"))
    with pytest.raises(ke.KaizenError, match=r"site 'a' has 2 terms .*pass `term=`"):
        ke.pool_sites(sites)
    with pytest.raises(ke.KaizenError, match="`term` 'x' is not a term of site 'a'"):
        ke.pool_sites(sites, term="x")
    assert ke.pool_sites(sites, term="onsite").n_sites == 3


def test_wrong_types_and_options():
    with pytest.raises(TypeError, match=r"`estimates\['a'\]` must be an Estimate"):
        ke.pool_sites({"a": 1.0, "b": 2.0})
    with pytest.raises(TypeError, match=r"`estimates` must be a mapping .* got list"):
        ke.pool_sites([1.0, 2.0])
    with pytest.raises(
        ke.KaizenError, match=r"`method` must be one of 'FE', .*'bayes'\. You passed"
    ):
        ke.pool_sites(SCHOOLS, method="HS")
    with pytest.raises(ke.KaizenError, match="`test` must be one of 'z', 'knha'"):
        ke.pool_sites(SCHOOLS, test="t")
    with pytest.raises(ke.KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.pool_sites(SCHOOLS, alpha=5)
    with pytest.raises(ke.KaizenError, match="apply to method='bayes' only"):
        ke.pool_sites(SCHOOLS, prior="half_cauchy", prior_scale=1.0)
    with pytest.raises(ke.KaizenError, match="`test` applies to the frequentist methods"):
        ke.pool_sites(SCHOOLS, method="bayes", test="knha")
    with pytest.raises(ke.KaizenError, match="needs a positive `prior_scale`"):
        ke.pool_sites(SCHOOLS, method="bayes", prior="half_normal")
    for bad in [(0.0, -1.0), ("a", 1.0), (0.0,), 3.0]:
        with pytest.raises(ke.KaizenError, match="`mu_prior` must be \\(mean, sd\\)"):
            ke.pool_sites(SCHOOLS, method="bayes", mu_prior=bad)


# --- the result -------------------------------------------------------------------------
def test_estimates_and_table_give_the_same_result():
    sites = {s: _est(r.estimate, r.std_error) for s, r in HETERO.iterrows()}
    a, b = ke.pool_sites(sites, method="REML"), ke.pool_sites(HETERO, method="REML")
    assert a.mu == pytest.approx(b.mu, rel=1e-14) and a.tau2 == pytest.approx(b.tau2, rel=1e-12)
    assert a.outcome == "value_added" and b.outcome is None
    pd.testing.assert_frame_equal(a.sites, b.sites, rtol=1e-12)


def test_result_is_frozen_and_hands_out_copies():
    p = ke.pool_sites(HETERO)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.mu = 0.0
    table = p.sites
    table.loc["s0", "shrunk"] = 99.0
    assert p.sites.loc["s0", "shrunk"] != 99.0
    assert list(p.sites.columns) == ["estimate", "std_error", "weight", "shrunk", "shrunk_se"]
    assert p.sites["weight"].sum() == pytest.approx(100.0)


def test_tidy_rows_match_the_attributes():
    p = ke.pool_sites(HETERO, method="REML", test="knha")
    t = p.tidy()
    assert list(t.columns) == [
        "estimate",
        "std_error",
        "statistic",
        "pvalue",
        "ci_low",
        "ci_high",
        "df",
    ]
    assert t.loc["mu", "estimate"] == p.mu and t.loc["mu", "ci_high"] == p.ci_high
    assert (t.loc["theta_new", "ci_low"], t.loc["theta_new", "ci_high"]) == p.prediction_interval
    crit = stats.t.ppf(0.975, 6)
    row = t.loc["theta[s3]"]
    assert row["ci_low"] == pytest.approx(
        p.sites.loc["s3", "shrunk"] - crit * p.sites.loc["s3", "shrunk_se"], rel=1e-14
    )
    assert (t["df"] == 6).all()


def test_tau2_is_zero_when_the_sites_agree_and_positive_when_not():
    for m in ("DL", "PM", "ML", "REML"):
        assert (
            tau2_estimate(SCHOOLS["estimate"].to_numpy(), SCHOOLS["std_error"].to_numpy() ** 2, m)
            == 0.0
        )
        assert ke.pool_sites(HETERO, method=m).tau2 > 0.1
    assert ke.pool_sites(HETERO, method="FE").tau2 == 0.0


@pytest.mark.parametrize("test", ["z", "knha"])
def test_draws_follow_the_prediction_interval(test):
    p = ke.pool_sites(HETERO, method="REML", test=test)
    d = p.draws(200_000, seed=3)
    lo, hi = np.quantile(d, [0.025, 0.975])
    # the sample 2.5% quantile of 200,000 draws has a standard error of ~0.2% of the spread
    width = p.prediction_interval[1] - p.prediction_interval[0]
    assert abs(lo - p.prediction_interval[0]) < 0.01 * width
    assert abs(hi - p.prediction_interval[1]) < 0.01 * width
    np.testing.assert_array_equal(p.draws(10, seed=3), d[:10] if test == "z" else p.draws(10, 3))
    g = np.random.default_rng(5)
    assert p.draws(4, seed=g).shape == (4,)
    with pytest.raises(ke.KaizenError, match="`seed` must be a non-negative integer"):
        p.draws(4, seed="x")
    with pytest.raises(ke.KaizenError, match="`n` must be a positive integer"):
        p.draws(0)


def test_summary_and_plot():
    p = ke.pool_sites(HETERO, method="REML", test="knha")
    text = p.summary()
    assert "random effects (REML), knha test" in text and "prediction interval" in text
    assert repr(p).startswith("<PooledEstimate Pooled across 7 sites")
    fig = p.plot(title="value added")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["new site", "pooled (REML)", *HETERO.index]
    assert ax.get_title() == "value added"
    import matplotlib

    matplotlib.use("Agg")
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_alpha_sets_every_interval():
    p = ke.pool_sites(HETERO, method="PM", alpha=0.1)
    z = stats.norm.ppf(0.95)
    assert p.ci_high - p.mu == pytest.approx(z * p.std_error, rel=1e-12)
    assert p.prediction_interval[1] - p.mu == pytest.approx(
        z * np.sqrt(p.std_error**2 + p.tau2), rel=1e-12
    )
    b90 = ke.pool_sites(HETERO, method="bayes", alpha=0.1)
    b95 = ke.pool_sites(HETERO, method="bayes")
    assert b95.ci_low < b90.ci_low < b90.mu < b90.ci_high < b95.ci_high
    t = b90.tidy()
    assert (t["ci_low"].iloc[2:] > b95.tidy()["ci_low"].iloc[2:]).all()
    # the 95 % posterior columns do not depend on alpha
    np.testing.assert_allclose(b90.posterior["q97.5"], b95.posterior["q97.5"], rtol=1e-12)
