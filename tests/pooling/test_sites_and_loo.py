"""``ke.site_estimates`` and ``ke.leave_one_site_out``.

Leave-one-out references: ``reference/metafor_leave1out.R`` (metafor 3.8.1 ``leave1out``) made
``reference/metafor_leave1out.csv``; tolerance 1e-9 relative, as for the full fits (metafor's
convergence thresholds are tightened to 1e-13 in the script).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke

HERE = Path(__file__).parent / "reference"
DATA = pd.read_csv(HERE / "pool_data.csv")
REF = pd.read_csv(HERE / "metafor_leave1out.csv", na_values=["NULL"])
CASES = sorted(set(zip(REF["dataset"], REF["method"], REF["test"], strict=True)))


def _sites(dataset: str) -> pd.DataFrame:
    d = DATA[DATA["dataset"] == dataset]
    return pd.DataFrame(
        {"estimate": d["yi"].to_numpy(), "std_error": np.sqrt(d["vi"].to_numpy())},
        index=d["site"].to_numpy(),
    )


def test_reference_has_every_case():
    assert len(CASES) == 3 * 5  # 3 data sets x (FE-z, DL-z, DL-knha, REML-z, REML-knha)


@pytest.mark.parametrize(("dataset", "method", "test"), CASES)
def test_leave_one_out_matches_metafor(dataset, method, test):
    ref = REF[(REF["dataset"] == dataset) & (REF["method"] == method) & (REF["test"] == test)]
    ref = ref.set_index("omitted")
    loo = ke.leave_one_site_out(ke.pool_sites(_sites(dataset), method=method, test=test))
    assert list(loo.index) == [str(s) for s in ref.index]
    pairs = {
        "mu": "estimate",
        "std_error": "se",
        "ci_low": "ci_lb",
        "ci_high": "ci_ub",
        "pvalue": "pval",
        "i2": "I2",
    }
    if method != "FE":
        pairs["tau2"] = "tau2"
    for ours, theirs in pairs.items():
        np.testing.assert_allclose(
            loo[ours].to_numpy(),
            ref[theirs].to_numpy(dtype=float),
            rtol=1e-9,
            atol=1e-10,
            err_msg=f"{dataset} {method} {test} {ours}",
        )


def test_leave_one_out_shift_and_prediction_interval_are_the_refits():
    sites = _sites("bcg")
    full = ke.pool_sites(sites, method="REML", test="knha")
    loo = ke.leave_one_site_out(full)
    for site in sites.index[:3]:
        p = ke.pool_sites(sites.drop(index=site), method="REML", test="knha")
        assert loo.loc[site, "shift"] == pytest.approx(p.mu - full.mu, abs=1e-14)
        assert (loo.loc[site, "pi_low"], loo.loc[site, "pi_high"]) == pytest.approx(
            p.prediction_interval, abs=1e-14
        )


def test_leave_one_out_bayes_keeps_the_prior():
    sites = _sites("eight_schools")
    full = ke.pool_sites(sites, method="bayes", prior="half_normal", prior_scale=10.0)
    loo = ke.leave_one_site_out(full)
    ref = ke.pool_sites(
        sites.drop(index="A"), method="bayes", prior="half_normal", prior_scale=10.0
    )
    assert loo.loc["A", "mu"] == pytest.approx(ref.mu, abs=1e-12)
    assert loo.loc["A", "mu"] < full.mu  # school A has the largest effect


def test_leave_one_out_bad_input():
    two = pd.DataFrame({"estimate": [1.0, 2.0], "std_error": [1.0, 1.0]}, index=["a", "b"])
    with pytest.warns(ke.KaizenWarning):
        p = ke.pool_sites(two, method="DL")
    with pytest.raises(ke.KaizenError, match="at least 3 sites"):
        ke.leave_one_site_out(p)
    with pytest.raises(TypeError, match="must be a PooledEstimate"):
        ke.leave_one_site_out(two)


def _stacked(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for j, (site, effect) in enumerate({"ghana": 3.0, "kenya": 1.0, "peru": 2.0}.items()):
        n = 80 + 20 * j
        f = pd.DataFrame(
            {
                "site": site,
                "stratum": rng.integers(0, 3, n),
                "invited": rng.permutation(np.arange(n) % 2),
                "x": rng.normal(size=n),
            }
        )
        f["y"] = effect * f["invited"] + f["x"] + 0.5 * f["stratum"] + rng.normal(size=n)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def test_site_estimates_equal_per_site_fits():
    df = _stacked()
    spec = {
        "outcome": "y",
        "treatment": "invited",
        "covariates": ["x"],
        "fixed_effects": "stratum",
        "se": "HC2",
    }
    est = ke.site_estimates(df, site="site", estimator="itt", **spec)
    assert list(est) == ["ghana", "kenya", "peru"]
    for site, e in est.items():
        direct = ke.itt(df[df["site"] == site], **spec)
        np.testing.assert_array_equal(e.tidy().to_numpy(), direct.tidy().to_numpy())
    pooled = ke.pool_sites(est, method="REML")
    assert pooled.outcome == "y" and pooled.estimand == "ITT"
    with pytest.raises(TypeError):
        est["other"] = est["ghana"]  # read-only


def test_site_estimates_late_and_callable():
    df = _stacked()
    df["attended"] = df["invited"] * (df["x"] > -1.0)
    late = ke.site_estimates(
        df, estimator="late", outcome="y", treatment="attended", instrument="invited"
    )
    assert {e.estimand for e in late.values()} == {"LATE"}
    custom = ke.site_estimates(
        df, estimator=lambda d, **k: ke.itt(d, **k), outcome="y", treatment="invited"
    )
    assert list(custom) == ["ghana", "kenya", "peru"]


def test_site_estimates_bad_input():
    df = _stacked()
    with pytest.raises(ke.KaizenError, match="'region'"):
        ke.site_estimates(df, site="region", outcome="y", treatment="invited")
    with pytest.raises(ke.KaizenError, match="`estimator` must be one of"):
        ke.site_estimates(df, estimator="ols", outcome="y", treatment="invited")
    with pytest.raises(ke.KaizenError, match="in `fixed_effects`"):
        ke.site_estimates(df, outcome="y", treatment="invited", fixed_effects=["site"])
    gap = df.copy()
    gap.loc[[3, 7], "site"] = None
    with pytest.raises(ke.KaizenError, match="missing for 2 rows"):
        ke.site_estimates(gap, outcome="y", treatment="invited")
    with pytest.raises(ke.KaizenError, match="1 site"):
        ke.site_estimates(df[df["site"] == "peru"], outcome="y", treatment="invited")
    broken = df.copy()
    broken.loc[broken["site"] == "kenya", "invited"] = 1
    with pytest.raises(ke.KaizenError, match=r"site 'kenya' \(100 rows\): .*invited"):
        ke.site_estimates(broken, outcome="y", treatment="invited")


def _est(value, se, method="2SLS", estimand="LATE"):
    return ke.Estimate(
        terms=("attended",),
        coef=[value],
        vcov=[[se**2]],
        dof=np.inf,
        se_type="HC1",
        method=method,
        estimand=estimand,
        outcome="value_added",
        nobs=150,
    )


def test_nonexperimental_sites_only_when_asked_and_their_pull_reported():
    est = {
        "ghana": _est(1.0, 0.5),
        "tanzania": _est(2.0, 0.5),
        "vietnam": _est(1.5, 0.4),
        "case8": _est(4.0, 0.6, "DiD-DR", "ATT"),
    }
    with pytest.raises(ke.KaizenError, match=r"'case8' are not randomized.*nonexperimental=True"):
        ke.pool_sites(est, allow_mixed=True)
    p = ke.pool_sites(est, allow_mixed=True, nonexperimental=True, method="DL")
    assert p.experimental.to_dict() == {
        "ghana": True,
        "tanzania": True,
        "vietnam": True,
        "case8": False,
    }
    alone = ke.pool_sites({k: v for k, v in est.items() if k != "case8"}, method="DL")
    note = next(n for n in p.notes if "non-randomized" in n)
    assert f"mu = {alone.mu:,.4g}" in note and f"{p.mu - alone.mu:+,.4g}" in note
    assert note[1:] in p.summary()  # the printed notes are sentences (capital, full stop)
    loo = ke.leave_one_site_out(p)  # refits keep the non-randomized site
    assert loo.loc["case8", "mu"] == pytest.approx(alone.mu, abs=1e-12)
    labels = [t.get_text() for t in p.plot().axes[0].get_yticklabels()]
    assert labels[-1] == "case8 (not randomized)"


def test_experimental_column_of_a_table():
    t = pd.DataFrame(
        {
            "estimate": [1.0, 2.0, 3.0],
            "std_error": [1.0, 1.0, 1.0],
            "experimental": [True, True, False],
        },
        index=["a", "b", "c"],
    )
    with pytest.raises(ke.KaizenError, match="'c' are not randomized"):
        ke.pool_sites(t)
    assert not ke.pool_sites(t, nonexperimental=True).experimental["c"]
    with pytest.raises(ke.KaizenError, match="column 'experimental'"):
        ke.pool_sites(t.assign(experimental=[1, 0, 1]))
    assert ke.pool_sites(t.iloc[:2]).experimental.all()
