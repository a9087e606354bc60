"""The public names of ../shared/API.md, exercised exactly as notebooks and scripts spell them."""

import json

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def trial():
    return ke.synthetic.simulate_trial("ghana", n_firms=None, seed=0)


def test_survey_waves(trial, tmp_path):
    paths = trial.write(tmp_path)
    assert (tmp_path / "truth.json").exists() and (tmp_path / "codebook.csv").exists()
    assert all((tmp_path / f"{w}.parquet").exists() for w in trial.waves)
    assert paths
    df = ke.read_wave(tmp_path / "baseline.parquet")
    assert len(df) == trial.n_firms
    panel = ke.load_waves(
        {"baseline": tmp_path / "baseline.parquet", "followup": trial.waves["followup"]},
        id_col="firm_id",
        codebook=trial.codebook,
    )
    long = panel.long
    assert isinstance(long["wave"].dtype, pd.CategoricalDtype) and long["wave"].cat.ordered
    assert list(long["wave"].cat.categories) == ["baseline", "followup"]
    assert not long.duplicated(["firm_id", "wave"]).any()
    wide = panel.wide
    assert len(wide) == trial.n_firms and "sales_followup" in wide.columns
    assert isinstance(panel.issues, pd.DataFrame)
    assert panel.attrition() is not None
    assert json.loads((tmp_path / "truth.json").read_text())["late_value_added"] == 13890


def test_design(trial):
    frame = trial.waves["baseline"][["firm_id", "stratum"]]
    asg = ke.assign(
        frame, id_col="firm_id", arms={"invited": 0.5}, strata="stratum", cluster=None, seed=20131
    )
    assert {"firm_id", "invited"} <= set(asg.frame.columns)
    for key in ("seed", "package_version"):
        assert key in asg.manifest
    assert any("sha256" in k for k in asg.manifest)
    asg.verify(frame)
    base = trial.waves["baseline"].assign(x=np.arange(trial.n_firms, dtype=float))
    bt = ke.balance(
        base,
        treatment="invited",
        covariates=["x", "employees"],
        strata=None,
        cluster=None,
        se="HC2",
    )
    assert {"std_error", "pvalue"} <= set(bt.table.columns)
    assert 0 <= bt.joint_pvalue <= 1 and bt.joint_f >= 0
    assert "|" in bt.to_markdown() and "tabular" in bt.to_latex()
    assert ke.mde(
        400,
        p_treat=0.5,
        compliance=1.0,
        r2=0.0,
        icc=0.0,
        cluster_size=1,
        alpha=0.05,
        power=0.8,
        sd=1.0,
    ) > ke.mde(800)


def test_estimators(trial):
    df = trial.analysis_frame()
    r = ke.itt(
        df,
        outcome="value_added",
        treatment="invited",
        covariates=(),
        fixed_effects=None,
        cluster=None,
        se="HC1",
    )
    for attr in (
        "estimate",
        "std_error",
        "pvalue",
        "ci_low",
        "ci_high",
        "nobs",
        "se_type",
        "method",
    ):
        assert getattr(r, attr) is not None
    assert list(r.tidy().columns) == [
        "estimate",
        "std_error",
        "statistic",
        "pvalue",
        "ci_low",
        "ci_high",
        "df",
    ]
    late = ke.late(
        df,
        outcome="value_added",
        treatment="attended",
        instrument="invited",
        covariates=(),
        fixed_effects=None,
        cluster=None,
        se="HC1",
    )
    assert late.first_stage.fstat > 10
    assert (
        ke.itt(df, outcome="value_added", treatment="invited", cluster="stratum").se_type == "CR1"
    )
    assert (
        ke.att(df, outcome="value_added", treatment="attended", instrument="invited").estimand
        == "ATT"
    )
    with pytest.raises(KeyError, match="no_such_column"):
        ke.itt(df, outcome="no_such_column", treatment="invited")
    with pytest.raises(TypeError):
        ke.itt(df, "value_added", "invited")  # keyword-only after the data
    ri = ke.randomization_inference(
        df,
        outcome="value_added",
        treatment="invited",
        covariates=(),
        strata=None,
        cluster=None,
        draws=500,
        seed=0,
    )
    assert 0 < ri.pvalue <= 1 and np.isfinite(ri.observed) and len(ri.draws) == 500


def test_cost_benefit():
    cb = ke.cost_benefit(gain=13_890, cost=740, years=1, discount_rate=0.0, decay=0.0)
    assert cb.bcr == pytest.approx(13_890 / 740)
    assert cb.npv == pytest.approx(13_890 - 740)
    assert cb.irr == pytest.approx(13_890 / 740 - 1)
    assert 0 < cb.payback_years <= 1


def test_pool_sites():
    # Rubin's eight schools (BDA3 Table 5.2); the numbers are checked against metafor in
    # tests/pooling: here only the contract's spellings and shapes.
    sites = pd.DataFrame(
        {
            "estimate": [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0],
            "std_error": [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0],
        },
        index=list("ABCDEFGH"),
    )
    for method in ("FE", "DL", "PM", "ML", "REML", "bayes"):
        pooled = ke.pool_sites(sites, method=method, test="z", alpha=0.05)
        assert pooled.ci_low < pooled.mu < pooled.ci_high and pooled.std_error > 0
        assert 0 <= pooled.pvalue <= 1 and pooled.tau2 >= 0 and pooled.tau >= 0
        assert 0 <= pooled.i2 <= 100 and pooled.q > 0 and 0 <= pooled.q_pvalue <= 1
        low, high = pooled.prediction_interval
        assert low <= pooled.ci_low and high >= pooled.ci_high
        assert list(pooled.sites.columns[:5]) == [
            "estimate",
            "std_error",
            "weight",
            "shrunk",
            "shrunk_se",
        ]
        assert len(pooled.draws(100, seed=0)) == 100
    assert ke.pool_sites(sites, method="REML", test="knha").ci_high > 0


# --- issue 13: fast CR2, randomization tests of several arms (cr2ri) -----------------------
def test_randomization_tests_of_several_arms_keep_their_names():
    frame = pd.DataFrame({"firm_id": [f"F{i:02d}" for i in range(24)], "s": np.arange(24) % 2})
    asg = ke.assign(frame, strata="s", seed=1, stage2=ke.Stage(arms={"onsite": 0.5}))
    df = frame.merge(asg.frame, on="firm_id")
    df["y"] = np.random.default_rng(0).normal(size=24)
    df["took"] = df["invited"]
    ri = ke.randomization_inference(
        df, outcome="y", treatment=["invited", "onsite"], assignment=asg, draws=20, seed=0
    )
    assert isinstance(ri, ke.RandomizationArms)
    assert {"pvalue", "pvalues", "observed", "draws", "exact"} <= set(vars(ri))
    cis = ke.randomization_ci(
        df,
        outcome="y",
        treatment=["took", "onsite"],
        instrument=["invited", "onsite"],
        assignment=asg,
        draws=20,
        seed=0,
    )
    assert isinstance(cis, ke.RandomizationCIs)
    assert isinstance(cis["took"], ke.RandomizationCI)
    assert list(cis.tidy().columns) == ["estimate", "ci_low", "ci_high", "pvalue"]
