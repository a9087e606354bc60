"""The fast wild cluster bootstrap against a naive refit per draw (exact enumeration)."""

import itertools

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._core.absorb import factorize
from kaizen_eval._core.wild import WildOLS, draw_weights
from kaizen_eval._core.wild_iv import WildIV
from kaizen_eval._validation import KaizenError


def _data(seed, g=9, effect=0.0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 40, g)
    cl = np.repeat(np.arange(g), sizes)
    treated = rng.permutation(np.arange(g) < g // 2)
    n = len(cl)
    df = pd.DataFrame(
        {
            "cl": cl,
            "t": treated[cl].astype(int),
            "x": rng.normal(size=n),
            "s": rng.integers(0, 3, n),
            "s2": rng.integers(0, 4, n),
            "sub": cl * 2 + rng.integers(0, 2, n),
        }
    )
    df["y"] = effect * df["t"] + df["x"] + rng.normal(size=g)[cl] * 2 + rng.standard_t(3, n)
    return df


def _iv_data(seed, g=8, effect=0.5):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 30, g)
    cl = np.repeat(np.arange(g), sizes)
    n = len(cl)
    z = rng.permutation(np.arange(g) < g // 2)[cl].astype(float)
    conf = rng.normal(size=n)
    d = ((0.8 * z + 0.5 * conf + rng.normal(size=n)) > 0.6).astype(float)
    x = rng.normal(size=n)
    y = effect * d + 0.3 * x + conf + rng.normal(size=g)[cl] + rng.normal(size=n)
    return pd.DataFrame({"cl": cl, "z": z, "d": d, "x": x, "y": y, "s": rng.integers(0, 3, n)})


def _pvalue(draws, observed):
    return float(np.mean(np.abs(draws) >= abs(observed) * (1 - 1e-9)))


def _signs(g):
    return np.array(list(itertools.product((-1.0, 1.0), repeat=g)))


def _naive_ols(y, t, x, cl, v, fe, null, restricted, boot=None):
    """WCR/WCU by refitting OLS (``fit_ols``, CR1) for every draw."""
    design = np.column_stack([t, x])
    full = ke.fit_ols(y, design, se="CR1", clusters=cl, fixed_effects=fe)
    observed = (full.coef[0] - null) / full.std_error[0]
    if restricted:
        r = ke.fit_ols(y - null * t, x, se="HC0", fixed_effects=fe)
        fitted, resid, centre = y - r.resid, r.resid, null
    else:
        fitted, resid, centre = y - full.resid, full.resid, full.coef[0]
    codes = factorize(cl if boot is None else boot)
    out = []
    for row in v:
        fit = ke.fit_ols(
            fitted + row[codes] * resid, design, se="CR1", clusters=cl, fixed_effects=fe
        )
        out.append((fit.coef[0] - centre) / fit.std_error[0])
    return observed, np.array(out)


def _dummies(fe, n):
    if fe is None:
        return np.empty((n, 0))
    codes = factorize(np.asarray(fe))
    return np.eye(codes.max() + 1)[codes]


def _tsls_t(y, d, z, w, cl, null):
    """CR1 t statistic of the 2SLS coefficient on ``d`` (numpy lstsq, dummies explicit)."""
    zf, xf = np.column_stack([z, w]), np.column_stack([d, w])
    xhat = zf @ np.linalg.lstsq(zf, xf, rcond=None)[0]
    beta = np.linalg.lstsq(xhat, y, rcond=None)[0]
    e = y - xf @ beta
    bread = np.linalg.inv(xhat.T @ xhat)
    codes = factorize(cl)
    g, n, k = codes.max() + 1, len(y), xf.shape[1]
    scores = np.array([xhat[codes == h].T @ e[codes == h] for h in range(g)])
    vcov = g / (g - 1) * (n - 1) / (n - k) * bread @ scores.T @ scores @ bread
    return (beta[0] - null) / np.sqrt(vcov[0, 0])


def _naive_wre(y, d, z, x, cl, v, fe, null):
    """WRE (Davidson–MacKinnon 2010) by refitting 2SLS for every draw (numpy lstsq)."""
    w = np.column_stack([x, _dummies(fe, len(y))])
    observed = _tsls_t(y, d, z, w, cl, null)
    r = y - null * d
    u1 = r - w @ np.linalg.lstsq(w, r, rcond=None)[0]
    first_x = np.column_stack([z, w, u1])
    first = np.linalg.lstsq(first_x, d, rcond=None)[0]
    u2 = d - first_x @ first + first[-1] * u1
    codes = factorize(cl)
    out = []
    for row in v:
        ds = d - u2 + row[codes] * u2
        ys = null * ds + (r - u1) + row[codes] * u1
        out.append(_tsls_t(ys, ds, z, w, cl, null))
    return observed, np.array(out)


@pytest.mark.parametrize("restricted", [True, False])
@pytest.mark.parametrize("fe", [None, "s", "s+s2"])
@pytest.mark.parametrize("null", [0.0, 0.7])
def test_ols_enumeration_equals_refitting_every_draw(restricted, fe, null):
    df = _data(1, g=8)
    y, t, cl = df["y"].to_numpy(), df["t"].to_numpy(float), df["cl"].to_numpy()
    x = df[["x"]].to_numpy()
    codes = {None: None, "s": df["s"].to_numpy(), "s+s2": df[["s", "s2"]].to_numpy()}[fe]
    if codes is None:
        x = np.column_stack([np.ones(len(y)), x])
    v = _signs(8)
    fast = WildOLS(y, t, x, cl, v, fixed_effects=codes, restricted=restricted, null=null)
    res = fast.result()
    observed, naive = _naive_ols(y, t, x, cl, v, codes, null, restricted)
    assert res.statistic == pytest.approx(observed, rel=1e-10)
    np.testing.assert_allclose(res.draws, naive, rtol=1e-8, atol=1e-10)
    assert abs(res.pvalue - _pvalue(naive, observed)) <= 1e-12


def test_subcluster_bootstrap_equals_refitting_every_draw():
    df = _data(2, g=5)
    y, t, cl = df["y"].to_numpy(), df["t"].to_numpy(float), df["cl"].to_numpy()
    x = np.column_stack([np.ones(len(y)), df["x"]])
    sub = df["sub"].to_numpy()
    v = _signs(len(np.unique(sub)))
    res = WildOLS(y, t, x, cl, v, boot_clusters=sub, null=0.2).result()
    observed, naive = _naive_ols(y, t, x, cl, v, None, 0.2, True, boot=sub)
    np.testing.assert_allclose(res.draws, naive, rtol=1e-8, atol=1e-10)
    assert abs(res.pvalue - _pvalue(naive, observed)) <= 1e-12
    # coarser bootstrap clusters than the CR1 clusters, with a fixed effect
    coarse = cl // 2
    v = _signs(3)
    fe = df["s"].to_numpy()
    res = WildOLS(y, t, x[:, 1:], cl, v, fixed_effects=fe, boot_clusters=coarse).result()
    observed, naive = _naive_ols(y, t, x[:, 1:], cl, v, fe, 0.0, True, boot=coarse)
    np.testing.assert_allclose(res.draws, naive, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("fe", [None, "s"])
@pytest.mark.parametrize("null", [0.0, 0.5])
def test_wre_enumeration_equals_refitting_every_draw(fe, null):
    df = _iv_data(3)
    y, d, z, cl = (df[c].to_numpy() for c in ("y", "d", "z", "cl"))
    x = df[["x"]].to_numpy()
    codes = None if fe is None else df[fe].to_numpy()
    if codes is None:
        x = np.column_stack([np.ones(len(y)), x])
    v = _signs(8)
    res = WildIV(y, d, z[:, None], x, cl, v, fixed_effects=codes, null=null).result()
    observed, naive = _naive_wre(y, d, z, x, cl, v, codes, null)
    full = ke.fit_2sls(y, x, d[:, None], z[:, None], se="CR1", clusters=cl, fixed_effects=codes)
    assert res.statistic == pytest.approx((full.coef[-1] - null) / full.std_error[-1], rel=1e-10)
    assert res.statistic == pytest.approx(observed, rel=1e-9)
    np.testing.assert_allclose(res.draws, naive, rtol=1e-8, atol=1e-10)
    assert abs(res.pvalue - _pvalue(naive, observed)) <= 1e-12


def test_public_wre_and_anderson_rubin():
    df = _iv_data(4)
    kw = {"outcome": "y", "treatment": "d", "instrument": "z", "cluster": "cl", "covariates": "x"}
    wre = ke.wild_cluster_bootstrap(df, **kw, dose=True, null=0.3)
    with pytest.warns(ke.KaizenWarning, match="only 8 clusters"):
        late = ke.late(df, outcome="y", treatment="d", instrument="z", cluster="cl", covariates="x")
    assert wre.bootstrap == "WRE" and wre.exact and len(wre.draws) == 256
    assert wre.estimate == pytest.approx(late.estimate, rel=1e-10)
    assert wre.std_error == pytest.approx(late.std_error, rel=1e-10)
    ar = ke.wild_cluster_bootstrap(df, **kw, dose=True, null=0.3, bootstrap="AR")
    # AR: WCR of the instrument in the regression of y - 0.3 d
    y, d, z, cl = (df[c].to_numpy() for c in ("y", "d", "z", "cl"))
    x = np.column_stack([np.ones(len(y)), df["x"]])
    observed, naive = _naive_ols(y - 0.3 * d, z, x, cl, _signs(8), None, 0.0, True)
    assert ar.statistic == pytest.approx(observed, rel=1e-10)
    assert abs(ar.pvalue - _pvalue(naive, observed)) <= 1e-12
    with pytest.raises(KaizenError, match="is for OLS"):
        ke.wild_cluster_bootstrap(df, **kw, dose=True, bootstrap="WCR")
    with pytest.raises(KaizenError, match="needs an `instrument`"):
        ke.wild_cluster_bootstrap(df, outcome="y", treatment="z", cluster="cl", bootstrap="WRE")


def test_public_function_matches_the_kernel_and_refits():
    df = _data(3)
    wb = ke.wild_cluster_bootstrap(
        df, outcome="y", treatment="t", cluster="cl", covariates="x", fixed_effects="s"
    )
    assert wb.exact and len(wb.draws) == 2**9 and wb.bootstrap == "WCR"
    np.testing.assert_allclose(np.sort(wb.draws), -np.sort(wb.draws)[::-1], atol=1e-10)
    y, t, cl = df["y"].to_numpy(), df["t"].to_numpy(float), df["cl"].to_numpy()
    observed, naive = _naive_ols(y, t, df[["x"]].to_numpy(), cl, _signs(9), df["s"], 0.0, True)
    assert abs(wb.pvalue - _pvalue(naive, observed)) <= 1e-12
    with pytest.warns(ke.KaizenWarning, match="only 9 clusters"):
        itt = ke.itt(
            df, outcome="y", treatment="t", cluster="cl", covariates="x", fixed_effects="s"
        )
    assert wb.estimate == pytest.approx(itt.estimate, rel=1e-12)
    assert wb.std_error == pytest.approx(itt.std_error, rel=1e-10)
    assert "WCR" in str(wb) and wb.tidy().loc["estimate", "pvalue"] == wb.pvalue


@pytest.mark.parametrize("weights", ["rademacher", "webb", "mammen", "normal"])
def test_weights_have_mean_zero_and_unit_variance(weights):
    v, exact = draw_weights(weights, 100_000, 20, np.random.default_rng(0))
    assert not exact and v.shape == (100_000, 20)
    # 2,000,000 weights: the standard error of the mean is 0.0007, of the variance < 0.002
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.02
    if weights == "mammen":
        assert abs((v**3).mean() - 1) < 0.05


def test_monte_carlo_weights_run_through_the_public_function():
    df = _data(3)
    for weights in ("webb", "mammen", "normal"):
        wb = ke.wild_cluster_bootstrap(
            df, outcome="y", treatment="t", cluster="cl", weights=weights, draws=999, seed=1
        )
        assert not wb.exact and len(wb.draws) == 999 and 0 <= wb.pvalue <= 1


@pytest.mark.parametrize("kind", ["WCR", "WCU"])
def test_confidence_interval_inverts_the_test(kind):
    df = _data(5, effect=1.0)
    kw = {"outcome": "y", "treatment": "t", "cluster": "cl", "covariates": "x", "bootstrap": kind}
    wb = ke.wild_cluster_bootstrap(df, ci=True, **kw)
    assert wb.ci_low < wb.estimate < wb.ci_high
    width = wb.ci_high - wb.ci_low
    for end, outward in ((wb.ci_low, -1), (wb.ci_high, 1)):
        inside = ke.wild_cluster_bootstrap(df, null=end - outward * 1e-6 * width, **kw)
        outside = ke.wild_cluster_bootstrap(df, null=end + outward * 1e-6 * width, **kw)
        assert inside.pvalue > 0.05 >= outside.pvalue


def test_wre_confidence_interval_inverts_the_test():
    df = _iv_data(6, g=10)
    kw = {"outcome": "y", "treatment": "d", "instrument": "z", "cluster": "cl", "dose": True}
    wb = ke.wild_cluster_bootstrap(df, ci=True, **kw)
    assert wb.ci_low < wb.estimate < wb.ci_high
    width = wb.ci_high - wb.ci_low
    for end, outward in ((wb.ci_low, -1), (wb.ci_high, 1)):
        inside = ke.wild_cluster_bootstrap(df, null=end - outward * 1e-6 * width, **kw)
        outside = ke.wild_cluster_bootstrap(df, null=end + outward * 1e-6 * width, **kw)
        assert inside.pvalue > 0.05 >= outside.pvalue


def test_bad_input():
    df = _data(4)
    kw = {"outcome": "y", "treatment": "t", "cluster": "cl"}
    with pytest.raises(KaizenError, match="`weights` must be one of"):
        ke.wild_cluster_bootstrap(df, **kw, weights="gaussian")
    with pytest.raises(KaizenError, match="`bootstrap` must be one of"):
        ke.wild_cluster_bootstrap(df, **kw, bootstrap="wcr")
    with pytest.raises(KaizenError, match="at least 2 clusters"):
        ke.wild_cluster_bootstrap(df.assign(cl=1), **kw)
    with pytest.raises(KaizenError, match=r"does not vary \(all 9 clusters are treated\)"):
        ke.wild_cluster_bootstrap(df.assign(t=1), **kw)
    with pytest.raises(KaizenError, match="cluster 'cl' is missing for 2 rows"):
        ke.wild_cluster_bootstrap(df.assign(cl=df["cl"].where(df.index > 1)), **kw)
    with pytest.raises(KaizenError, match="cluster 'sub' is missing for 1 rows"):
        ke.wild_cluster_bootstrap(
            df.assign(sub=df["sub"].where(df.index > 0)), **kw, bootstrap_cluster="sub"
        )
    with pytest.raises(KaizenError, match="takes one instrument"):
        ke.wild_cluster_bootstrap(
            df.assign(z2=df["x"]), **kw, instrument=["s", "z2"], bootstrap="AR", dose=True
        )


def test_progress_bar_counts_the_bootstrap_draws(capsys):
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(14), 10)
    df = pd.DataFrame({"g": g, "t": (g % 2).astype(float)})
    df["y"] = 0.3 * df["t"] + rng.normal(size=14)[g] + rng.normal(size=140)
    kw = {"outcome": "y", "treatment": "t", "cluster": "g", "draws": 2_500, "seed": 3}
    quiet = ke.wild_cluster_bootstrap(df, **kw)
    loud = ke.wild_cluster_bootstrap(df, **kw, progress=True)
    err = capsys.readouterr().err
    assert "wild bootstrap" in err and "2500/2500" in err
    assert loud.pvalue == quiet.pvalue
    np.testing.assert_array_equal(loud.draws, quiet.draws)
    with_ci = ke.wild_cluster_bootstrap(df, **kw, ci=True, progress=True)
    err = capsys.readouterr().err
    assert "wild bootstrap" in err and with_ci.ci_low < with_ci.estimate < with_ci.ci_high


def test_wre_with_two_instruments_equals_refitting_every_draw():
    df = _iv_data(7)
    rng = np.random.default_rng(8)
    y, d, cl = (df[c].to_numpy() for c in ("y", "d", "cl"))
    z = np.column_stack([df["z"], df["z"] * rng.uniform(0.5, 1.5, 8)[cl]])
    x = np.column_stack([np.ones(len(y)), df["x"]])
    v = _signs(8)
    res = WildIV(y, d, z, x, cl, v, null=0.2).result()
    observed, naive = _naive_wre(y, d, z, x, cl, v, None, 0.2)
    assert res.statistic == pytest.approx(observed, rel=1e-9)
    np.testing.assert_allclose(res.draws, naive, rtol=1e-8, atol=1e-10)
    assert abs(res.pvalue - _pvalue(naive, observed)) <= 1e-12
