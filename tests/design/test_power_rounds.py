"""Several follow-up rounds in ``mde``/``sample_size``/``simulate_power`` (McKenzie 2012).

References: McKenzie (2012, "Beyond baseline and follow-up", JDE 99(2)) gives the variance of
the treatment effect with ``k`` follow-ups correlated ``ρ`` pairwise: ``(1 + (k − 1)ρ)/k`` times
that of one follow-up for the post-only estimator, ``(1 + (k − 1)ρ)/k − ρ²`` for ANCOVA on one
baseline round. The simulation checks draw the ``k`` rounds one by one and fit the pooled
regression, independently of the library's one-step draw.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

#: The normal MDE over its SE: z_{0.975} + z_{0.8}.
K = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("rho", [0.2, 0.5, 0.8])
def test_mckenzie_variance_factors(k, rho):
    one = ke.mde(400)
    post = ke.mde(400, rounds=k, autocorrelation=rho) if k > 1 else one
    assert (post / one) ** 2 == pytest.approx((1 + (k - 1) * rho) / k, abs=1e-12)
    ancova = ke.mde(400, r2=rho**2, **({"rounds": k, "autocorrelation": rho} if k > 1 else {}))
    assert (ancova / one) ** 2 == pytest.approx((1 + (k - 1) * rho) / k - rho**2, abs=1e-12)


def test_sample_size_inverts_mde_with_rounds_clusters_and_attrition():
    kw = {"rounds": 4, "autocorrelation": 0.45, "r2": 0.2, "icc": 0.1, "cluster_size": 8,
          "response_rate": (0.9, 0.75)}  # fmt: skip
    for distribution in ("normal", "t"):
        n = ke.sample_size(0.25, distribution=distribution, **kw)
        assert ke.mde(n, distribution=distribution, **kw) == pytest.approx(0.25, abs=1e-9)


def test_more_rounds_help_less_when_rounds_are_correlated():
    gain = {rho: ke.mde(400, rounds=4, autocorrelation=rho) / ke.mde(400) for rho in (0.1, 0.7)}
    assert gain[0.1] < gain[0.7] < 1


def _cluster_rounds_se(n, m, k, rho, r2, icc, rng, sims, tau=0.0):
    """Estimates of the pooled regression on ``k`` rounds drawn one by one (no shortcut)."""
    g = n // m
    b = math.sqrt(r2)
    s_u = math.sqrt(icc * (1 - r2))
    s_a = math.sqrt(rho - r2 - icc * (1 - r2))  # persistent firm effect
    s_eps = math.sqrt(1 - rho)  # round-to-round noise
    cl = np.repeat(np.arange(g), m)
    est = np.empty(sims)
    for s in range(sims):
        d_cl = rng.permutation(np.r_[np.ones(g // 2), np.zeros(g - g // 2)])
        d = d_cl[cl]
        x = rng.standard_normal(n)
        firm = b * x + rng.standard_normal(g)[cl] * s_u + rng.standard_normal(n) * s_a
        y = tau * d[:, None] + firm[:, None] + rng.standard_normal((n, k)) * s_eps
        # pooled OLS on firm-rounds with round effects: [round dummies, d, x]
        rounds = np.kron(np.ones((n, 1)), np.eye(k))
        xx = np.column_stack([rounds, np.repeat(d, k), np.repeat(x, k)])
        est[s] = np.linalg.lstsq(xx, y.ravel(), rcond=None)[0][k]
    return est


def test_the_formula_against_rounds_drawn_one_by_one():
    rng = np.random.default_rng(11)
    n, m, k, rho, r2, icc = 240, 6, 3, 0.5, 0.25, 0.1
    sims = 1500
    est = _cluster_rounds_se(n, m, k, rho, r2, icc, rng, sims)
    se = ke.mde(n, rounds=k, autocorrelation=rho, r2=r2, icc=icc, cluster_size=m) / K
    # the sd of sims draws is off by about sd / sqrt(2 sims) (1.8 %): allow 4 of those
    assert est.std(ddof=1) == pytest.approx(se, rel=4 / math.sqrt(2 * sims))


@pytest.fixture(scope="module")
def clustered():
    frame = pd.DataFrame({"firm_id": range(240), "market": np.repeat(np.arange(40), 6)})
    return ke.assign(frame, cluster="market", seed=3)


def test_simulate_power_matches_the_formula_and_covers(clustered):
    kw = {"rounds": 3, "autocorrelation": 0.5, "r2": 0.25, "icc": 0.1}
    effect = ke.mde(240, cluster_size=6, distribution="t", **kw)
    sims = 1500
    sp = ke.simulate_power(clustered, effects={"invited": effect}, sims=sims, seed=8, **kw)
    row = sp.table.loc["invited"]
    se = ke.mde(240, cluster_size=6, **kw) / K
    assert row["sd_estimate"] == pytest.approx(se, rel=4 / math.sqrt(2 * sims))
    assert 0.93 <= row["coverage"] <= 0.97
    # 40 clusters: the t-based MDE gives power 0.8 up to Monte Carlo error (3 s.e.)
    assert row["power"] == pytest.approx(0.80, abs=3 * math.sqrt(0.16 / sims))


def test_one_round_is_the_simulation_as_before(clustered):
    a = ke.simulate_power(clustered, effects={"invited": 0.3}, sims=40, seed=4, icc=0.1)
    b = ke.simulate_power(clustered, effects={"invited": 0.3}, sims=40, seed=4, icc=0.1, rounds=1)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_bad_rounds():
    with pytest.raises(KaizenError, match="`rounds` must be a whole number >= 1"):
        ke.mde(400, rounds=0)
    with pytest.raises(KaizenError, match="`rounds` must be a whole number"):
        ke.mde(400, rounds=2.5, autocorrelation=0.3)
    with pytest.raises(KaizenError, match="say the `autocorrelation`"):
        ke.sample_size(0.2, rounds=3)
    with pytest.raises(KaizenError, match="needs `rounds` > 1"):
        ke.mde(400, autocorrelation=0.3)
    with pytest.raises(KaizenError, match=r"below r2 \+ icc·\(1 − r2\) = 0.28"):
        ke.mde(400, rounds=2, autocorrelation=0.2, r2=0.2, icc=0.1, cluster_size=5)
    with pytest.raises(KaizenError, match=r"`autocorrelation` must be in \[0, 1\]"):
        ke.mde(400, rounds=2, autocorrelation=1.2)


def test_a_pilot_has_one_round(clustered):
    with pytest.raises(KaizenError, match="leave `rounds` at 1 with a pilot"):
        ke.simulate_power(
            clustered, effects={"invited": 0.3}, pilot=[1.0, 2.0, 3.0], rounds=2,
            autocorrelation=0.4,
        )  # fmt: skip
