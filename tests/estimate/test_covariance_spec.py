"""One covariance specification for every kernel: same checks, same messages, same meats."""

import numpy as np
import pytest

from kaizen_eval._core import meats
from kaizen_eval._core.batch_iv import Batch2SLS
from kaizen_eval._core.batch_ols import BatchOLS
from kaizen_eval._core.covariance import CovarianceSpec, sandwich
from kaizen_eval._core.engine import ResamplingEngine
from kaizen_eval._core.linear import fit_2sls, fit_ols
from kaizen_eval._validation import KaizenError

N = 60


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(N), rng.normal(size=N), rng.integers(0, 2, N)])
    y = x @ [1.0, 0.4, 0.8] + rng.normal(size=N) * (1 + np.abs(x[:, 1]))
    return y, x, np.arange(N) // 5, np.arange(N) % 3


def _kernels(y, x, **kw):
    """Every kernel that builds a covariance from ``se`` and ``clusters``."""
    n, k = x.shape
    se, clusters = kw["se"], kw.get("clusters")
    rows = x.T[None]
    return {
        "fit_ols": lambda: fit_ols(y, x, se=se, clusters=clusters),
        "fit_2sls": lambda: fit_2sls(y, x[:, :2], x[:, 2:], x[:, 2:], se=se, clusters=clusters),
        "engine": lambda: ResamplingEngine(y, covariates=x[:, :2], clusters=clusters, se_type=se),
        "BatchOLS": lambda: BatchOLS(n, k, se_type=se, clusters=clusters).fit(y[None], rows),
        "Batch2SLS": lambda: Batch2SLS(n, k, se_type=se, clusters=clusters).fit(
            y[None], rows, rows
        ),
    }


@pytest.mark.parametrize("kernel", ["fit_ols", "fit_2sls", "engine", "BatchOLS", "Batch2SLS"])
def test_every_kernel_gives_the_same_cluster_messages(data, kernel):
    y, x, _, _ = data
    one = _kernels(y, x, se="CR1", clusters=np.zeros(N))[kernel]
    with pytest.raises(
        KaizenError,
        match=r"^clustered standard errors need at least 2 clusters; the estimation sample has "
        r"1 cluster$",
    ):
        one()
    none = _kernels(y, x, se="CR1")[kernel]
    with pytest.raises(
        KaizenError, match=r"^`se='CR1'` needs cluster labels \(a `cluster` column\)$"
    ):
        none()


@pytest.mark.parametrize("kernel", ["engine", "BatchOLS", "Batch2SLS"])
def test_kernels_refuse_cluster_labels_with_a_robust_type(data, kernel):
    y, x, cl, _ = data
    with pytest.raises(KaizenError, match=r"`se='HC1'` is not a clustered covariance type; drop"):
        _kernels(y, x, se="HC1", clusters=cl)[kernel]()


def test_spec_is_built_once_with_factor_and_df():
    spec = CovarianceSpec.build("CR1", nobs=60, k_total=5, clusters=np.arange(60) // 6)
    assert (spec.n_clusters, spec.df, spec.df_resid) == (10, 9.0, 55)
    assert spec.factor == pytest.approx(10 / 9 * 59 / 55, rel=1e-15)
    with pytest.raises(AttributeError):
        spec.se_type = "HC1"  # frozen
    hc = CovarianceSpec.build("HC1", nobs=60, k_total=5)
    assert (hc.n_clusters, hc.df, hc.factor) == (None, 55.0, 60 / 55)
    with pytest.raises(KaizenError, match="no residual degrees of freedom: 5 observations for 5"):
        CovarianceSpec.build("HC1", nobs=5, k_total=5)
    with pytest.raises(KaizenError, match=r"`se_type` must be one of 'HC0', 'HC1'\. You passed"):
        CovarianceSpec.build("HC2", nobs=60, k_total=5, allowed=("HC0", "HC1"))


@pytest.mark.parametrize("se", ["HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"])
def test_vcov_is_bread_scores_scores_bread(data, se):
    y, x, cl, _ = data
    fit = fit_ols(y, x, se=se, clusters=cl if se.startswith("CR") else None)
    half = fit.bread @ fit.scores
    np.testing.assert_allclose(fit.vcov, half @ half.T, rtol=1e-12, atol=1e-15)
    assert fit.scores.shape == (3, 12 if se.startswith("CR") else N)


@pytest.mark.parametrize("se", ["HC1", "HC3", "CR1", "CR2"])
def test_scores_give_the_cross_covariance_of_two_outcomes(data, se):
    # every robust covariance is bilinear in the residuals: Cov(β₁, β₂) by polarization
    y, x, cl, _ = data
    y2 = np.sin(np.arange(N)) + x[:, 1]
    kw = {"se": se, "clusters": cl if se.startswith("CR") else None}
    a, b, both = fit_ols(y, x, **kw), fit_ols(y2, x, **kw), fit_ols(y + y2, x, **kw)
    cross = (a.bread @ a.scores) @ (b.bread @ b.scores).T
    np.testing.assert_allclose(
        (cross + cross.T) / 2, (both.vcov - a.vcov - b.vcov) / 2, rtol=1e-9, atol=1e-14
    )


def test_batched_meat_is_the_single_fit_meat(data):
    _, x, cl, _ = data
    spec = CovarianceSpec.build("CR1", nobs=N, k_total=3, clusters=cl)
    e = np.random.default_rng(1).normal(size=(4, N))
    rows = np.broadcast_to(x.T, (4, 3, N))
    batched = meats.meat(spec.scores(rows, e))
    for b in range(4):
        single = meats.meat(spec.scores(x.T, e[b]))
        np.testing.assert_allclose(batched[b], single, rtol=1e-14)


def test_sandwich_with_a_prebuilt_spec_equals_the_one_it_builds(data):
    y, x, _, _ = data
    e = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    spec = CovarianceSpec.build("HC2", nobs=N, k_total=3)
    assert np.array_equal(
        sandwich(x, e, se_type="HC2", spec=spec).vcov, sandwich(x, e, se_type="HC2").vcov
    )


def test_fewer_observations_than_parameters_is_named_before_collinearity(data):
    y, x, _, _ = data
    with pytest.raises(
        KaizenError,
        match=r"^fewer observations than parameters: N = 2 observations for K = 3 parameters "
        r"\(3 regressors\)",
    ):
        fit_ols(y[:2], x[:2])
    with pytest.raises(
        KaizenError,
        match=r"N = 4 observations for K = 6 parameters \(2 regressors and 4 absorbed "
        r"fixed-effect levels\)",
    ):
        fit_ols(y[:4], x[:4, 1:], fixed_effects=np.arange(4))
    with pytest.raises(KaizenError, match=r"fewer observations than parameters: N = 2 "):
        fit_2sls(y[:2], x[:2, :2], x[:2, 2:], x[:2, 2:])
    # as many observations as parameters: full rank, but no residual degrees of freedom
    with pytest.raises(KaizenError, match="no residual degrees of freedom: 3 observations for 3"):
        fit_ols(y[:3], np.column_stack([np.ones(3), [0.0, 1, 3], [1.0, 0, 0]]))
