"""Attrition in the analytic power formulas: ``mde``/``sample_size`` with ``response_rate``.

References: the formula written out here (SE of a difference in means over the observed units
of each arm, with each arm's observed cluster size in its design effect), identities with the
no-attrition formulas, and a Monte Carlo of the test at the MDE.
"""

import math

import numpy as np
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


@pytest.mark.parametrize("distribution", ["normal", "t"])
@pytest.mark.parametrize("r", [0.6, 0.8, 1.0])
def test_one_rate_without_clusters_is_the_mde_of_the_observed_sample(distribution, r):
    for n, p in [(300, 0.5), (813, 0.3)]:
        got = ke.mde(n, response_rate=r, p_treat=p, distribution=distribution, r2=0.3)
        want = ke.mde(n * r, p_treat=p, distribution=distribution, r2=0.3)
        assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("r0, r1", [(0.9, 0.7), (0.75, 0.95), (0.8, 0.8)])
def test_differential_response_matches_the_formula(r0, r1):
    n, p, m, icc, r2, sd = 600, 0.4, 8, 0.07, 0.25, 2.0
    d1 = 1 + (m * r1 - 1) * icc
    d0 = 1 + (m * r0 - 1) * icc
    se = sd * math.sqrt((1 - r2) * (d1 / (n * p * r1) + d0 / (n * (1 - p) * r0)))
    want = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se
    got = ke.mde(n, p_treat=p, cluster_size=m, icc=icc, r2=r2, sd=sd, response_rate=(r0, r1))
    assert got == pytest.approx(want, rel=1e-12)
    # sample_size inverts it (normal and t)
    for dist in ("normal", "t"):
        kw = dict(
            p_treat=p,
            cluster_size=m,
            icc=icc,
            r2=r2,
            sd=sd,
            response_rate=(r0, r1),
            distribution=dist,
        )
        assert ke.mde(ke.sample_size(0.5, **kw), **kw) == pytest.approx(0.5, rel=1e-9)


def test_full_response_is_unchanged():
    assert ke.mde(400, response_rate=1.0) == ke.mde(400)
    assert ke.mde(400, response_rate=(1, 1), icc=0.1, cluster_size=5) == ke.mde(
        400, icc=0.1, cluster_size=5
    )
    assert ke.sample_size(0.2, response_rate=0.8) == pytest.approx(ke.sample_size(0.2) / 0.8)


def test_power_at_the_mde_with_differential_attrition_by_simulation():
    rng = np.random.default_rng(19)
    n, r0, r1, sims = 500, 0.9, 0.65, 20_000
    effect = ke.mde(n, response_rate=(r0, r1))
    z = np.repeat([0, 1], n // 2)
    y = rng.normal(size=(sims, n)) + effect * z
    seen = rng.uniform(size=(sims, n)) < np.where(z == 1, r1, r0)
    n1, n0 = (seen & (z == 1)).sum(1), (seen & (z == 0)).sum(1)
    m1 = np.where(seen & (z == 1), y, 0).sum(1) / n1
    m0 = np.where(seen & (z == 0), y, 0).sum(1) / n0
    tstat = (m1 - m0) / np.sqrt(1 / n1 + 1 / n0)  # known sd = 1: the normal formula's test
    power = np.mean(np.abs(tstat) > stats.norm.ppf(0.975))
    assert power == pytest.approx(0.80, abs=0.012)  # 4 Monte Carlo standard errors


@pytest.mark.parametrize(
    "rate, message",
    [
        (0.0, r"response_rate.*\(0, 1\]"),
        (1.2, "response_rate"),
        ((0.9, 0.8, 0.7), "a pair"),
        ((0.9, -0.1), r"response_rate \(treated\)"),
        ("high", "must be a number"),
    ],
)
def test_bad_response_rates(rate, message):
    with pytest.raises(KaizenError, match=message):
        ke.mde(400, response_rate=rate)
    with pytest.raises(KaizenError, match=message):
        ke.sample_size(0.3, response_rate=rate)
