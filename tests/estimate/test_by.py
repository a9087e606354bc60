"""`by=` moderators: kinds, effects at values, the tests carried on the result, bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval import KaizenError

HET = pd.read_csv(Path(__file__).parent / "reference" / "het.csv")


def test_continuous_moderator_is_detected_and_its_slope_row_is_named_with_it():
    r = ke.itt(HET, outcome="y", treatment="invited", by="educ")
    assert r.terms[:2] == ("invited", "invited:educ")
    assert {"invited[educ=p25]", "invited[educ=p50]", "invited[educ=p75]"} <= set(r.terms)
    test = r.extra["moderation"].loc[("invited", "educ")]
    assert test["kind"] == "continuous"
    slope = r.term("invited:educ")
    assert test["fstat"] == pytest.approx(slope["statistic"] ** 2, rel=1e-10)
    assert test["pvalue"] == pytest.approx(slope["pvalue"], rel=1e-10)


@pytest.mark.parametrize(
    "estimator, columns",
    [
        (ke.itt, {"treatment": "invited"}),
        (ke.late, {"treatment": "attended", "instrument": "invited"}),
    ],
)
@pytest.mark.parametrize("fe", [None, "stratum"])
def test_cr2_moderation_tests_are_htz_and_agree_with_the_slope_rows(estimator, columns, fe):
    """Under CR2 a one-restriction test is the Satterthwaite t-test of the row it is about."""
    r = estimator(
        HET, outcome="y", **columns, covariates="age", by=["educ", "female"], fixed_effects=fe,
        se="CR2", cluster="village",
    )  # fmt: skip
    tn = columns["treatment"]
    tests = r.extra["moderation"]
    for moderator, row in [("educ", f"{tn}:educ"), ("female", f"{tn}:female=1")]:
        test, slope = tests.loc[(tn, moderator)], r.term(row)
        assert test["df1"] == 1
        assert test["df2"] == pytest.approx(slope["df"], rel=1e-10)
        assert test["df2"] < HET["village"].nunique() - 1  # fractional HTZ df, not G - 1
        assert test["pvalue"] == pytest.approx(slope["pvalue"], rel=1e-8)
    assert any("HTZ small-sample Wald test" in n for n in r.notes)
    assert any("vary with 'educ' (continuous): HTZ F(1, " in n for n in r.notes)


def test_other_se_types_keep_the_f_rule_and_say_so():
    cr1 = ke.itt(HET, outcome="y", treatment="invited", by="female", se="CR1", cluster="village")
    g = HET["village"].nunique()
    assert cr1.extra["equality"]["invited"].df2 == g - 1
    assert any("(q, G − 1)" in n for n in cr1.notes)
    hc = ke.itt(HET, outcome="y", treatment="invited", by="educ", se="HC2")
    assert hc.extra["moderation"]["df2"].iloc[0] == hc.extra["fit"].df_resid
    assert any("(q, N − K)" in n for n in hc.notes)
    cr2 = ke.itt(HET, outcome="y", treatment="invited", by="stratum", se="CR2", cluster="village")
    eq = cr2.extra["equality"]["invited"]
    assert eq.df1 == 4 and eq.df2 != g - 1
    assert any("equal across levels of 'stratum': HTZ F(4, " in n for n in cr2.notes)


def test_effect_at_a_value_is_the_linear_combination_of_mean_effect_and_slope():
    r = ke.itt(HET, outcome="y", treatment="invited", by="educ", by_quantiles=[0.1, 0.9])
    b = r.params
    for q in (0.1, 0.9):
        shift = np.quantile(HET["educ"], q) - HET["educ"].mean()
        assert b[f"invited[educ=p{100 * q:g}]"] == pytest.approx(
            b["invited"] + shift * b["invited:educ"], rel=1e-10
        )


def test_discrete_declared_continuous_and_levels_declared():
    r = ke.itt(HET, outcome="y", treatment="invited", by="female", by_kind="continuous")
    assert "invited:female" in r.terms
    r = ke.itt(HET.assign(g=HET["stratum"]), outcome="y", treatment="invited", by="g")
    assert r.terms[0] == "invited[g=a]"
    assert r.extra["moderation"].loc[("invited", "g"), "df1"] == 4


def test_late_and_att_by_level_carry_the_equality_test():
    r = ke.late(HET, outcome="y", treatment="attended", instrument="invited", by="female")
    assert r.terms == ("attended[female=0]", "attended[female=1]")
    eq = r.extra["equality"]["attended"]
    b, v = r.coef, r.vcov
    assert eq.fstat == pytest.approx((b[0] - b[1]) ** 2 / (v[0, 0] + v[1, 1] - 2 * v[0, 1]))
    a = ke.att(HET, outcome="y", treatment="attended", instrument="invited", by="female")
    assert a.estimand == "ATT" and a.terms == r.terms
    full = HET.assign(took=HET["invited"])
    a = ke.att(full, outcome="y", treatment="took", instrument="invited", by="educ")
    assert a.terms[:2] == ("took", "took:educ") and a.method == "OLS"


def test_several_baselines_each_get_a_missing_dummy():
    r = ke.itt(HET, outcome="y", treatment="invited", baseline=["y0b", "emp0"])
    assert {"y0b_missing", "emp0_missing"} <= set(r.extra["covariates"])
    assert r.nobs == len(HET)
    assert sum("McKenzie" in n for n in r.notes) == 2


def test_bad_moderators_are_named_errors():
    with pytest.raises(KaizenError, match="moderator `by='c'` is constant"):
        ke.itt(HET.assign(c=1.0), outcome="y", treatment="invited", by="c")
    with pytest.raises(KaizenError, match="declared as levels but looks continuous"):
        ke.itt(HET, outcome="y", treatment="invited", by="educ", by_kind="levels")
    with pytest.raises(KaizenError, match="declared continuous but has dtype"):
        ke.itt(HET, outcome="y", treatment="invited", by="stratum", by_kind="continuous")
    few = HET.assign(g=np.where(np.arange(len(HET)) < 3, "tiny", "big"))
    few.loc[:2, "invited"] = [1, 1, 0]
    with pytest.raises(KaizenError, match="too few observations in g = 'tiny'"):
        ke.itt(few, outcome="y", treatment="invited", by="g")
    with pytest.raises(KaizenError, match="by_kind"):
        ke.itt(HET, outcome="y", treatment="invited", by="educ", by_kind="ordinal")
    with pytest.raises(KaizenError, match="not in `by`"):
        ke.itt(HET, outcome="y", treatment="invited", by="educ", by_kind={"age": "levels"})
