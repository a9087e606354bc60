"""Behaviour of the public estimators: itt, late, att."""

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError


@pytest.fixture
def trial():
    rng = np.random.default_rng(7)
    n = 400
    stratum = rng.integers(0, 4, n)
    invited = rng.permutation(np.repeat([0, 1], n // 2))
    attended = invited * (rng.random(n) < 0.7)
    days = attended * rng.integers(1, 16, n)
    onsite = rng.integers(0, 2, n)
    age = rng.normal(10, 3, n)
    y0 = rng.normal(5, 2, n)
    y = 1 + 2.0 * attended + 0.5 * onsite + 0.3 * age + 0.8 * y0 + stratum + rng.normal(size=n)
    df = pd.DataFrame(
        {
            "firm_id": [f"F{i:03d}" for i in range(n)],
            "stratum": stratum,
            "invited": invited,
            "attended": attended,
            "days": days,
            "onsite": onsite,
            "age": age,
            "y0": y0,
            "y": y,
            "village": rng.integers(0, 30, n),
        }
    )
    return df


def test_itt_difference_in_means(trial):
    r = ke.itt(trial, outcome="y", treatment="invited")
    means = trial.groupby("invited")["y"].mean()
    assert r.estimate == pytest.approx(means[1] - means[0], rel=1e-12)
    assert r.control_mean == pytest.approx(means[0], rel=1e-12)
    assert (r.estimand, r.method, r.se_type, r.nobs) == ("ITT", "OLS", "HC1", 400)
    assert r.dof[0] == 398


def test_itt_missing_rows_are_reported_not_silent(trial):
    df = trial.copy()
    df.loc[[0, 1, 2], "y"] = np.nan
    df.loc[[3], "invited"] = np.nan
    df.loc[[4, 5], "age"] = np.nan
    r = ke.itt(df, outcome="y", treatment="invited", covariates="age")
    assert r.nobs == 394
    counts = r.dropped["reason"].value_counts()
    assert counts["missing outcome 'y'"] == 3
    assert counts["missing treatment 'invited'"] == 1
    assert counts["missing covariate 'age'"] == 2
    assert list(r.dropped["firm_id"][:3]) == ["F000", "F001", "F002"]


def test_itt_mckenzie_baseline_dummy_keeps_every_firm(trial):
    df = trial.copy()
    df.loc[:9, "y0"] = np.nan
    r = ke.itt(df, outcome="y", treatment="invited", baseline="y0")
    assert r.nobs == 400 and len(r.dropped) == 0
    assert "y0_missing" in r.extra["fit"].names
    assert any("McKenzie" in n for n in r.notes)
    filled = df.assign(y0=df["y0"].fillna(0), y0_missing=df["y0"].isna().astype(float))
    same = ke.itt(filled, outcome="y", treatment="invited", covariates=["y0", "y0_missing"])
    assert r.estimate == pytest.approx(same.estimate, rel=1e-12)
    assert r.std_error == pytest.approx(same.std_error, rel=1e-12)


def test_itt_lin_equals_arm_by_arm_predictions(trial):
    """Lin (2013): τ̂ = difference of the arm-specific regressions evaluated at the mean of x."""
    r = ke.itt(trial, outcome="y", treatment="invited", covariates=["age", "y0"], lin=True)
    xbar = trial[["age", "y0"]].mean().to_numpy()
    pred = []
    for arm in (0, 1):
        sub = trial[trial["invited"] == arm]
        x = np.column_stack([np.ones(len(sub)), sub[["age", "y0"]]])
        b = np.linalg.lstsq(x, sub["y"].to_numpy(), rcond=None)[0]
        pred.append(b[0] + b[1:] @ xbar)
    assert r.estimate == pytest.approx(pred[1] - pred[0], rel=1e-10)


def test_itt_arms_and_interaction(trial):
    r = ke.itt(trial, outcome="y", treatment=["invited", "onsite"], interaction=True)
    assert r.terms == ("invited", "onsite", "invited:onsite")
    cell = trial.groupby(["invited", "onsite"])["y"].mean()
    inter = cell[1, 1] - cell[1, 0] - cell[0, 1] + cell[0, 0]
    assert r.term("invited:onsite")["estimate"] == pytest.approx(inter, rel=1e-10)
    with pytest.raises(KaizenError, match="exactly two treatment columns"):
        ke.itt(trial, outcome="y", treatment="invited", interaction=True)


def test_itt_cluster_defaults_to_cr1(trial):
    r = ke.itt(trial, outcome="y", treatment="invited", cluster="village")
    assert r.se_type == "CR1" and r.n_clusters == 30 and r.dof[0] == 29


def test_itt_bad_input(trial):
    with pytest.raises(MissingColumnError, match="'nope'"):
        ke.itt(trial, outcome="nope", treatment="invited")
    with pytest.raises(KaizenError, match="does not vary in the estimation sample"):
        ke.itt(trial.assign(invited=1), outcome="y", treatment="invited")
    by_stratum = trial.assign(invited=(trial["stratum"] < 2).astype(int))
    with pytest.raises(KaizenError, match="does not vary within any level of the fixed effect"):
        ke.itt(by_stratum, outcome="y", treatment="invited", fixed_effects="stratum")
    partly = trial.assign(invited=np.where(trial["stratum"] == 0, 1, trial["invited"]))
    with pytest.warns(UserWarning, match="does not vary within 1 of 4 levels"):
        ke.itt(partly, outcome="y", treatment="invited", fixed_effects="stratum")
    with pytest.raises(KaizenError, match="'age2' is a linear combination"):
        ke.itt(
            trial.assign(age2=2 * trial["age"]),
            outcome="y",
            treatment="invited",
            covariates=["age", "age2"],
        )
    with pytest.raises(KaizenError, match="at least 2 clusters"):
        ke.itt(trial.assign(one=1), outcome="y", treatment="invited", cluster="one")
    with pytest.raises(KaizenError, match="You passed: 'HC5'"):
        ke.itt(trial, outcome="y", treatment="invited", se="HC5")
    with pytest.raises(KaizenError, match="no rows left"):
        ke.itt(trial.assign(y=np.nan), outcome="y", treatment="invited")


def test_late_point_estimates_equal_linearmodels(trial):
    r = ke.late(
        trial, outcome="y", treatment="attended", instrument="invited", covariates=["age"], se="HC0"
    )
    x = trial.assign(const=1.0)
    ref = IV2SLS(x["y"], x[["const", "age"]], x["attended"], x["invited"]).fit(cov_type="robust")
    assert r.estimate == pytest.approx(ref.params["attended"], rel=1e-10)
    # linearmodels' robust covariance is HC0 without small-sample correction
    assert r.std_error == pytest.approx(ref.std_errors["attended"], rel=1e-8)
    assert r.estimand == "LATE" and r.method == "2SLS"
    assert any("equals the ATT" in n for n in r.notes)


def test_late_first_stage_and_intensity(trial):
    r = ke.late(trial, outcome="y", treatment="days", instrument="invited", fixed_effects="stratum")
    fs = r.first_stage
    first = ke.itt(trial, outcome="days", treatment="invited", fixed_effects="stratum")
    assert fs.coefficients.loc[("days", "invited"), "estimate"] == pytest.approx(first.estimate)
    assert fs.fstat == pytest.approx(first.statistic**2, rel=1e-10)
    assert fs.effective_f["days"] == pytest.approx(fs.fstat, rel=1e-10)  # one instrument
    itt_y = ke.itt(trial, outcome="y", treatment="invited", fixed_effects="stratum")
    assert r.estimate == pytest.approx(itt_y.estimate / first.estimate, rel=1e-10)  # Wald


def test_late_two_endogenous(trial):
    df = trial.assign(onsite_received=trial["onsite"] * (trial["age"] > 8))
    r = ke.late(
        df,
        outcome="y",
        treatment=["attended", "onsite_received"],
        instrument=["invited", "onsite"],
        cluster="village",
        se="CR2",
    )
    assert r.terms == ("attended", "onsite_received")
    assert isinstance(r.first_stage.fstat, pd.Series)
    assert r.se_type == "CR2"


def test_late_bad_input(trial):
    with pytest.raises(KaizenError, match="need at least as many instruments"):
        ke.late(trial, outcome="y", treatment=["attended", "days"], instrument="invited")
    placebo = trial.assign(z=np.tile([0, 1, 1, 0], 100), d=np.tile([0, 0, 1, 1], 100))
    with pytest.raises(KaizenError, match="no first stage"):
        ke.late(placebo, outcome="y", treatment="d", instrument="z")
    rng = np.random.default_rng(1)
    weak = trial.assign(d=(rng.random(400) < 0.4 + 0.05 * trial["invited"]).astype(int))
    with pytest.warns(UserWarning, match="weak first stage"):
        ke.late(weak, outcome="y", treatment="d", instrument="invited")


def test_att_labels(trial):
    one_sided = ke.att(trial, outcome="y", treatment="attended", instrument="invited")
    assert (one_sided.estimand, one_sided.method) == ("ATT", "2SLS")
    assert any("equals the ATT" in n for n in one_sided.notes)
    full = ke.att(
        trial.assign(attended=trial["invited"]),
        outcome="y",
        treatment="attended",
        instrument="invited",
    )
    assert (full.estimand, full.method, full.terms) == ("ATT", "OLS", ("attended",))
    two_sided = trial.assign(attended=np.where(trial.index < 5, 1, trial["attended"]))
    with pytest.raises(KaizenError, match="two-sided non-compliance"):
        ke.att(two_sided, outcome="y", treatment="attended", instrument="invited")


def test_itt_by_group_effects_and_equality_test(trial):
    r = ke.itt(trial, outcome="y", treatment="invited", by="onsite")
    assert r.terms == ("invited[onsite=0]", "invited[onsite=1]")
    for level in (0, 1):
        sub = trial[trial["onsite"] == level]
        diff = sub.groupby("invited")["y"].mean()
        term = r.term(f"invited[onsite={level}]")
        assert term["estimate"] == pytest.approx(diff[1] - diff[0], rel=1e-10)
    test = r.extra["equality"]["invited"]
    b = r.coef
    expected = (b[0] - b[1]) ** 2 / (r.vcov[0, 0] + r.vcov[1, 1] - 2 * r.vcov[0, 1])
    assert test.fstat == pytest.approx(expected, rel=1e-10)
    assert any("equal across levels of 'onsite'" in n for n in r.notes)
    with pytest.raises(KaizenError, match="`by` cannot be combined with `interaction`"):
        ke.itt(trial, outcome="y", treatment=["invited", "onsite"], by="female", interaction=True)
    with pytest.raises(KaizenError, match="does not vary within onsite = 1"):
        ke.itt(
            trial.assign(invited=trial["onsite"] * 0 + trial["invited"] * (1 - trial["onsite"])),
            outcome="y",
            treatment="invited",
            by="onsite",
        )


def test_weighted_cr2_with_absorbed_fixed_effects_is_refused(trial):
    with pytest.raises(KaizenError, match="CR2 with both weights and absorbed fixed effects"):
        ke.itt(
            trial.assign(w=1.0 + trial["age"] / 100),
            outcome="y",
            treatment="invited",
            weights="w",
            fixed_effects="stratum",
            cluster="village",
            se="CR2",
        )


def test_att_needs_the_assignment(trial):
    with pytest.raises(KaizenError, match="att needs `instrument`"):
        ke.att(trial, outcome="y", treatment="attended")


@pytest.mark.filterwarnings("ignore:weak first stage")
@pytest.mark.parametrize(("strength", "se"), [(0.7, "HC1"), (0.08, "CR2"), (0.02, "HC3")])
def test_anderson_rubin_set_equals_grid_inversion(trial, strength, se):
    rng = np.random.default_rng(12)
    d = (rng.random(len(trial)) < 0.1 + strength * trial["invited"]).astype(float)
    df = trial.assign(d=d, y=trial["y"] + 1.5 * d)
    cluster = "village" if se.startswith("CR") else None
    r = ke.late(
        df,
        outcome="y",
        treatment="d",
        instrument="invited",
        covariates="age",
        fixed_effects="stratum",
        cluster=cluster,
        se=se,
    )
    ar = r.extra["anderson_rubin"]
    x = df[["invited", "age"]].to_numpy(dtype=float)
    for b in np.linspace(-40, 40, 161):
        fit = ke.fit_ols(
            df["y"].to_numpy() - b * d,
            x,
            se=se,
            fixed_effects=df["stratum"],
            clusters=df[cluster].to_numpy() if cluster else None,
        )
        t2 = fit.coef[0] ** 2 / fit.vcov[0, 0]
        from scipy import stats

        accept = t2 <= stats.f.ppf(0.95, 1, fit.df[0])
        assert accept == (b in ar), (b, ar)
    if strength == 0.7:
        assert ar.kind == "interval" and ar.low < r.estimate < ar.high
    if strength == 0.02:
        assert not ar.bounded and any("Anderson-Rubin" in n for n in r.notes)


def test_covariate_constant_within_fixed_effects_is_named_even_at_large_scale(trial):
    # a stratum-level covariate in local currency: absorbing strata leaves only rounding noise
    level = trial.assign(stratum_sales=1e9 * (1 + trial["stratum"] / 7))
    with pytest.raises(KaizenError, match="'stratum_sales' has no variation left"):
        ke.itt(
            level,
            outcome="y",
            treatment="invited",
            covariates="stratum_sales",
            fixed_effects="stratum",
        )


def test_first_stage_wald_matches_linearmodels_with_two_instruments():
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "z1": rng.integers(0, 2, n),
            "z2": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "const": 1.0,
        }
    )
    df["d"] = ((df["z1"] + 0.5 * df["z2"] + rng.normal(size=n)) > 1).astype(float)
    df["y"] = df["d"] + df["x"] + rng.normal(size=n)
    ref = IV2SLS(df["y"], df[["const", "x"]], df["d"], df[["z1", "z2"]]).fit(cov_type="robust")
    r = ke.late(df, outcome="y", treatment="d", instrument=["z1", "z2"], covariates="x", se="HC0")
    # linearmodels reports the robust Wald statistic as chi2(2); ours is F = chi2 / 2
    assert 2 * r.first_stage.fstat == pytest.approx(
        ref.first_stage.diagnostics.loc["d", "f.stat"], rel=1e-10
    )
    assert r.estimate == pytest.approx(ref.params["d"], rel=1e-10)


def test_duplicate_index_labels_do_not_misalign_rows(trial):
    """Stacked waves often keep duplicate index labels; nothing may be looked up by label."""
    df = trial.copy()
    df.loc[:9, "y0"] = np.nan
    stacked = pd.concat([df.iloc[:200], df.iloc[200:]]).set_axis(list(range(200)) * 2)
    a = ke.itt(stacked, outcome="y", treatment="invited", baseline="y0")
    b = ke.itt(df, outcome="y", treatment="invited", baseline="y0")
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
    c = ke.compliance(stacked, treatment="attended", instrument="invited", covariates="y0")
    d = ke.compliance(df, treatment="attended", instrument="invited", covariates="y0")
    assert c.characteristics.equals(d.characteristics)
    lee = ke.lee_bounds(
        stacked.assign(y=stacked["y"].where(stacked["y0"].notna())),
        outcome="y",
        treatment="invited",
        draws=5,
    )
    assert lee.nobs == 400


def test_results_can_be_pickled_and_stay_immutable(trial):
    import pickle

    r = ke.late(
        trial, outcome="y", treatment="attended", instrument="invited", cluster="village", se="CR2"
    )
    back = pickle.loads(pickle.dumps(r))
    assert back.estimate == r.estimate and back.std_error == r.std_error
    assert back.first_stage.fstat == pytest.approx(r.first_stage.fstat)
    with pytest.raises(ValueError):
        back.coef[0] = 1.0
    with pytest.raises(TypeError):
        back.extra["x"] = 1
