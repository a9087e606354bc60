import numpy as np
import pytest
from scipy import stats

from kaizen_eval import Estimate
from kaizen_eval._validation import KaizenError


def make(params=None, df=50.0):
    params = params or {"invited": 1.5}
    terms = tuple(params)
    return Estimate(
        terms=terms,
        coef=list(params.values()),
        vcov=np.diag([0.36] * len(terms)),
        dof=df,
        se_type="HC1",
        method="OLS",
        estimand="ITT",
        outcome="y",
        nobs=52,
    )


def test_single_term_accessors_follow_t_distribution():
    e = make()
    assert e.std_error == pytest.approx(0.6)
    assert e.statistic == pytest.approx(2.5)
    assert e.pvalue == pytest.approx(2 * stats.t(50).sf(2.5), rel=1e-12)
    q = stats.t(50).ppf(0.975)
    assert e.ci_low == pytest.approx(1.5 - q * 0.6)
    assert e.ci_high == pytest.approx(1.5 + q * 0.6)


def test_infinite_df_is_normal():
    e = make(df=np.inf)
    assert e.pvalue == pytest.approx(2 * stats.norm.sf(2.5), rel=1e-12)


def test_tidy_contract_and_alpha_does_not_mutate():
    e = make({"a": 1.0, "b": -2.0})
    t = e.tidy(alpha=0.1)
    assert list(t.columns) == [
        "estimate",
        "std_error",
        "statistic",
        "pvalue",
        "ci_low",
        "ci_high",
        "df",
    ]
    assert list(t.index) == ["a", "b"]
    assert e.alpha == 0.05
    assert e.tidy()["ci_low"].iloc[0] < t["ci_low"].iloc[0]


def test_multi_term_scalar_access_is_a_clear_error():
    e = make({"a": 1.0, "b": -2.0})
    with pytest.raises(KaizenError, match="has 2 terms"):
        _ = e.estimate
    assert e.term("b")["estimate"] == -2.0


def test_immutable():
    e = make()
    with pytest.raises(AttributeError):
        e.nobs = 3
    with pytest.raises(ValueError):
        e.coef[0] = 9.0
    p = e.params
    p.iloc[0] = 9.0
    assert e.estimate == 1.5
    assert "ITT (OLS)" in repr(e)


def test_tidy_columns_are_the_declared_list():
    from kaizen_eval.estimate.result import TIDY_COLUMNS

    t = make({"a": 1.0, "b": -2.0}).tidy()
    assert tuple(t.columns) == TIDY_COLUMNS
    assert t.loc["b", "estimate"] == -2.0 and t.loc["b", "ci_low"] < -2.0 < t.loc["b", "ci_high"]
