"""The numerical core against statsmodels (an independent implementation) and FWL identities."""

import numpy as np
import pytest
import statsmodels.api as sm

from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._core.linear import fit_2sls, fit_ols
from kaizen_eval._core.wald import wald_test
from kaizen_eval._validation import KaizenError


@pytest.fixture
def data():
    rng = np.random.default_rng(11)
    n = 150
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2)), rng.integers(0, 2, n)])
    y = x @ [1.0, 0.5, -0.3, 2.0] + rng.normal(size=n) * (1 + np.abs(x[:, 1]))
    cl = rng.integers(0, 17, n)
    fe = rng.integers(0, 5, n)
    return y, x, cl, fe


@pytest.mark.parametrize("se", ["classical", "HC0", "HC1", "HC2", "HC3"])
def test_hc_types_match_statsmodels(data, se):
    y, x, _, _ = data
    fit = fit_ols(y, x, se=se)
    cov_type = "nonrobust" if se == "classical" else se
    ref = sm.OLS(y, x).fit(cov_type=cov_type)
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-10)
    np.testing.assert_allclose(fit.vcov, ref.cov_params(), rtol=1e-10)
    assert np.all(fit.df == len(y) - x.shape[1])


def test_cr1_matches_statsmodels_cluster(data):
    y, x, cl, _ = data
    fit = fit_ols(y, x, se="CR1", clusters=cl)
    ref = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": cl})
    np.testing.assert_allclose(fit.vcov, ref.cov_params(), rtol=1e-10)
    assert fit.n_clusters == 17
    assert np.all(fit.df == 16)


@pytest.mark.parametrize("se", ["HC1", "HC2", "HC3", "CR1", "CR2"])
def test_absorbed_fixed_effects_equal_dummies(data, se):
    """FWL: absorbing strata gives the dummy-regression coefficients and covariance."""
    y, x, cl, fe = data
    dummies = (fe[:, None] == np.arange(5)).astype(float)
    full = fit_ols(y, np.hstack([x[:, 1:], dummies]), se=se, clusters=cl)
    absorbed = fit_ols(y, x[:, 1:], se=se, clusters=cl, fixed_effects=fe)
    np.testing.assert_allclose(absorbed.coef, full.coef[:3], rtol=1e-10)
    np.testing.assert_allclose(absorbed.vcov, full.vcov[:3, :3], rtol=1e-9)
    np.testing.assert_allclose(absorbed.df, full.df[:3], rtol=1e-9)


def test_two_fixed_effects_equal_dummies(data):
    y, x, cl, fe = data
    fe2 = np.random.default_rng(5).integers(0, 3, len(y))
    d1 = (fe[:, None] == np.arange(5)).astype(float)
    d2 = (fe2[:, None] == np.arange(1, 3)).astype(float)
    full = fit_ols(y, np.hstack([x[:, 1:], d1, d2]), se="CR2", clusters=cl)
    absorbed = fit_ols(y, x[:, 1:], se="CR2", clusters=cl, fixed_effects=np.column_stack([fe, fe2]))
    assert absorbed.n_absorbed == 7
    np.testing.assert_allclose(absorbed.coef, full.coef[:3], rtol=1e-10)
    np.testing.assert_allclose(absorbed.vcov, full.vcov[:3, :3], rtol=1e-9)
    np.testing.assert_allclose(absorbed.df, full.df[:3], rtol=1e-9)


def test_weights_equal_scaled_regression(data):
    y, x, _, _ = data
    w = np.random.default_rng(2).uniform(0.5, 2, len(y))
    fit = fit_ols(y, x, se="HC1", weights=w)
    ref = sm.WLS(y, x, weights=w).fit(cov_type="HC1")
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-10)
    np.testing.assert_allclose(fit.vcov, ref.cov_params(), rtol=1e-9)
    np.testing.assert_allclose(fit.resid, ref.resid, rtol=1e-9, atol=1e-12)


def test_2sls_point_estimate_and_hc0(data):
    y, x, _, _ = data
    rng = np.random.default_rng(4)
    z = rng.integers(0, 2, len(y)).astype(float)
    d = z * (rng.random(len(y)) < 0.6)
    y = y + 2 * d
    fit = fit_2sls(y, x[:, :2], d[:, None], z[:, None], se="HC0")
    zf = np.column_stack([x[:, :2], z])
    xf = np.column_stack([x[:, :2], d])
    xhat = zf @ np.linalg.solve(zf.T @ zf, zf.T @ xf)
    beta = np.linalg.solve(xhat.T @ xf, xhat.T @ y)
    np.testing.assert_allclose(fit.coef, beta, rtol=1e-10)
    e = y - xf @ beta
    b = np.linalg.inv(xhat.T @ xhat)
    v = b @ (xhat * e[:, None] ** 2).T @ xhat @ b
    np.testing.assert_allclose(fit.vcov, v, rtol=1e-10)


def test_wald_matches_statsmodels(data):
    y, x, cl, _ = data
    fit = fit_ols(y, x, se="HC2", names=["c", "a", "b", "d"])
    ref = sm.OLS(y, x).fit(cov_type="HC2", use_t=True)
    r = np.zeros((2, 4))
    r[0, 1] = r[1, 2] = 1
    expected = ref.f_test(r)
    got = wald_test(fit, ["a", "b"])
    assert got.fstat == pytest.approx(float(expected.fvalue), rel=1e-10)
    assert got.pvalue == pytest.approx(float(expected.pvalue), rel=1e-8)
    assert (got.df1, got.df2) == (2, len(y) - 4)
    clustered = wald_test(fit_ols(y, x, se="CR1", clusters=cl), [1, 2])
    assert clustered.df2 == 16


def test_collinear_columns_are_named(data):
    y, x, _, _ = data
    bad = np.column_stack([x, x[:, 1] + x[:, 2]])
    with pytest.raises(KaizenError, match="'s' is a linear combination"):
        fit_ols(y, bad, names=["const", "a", "b", "d", "s"])


def test_single_cluster_is_an_error(data):
    y, x, _, _ = data
    with pytest.raises(KaizenError, match="at least 2 clusters"):
        fit_ols(y, x, se="CR1", clusters=np.zeros(len(y)))


def test_se_type_validation():
    assert check_se_type(None, clustered=False) == "HC1"
    with pytest.raises(KaizenError, match="needs a `cluster`"):
        check_se_type("CR2", clustered=False)
    with pytest.raises(KaizenError, match="with `cluster` the `se` must be one of"):
        check_se_type("HC1", clustered=True)
    with pytest.raises(KaizenError, match="You passed: 'HC9'"):
        check_se_type("HC9", clustered=False)


@pytest.mark.parametrize("se", ["HC1", "CR1"])
def test_iterative_absorption_equals_the_exact_one(data, se, monkeypatch):
    import kaizen_eval._core.absorb as absorb

    y, x, cl, fe = data
    rng = np.random.default_rng(9)
    fe2 = rng.integers(0, 6, len(y))
    fe3 = rng.integers(0, 3, len(y))
    codes = np.column_stack([fe, fe2, fe3])
    exact = fit_ols(y, x[:, 1:], se=se, clusters=cl, fixed_effects=codes)
    monkeypatch.setattr(absorb, "_DENSE_LIMIT", 10)
    iterative = fit_ols(y, x[:, 1:], se=se, clusters=cl, fixed_effects=codes)
    assert iterative.n_absorbed == exact.n_absorbed == 5 + 5 + 2
    np.testing.assert_allclose(iterative.coef, exact.coef, rtol=1e-9)
    np.testing.assert_allclose(iterative.vcov, exact.vcov, rtol=1e-8)
    with pytest.raises(KaizenError, match="use HC1 or CR1"):
        fit_ols(y, x[:, 1:], se="HC2", fixed_effects=codes)


def test_rank_of_two_disconnected_fixed_effects(monkeypatch):
    import kaizen_eval._core.absorb as absorb

    # firms 0-2 only in waves 0-1, firms 3-4 only in waves 2-3: two connected components
    f = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    w = np.array([0, 1, 0, 1, 0, 1, 2, 3, 2, 3])
    exact = absorb.Absorber(np.column_stack([f, w])).rank
    monkeypatch.setattr(absorb, "_DENSE_LIMIT", 10)
    assert absorb.Absorber(np.column_stack([f, w])).rank == exact == 5 + 4 - 2


def test_htz_with_one_restriction_is_the_satterthwaite_t_test(data):
    y, x, cl, _ = data
    fit = fit_ols(y, x, se="CR2", clusters=cl)
    one = wald_test(fit, [1], test="HTZ")
    assert one.df2 == pytest.approx(fit.df[1], rel=1e-10)
    assert one.fstat == pytest.approx(fit.coef[1] ** 2 / fit.vcov[1, 1], rel=1e-10)
    with pytest.raises(KaizenError, match="test='HTZ' needs a CR2 fit"):
        wald_test(fit_ols(y, x, se="CR1", clusters=cl), [1, 2], test="HTZ")


def test_2sls_point_estimates_from_linearmodels_and_the_large_data_path_agree(monkeypatch):
    import numpy as np

    from kaizen_eval._core import linear

    rng = np.random.default_rng(8)
    n = 3_000
    z = rng.integers(0, 2, (n, 2)).astype(float)
    d = np.column_stack([z[:, 0] * (rng.random(n) < 0.7), z[:, 1] * (rng.random(n) < 0.9)])
    x = rng.normal(size=(n, 2))
    fe = rng.integers(0, 12, n)
    y = d @ [2.0, -1.0] + x @ [0.5, 0.3] + fe * 0.1 + rng.normal(size=n)
    args = (y, x, d, z)
    kw = {"se": "CR1", "clusters": rng.integers(0, 60, n), "fixed_effects": fe}
    via_linearmodels = linear.fit_2sls(*args, **kw)
    monkeypatch.setattr(linear, "LINEARMODELS_MAX_ROWS", 0)
    via_qr = linear.fit_2sls(*args, **kw)
    np.testing.assert_allclose(via_qr.coef, via_linearmodels.coef, rtol=1e-10, atol=0)
    np.testing.assert_allclose(via_qr.vcov, via_linearmodels.vcov, rtol=1e-9, atol=0)
