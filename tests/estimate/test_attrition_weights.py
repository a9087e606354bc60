"""Attrition weights and the IPW ITT with stacked-moment standard errors.

References: ``ke.itt(..., weights=w)`` for the point estimate; a generic M-estimation sandwich
written here (all moments stacked, the Jacobian by central finite differences, no use of the
module's analytic corrections) for the standard error; a Monte Carlo for coverage.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, KaizenWarning


def _trial(rng, n=800, tau=0.5, clusters=None):
    """30 points of differential attrition, driven by firm size in the treated arm."""
    z = rng.permutation(np.repeat([0, 1], n // 2))
    size = rng.normal(size=n)
    y = 1.0 + tau * z + 1.0 * size + rng.normal(size=n)
    # control: ~90 % respond whatever the size; treated: ~60 %, mostly the larger firms
    p = np.where(z == 1, 1 / (1 + np.exp(-(0.5 + 1.2 * size))), 1 / (1 + np.exp(-2.2)))
    seen = rng.uniform(size=n) < p
    df = pd.DataFrame(
        {"z": z, "size": size, "y": np.where(seen, y, np.nan), "seen": seen.astype(int)}
    )
    if clusters:
        df["village"] = rng.integers(0, clusters, n)
    return df


@pytest.fixture(scope="module")
def trial():
    return _trial(np.random.default_rng(3))


def test_weights_are_the_inverse_fitted_probabilities_by_arm(trial):
    w = ke.attrition_weights(trial, response="seen", treatment="z", covariates="size")
    for arm in (0, 1):
        m = trial["z"] == arm
        r = np.column_stack([np.ones(m.sum()), trial.loc[m, "size"]])
        p = sm.Logit(trial.loc[m, "seen"].to_numpy(), r).fit(disp=0).predict(r)
        rate = trial.loc[m, "seen"].mean()
        seen = trial.loc[m, "seen"].to_numpy() == 1
        np.testing.assert_allclose(w[m][seen], rate / p[seen], rtol=1e-8)
        assert w[m][~seen].isna().all()
    d = w.attrs["diagnostics"]
    assert list(d.index) == ["z=0", "z=1"] and d.loc["z=1", "trimmed"] == 0
    assert d.loc["z=1", "response_rate"] == pytest.approx(trial.loc[trial.z == 1, "seen"].mean())
    unstabilized = ke.attrition_weights(
        trial, response="seen", treatment="z", covariates="size", stabilize=False
    )
    ratio = (w / unstabilized).dropna()
    assert (ratio.groupby(trial["z"]).agg(np.ptp) < 1e-12).all()  # a constant per arm


def test_weights_work_as_itt_weights_and_ipw_itt_matches(trial):
    df = trial.assign(
        w=ke.attrition_weights(trial, response="seen", treatment="z", covariates="size")
    )
    fixed = ke.itt(df, outcome="y", treatment="z", weights="w")
    e = ke.ipw_itt(df, outcome="y", treatment="z", response_covariates="size")
    assert e.estimate == pytest.approx(fixed.estimate, abs=1e-10)
    assert e.nobs == fixed.nobs and e.method == "IPW-OLS"
    # with covariates in the outcome regression too
    fixed = ke.itt(df, outcome="y", treatment="z", covariates="size", weights="w")
    e2 = ke.ipw_itt(df, outcome="y", treatment="z", response_covariates="size", covariates="size")
    assert e2.estimate == pytest.approx(fixed.estimate, abs=1e-10)


def _numeric_sandwich(df, covs, cluster=None, stabilize=True):
    """Generic M-estimation: stacked moments of the logits, the rates and the WLS."""
    z = df["z"].to_numpy(float)
    s = df["seen"].to_numpy(float)
    r = np.column_stack([np.ones(len(df)), df["size"]])
    x = np.column_stack([np.ones(len(df)), z, *[df[c] for c in covs]])
    y = np.nan_to_num(df["y"].to_numpy(float))
    k = x.shape[1]

    def moments(theta):
        g0, g1, q, beta = theta[0:2], theta[2:4], theta[4:6], theta[6:]
        p = np.where(z == 1, 1 / (1 + np.exp(-r @ g1)), 1 / (1 + np.exp(-r @ g0)))
        c = np.where(z == 1, q[1], q[0]) if stabilize else 1.0
        w = s * c / p
        e = y - x @ beta
        m = [
            r * ((s - p) * (z == 0))[:, None],
            r * ((s - p) * (z == 1))[:, None],
            np.column_stack([(s - q[0]) * (z == 0), (s - q[1]) * (z == 1)]),
            x * (w * e)[:, None],
        ]
        return np.hstack(m)

    g = [sm.Logit(s[z == a], r[z == a]).fit(disp=0).params for a in (0, 1)]
    q = [s[z == 0].mean(), s[z == 1].mean()]
    p = np.where(z == 1, 1 / (1 + np.exp(-r @ g[1])), 1 / (1 + np.exp(-r @ g[0])))
    w = s * (np.where(z == 1, q[1], q[0]) if stabilize else 1.0) / p
    beta = np.linalg.solve((x * w[:, None]).T @ x, (x * w[:, None]).T @ y)
    theta = np.concatenate([g[0], g[1], q, beta])
    jac = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (moments(up).sum(0) - moments(down).sum(0)) / (2 * h)
    psi = moments(theta)
    if cluster is not None:
        psi = pd.DataFrame(psi).groupby(df[cluster].to_numpy()).sum().to_numpy()
    a_inv = np.linalg.inv(jac)
    v = a_inv @ psi.T @ psi @ a_inv.T
    nr = int(s.sum())
    if cluster is None:
        c = nr / (nr - k)
    else:
        G = df[cluster].nunique()
        c = G / (G - 1) * (nr - 1) / (nr - k)
    return beta[1], np.sqrt(c * v[7, 7])


@pytest.mark.parametrize("covs", [[], ["size"]])
@pytest.mark.parametrize("stabilize", [True, False])
def test_stacked_standard_error_equals_a_numeric_m_estimation_sandwich(trial, covs, stabilize):
    e = ke.ipw_itt(
        trial,
        outcome="y",
        treatment="z",
        response_covariates="size",
        covariates=covs,
        stabilize=stabilize,
    )
    b, se = _numeric_sandwich(trial, covs, stabilize=stabilize)
    assert e.estimate == pytest.approx(b, abs=1e-10)
    assert e.std_error == pytest.approx(se, rel=1e-6)  # finite differences: ~1e-8 relative


def _numeric_pooled(df):
    """The pooled logit (arm as a regressor), stabilised by arm: generic stacked sandwich."""
    z = df["z"].to_numpy(float)
    s = df["seen"].to_numpy(float)
    r = np.column_stack([np.ones(len(df)), z, df["size"]])
    x = np.column_stack([np.ones(len(df)), z])
    y = np.nan_to_num(df["y"].to_numpy(float))

    def moments(theta):
        g, q, beta = theta[0:3], theta[3:5], theta[5:]
        p = 1 / (1 + np.exp(-r @ g))
        w = s * np.where(z == 1, q[1], q[0]) / p
        qs = np.column_stack([(s - q[0]) * (z == 0), (s - q[1]) * (z == 1)])
        return np.hstack([r * (s - p)[:, None], qs, x * (w * (y - x @ beta))[:, None]])

    g = sm.Logit(s, r).fit(disp=0).params
    q = [s[z == 0].mean(), s[z == 1].mean()]
    w = s * np.where(z == 1, q[1], q[0]) * (1 + np.exp(-r @ g))
    beta = np.linalg.solve((x * w[:, None]).T @ x, (x * w[:, None]).T @ y)
    theta = np.concatenate([g, q, beta])
    jac = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (moments(up).sum(0) - moments(down).sum(0)) / (2 * h)
    psi = moments(theta)
    a_inv = np.linalg.inv(jac)
    nr = int(s.sum())
    v = a_inv @ psi.T @ psi @ a_inv.T * nr / (nr - 2)
    return beta[1], np.sqrt(v[6, 6])


def test_pooled_logit_stacked_standard_error(trial):
    e = ke.ipw_itt(trial, outcome="y", treatment="z", response_covariates="size", by_arm=False)
    b, se = _numeric_pooled(trial)
    assert e.estimate == pytest.approx(b, abs=1e-10)
    assert e.std_error == pytest.approx(se, rel=1e-6)


def test_clustered_stacked_standard_error():
    df = _trial(np.random.default_rng(8), clusters=40)
    e = ke.ipw_itt(df, outcome="y", treatment="z", response_covariates="size", cluster="village")
    b, se = _numeric_sandwich(df, [], cluster="village")
    assert e.estimate == pytest.approx(b, abs=1e-10)
    assert e.std_error == pytest.approx(se, rel=1e-6) and e.n_clusters == 40


def test_intercept_only_response_model_gives_the_hc1_itt(trial):
    # constant weights within arm: the correction vanishes and the SE is itt's HC1
    e = ke.ipw_itt(trial.assign(one=1.0), outcome="y", treatment="z", response_covariates=[])
    plain = ke.itt(trial, outcome="y", treatment="z")
    assert e.estimate == pytest.approx(plain.estimate, abs=1e-12)
    assert e.std_error == pytest.approx(plain.std_error, rel=1e-10)


def test_trimming_and_exploding_weights_warn():
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({"z": np.repeat([0, 1], n // 2), "x": rng.normal(size=n)})
    p = 1 / (1 + np.exp(-(1 + 3.5 * df["x"] * df["z"])))
    df["seen"] = (rng.uniform(size=n) < p).astype(int)
    with pytest.warns(KaizenWarning, match=r"the largest weight, [\d.]+ \(row \d+.*no trimming"):
        w = ke.attrition_weights(df, response="seen", treatment="z", covariates="x")
    with pytest.warns(KaizenWarning, match="trimming capped"):
        t = ke.attrition_weights(df, response="seen", treatment="z", covariates="x", trim=0.95)
    d = t.attrs["diagnostics"]
    assert d["trimmed"].sum() > 0 and d.loc["z=1", "max_weight"] < d.loc["z=1", "max_weight_raw"]
    assert t.max() == pytest.approx(np.nanquantile(w, 0.95))


def test_bad_input(trial):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(KaizenError, match="nobody responded in the arm z = 1"):
            ke.attrition_weights(
                trial.assign(seen=np.where(trial.z == 1, 0, trial.seen)),
                response="seen",
                treatment="z",
                covariates="size",
            )
        with pytest.raises(KaizenError, match="every row responded"):
            ke.attrition_weights(trial.assign(seen=1), response="seen", treatment="z")
        with pytest.raises(KaizenError, match="needs `treatment`"):
            ke.attrition_weights(trial, response="seen", covariates="size")
        with pytest.raises(KaizenError, match="trim"):
            ke.attrition_weights(trial, response="seen", treatment="z", trim=0.2)
        sep = trial.assign(cut=(trial["seen"] == 1).astype(float) + 0.01 * trial["size"])
        with pytest.raises(KaizenError, match=r"separate|predict response"):
            ke.attrition_weights(sep, response="seen", treatment="z", covariates="cut")
    with pytest.warns(KaizenWarning, match="everyone responded in the arm z = 0"):
        w = ke.attrition_weights(
            trial.assign(seen=np.where(trial.z == 0, 1, trial.seen)),
            response="seen",
            treatment="z",
            covariates="size",
        )
    assert (w[trial.z == 0] == 1).all()


def _simulate(reps, seed):
    """95 % coverage of the IPW-ITT and of the unweighted ITT over ``reps`` attrited trials."""
    rng = np.random.default_rng(seed)
    tau, cover_ipw, cover_naive = 0.5, 0, 0
    for _ in range(reps):
        df = _trial(rng, n=600, tau=tau)
        e = ke.ipw_itt(df, outcome="y", treatment="z", response_covariates="size")
        cover_ipw += e.ci_low <= tau <= e.ci_high
        u = ke.itt(df, outcome="y", treatment="z")
        cover_naive += u.ci_low <= tau <= u.ci_high
    ipw, naive = cover_ipw / reps, cover_naive / reps
    print(
        f"95 % coverage, 30-point differential attrition: IPW-ITT {ipw:.3f}, "
        f"unweighted ITT {naive:.3f} ({reps} trials)"
    )
    return ipw, naive


def test_ipw_itt_covers_where_the_unweighted_itt_does_not_fast():
    # 60 trials: the IPW-ITT covers at least 51 times, the binomial 0.1 % quantile at 95 %
    # (a right interval falls below w.p. 0.0007; normal 95 % - 3.5 SE = 0.85). Caught, and
    # asserted: the unweighted ITT, biased by the differential attrition, covers 0.15 in
    # these 60 trials (below 0.80 over 300). Not targeted: an SE that ignores the estimation
    # of the weights; the stacked-moment checks above test the SE itself.
    reps = 60
    floor = stats.binom(reps, 0.95).ppf(0.001) / reps
    ipw, naive = _simulate(reps, seed=2027)
    assert ipw >= floor, ipw
    assert naive < floor, naive  # the wrong method lands outside the band


@pytest.mark.slow
def test_ipw_itt_covers_where_the_unweighted_itt_does_not():
    ipw, naive = _simulate(300, seed=2026)  # coverage s.e. 1.3 points
    assert 0.93 <= ipw <= 0.97
    assert naive < 0.80
