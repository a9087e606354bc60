"""Just-identified 2SLS for a block of replications equals one ``fit_2sls`` per replication."""

import numpy as np
import pytest

from kaizen_eval._core.batch_iv import Batch2SLS
from kaizen_eval._core.batch_ols import BATCH_SE_TYPES
from kaizen_eval._core.linear import fit_2sls
from kaizen_eval._validation import KaizenError

N = 96
CLUSTER = np.arange(N) // 4  # 24 clusters of 4
STRATA = CLUSTER % 3  # constant within clusters


def _block(seed, b, *, strata_fe, onsite, covariate, takeup=0.6):
    """Outcome, exogenous rows (B, k1, N), take-up and invitation of ``b`` replications."""
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, (b, N)).astype(float)
    took = z * (rng.random((b, N)) < takeup)
    x = rng.standard_normal((b, N))
    on = rng.integers(0, 2, (b, N)).astype(float)
    u = rng.standard_normal((b, N // 4)).repeat(4, axis=1)  # a cluster effect
    y = 0.4 * took + 0.5 * x + 0.3 * u + rng.standard_normal((b, N))
    rows = [] if strata_fe else [np.ones((b, N))]
    rows += ([on] if onsite else []) + ([x] if covariate else [])
    exog = np.stack(rows, axis=1) if rows else np.empty((b, 0, N))
    return y, exog, took, z


def _fit(se, strata_fe, y, exog, took, z):
    k = exog.shape[1] + 1
    batch = Batch2SLS(
        N,
        k,
        se_type=se,
        fixed_effects=STRATA if strata_fe else None,
        clusters=CLUSTER if se.startswith("CR") else None,
    )
    x_rows = np.concatenate([exog, took[:, None]], axis=1)
    z_rows = np.concatenate([exog, z[:, None]], axis=1)
    return batch.fit(y, x_rows, z_rows)


def _one(se, strata_fe, y, exog, took, z):
    return fit_2sls(
        y,
        np.ascontiguousarray(exog.T),
        took[:, None],
        z[:, None],
        se=se,
        clusters=CLUSTER if se.startswith("CR") else None,
        fixed_effects=STRATA if strata_fe else None,
    )


@pytest.mark.parametrize("se", BATCH_SE_TYPES)
@pytest.mark.parametrize("strata_fe", [False, True])
@pytest.mark.parametrize(("onsite", "covariate"), [(False, False), (True, False), (True, True)])
def test_batch_equals_fit_2sls_per_replication(se, strata_fe, onsite, covariate):
    data = _block(7, 6, strata_fe=strata_fe, onsite=onsite, covariate=covariate)
    fit = _fit(se, strata_fe, *data)
    assert not fit.suspect.any()
    for b in range(6):
        ref = _one(se, strata_fe, *(a[b] for a in data))
        # normal equations here, QR and linearmodels there: equal up to rounding (values O(0.1))
        assert np.abs(fit.coef[b] - ref.coef).max() < 1e-10
        assert np.abs(fit.std_error[b] - ref.std_error).max() < 1e-10
        assert (ref.df == fit.df).all()


def test_hc2_uses_the_leverage_of_the_projected_design_as_estimatr():
    # just identified, x̂ᵢᵀ(X̂ᵀX̂)⁻¹x̂ᵢ (estimatr) is the instruments' leverage; AER's xᵢᵀ(X̂ᵀX̂)⁻¹x̂ᵢ
    # differs, and so would the standard error: the batch must give fit_2sls's number
    y, exog, took, z = _block(3, 1, strata_fe=False, onsite=True, covariate=True)
    fit = _fit("HC2", False, y, exog, took, z)
    ref = _one("HC2", False, y[0], exog[0], took[0], z[0])
    hc0 = _one("HC0", False, y[0], exog[0], took[0], z[0])
    assert np.abs(fit.std_error[0] - ref.std_error).max() < 1e-12
    assert np.abs(fit.std_error[0] - hc0.std_error).min() > 1e-4  # HC2 is not HC0 here


@pytest.mark.parametrize("se", ["HC2", "CR1"])
@pytest.mark.parametrize("strata_fe", [False, True])
def test_replications_fit_2sls_rejects_are_flagged(se, strata_fe):
    y, exog, took, z = _block(11, 6, strata_fe=strata_fe, onsite=True, covariate=False)
    took[1] = 0.0  # nobody took up
    took[2] = exog[2, -1] * z[2]
    exog[2, -1] = took[2]  # the onsite column is the take-up itself: collinear regressors
    z[3] = STRATA % 2 if strata_fe else 1.0  # no variation left in the instrument
    # take-up exactly unrelated to the invitation given onsite and the strata: the first stage
    # has no variation left (2 × 2 balanced within every cluster; onsite constant in clusters)
    j = np.arange(N) % 4
    z[4] = (j < 2).astype(float)
    took[4] = (j % 2 == 0).astype(float)
    exog[4, -1] = ((CLUSTER // 3) % 2 == 0).astype(float)
    fit = _fit(se, strata_fe, y, exog, took, z)
    assert fit.suspect.tolist() == [False, True, True, True, True, False]
    assert np.isnan(fit.std_error[fit.suspect]).all()
    for b in (1, 2, 3, 4):
        with pytest.raises(KaizenError, match=r"no variation left|collinear"):
            _one(se, strata_fe, y[b], exog[b], took[b], z[b])
    for b in (0, 5):
        ref = _one(se, strata_fe, y[b], exog[b], took[b], z[b])
        assert np.abs(fit.coef[b] - ref.coef).max() < 1e-10
        assert np.abs(fit.std_error[b] - ref.std_error).max() < 1e-10


@pytest.mark.parametrize(("se", "strata_fe"), [("HC2", True), ("CR1", False), ("classical", True)])
def test_results_do_not_depend_on_the_block_size(se, strata_fe):
    y, exog, took, z = _block(5, 11, strata_fe=strata_fe, onsite=True, covariate=True)
    took[4] = 0.0  # a flagged replication among them
    whole = _fit(se, strata_fe, y, exog, took, z)
    assert whole.suspect.tolist() == [b == 4 for b in range(11)]
    for size in (1, 2, 3, 7):
        for start in range(0, 11, size):
            part = slice(start, start + size)
            fit = _fit(se, strata_fe, y[part], exog[part], took[part], z[part])
            assert (fit.suspect == whole.suspect[part]).all()
            ok = ~fit.suspect
            assert (fit.coef[ok] == whole.coef[part][ok]).all(), size
            assert (fit.std_error[ok] == whole.std_error[part][ok]).all(), size


def test_bad_shapes_and_options_are_named():
    y, exog, took, z = _block(1, 2, strata_fe=False, onsite=False, covariate=False)
    x_rows = np.concatenate([exog, took[:, None]], axis=1)
    z_rows = np.concatenate([exog, z[:, None]], axis=1)
    with pytest.raises(KaizenError, match=r"expected x and z of shape \(B, 2, 96\)"):
        Batch2SLS(N, 2, se_type="HC2").fit(y, x_rows, z_rows[:, :1])
    with pytest.raises(KaizenError, match=r"se_type"):
        Batch2SLS(N, 2, se_type="CR2", clusters=CLUSTER)
    with pytest.raises(KaizenError, match=r"needs cluster labels"):
        Batch2SLS(N, 2, se_type="CR1")
    with pytest.raises(KaizenError, match=r"no residual degrees of freedom"):
        Batch2SLS(4, 2, se_type="HC2", fixed_effects=np.array([0, 0, 1, 1]))
