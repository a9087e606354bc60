"""Hostile input for the estimators (issue 11): a clear error or the right answer, never silence.

Each case is what a field team's first week of data looks like: a constant outcome, a 0/2-coded
assignment, ``inf`` typed for "don't know", a cluster id left blank, a firm id given as a fixed
effect. Every error is asserted by class *and* message; every fragile-but-legitimate input by
its ``KaizenWarning`` and the number that still comes out right.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval import KaizenError, KaizenWarning, MissingColumnError

N = 200


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    z = np.tile([0, 1], N // 2)
    d = z * (rng.random(N) < 0.7)
    return pd.DataFrame(
        {
            "firm_id": [f"F{i:03d}" for i in range(N)],
            "z": z,
            "d": d,
            "y": 2.0 * d + rng.normal(size=N),
            "y0": rng.normal(size=N),
            "x": rng.normal(size=N),
            "stratum": np.arange(N) % 4,
            "village": np.arange(N) % 40,
            "w": rng.uniform(1, 2, N),
        }
    )


def _at(df: pd.DataFrame, col: str, row: int, value: object) -> pd.DataFrame:
    out = df.copy()
    out[col] = out[col].astype(object if isinstance(value, str) else float)
    out.loc[row, col] = value
    return out


ITT = {"outcome": "y", "treatment": "z"}
LATE = {"outcome": "y", "treatment": "d", "instrument": "z"}


# --- degenerate input is an error, never a number ------------------------------------------
@pytest.mark.parametrize(
    "fn, kw",
    [
        (ke.itt, ITT),
        (ke.late, LATE),
        (ke.att, LATE),
    ],
    ids=["itt", "late", "att"],
)
def test_constant_outcome_is_an_error_not_a_significant_effect(trial, fn, kw):
    # before: ITT with p = 3e-05 (rounding noise over a zero SE)
    with pytest.raises(KaizenError, match=r"outcome 'y' is constant .*all 200 rows are 3"):
        fn(trial.assign(y=3.0), **kw)


def test_outcome_constant_up_to_rounding_noise_is_still_constant(trial):
    y = 1e6 + 1e-10 * np.random.default_rng(0).normal(size=N)
    with pytest.raises(KaizenError, match="outcome 'y' is constant"):
        ke.itt(trial.assign(y=y), **ITT)


def test_treatment_that_does_not_vary(trial):
    with pytest.raises(KaizenError, match=r"treatment 'z' does not vary .*all 200 rows have '1'"):
        ke.itt(trial.assign(z=1), **ITT)


def test_instrument_that_does_not_vary(trial):
    with pytest.raises(KaizenError, match="instrument 'z' does not vary"):
        ke.late(trial.assign(z=1, d=1), **LATE)


def test_every_row_dropped_names_the_reason(trial):
    with pytest.raises(KaizenError, match=r"itt: no rows left .*200 rows missing outcome 'y'"):
        ke.itt(trial.assign(y=np.nan), **ITT)


def test_every_row_dropped_by_a_covariate(trial):
    with pytest.raises(KaizenError, match=r"no rows left .*missing covariate 'x'"):
        ke.itt(trial.assign(x=np.nan), **ITT, covariates="x")


@pytest.mark.parametrize(
    "col, role, extra",
    [
        ("y", "outcome", {}),
        ("z", "treatment", {}),
        ("x", "covariate", {"covariates": "x"}),
        ("w", "weight", {"weights": "w"}),
        ("y0", "baseline", {"baseline": "y0"}),
    ],
)
def test_inf_is_an_error_naming_the_column_and_row(trial, col, role, extra):
    bad = _at(trial, col, 7, np.inf)
    with pytest.raises(KaizenError, match=rf"{role} '{col}' has infinite values.*rows 7\b"):
        ke.itt(bad, **ITT, **extra)


def test_minus_inf_in_the_outcome_of_late(trial):
    with pytest.raises(KaizenError, match=r"outcome 'y' has infinite values in late"):
        ke.late(_at(trial, "y", 3, -np.inf), **LATE)


def test_absurdly_large_outcome_is_an_error_not_an_overflow(trial):
    # 1e300 is finite but its square overflows: before, numpy's overflow warning and inf
    with pytest.raises(KaizenError, match=r"too large .*rows 3, e\.g\. 1e\+300"):
        ke.itt(_at(trial, "y", 3, 1e300), **ITT)


def test_large_but_plausible_outcome_is_used(trial):
    sales = trial.assign(y=1e9 * trial["y"])  # sales in a currency with small units
    assert ke.itt(sales, **ITT).estimate == pytest.approx(1e9 * ke.itt(trial, **ITT).estimate)


def test_nan_outcome_rows_are_dropped_and_reported(trial):
    r = ke.itt(_at(trial, "y", 5, np.nan), **ITT)
    assert r.nobs == N - 1
    assert r.dropped["reason"].tolist() == ["missing outcome 'y'"]


@pytest.mark.parametrize("w", [-1.0, 0.0])
def test_weights_must_be_positive(trial, w):
    with pytest.raises(KaizenError, match=r"weight 'w' must be positive in itt; 1 rows"):
        ke.itt(_at(trial, "w", 4, w), **ITT, weights="w")


def test_weights_must_be_positive_in_late(trial):
    with pytest.raises(KaizenError, match="weight 'w' must be positive in late"):
        ke.late(_at(trial, "w", 4, -2.0), **LATE, weights="w")


def test_text_weights(trial):
    with pytest.raises(KaizenError, match="weight 'w' must be numeric"):
        ke.itt(trial.assign(w="1"), **ITT, weights="w")


def test_covariate_collinear_with_treatment(trial):
    with pytest.raises(KaizenError, match="'x' is a linear combination of the others"):
        ke.itt(trial.assign(x=2 * trial["z"]), **ITT, covariates="x")


def test_fewer_rows_than_parameters_is_not_blamed_on_collinearity(trial):
    extra = {"a": [1.0, 2, 3, 4, 5, 7], "b": [3.0, 1, 4, 1, 5, 9], "c": [2.0, 7, 1, 8, 2, 8]}
    small = trial.head(6).assign(**extra)
    with pytest.raises(KaizenError, match=r"6 rows in the estimation sample for 6 parameters"):
        ke.itt(small, **ITT, covariates=["x", "a", "b", "c"])


# --- questions not asked: codings -------------------------------------------------------------
def test_zero_two_assignment_is_an_error_not_half_the_itt(trial):
    with pytest.raises(KaizenError, match=r"treatment 'z' must be coded 0/1 in itt.*0, 2.*dose"):
        ke.itt(trial.assign(z=2 * trial["z"]), **ITT)


def test_declared_dose_gives_the_per_unit_effect(trial):
    base = ke.itt(trial, **ITT)
    dosed = ke.itt(trial.assign(z=2 * trial["z"]), **ITT, dose=True)
    assert dosed.estimate == pytest.approx(base.estimate / 2, rel=1e-12)


def test_one_two_assignment_is_an_error(trial):
    with pytest.raises(KaizenError, match="must be coded 0/1 in itt; it has the values 1, 2"):
        ke.itt(trial.assign(z=trial["z"] + 1), **ITT)


def test_boolean_assignment_is_accepted_as_0_1(trial):
    r = ke.itt(trial.assign(z=trial["z"].astype(bool)), **ITT)
    assert r.estimate == pytest.approx(ke.itt(trial, **ITT).estimate, rel=1e-12)


def test_instrument_0134_is_an_error_not_late_equals_att(trial):
    bad = trial.assign(z=np.tile([0, 1, 3, 4], N // 4))
    with pytest.raises(KaizenError, match=r"instrument 'z' must be coded 0/1 in late.*0, 1, 3, 4"):
        ke.late(bad, **LATE)


def test_instrument_0134_in_att(trial):
    bad = trial.assign(z=np.tile([0, 1, 3, 4], N // 4))
    with pytest.raises(KaizenError, match=r"instrument 'z' must be coded 0/1 in att"):
        ke.att(bad, **LATE)


def test_take_up_outside_0_1_in_att(trial):
    with pytest.raises(KaizenError, match=r"take-up 'd' must be coded 0/1 in att.*0, 2"):
        ke.att(trial.assign(d=2 * trial["d"]), **LATE)


def test_take_up_intensity_is_legitimate_in_late(trial):
    days = trial.assign(d=5 * trial["d"])
    r = ke.late(days, **LATE)
    assert r.estimate == pytest.approx(ke.late(trial, **LATE).estimate / 5, rel=1e-10)


@pytest.mark.parametrize("coding", ["text", "category"])
def test_string_or_categorical_treatment(trial, coding):
    z = trial["z"].map({0: "control", 1: "invited"})
    if coding == "category":
        z = z.astype("category")
    dtype = "category" if coding == "category" else "str|object"
    with pytest.raises(KaizenError, match=rf"treatment 'z' must be numeric .*dtype ({dtype})"):
        ke.itt(trial.assign(z=z), **ITT)


def test_treatment_and_instrument_the_same_column(trial):
    with pytest.raises(KaizenError, match="cannot be both treatment and instrument"):
        ke.late(trial, outcome="y", treatment="z", instrument="z")


def test_missing_column_names_it(trial):
    with pytest.raises(MissingColumnError, match="column 'sales' not found in the data passed"):
        ke.itt(trial, outcome="sales", treatment="z")


def test_not_a_dataframe(trial):
    with pytest.raises(KaizenError, match="itt needs a pandas DataFrame; got dict"):
        ke.itt(trial.to_dict(), **ITT)


# --- fragile but legitimate: few clusters ---------------------------------------------------
def test_two_clusters_warn_and_name_the_remedy(trial):
    two = trial.assign(village=np.arange(N) % 2)
    with pytest.warns(KaizenWarning, match=r"only 2 clusters in 'village' in itt.*wild_cluster"):
        r = ke.itt(two, **ITT, cluster="village")
    assert r.n_clusters == 2 and r.dof[0] == 1


def test_nineteen_clusters_warn_twenty_do_not(trial):
    with pytest.warns(KaizenWarning, match="only 19 clusters"):
        ke.itt(trial.assign(village=np.arange(N) % 19), **ITT, cluster="village")
    with warnings.catch_warnings():
        warnings.simplefilter("error", KaizenWarning)
        ke.itt(trial.assign(village=np.arange(N) % 20), **ITT, cluster="village")


def test_cr2_with_few_clusters_does_not_warn(trial):
    with warnings.catch_warnings():
        warnings.simplefilter("error", KaizenWarning)
        r = ke.itt(trial.assign(village=np.arange(N) % 6), **ITT, cluster="village", se="CR2")
    assert r.n_clusters == 6


def test_few_clusters_warn_in_late(trial):
    with pytest.warns(KaizenWarning, match="only 5 clusters in 'village' in late"):
        ke.late(trial.assign(village=np.arange(N) % 5), **LATE, cluster="village")


def test_one_cluster_is_an_error(trial):
    with pytest.raises(KaizenError, match="cluster 'village' has only 1 cluster in itt"):
        ke.itt(trial.assign(village=7), **ITT, cluster="village")


def test_missing_cluster_is_an_error_not_a_silent_drop(trial):
    with pytest.raises(KaizenError, match=r"cluster 'village' is missing for 1 rows .*rows 3"):
        ke.itt(_at(trial, "village", 3, np.nan), **ITT, cluster="village")


# --- bad arguments --------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1.5, 0, -0.1, "0.05", np.nan])
def test_alpha_outside_0_1(trial, alpha):
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.itt(trial, **ITT, alpha=alpha)


def test_alpha_in_late(trial):
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.late(trial, **LATE, alpha=5)


def test_alpha_in_att(trial):
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.att(trial, **LATE, alpha=95)


@pytest.mark.parametrize("se", ["hc1", "robust", "CR1"])
def test_se_spelling(trial, se):
    with pytest.raises(KaizenError, match=r"`se` must be one of .*'HC1'|needs a `cluster`"):
        ke.itt(trial, **ITT, se=se)


def test_by_with_one_level(trial):
    # the moderator check of issue 16 names the moderator, the row count and the one value
    with pytest.raises(KaizenError, match=r"`by='wave'` is constant .*all 200 rows have '1'"):
        ke.itt(trial.assign(wave=1), **ITT, by="wave")


def test_fixed_effect_with_a_level_per_row(trial):
    with pytest.raises(KaizenError, match=r"fixed effect 'firm_id' has a level for every row"):
        ke.itt(trial, **ITT, fixed_effects="firm_id")


def test_continuous_fixed_effect(trial):
    with pytest.raises(KaizenError, match=r"fixed effect 'x' has fractional values.*covariates"):
        ke.itt(trial, **ITT, fixed_effects="x")


def test_continuous_fixed_effect_in_late(trial):
    with pytest.raises(KaizenError, match=r"late: fixed effect 'x' has fractional values"):
        ke.late(trial, **LATE, fixed_effects="x")


def test_interaction_needs_two_arms(trial):
    with pytest.raises(KaizenError, match="`interaction=True` needs exactly two treatment"):
        ke.itt(trial, **ITT, interaction=True)


# --- att, compliance, Lee bounds, DiD --------------------------------------------------------
def test_att_two_sided_non_compliance(trial):
    bad = trial.copy()
    bad.loc[0, "d"] = 1  # row 0 has z = 0
    with pytest.raises(KaizenError, match="two-sided non-compliance"):
        ke.att(bad, **LATE)


def test_compliance_take_up_outside_0_1(trial):
    with pytest.raises(KaizenError, match=r"needs a 0/1 column; 'd' has other values \(0, 2\)"):
        ke.compliance(trial.assign(d=2 * trial["d"]), treatment="d", instrument="z")


def test_compliance_instrument_constant(trial):
    with pytest.raises(KaizenError, match="instrument 'z' does not vary"):
        ke.compliance(trial.assign(z=1), treatment="d", instrument="z")


def test_compliance_inf_take_up(trial):
    with pytest.raises(KaizenError, match="treatment 'd' has infinite values"):
        ke.compliance(_at(trial, "d", 2, np.inf), treatment="d", instrument="z")


def test_lee_bounds_constant_outcome(trial):
    with pytest.raises(KaizenError, match="outcome 'y' is constant in lee_bounds"):
        ke.lee_bounds(trial.assign(y=1.0), outcome="y", treatment="z", draws=10)


def test_lee_bounds_inf_outcome(trial):
    with pytest.raises(KaizenError, match="outcome 'y' has infinite values in lee_bounds"):
        ke.lee_bounds(_at(trial, "y", 2, np.inf), outcome="y", treatment="z", draws=10)


def test_lee_bounds_zero_two_assignment(trial):
    with pytest.raises(KaizenError, match="must be a 0/1 assignment with both arms"):
        ke.lee_bounds(trial.assign(z=2 * trial["z"]), outcome="y", treatment="z", draws=10)


def test_lee_bounds_alpha(trial):
    # before: scipy's "f(a) and f(b) must have different signs"
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.lee_bounds(trial, outcome="y", treatment="z", alpha=1.5, draws=10)


def test_lee_bounds_seed(trial):
    with pytest.raises(KaizenError, match="`seed` must be a non-negative integer"):
        ke.lee_bounds(trial, outcome="y", treatment="z", seed="abc", draws=10)


DID = {"outcome": "y", "baseline": "y0", "treatment": "d", "draws": 20}


def test_did_no_change_in_outcome(trial):
    with pytest.raises(KaizenError, match=r"change in the outcome 'y - y0' is constant in att_did"):
        ke.att_did(trial.assign(y0=trial["y"]), **DID)


def test_did_seed(trial):
    with pytest.raises(KaizenError, match="`seed` must be a non-negative integer"):
        ke.att_did(trial, **DID, seed=-1)


def test_did_alpha(trial):
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.att_did(trial, **DID, alpha=0)


def test_did_one_cluster(trial):
    with pytest.raises(KaizenError, match="cluster 'village' has only 1 cluster in att_did"):
        ke.att_did(trial.assign(village=1), **DID, cluster="village")


def test_did_participation_coded_0_2(trial):
    with pytest.raises(KaizenError, match="treatment 'd' must be 0/1 participation"):
        ke.att_did(trial.assign(d=2 * trial["d"]), **DID)
