import numpy as np
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def est(outcome, coef, se, p_df=100, control_mean=None, terms=("invited",)):
    k = len(terms)
    return ke.Estimate(
        terms=terms,
        coef=np.atleast_1d(coef),
        vcov=np.diag(np.atleast_1d(se) ** 2) if k > 1 else [[se**2]],
        dof=p_df,
        se_type="HC1",
        method="OLS",
        estimand="ITT",
        outcome=outcome,
        nobs=102,
        control_mean=control_mean,
    )


def test_layout_outcomes_in_columns_with_se_rows_and_stars():
    a = est("score", 0.30, 0.10, control_mean=0.45)  # t = 3 -> p < .01
    b = est("value_added", 13890.0, 7500.0, control_mean=41000.0)  # t = 1.85: p in (.05, .1)
    t = ke.results_table([a, b], stars=True)
    f = t.frame
    assert list(f.columns) == ["Score", "Value added"]  # labelled, never snake_case
    assert list(f.index) == ["invited", "", "Control mean", "N", "SE type"]
    assert f.loc["invited", "Score"] == "0.300***"
    assert f.iloc[1]["Score"] == "(0.100)"
    assert f.loc["Control mean", "Score"] == "0.450"  # the column's one precision
    assert f.loc["invited", "Value added"] == "13,890*"
    assert f.loc["Control mean", "Value added"] == "41,000"
    assert f.loc["N", "Score"] == "102"
    # full precision survives in the CSV numbers
    assert t.numbers.set_index("column").loc["value_added", "estimate"] == 13890.0


def test_exports_contain_the_cells():
    t = ke.results_table({"(1)": est("y", 1.5, 0.5)})
    assert "1.50" in t.to_markdown() and "Standard errors" in t.to_markdown()
    assert "\\begin{tabular}" in t.to_latex() and "(0.50)" in t.to_latex()
    assert "<tfoot>" in t.to_html() and "Standard errors in parentheses." in t.to_html()
    assert "estimate" in t.to_csv()


def test_missing_term_leaves_blank_and_duplicates_are_labelled():
    a = est("y", [1.0, 2.0], [0.5, 0.5], terms=("classroom", "onsite"))
    b = est("y", 1.0, 0.5, terms=("classroom",))
    f = ke.results_table([a, b]).frame
    assert list(f.columns) == ["Y", "Y (2)"]
    assert f.loc["onsite", "Y (2)"] == ""


def test_bad_input():
    with pytest.raises(KaizenError, match="empty"):
        ke.results_table([])
    with pytest.raises(KaizenError, match="not an Estimate"):
        ke.results_table({"x": 3.0})
