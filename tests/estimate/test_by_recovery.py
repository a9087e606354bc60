"""Recovery of known heterogeneous truths (synthetic.heterogeneous_firms) by `by=` and GenericML."""

import numpy as np
import pytest

import kaizen_eval as ke
from kaizen_eval.synthetic import heterogeneous_firms


def test_by_schooling_and_gender_recovers_slope_and_gap():
    df = heterogeneous_firms(4000, effect=1500, educ_slope=300, female_gap=-600, seed=3)
    r = ke.itt(
        df, outcome="va", treatment="invited", by=["educ_years", "female"],
        fixed_effects="stratum", baseline="va0", se="HC2",
    )  # fmt: skip
    t = r.tidy()
    for term, truth in (("invited:educ_years", 300.0), ("invited:female=1", -600.0)):
        assert t.loc[term, "ci_low"] < truth < t.loc[term, "ci_high"], term
    assert r.extra["moderation"].loc[("invited", "educ_years"), "pvalue"] < 1e-6
    # the effect at the mean of both moderators is the mean of the firms' true effects
    mean_tau = df["true_effect"].mean()
    assert t.loc["invited", "ci_low"] < mean_tau < t.loc["invited", "ci_high"]


def test_generic_ml_finds_schooling_as_the_driver():
    from sklearn.linear_model import LinearRegression

    df = heterogeneous_firms(3000, educ_slope=400, female_gap=0.0, seed=5)
    h = ke.heterogeneity(
        df, outcome="va", treatment="invited", covariates=["educ_years", "female", "firm_age"],
        learner=LinearRegression(), splits=5, groups=4, fixed_effects="stratum", seed=1,
    )  # fmt: skip
    assert h.blp.loc["heterogeneity", "pvalue"] < 0.01
    assert h.clan["pvalue"].idxmin() == "educ_years"
    assert np.all(np.diff(h.gates["estimate"].to_numpy()) > -200)
    assert h.clan.loc["educ_years", "difference"] > 2


def test_bad_parameters_are_named():
    with pytest.raises(ke.KaizenError, match="educ_slope"):
        heterogeneous_firms(100, educ_slope=float("nan"))
