"""Coverage of the 95 % intervals for mu on simulated sites (issue 15).

Sites: ``s_j ~ U(0.5, 1.5)``, ``theta_j ~ N(mu = 1, tau**2)``, ``y_j ~ N(theta_j, s_j**2)``.

* REML with ``test="knha"`` at a fixed ``tau = 1`` (heterogeneity comparable to the standard
  errors, where the z test is at its worst).
* ``"bayes"``: a credible interval has its nominal coverage on average over draws from its own
  prior, so ``tau`` is drawn for each replication from the half-normal(1) prior that the fit
  uses (the flat prior on ``mu`` is location invariant: any fixed ``mu`` will do). This checks
  the whole posterior computation, not only its centre. Under the uniform prior on ``tau`` the
  intervals are conservative with few sites (``docs/pooling.md`` gives the numbers).
* ``"DL"`` with the z test under-covers with few sites: the test records that it does.
"""

import importlib.util
import pathlib

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke

MU = 1.0


def _intervals(j, reps, seed, how):
    """The 95 % intervals for mu of ``reps`` simulated sets of ``j`` sites: (low, high) arrays."""
    rng = np.random.default_rng(seed)
    low, high = np.empty(reps), np.empty(reps)
    for r in range(reps):
        s = rng.uniform(0.5, 1.5, j)
        tau = abs(rng.standard_normal()) if how == "bayes" else 1.0
        y = MU + tau * rng.standard_normal(j) + s * rng.standard_normal(j)
        sites = pd.DataFrame({"estimate": y, "std_error": s})
        if how == "bayes":
            p = ke.pool_sites(sites, method="bayes", prior="half_normal", prior_scale=1.0)
        elif how == "knha":
            p = ke.pool_sites(sites, method="REML", test="knha")
        else:
            p = ke.pool_sites(sites, method="DL", test="z")
        low[r], high[r] = p.ci_low, p.ci_high
    return low, high


def _covers(low, high, scale=1.0):
    """Share of the intervals that cover mu once their half-width is multiplied by ``scale``
    (``scale**2`` times the variance behind a symmetric interval)."""
    mid, half = (low + high) / 2, (high - low) / 2
    return float(np.mean(np.abs(mid - MU) <= scale * half))


def _coverage(j, reps, seed, how):
    return _covers(*_intervals(j, reps, seed, how))


@pytest.mark.slow
@pytest.mark.parametrize("j", [4, 7, 20])
def test_coverage_over_thousands_of_replications(j):
    # The band, 93–97 %. REML + knha: 4,000 replications (binomial standard error 0.35
    # points; its coverage at 4 sites is about 94 %, measured over 10,000, so 2,000 would put 93
    # within 2 standard errors). Bayes: 2,000 (0.49 points).
    knha = _coverage(j, 4000, seed=j, how="knha")
    bayes = _coverage(j, 2000, seed=1000 + j, how="bayes")
    assert 0.93 <= knha <= 0.97, knha
    assert 0.93 <= bayes <= 0.97, bayes
    if j == 4:
        dl = _coverage(j, 4000, seed=j, how="dl")  # the same simulated data as knha
        assert dl < 0.92 and dl < knha - 0.03, (dl, knha)


# (sites, method, replications, band). 200 replications: binomial standard error 1.5 points at
# 95 %; the band is 95 % ± 3 of them, rounded out to 90.5–99.5 %. DL + z covers about 92.6 %
# with 20 sites (docs/pooling.md): its band is 92.6 % ± 3 standard errors (1.85 points), 87–98 %.
# Bayes with 20 sites (the slowest fit) has 100 replications: 95 % ± 3.2 standard errors (2.2
# points) is 88 %, and the top of the band, 99.5 %, fails only if all 100 intervals cover.
FAST = [
    (4, "knha", 200, 0.905, 0.995),
    (7, "knha", 200, 0.905, 0.995),
    (20, "knha", 200, 0.905, 0.995),
    (20, "dl", 200, 0.87, 0.98),
    (4, "bayes", 200, 0.905, 0.995),
    (7, "bayes", 200, 0.905, 0.995),
    (20, "bayes", 100, 0.88, 0.995),
]


@pytest.mark.parametrize(("j", "how", "reps", "lo", "hi"), FAST)
def test_coverage_fast(j, how, reps, lo, hi):
    # It catches a broken interval (DL with z at 4 sites covers about 88 %, a missing knha
    # rescaling far less), not a one-point bias. That the band can fail for a wrong variance is
    # checked on the same fits: the intervals of half the variance (half-width / sqrt 2, about
    # 83 % coverage) fall below it. (The top of the band catches only a gross overstatement:
    # with 3 df, knha's intervals of four times the variance still miss about 1 % of the time.)
    low, high = _intervals(j, reps, seed=500 + j, how=how)
    cov = _covers(low, high)
    assert lo <= cov <= hi, cov
    halved = _covers(low, high, scale=np.sqrt(0.5))
    assert halved < lo, halved


def test_the_docs_coverage_script_simulates_these_sites():
    # benchmarks/coverage_pooling.py produces the table of docs/pooling.md: the same design
    # and, for knha and the half-normal bayes, the same seeds as the slow test above.
    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "coverage_pooling.py"
    spec = importlib.util.spec_from_file_location("coverage_pooling", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for how, ours in (("knha", "knha"), ("dl_z", "dl"), ("bayes_half_normal", "bayes")):
        seed = script.seed_of(7, how)
        assert script.coverage(7, 10, seed, how) == _coverage(7, 10, seed, ours)
    assert script.seed_of(4, "knha") == 4 and script.seed_of(4, "bayes_half_normal") == 1004
