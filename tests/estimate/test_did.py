import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def _site(n, seed):
    """Selection into training on x; trends depend on x; effect on participants = 2."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(0.3 - 1.2 * x))).astype(int)
    y0 = 5 + x + rng.normal(size=n)
    y1 = y0 + 1.5 * x + 2.0 * d + rng.normal(size=n)
    return pd.DataFrame({"d": d, "x": x, "y0": y0, "y1": y1, "village": rng.integers(0, 40, n)})


def test_without_covariates_it_is_the_plain_did():
    df = _site(300, 1)
    r = ke.att_did(df, outcome="y1", baseline="y0", treatment="d", draws=20)
    dy = df["y1"] - df["y0"]
    assert r.estimate == pytest.approx(dy[df.d == 1].mean() - dy[df.d == 0].mean(), rel=1e-12)


def test_equals_weighted_regression_with_logit_odds_weights():
    df = _site(500, 2)
    r = ke.att_did(df, outcome="y1", baseline="y0", treatment="d", covariates="x", draws=20)
    xc = sm.add_constant(df[["x"]])
    p = sm.GLM(df["d"], xc, family=sm.families.Binomial()).fit().predict(xc)
    w = np.where(df["d"] == 1, 1.0, p / (1 - p))
    wls = sm.WLS(df["y1"] - df["y0"], sm.add_constant(df[["d"]]), weights=w).fit()
    assert r.estimate == pytest.approx(wls.params["d"], rel=1e-7)  # logit fits to ~1e-8
    np.testing.assert_allclose(r.extra["propensity"], p, rtol=1e-6)


def test_recovers_the_att_where_the_plain_did_is_biased():
    df = _site(4000, 3)
    r = ke.att_did(df, outcome="y1", baseline="y0", treatment="d", covariates="x", draws=199)
    plain = ke.att_did(df, outcome="y1", baseline="y0", treatment="d", draws=20)
    assert r.ci_low <= 2.0 <= r.ci_high
    assert plain.estimate > 2.5  # participants have higher x, hence steeper trends
    assert r.std_error == pytest.approx(np.std(r.extra["bootstrap"], ddof=1))
    assert (r.method, r.estimand, r.se_type) == ("DiD-IPW", "ATT", "bootstrap")


def test_bootstrap_is_seeded_and_can_resample_clusters():
    df = _site(300, 4)
    kw = {"outcome": "y1", "baseline": "y0", "treatment": "d", "covariates": "x", "draws": 30}
    a = ke.att_did(df, seed=5, **kw)
    b = ke.att_did(df, seed=5, **kw)
    np.testing.assert_array_equal(a.extra["bootstrap"], b.extra["bootstrap"])
    c = ke.att_did(df, cluster="village", seed=5, **kw)
    assert c.n_clusters == 40 and c.estimate == a.estimate


def test_bad_input():
    df = _site(200, 6)
    with pytest.raises(KaizenError, match="must be 0/1"):
        ke.att_did(df.assign(d=df["d"] * 2), outcome="y1", baseline="y0", treatment="d")
    sep = df.assign(x=df["d"] * 10.0 + df["x"] * 0.01)
    with pytest.raises(KaizenError, match="no overlap"):
        ke.att_did(sep, outcome="y1", baseline="y0", treatment="d", covariates="x", draws=5)
    with pytest.raises(KaizenError, match="att_did"):
        ke.att(df, outcome="y1", treatment="d")
