import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._core.absorb import factorize
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.wild import wcr_tstats


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
        }
    )
    df["y"] = effect * df["t"] + df["x"] + rng.normal(size=g)[cl] * 2 + rng.standard_t(3, n)
    return df


@pytest.mark.parametrize("null", [0.0, 0.7])
def test_vectorized_bootstrap_equals_refitting_each_draw(null):
    df = _data(1)
    rng = np.random.default_rng(2)
    v = rng.choice([-1.0, 1.0], size=(6, 9))
    y, t = df["y"].to_numpy(), df["t"].to_numpy(float)
    x = df[["x"]].to_numpy()
    fe = df["s"].to_numpy()
    obs, boot = wcr_tstats(y, t, x, df["cl"].to_numpy(), v, null=null, fixed_effects=fe)
    full = ke.fit_ols(y, np.column_stack([t, x]), se="CR1", clusters=df["cl"], fixed_effects=fe)
    assert obs == pytest.approx((full.coef[0] - null) / full.std_error[0], rel=1e-10)
    # restricted model: y - null*t on x and the fixed effects
    restricted = ke.fit_ols(y - null * t, x, se="HC0", fixed_effects=fe)
    fitted = y - null * t - restricted.resid
    codes = factorize(df["cl"].to_numpy())
    for b in range(v.shape[0]):
        ystar = null * t + fitted + v[b, codes] * restricted.resid
        fit = ke.fit_ols(
            ystar, np.column_stack([t, x]), se="CR1", clusters=df["cl"], fixed_effects=fe
        )
        assert boot[b] == pytest.approx((fit.coef[0] - null) / fit.std_error[0], rel=1e-8)


def test_exact_enumeration_and_symmetry():
    wb = ke.wild_cluster_bootstrap(
        _data(3), outcome="y", treatment="t", cluster="cl", covariates="x"
    )
    assert wb.exact and len(wb.draws) == 2**9
    np.testing.assert_allclose(np.sort(wb.draws), -np.sort(wb.draws)[::-1], atol=1e-10)
    assert wb.pvalue == pytest.approx(np.mean(np.abs(wb.draws) >= abs(wb.statistic) - 1e-9))
    webb = ke.wild_cluster_bootstrap(
        _data(3), outcome="y", treatment="t", cluster="cl", weights="webb", draws=999, seed=1
    )
    assert not webb.exact and len(webb.draws) == 999


@pytest.mark.slow
def test_size_with_few_unequal_clusters():
    """Under the null with 9 clusters the WCR test keeps its level (Monte Carlo, 300 reps)."""
    rejections = 0
    for rep in range(300):
        wb = ke.wild_cluster_bootstrap(
            _data(100 + rep),
            outcome="y",
            treatment="t",
            cluster="cl",
            covariates="x",
            weights="webb",
            draws=199,
            seed=rep,
        )
        rejections += wb.pvalue <= 0.05
    # binomial(300, 0.05): 99.8% of outcomes lie in [5, 26]
    assert 5 <= rejections <= 26


def test_bad_input():
    df = _data(4)
    with pytest.raises(KaizenError, match="`weights` must be one of"):
        ke.wild_cluster_bootstrap(df, outcome="y", treatment="t", cluster="cl", weights="mammen")
    with pytest.raises(KaizenError, match="at least 2 clusters"):
        ke.wild_cluster_bootstrap(df.assign(cl=1), outcome="y", treatment="t", cluster="cl")


def test_confidence_interval_inverts_the_test():
    df = _data(5, effect=1.0)
    kw = {"outcome": "y", "treatment": "t", "cluster": "cl", "covariates": "x"}
    wb = ke.wild_cluster_bootstrap(df, ci=True, **kw)
    assert wb.ci_low < wb.estimate < wb.ci_high
    width = wb.ci_high - wb.ci_low
    for end, outward in ((wb.ci_low, -1), (wb.ci_high, 1)):
        inside = ke.wild_cluster_bootstrap(df, null=end - outward * 1e-3 * width, **kw)
        outside = ke.wild_cluster_bootstrap(df, null=end + outward * 1e-3 * width, **kw)
        assert inside.pvalue > 0.05 >= outside.pvalue


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
