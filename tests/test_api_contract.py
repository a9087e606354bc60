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


# -- from the survey platform (issue 18) ----------------------------------------------------------
def test_from_the_survey_platform(tmp_path):
    path = tmp_path / "instrument.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(
            {
                "type": ["text", "select_one yes_no", "begin group", "integer", "end group"],
                "name": ["firm_id", "mp_records", "grp_sales", "sales_month", ""],
                "label": ["Firm", "Records?", "Sales", "Sales", ""],
            }
        ).to_excel(xl, sheet_name="survey", index=False)
        choices = {"list_name": ["yes_no"] * 2, "name": ["1", "0"], "label": ["Yes", "No"]}
        pd.DataFrame(choices).to_excel(xl, sheet_name="choices", index=False)
    form = ke.read_xlsform(path)
    assert isinstance(form, ke.Form)
    assert form.names[:3] == ("firm_id", "mp_records", "sales_month")
    waves = {
        "baseline": pd.DataFrame(
            {"firm_id": ["A", "B"], "mp_records": [1, 0], "grp_sales/sales_month": [10, -888],
             "KEY": ["k1", "k2"]}
        )
    }  # fmt: skip
    for forms in (form, {"baseline": form}):
        for platform in ("surveycto", "odk", "kobo", None):
            panel = ke.load_waves(waves, id_col="firm_id", form=forms, platform=platform)
            df = panel.wave("baseline")
            if platform == "surveycto":  # SurveyCTO's separator is "-": the column is reported
                assert "grp_sales/sales_month" in df.columns
            else:
                assert df["sales_month"].tolist()[0] == 10 and np.isnan(df["sales_month"][1])
    assert ke.write_wave(df, tmp_path / "panel.dta").suffix == ".dta"
    assert pd.read_stata(tmp_path / "panel.dta")["mp_records"].tolist() == ["Yes", "No"]
    template = ke.codebook_template(waves, path=tmp_path / "codebook.xlsx", form=form)
    assert ke.read_codebook(template)["source"].tolist()[:2] == ["firm_id", "mp_records"]


# --- attrition and many outcomes (issue 19) -------------------------------------------------


def test_westfall_young():
    rng = np.random.default_rng(0)
    n = 80
    cell = rng.permutation(np.arange(n) % 4)
    df = pd.DataFrame({"classroom": cell % 2, "onsite": cell // 2})
    df["a"] = df["classroom"] + rng.normal(size=n)
    df["b"] = rng.normal(size=n)
    wy = ke.westfall_young(df, outcomes=["a", "b"], treatment="classroom", draws=199, seed=0)
    assert "pvalue_westfall_young" in wy.columns and list(wy.index) == ["a", "b"]
    both = ke.westfall_young(
        df, outcomes=["a", "b"], treatment=["classroom", "onsite"], draws=199, seed=0
    )
    assert both.index.names == ["treatment", "outcome"] and len(both) == 4
    assert {"pvalue_holm", "pvalue_bonferroni"} <= set(both.columns)


def test_attrition_weights_and_ipw_itt():
    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame({"invited": rng.permutation(np.repeat([0, 1], n // 2))})
    df["size"] = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(1.5 - 0.8 * df["invited"] + 0.5 * df["size"])))
    df["observed"] = (rng.uniform(size=n) < p).astype(int)
    df["value_added"] = (1 + df["invited"] + df["size"] + rng.normal(size=n)).where(
        df["observed"] == 1
    )
    w = ke.attrition_weights(df, response="observed", treatment="invited", covariates=["size"])
    assert isinstance(w, pd.Series) and w.index.equals(df.index)
    assert {"response_rate", "max_weight", "trimmed"} <= set(w.attrs["diagnostics"].columns)
    df["w"] = w
    e = ke.itt(df, outcome="value_added", treatment="invited", weights="w")
    ipw = ke.ipw_itt(df, outcome="value_added", treatment="invited", response_covariates="size")
    assert abs(e.estimate - ipw.estimate) < 1e-10 and ipw.std_error > 0


def test_lee_bounds_tightened():
    rng = np.random.default_rng(2)
    n = 400
    df = pd.DataFrame({"invited": rng.integers(0, 2, n), "stratum": rng.integers(0, 3, n)})
    seen = rng.uniform(size=n) < 0.7 + 0.2 * df["invited"]
    df["y"] = (df["stratum"] + df["invited"] + rng.normal(size=n)).where(seen)
    b = ke.lee_bounds(df, outcome="y", treatment="invited", tighten=["stratum"], draws=50)
    assert b.lower <= b.upper and b.ci_low <= b.lower and b.ci_high >= b.upper
    assert len(b.cells) == 3


def test_mde_with_response_rate():
    assert ke.mde(500, response_rate=0.8) == pytest.approx(ke.mde(400), rel=1e-12)
    assert ke.mde(500, response_rate=(0.9, 0.7)) > ke.mde(500, response_rate=0.8)
    assert ke.sample_size(0.2, response_rate=0.8) == pytest.approx(ke.sample_size(0.2) / 0.8)


# --- how far it spreads (issue 17) ------------------------------------------------------------
def test_saturation_assignment():
    frame = pd.DataFrame({"firm_id": range(160), "cluster_id": np.repeat(np.arange(20), 8)})
    asg = ke.assign(
        frame,
        id_col="firm_id",
        cluster="cluster_id",
        saturation=[0, 0.25, 0.5, 0.75],
        arms={"invited": None},
        seed=7,
    )
    assert list(asg.frame.columns) == ["firm_id", "invited", "saturation"]
    assert set(asg.frame["saturation"]) == {0, 0.25, 0.5, 0.75}
    power = ke.saturation_power(20, 8, saturation=[0, 0.25, 0.5, 0.75], icc=0.1)
    assert {"direct", "spillover", "direct:0.25", "spillover:0.75"} <= set(power.index)


def test_spillover():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"firm_id": range(400), "cluster_id": np.repeat(np.arange(40), 10)})
    asg = ke.assign(frame, cluster="cluster_id", saturation=[0, 0.25, 0.5, 0.75], seed=7)
    df = frame.merge(asg.frame, on="firm_id")
    df["y"] = df["invited"] + rng.normal(size=len(df))
    sp = ke.spillover(
        df,
        outcome="y",
        treatment="invited",
        saturation="saturation",
        cluster="cluster_id",
        se="CR2",
    )
    rows = sp.tidy().index.tolist()
    assert rows[:2] == ["direct", "spillover"]
    for s in ("0.25", "0.5", "0.75"):
        assert f"direct:{s}" in rows and f"spillover:{s}" in rows and f"total:{s}" in rows


def test_exposure():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "firm_id": range(30),
            "lat": -6.8 + rng.uniform(0, 0.02, 30),
            "lon": 39.2 + rng.uniform(0, 0.02, 30),
        }
    )
    asg = ke.assign(df, arms={"invited": 0.3}, seed=1)
    df = df.merge(asg.frame, on="firm_id")
    e = ke.exposure(df, id_col="firm_id", lat="lat", lon="lon", treatment="invited", radius_km=1.0)
    assert list(e.columns[:4]) == ["firm_id", "n_neighbours", "n_treated", "share_treated"]
    p = ke.exposure_probabilities(
        df, asg, id_col="firm_id", lat="lat", lon="lon", treatment="invited", draws=1_000
    )
    assert p.draws == 1_000 and p.probabilities.shape == (30, 4)


def test_spillover_ri():
    frame = pd.DataFrame({"firm_id": range(200), "cluster_id": np.repeat(np.arange(20), 10)})
    asg = ke.assign(frame, cluster="cluster_id", saturation=[0, 0.5], seed=7)
    df = frame.merge(asg.frame, on="firm_id").assign(y=np.arange(200.0))
    ri = ke.spillover_ri(df, asg, outcome="y", draws=200, seed=0)
    assert list(ri.tidy().columns) == ["estimate", "pvalue", "draws"]
    assert ri.pvalues.index.tolist() == ["direct", "spillover"]


# --- for whom (issue 16) --------------------------------------------------------------------


def test_for_whom():
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(3)})
    df["educ_years"] = rng.integers(0, 16, n)
    df["invited"] = rng.integers(0, 2, n)
    df["y"] = 1000 * df["invited"] * (1 + df["x0"]) + 500 * df["x1"] + rng.normal(0, 300, n)
    r = ke.itt(df, outcome="y", treatment="invited", by="educ_years")
    assert "invited:educ_years" in r.tidy().index  # the slope row is named with the moderator
    from sklearn.linear_model import LinearRegression

    h = ke.heterogeneity(
        df, outcome="y", treatment="invited", covariates=["x0", "x1", "x2"],
        learner=LinearRegression(), splits=3, groups=5, seed=0,
    )  # fmt: skip
    assert list(h.blp.index) == ["ate", "heterogeneity"]
    assert list(h.blp.columns) == ["estimate", "ci_low", "ci_high", "pvalue"]
    assert list(h.gates.index) == [1, 2, 3, 4, 5]
    assert {"estimate", "ci_low", "ci_high"} <= set(h.gates.columns)
    assert list(h.clan.index) == ["x0", "x1", "x2"]
    assert list(h.clan.columns) == ["most", "least", "difference", "ci_low", "ci_high", "pvalue"]
    tg = ke.targeting(h, cost=ke.Cost(800, per="invited"), shares=[0.2, 1.0])
    assert list(tg.table.index) == [0.2, 1.0]
    assert {"effect", "bcr", "prob_bcr_above_1"} <= set(tg.table.columns)
    q = ke.quantile_effects(
        df, outcome="y", treatment="invited", quantiles=[0.25, 0.5, 0.75], seed=0, draws=99
    ).tidy()
    assert list(q.index) == [0.25, 0.5, 0.75]
    assert {"estimate", "ci_low", "ci_high"} <= set(q.columns)


# --- paper-ready output (issue 14): r.to_latex(), r.to_markdown(), r._repr_html_() ------------
def test_results_render_for_papers_and_notebooks():
    e = ke.Estimate(
        terms=("invited",),
        coef=[12_627.8],
        vcov=[[3_740.0**2]],
        dof=98,
        se_type="HC1",
        method="OLS",
        estimand="ITT",
        outcome="value_added",
        nobs=100,
        control_mean=27_290.0,
    )
    df = pd.DataFrame({"invited": [0, 1] * 10, "x": range(20)})
    bt = ke.balance(df, treatment="invited", covariates=["x"])
    cb = ke.cost_benefit(gain=13_890, cost=740, years=3)
    for r in (e, bt, cb):
        tex = r.to_latex()
        assert tex.startswith("\\begin{table}") and "\\begin{threeparttable}" in tex
        assert r.to_markdown().count("|") > 4
        assert r._repr_html_().startswith("<table")
        assert "e+" not in str(r) and not str(r).startswith("<")
    table = ke.results_table([e], stars=True)
    assert isinstance(table, ke.ResultsTable)
    assert "* p < 0.1, ** p < 0.05, *** p < 0.01." in table.to_markdown().replace("\\", "")
    for name in ("to_latex", "to_markdown", "to_html", "to_csv", "to_excel", "to_frame"):
        assert callable(getattr(table, name))


# --- paper-ready output: the bundled trials (issue 14) ---


def test_load_bundled_keeps_the_api_spelling():
    trial = ke.synthetic.load_bundled("ghana")  # the Trial stored in data/synthetic/ghana/
    assert isinstance(trial, ke.synthetic.Trial)
    assert trial.seed == 21 and trial.site == "ghana"
    assert "load_bundled" in ke.synthetic.__all__


# --- few clusters: the wild cluster bootstrap (issue 13) ---------------------------------------
def test_wild_cluster_bootstrap():
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(12), 15)
    df = pd.DataFrame({"g": g, "z": (g % 3 == 0).astype(int), "x": rng.normal(size=180)})
    df["d"] = ((df["z"] + rng.normal(size=180)) > 0.5).astype(int)
    df["y"] = 0.5 * df["d"] + rng.normal(size=12)[g] + rng.normal(size=180)
    kw = {"outcome": "y", "treatment": "z", "cluster": "g", "covariates": ()}
    wb = ke.wild_cluster_bootstrap(
        df, **kw, instrument=None, fixed_effects=None, draws=999, weights="rademacher", seed=0
    )
    assert 0 <= wb.pvalue <= 1 and wb.bootstrap == "WCR" and len(wb.draws) == 999
    iv = ke.wild_cluster_bootstrap(df, **{**kw, "treatment": "d"}, instrument="z", draws=999)
    assert 0 <= iv.pvalue <= 1 and iv.bootstrap == "WRE"


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


# --- the public surface (issue 12, item 5) --------------------------------------------------
def test_public_surface_is_the_user_api():
    import re
    from pathlib import Path

    names = set(ke.__all__)
    assert len(names) == len(ke.__all__), "a name is exported twice"
    # the numerical kernels stay importable from their stage, outside the user API
    assert not names & ke.NUMERICAL_INTERNALS
    for name in ke.NUMERICAL_INTERNALS:
        assert getattr(ke.estimate, name) is getattr(ke, name)
    # every `ke.<name>` the public contract spells is exported
    api = Path(__file__).resolve().parents[2] / "shared" / "API.md"
    if api.is_file():
        spelled = set(re.findall(r"\bke\.([A-Za-z_]\w*)", api.read_text()))
        assert spelled - {"synthetic"} <= names, sorted(spelled - names - {"synthetic"})
