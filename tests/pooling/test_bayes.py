"""``ke.pool_sites(method="bayes")``: the exact grid posterior of the normal–normal model.

Checked three ways: against a direct adaptive quadrature of BDA3 eq. (5.21) written out here,
against BDA3's published eight-schools summaries (Table 5.3), and against an independent
Gibbs sampler (BDA3 §11.6) run in this file, within Monte Carlo error.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

import kaizen_eval as ke

Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
S = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
SCHOOLS = pd.DataFrame({"estimate": Y, "std_error": S}, index=list("ABCDEFGH"))


@pytest.fixture(scope="module")
def schools():
    return ke.pool_sites(SCHOOLS, method="bayes")


def _marginal(tau, y=Y, s=S):
    """BDA3 (5.21) under the uniform prior on tau: p(tau | y) up to a constant; mu_hat, V."""
    w = 1.0 / (s**2 + tau**2)
    v_mu = 1.0 / w.sum()
    mu_hat = v_mu * (w * y).sum()
    dens = np.sqrt(v_mu) * np.prod(np.sqrt(w)) * np.exp(-0.5 * (w * (y - mu_hat) ** 2).sum())
    return dens, mu_hat, v_mu


def _quad(f):
    return integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-12, limit=500)[0]


def test_grid_equals_direct_quadrature(schools):
    z = _quad(lambda t: _marginal(t)[0])
    e_tau = _quad(lambda t: t * _marginal(t)[0]) / z
    e_tau2 = _quad(lambda t: t**2 * _marginal(t)[0]) / z
    e_mu = _quad(lambda t: _marginal(t)[1] * _marginal(t)[0]) / z
    e_mu2 = _quad(lambda t: (_marginal(t)[2] + _marginal(t)[1] ** 2) * _marginal(t)[0]) / z
    post = schools.posterior
    assert post.loc["tau", "mean"] == pytest.approx(e_tau, rel=1e-8)
    assert schools.tau2 == pytest.approx(e_tau2, rel=1e-8)
    assert schools.mu == pytest.approx(e_mu, rel=1e-8)
    assert schools.std_error == pytest.approx(np.sqrt(e_mu2 - e_mu**2), rel=1e-8)
    for q, p in (("q2.5", 0.025), ("q50", 0.5), ("q97.5", 0.975)):
        cdf = integrate.quad(lambda t: _marginal(t)[0], 0, post.loc["tau", q], epsrel=1e-12)[0]
        assert cdf / z == pytest.approx(p, abs=1e-7)
        # mu's quantile: the mixture CDF over tau of N(mu_hat, V) equals p there
        x = post.loc["mu", q]
        cdf_mu = (
            _quad(
                lambda t, x=x: (
                    special.ndtr((x - _marginal(t)[1]) / np.sqrt(_marginal(t)[2])) * _marginal(t)[0]
                )
            )
            / z
        )
        assert cdf_mu == pytest.approx(p, abs=1e-7)


def test_bda3_table_5_3(schools):
    """BDA3 (3rd ed.) Table 5.3, posterior medians of the eight schools' effects and of mu.

    The book's table summarizes 200 posterior draws, so its medians carry Monte Carlo error:
    the standard error of a median of 200 draws is about 1.2533 sd / sqrt(200) = 0.089 sd.
    The exact medians must lie within the printed rounding (0.5) plus 3 such errors.
    """
    printed = {
        "theta[A]": 10,
        "theta[B]": 8,
        "theta[C]": 7,
        "theta[D]": 8,
        "theta[E]": 5,
        "theta[F]": 6,
        "theta[G]": 10,
        "theta[H]": 8,
        "mu": 8,
    }
    post = schools.posterior
    for name, med in printed.items():
        mc = 1.2533 * post.loc[name, "sd"] / np.sqrt(200)
        assert abs(post.loc[name, "q50"] - med) < 0.5 + 3 * mc, name
    # rounded to the book's precision, six of the nine medians are the printed ones
    same = sum(round(post.loc[n, "q50"]) == m for n, m in printed.items())
    assert same >= 6


def _gibbs(y, s, thresholds, chains=8_000, iters=350, burn=100, seed=2024):
    """BDA3 §11.6 Gibbs sampler, uniform prior on tau, many parallel chains (vectorized).

    Returns, per chain, the average over the kept iterations of: each quantity (columns mu,
    tau, theta_new, theta_1..theta_J), of the indicator that it is <= each of ``thresholds``
    (shape (3, J + 3)), and of the pooling factors s_j**2 / (s_j**2 + tau**2).
    """
    rng = np.random.default_rng(seed)
    j = len(y)
    mu = rng.normal(np.mean(y), np.std(y) + np.mean(s), chains)
    tau = rng.uniform(0.5, 2.0, chains) * np.std(y) + 1.0
    value = np.zeros((chains, j + 3))
    below = np.zeros((chains, *thresholds.shape))
    pool = np.zeros((chains, j))
    for it in range(iters):
        prec = 1.0 / tau[:, None] ** 2 + 1.0 / s**2
        mean = (mu[:, None] / tau[:, None] ** 2 + y / s**2) / prec
        theta = mean + rng.standard_normal((chains, j)) / np.sqrt(prec)
        mu = theta.mean(axis=1) + tau / np.sqrt(j) * rng.standard_normal(chains)
        ss = ((theta - mu[:, None]) ** 2).sum(axis=1)
        tau = np.sqrt(ss / rng.chisquare(j - 1, chains))
        if it >= burn:
            new = mu + tau * rng.standard_normal(chains)
            x = np.column_stack([mu, tau, new, theta])
            value += x
            below += x[:, None, :] <= thresholds[None]
            pool += s**2 / (s**2 + tau[:, None] ** 2)
    n = iters - burn
    return value / n, below / n, pool / n


def _mean_and_se(per_chain):
    """Average over chains and its standard error (the chains are independent)."""
    return per_chain.mean(axis=0), per_chain.std(axis=0, ddof=1) / np.sqrt(len(per_chain))


def test_against_an_independent_gibbs_sampler(schools):
    post = schools.posterior  # rows mu, tau, theta_new, theta[A..H]
    thresholds = post[["q2.5", "q50", "q97.5"]].to_numpy().T
    value, below, pool = _gibbs(Y, S, thresholds)
    m, se = _mean_and_se(value)
    exact = post["mean"].to_numpy()
    for i, name in enumerate(post.index):
        assert abs(exact[i] - m[i]) < 4.5 * se[i], (name, exact[i], m[i], se[i])
    m, se = _mean_and_se(below)
    for r, p in enumerate((0.025, 0.5, 0.975)):
        for i, name in enumerate(post.index):
            assert abs(m[r, i] - p) < 4.5 * se[r, i] + 1e-4, (name, p, m[r, i], se[r, i])
    m, se = _mean_and_se(pool)
    np.testing.assert_array_less(np.abs(schools.pooling["mean"].to_numpy() - m), 4.5 * se)


def test_site_table_weights_and_pooling_factors(schools):
    sites, post = schools.sites, schools.posterior
    np.testing.assert_allclose(sites["shrunk"], post["mean"].iloc[3:], rtol=1e-14)
    np.testing.assert_allclose(sites["shrunk_se"], post["sd"].iloc[3:], rtol=1e-14)
    assert (sites["weight"] * Y).sum() / 100 == pytest.approx(schools.mu, rel=1e-12)
    pool = schools.pooling
    assert ((pool["q2.5"] <= pool["q50"]) & (pool["q50"] <= pool["q97.5"])).all()
    assert (pool["mean"].between(0, 1)).all()
    # the largest standard error is pooled most
    assert pool["mean"].idxmax() == "H"
    lo, hi = schools.prediction_interval
    assert (lo, hi) == (post.loc["theta_new", "q2.5"], post.loc["theta_new", "q97.5"])
    assert schools.q == pytest.approx(4.707078864400158, rel=1e-12)  # as metafor's QE


def test_bayes_draws_are_the_exact_predictive(schools):
    d = schools.draws(400_000, seed=11)
    post = schools.posterior
    for q, p in (("q2.5", 0.025), ("q50", 0.5), ("q97.5", 0.975)):
        share = np.mean(d <= post.loc["theta_new", q])
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(d)), q
    np.testing.assert_array_equal(schools.draws(50, seed=11), schools.draws(50, seed=11))


def test_priors_on_tau_and_mu():
    tight = ke.pool_sites(SCHOOLS, method="bayes", prior="half_normal", prior_scale=1e-3)
    fe = ke.pool_sites(SCHOOLS, method="FE")
    assert tight.mu == pytest.approx(fe.mu, abs=1e-3)
    assert tight.std_error == pytest.approx(fe.std_error, rel=1e-3)
    assert tight.tau < 1e-3
    hc = ke.pool_sites(SCHOOLS, method="bayes", prior="half_cauchy", prior_scale=5.0)
    assert hc.tau < ke.pool_sites(SCHOOLS, method="bayes").tau  # the uniform prior's long tail
    anchored = ke.pool_sites(SCHOOLS, method="bayes", mu_prior=(0.0, 1e-3))
    assert abs(anchored.mu) < 1e-3
    wide = ke.pool_sites(SCHOOLS, method="bayes", mu_prior=(0.0, 1e6))
    base = ke.pool_sites(SCHOOLS, method="bayes")
    assert wide.mu == pytest.approx(base.mu, rel=1e-6)


def test_few_sites_under_the_uniform_prior_report_infinite_moments():
    three = SCHOOLS.iloc[:3]
    with pytest.warns(ke.KaizenWarning, match="sd of mu, tau, theta_new is infinite"):
        p = ke.pool_sites(three, method="bayes")
    assert np.isnan(p.mu) and np.isinf(p.std_error) and np.isnan(p.tau)
    assert np.isfinite(p.ci_low) and np.isfinite(p.prediction_interval[1])
    assert p.posterior.loc["theta[A]", "sd"] < np.inf  # site effects stay finite
    with pytest.warns(ke.KaizenWarning, match="sd of mu, tau, theta_new is infinite"):
        four = ke.pool_sites(SCHOOLS.iloc[:4], method="bayes")
    assert np.isfinite(four.mu) and np.isfinite(four.tau) and np.isinf(four.std_error)
    assert "Posterior sd infinite" in four.summary()  # notes print as sentences (issue 14)


def test_pvalue_is_the_two_sided_posterior_tail():
    """``pvalue`` is 2 min(P(mu < 0 | y), P(mu > 0 | y)); no t reference, df infinite."""
    p = ke.pool_sites(SCHOOLS, method="bayes")
    z = _quad(lambda t: _marginal(t)[0])
    below = (
        _quad(lambda t: special.ndtr(-_marginal(t)[1] / np.sqrt(_marginal(t)[2])) * _marginal(t)[0])
        / z
    )
    assert p.pvalue == pytest.approx(2 * min(below, 1 - below), rel=1e-7)
    t = p.tidy()
    assert np.isinf(t["df"]).all() and t["statistic"].isna().all()


@pytest.mark.parametrize(
    ("y", "s", "prior", "scale"),
    [
        # a prior far narrower than the standard errors: the posterior of tau is the prior's
        ([1.0, 1.001, 0.999, 1.0005, 1.0], [1e3, 1e3, 2e3, 5e2, 1e3], "half_cauchy", 1.0),
        # heterogeneity far beyond the standard errors
        ([0.0, 100.0, -100.0, 50.0], [0.01, 0.01, 0.02, 0.01], "half_normal", 200.0),
        # standard errors spread over three orders of magnitude
        ([0.3, -0.2, 1.1, 0.5, 0.0, 2.0], [0.01, 0.1, 1.0, 10.0, 0.05, 3.0], "uniform", None),
    ],
)
def test_grid_matches_quadrature_on_awkward_data(y, s, prior, scale):
    y, s = np.array(y), np.array(s)
    log_prior = {
        "uniform": lambda t: 0.0,
        "half_cauchy": lambda t: -np.log1p((t / scale) ** 2),
        "half_normal": lambda t: -0.5 * (t / scale) ** 2,
    }[prior]
    peak = max(_marginal(t, y, s)[0] * np.exp(log_prior(t)) for t in np.geomspace(1e-4, 1e4, 81))

    def dens(t):
        return _marginal(t, y, s)[0] * np.exp(log_prior(t)) / peak

    cuts = [0.0, *np.geomspace(1e-3, 1e8, 12)]

    def integral(f):
        return sum(
            integrate.quad(f, a, b, epsabs=0, epsrel=1e-12, limit=200)[0]
            for a, b in itertools.pairwise(cuts)
        )

    z = integral(dens)
    e_tau = integral(lambda t: t * dens(t)) / z
    e_mu = integral(lambda t: _marginal(t, y, s)[1] * dens(t)) / z
    p = ke.pool_sites(
        pd.DataFrame({"estimate": y, "std_error": s}),
        method="bayes",
        prior=prior,
        prior_scale=scale,
    )
    assert p.tau == pytest.approx(e_tau, rel=1e-7)
    assert p.mu == pytest.approx(e_mu, rel=1e-7, abs=1e-9 * np.abs(y).max())
