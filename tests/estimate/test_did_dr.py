"""Doubly robust DiD (``ke.att_did(method="dr")``, Sant'Anna and Zhao 2020, eq. 3.1).

Three independent checks:
- the influence-function standard error equals the M-estimation sandwich of the stacked moments
  (logit score, OLS on the non-participants, the two weighted means), built in this file with a
  numerical Jacobian: the same first-order expansion reached without the paper's algebra;
- the point estimate and standard error equal ``moderndid.drdid_panel`` (a port of R
  ``DRDID::drdid_panel``), run once by ``reference/drdid_reference.py``, stored in
  ``reference/drdid_reference.json``;
- double robustness and coverage on simulated data: a wrong propensity model with a right
  outcome model (and the reverse) stays unbiased, and 95 % intervals cover the truth.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval.estimate.did import dr_did

REF = Path(__file__).parent / "reference"


def _frame(n: int, seed: int, *, effect: float = 2.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    p = 1 / (1 + np.exp(-(-0.3 + 0.8 * x1 - 0.5 * x2)))
    d = (rng.random(n) < p).astype(float)
    y0 = 1 + x1 + x2 + rng.normal(size=n)
    trend = 0.5 + 0.7 * x1 - 0.4 * x2  # parallel trends given x
    y1 = y0 + trend + effect * d + rng.normal(size=n)
    return pd.DataFrame(
        {"d": d, "x1": x1, "x2": x2, "y0": y0, "y1": y1, "g": rng.integers(0, 40, n)}
    )


def _stacked_sandwich_se(dy, d, x):
    """SE of eta_t - eta_c from the stacked moments, Jacobian by central differences."""
    n, k = x.shape

    def moments(theta):
        gamma, beta, eta_t, eta_c = theta[:k], theta[k : 2 * k], theta[-2], theta[-1]
        p = 1 / (1 + np.exp(-x @ gamma))
        w_c = (1 - d) * p / (1 - p)
        r = dy - x @ beta
        return np.column_stack(
            [
                (d - p)[:, None] * x,
                ((1 - d) * r)[:, None] * x,
                d * (r - eta_t),
                w_c * (r - eta_c),
            ]
        )

    import statsmodels.api as sm

    gamma = sm.Logit(d, x).fit(disp=0).params
    beta = np.linalg.lstsq(x[d == 0], dy[d == 0], rcond=None)[0]
    p = 1 / (1 + np.exp(-x @ gamma))
    w_c = (1 - d) * p / (1 - p)
    r = dy - x @ beta
    theta = np.concatenate([gamma, beta, [np.sum(d * r) / d.sum(), np.sum(w_c * r) / w_c.sum()]])
    assert np.abs(moments(theta).mean(axis=0)).max() < 1e-8
    jac = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (moments(up).mean(axis=0) - moments(down).mean(axis=0)) / (2 * h)
    g = moments(theta)
    a_inv = np.linalg.inv(jac)
    v = a_inv @ (g.T @ g / n) @ a_inv.T / n
    c = np.zeros(len(theta))
    c[-2], c[-1] = 1.0, -1.0
    return theta[-2] - theta[-1], float(np.sqrt(c @ v @ c))


def test_influence_function_equals_stacked_sandwich():
    df = _frame(600, 1)
    dy = (df.y1 - df.y0).to_numpy()
    x = np.column_stack([np.ones(len(df)), df.x1, df.x2])
    att, se_sandwich = _stacked_sandwich_se(dy, df.d.to_numpy(), x)
    fit = dr_did(dy, df.d.to_numpy(), x)
    assert fit.att == pytest.approx(att, abs=1e-10)
    assert abs(fit.influence.mean()) < 1e-12
    se_if = np.sqrt(np.sum(fit.influence**2)) / len(df)  # the sandwich has no n/(n-1)
    assert se_if == pytest.approx(se_sandwich, rel=1e-6)  # finite-difference Jacobian
    r = ke.att_did(
        df, outcome="y1", baseline="y0", treatment="d", covariates=["x1", "x2"], method="dr"
    )
    assert r.std_error == pytest.approx(se_if, rel=1e-12)
    assert (r.method, r.se_type, r.estimand) == ("DiD-DR", "influence", "ATT")


@pytest.mark.parametrize("case", ["with_covariates", "constant_only"])
def test_matches_drdid_panel(case):
    ref = json.loads((REF / "drdid_reference.json").read_text())[case]
    data = pd.read_csv(REF / "drdid_data.csv")
    covs = ["x1", "x2"] if case == "with_covariates" else []
    r = ke.att_did(data, outcome="y1", baseline="y0", treatment="d", covariates=covs, method="dr")
    assert r.estimate == pytest.approx(ref["att"], rel=1e-10, abs=1e-12)
    assert r.std_error == pytest.approx(ref["se"], rel=1e-8)


def test_constant_only_is_the_plain_did():
    df = _frame(300, 2)
    r = ke.att_did(df, outcome="y1", baseline="y0", treatment="d", method="dr")
    dy = df.y1 - df.y0
    plain = dy[df.d == 1].mean() - dy[df.d == 0].mean()
    assert r.estimate == pytest.approx(plain, abs=1e-12)


def test_cluster_influence_sums_within_clusters():
    df = _frame(500, 3)
    r = ke.att_did(
        df,
        outcome="y1",
        baseline="y0",
        treatment="d",
        covariates=["x1", "x2"],
        method="dr",
        cluster="g",
    )
    inf = r.extra["influence"].to_numpy()
    sums = pd.Series(inf).groupby(df["g"].to_numpy()).sum().to_numpy()
    g = len(sums)
    assert r.n_clusters == g
    assert r.std_error == pytest.approx(np.sqrt(g / (g - 1) * np.sum(sums**2)) / len(df), rel=1e-12)


def test_bootstrap_option_and_bad_input():
    df = _frame(300, 4)
    b = ke.att_did(
        df,
        outcome="y1",
        baseline="y0",
        treatment="d",
        covariates=["x1"],
        method="dr",
        inference="bootstrap",
        draws=49,
        seed=1,
    )
    assert b.se_type == "bootstrap" and len(b.extra["bootstrap"]) == 49
    with pytest.raises(ke.KaizenError, match="`method` must be one of 'ipw', 'dr'"):
        ke.att_did(df, outcome="y1", baseline="y0", treatment="d", method="aipw")
    with pytest.raises(ke.KaizenError, match="available for method='dr'"):
        ke.att_did(df, outcome="y1", baseline="y0", treatment="d", inference="influence")
    with pytest.raises(ke.KaizenError, match="`inference` must be one of"):
        ke.att_did(
            df, outcome="y1", baseline="y0", treatment="d", method="dr", inference="jackknife"
        )
    dup = df.assign(x3=2 * df.x1)
    with pytest.raises(ke.KaizenError):
        ke.att_did(
            dup, outcome="y1", baseline="y0", treatment="d", covariates=["x1", "x3"], method="dr"
        )


def _misspecified(n: int, seed: int, wrong: str, strength: float) -> pd.DataFrame:
    """Truth 2; ``wrong="propensity"``: participation depends on x1² (the logit on x1, x2 is
    wrong, the linear trend right); ``wrong="outcome"``: the trend depends on x1² (the OLS is
    wrong, the logit right)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    bend = strength * (x1**2 - 1)
    index = -0.3 + 0.8 * x1 - 0.5 * x2 + (bend if wrong == "propensity" else 0.0)
    d = (rng.random(n) < 1 / (1 + np.exp(-index))).astype(float)
    trend = 0.5 + 0.7 * x1 - 0.4 * x2 + (bend if wrong == "outcome" else 0.0)
    y0 = 1 + x1 + x2 + rng.normal(size=n)
    y1 = y0 + trend + 2.0 * d + rng.normal(size=n)
    return pd.DataFrame({"d": d, "x1": x1, "x2": x2, "y0": y0, "y1": y1})


def _simulate(reps, seed, wrong, strength, method="dr"):
    """Coverage of the 95 % interval and the estimates over ``reps`` trials of n = 600."""
    cover, est = 0, []
    for rep in range(reps):
        df = _misspecified(600, seed + rep, wrong, strength)
        r = ke.att_did(
            df, outcome="y1", baseline="y0", treatment="d", covariates=["x1", "x2"], method=method
        )
        cover += r.ci_low <= 2.0 <= r.ci_high
        est.append(r.estimate)
    return cover / reps, np.array(est)


@pytest.mark.parametrize(("wrong", "strength"), [("propensity", 0.6), ("outcome", 0.5)])
def test_double_robustness_and_coverage_fast(wrong, strength):
    # 100 trials: coverage between the binomial 0.00025 and 0.99975 quantiles at 95 % (86-100
    # of 100; normal 95 % - 3.5 SE = 0.874) and the mean within 3.5 Monte Carlo SEs of the truth
    # (two-sided 0.0005): a right DR estimator passes both w.p. ≥ 0.999. Caught: an SE half
    # the right one (coverage 0.67: inside 86-100 w.p. 1e-5), and a single-model estimator
    # whose bias under the wrong nuisance model exceeds ~0.5 of its sampling sd (the mean
    # check then fails w.p. > 0.9: 3.5 SEs of the mean over 100 trials are 0.35 sd).
    reps = 100
    cover, est = _simulate(reps, 9_000, wrong, strength)
    lo, hi = stats.binom(reps, 0.95).ppf([0.00025, 0.99975]) / reps
    assert lo <= cover <= hi, cover
    assert abs(est.mean() - 2.0) < 3.5 * est.std() / np.sqrt(reps)


@pytest.mark.slow
@pytest.mark.parametrize(("wrong", "strength"), [("propensity", 0.6), ("outcome", 0.5)])
def test_double_robustness_and_coverage(wrong, strength):
    # One of the two nuisance models is wrong in each case: the DR estimate stays unbiased, and
    # its 95 % interval covers the truth (400 replications: binomial sd 1.1 points).
    # Seen, not asserted: with a strongly wrong outcome model (1.5 (x1² - 1) in the trend) the
    # estimate is consistent but biased in small samples (+0.06 at n = 600, +0.004 at 2,400)
    # and the influence-function SE (equal to DRDID's) is ~10 % below the Monte Carlo sd
    # (coverage 90-92 %): the influence function is heavy-tailed there (residuals in x1²
    # times weights exponential in x1). Prefer the bootstrap, or a richer outcome model.
    reps = 400
    cover, est = _simulate(reps, 5000, wrong, strength)
    assert 0.93 <= cover <= 0.97, cover
    assert abs(np.mean(est) - 2.0) < 3 * np.std(est) / np.sqrt(reps)
