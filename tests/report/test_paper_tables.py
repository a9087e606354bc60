"""Paper-layout tables (esttab/modelsummary style): layout, precision, notes and renderings."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._atomic import OutputExistsError
from kaizen_eval._validation import KaizenError

EXPONENT = re.compile(r"\d[eE][+-]?\d")
RAW = re.compile(r"(?<![A-Za-z])(nan|NaN|None|True|False)(?![A-Za-z])")


@pytest.fixture(scope="module")
def trial_frame() -> pd.DataFrame:
    rng = np.random.default_rng(14)
    n = 400
    df = pd.DataFrame(
        {
            "firm_id": np.arange(n),
            "stratum": rng.integers(0, 4, n),
            "village": rng.integers(0, 40, n),
            "female": rng.integers(0, 2, n).astype(float),
        }
    )
    df["invited"] = rng.permutation(np.repeat([0, 1], n // 2))
    df["attended"] = df["invited"] * (rng.uniform(size=n) < 0.7)
    df["value_added"] = 27_000 + 12_000 * df["attended"] + rng.normal(0, 20_000, n)
    df["practice_score"] = 0.4 + 0.1 * df["attended"] + rng.normal(0, 0.2, n)
    return df


@pytest.fixture(scope="module")
def estimates(trial_frame):
    df = trial_frame
    itt_va = ke.itt(df, outcome="value_added", treatment="invited", fixed_effects="stratum",
                    cluster="village")  # fmt: skip
    itt_sc = ke.itt(df, outcome="practice_score", treatment="invited", fixed_effects="stratum",
                    cluster="village")  # fmt: skip
    late_va = ke.late(df, outcome="value_added", treatment="attended", instrument="invited",
                      fixed_effects="stratum", cluster="village")  # fmt: skip
    return {"va": itt_va, "score": itt_sc, "late": late_va}


def test_layout_is_esttab_like(estimates):
    t = ke.results_table(
        [estimates["va"], estimates["score"]], stars=True, caption="ITT, Ghana (USD)"
    )
    header = t.table.header
    assert header[0] == ("", "(1)", "(2)")
    assert header[1] == ("", "Value added", "Practice score")
    labels = [row[0] for row in t.table.body]
    assert labels == ["invited", "", "Control mean", "N", "Clusters", "Fixed effects", "SE type"]
    body = {row[0]: row[1:] for row in t.table.body if row[0]}
    assert body["N"] == ("400", "400")
    assert body["Clusters"] == ("40", "40")
    assert body["Fixed effects"] == ("stratum", "stratum")
    assert body["SE type"] == (estimates["va"].se_type,) * 2
    assert t.table.rules == (2,)  # a rule between the coefficients and the statistics
    se_row = t.table.body[1]
    assert all(c.startswith("(") and c.endswith(")") for c in se_row[1:])
    assert "* p < 0.1, ** p < 0.05, *** p < 0.01." in t.notes
    assert "Standard errors in parentheses." in t.notes


def test_coefficients_carry_the_right_stars_and_match_the_estimates(estimates):
    e = estimates["va"]
    t = ke.results_table([e], stars=True)
    cell = t.table.body[0][1]
    star = ke._format.stars(e.pvalue)
    assert cell.endswith(star) and (star == "" or not cell.endswith(star + "*"))
    assert float(cell.rstrip("*").replace(",", "")) == pytest.approx(e.estimate, abs=0.5)
    se = t.table.body[1][1]
    assert float(se.strip("()").replace(",", "")) == pytest.approx(e.std_error, abs=0.5)
    # the raw numbers keep full precision
    row = t.numbers.iloc[0]
    assert row["estimate"] == e.estimate and row["std_error"] == e.std_error
    assert row["n_clusters"] == 40 and row["control_mean"] == e.control_mean


def test_one_precision_per_column(estimates):
    t = ke.results_table([estimates["va"], estimates["score"]])
    for j in (1, 2):
        cells = [row[j].strip("()*") for row in t.table.body[:3] if row[j]]
        decimals = {len(c.split(".")[1]) if "." in c else 0 for c in cells}
        assert len(decimals) == 1, cells
    va = [row[1] for row in t.table.body[:3]]
    assert all("." not in c for c in va)  # money in thousands: no decimals
    assert "," in va[2]  # control mean 27,xxx with a separator


def test_estimator_row_when_columns_differ(estimates):
    t = ke.results_table({"ITT": estimates["va"], "LATE": estimates["late"]}, terms=None)
    labels = [row[0] for row in t.table.body]
    assert "Estimator" in labels
    est_row = t.table.body[labels.index("Estimator")]
    assert est_row[1:] == ("ITT (OLS)", "LATE (2SLS)")
    assert labels[0] == "invited" and labels[2] == "attended"
    # a term absent from a column is blank
    assert t.table.body[0][2] == "" and t.table.body[2][1] == ""
    assert t.table.header[-1] == ("", "ITT", "LATE")  # mapping keys, written for a reader
    t2 = ke.results_table({"value_added": estimates["va"]})
    assert t2.table.header[-1] == ("", "Value added")


def test_labels_mapping_and_terms(estimates):
    t = ke.results_table(
        [estimates["va"]],
        labels={"value_added": "Value added (USD)", "invited": "Invited to training"},
        terms=["invited"],
        notes=["Ghana, follow-up 1"],
    )
    assert t.table.header[-1] == ("", "Value added (USD)")
    assert t.table.body[0][0] == "Invited to training"
    assert "Ghana, follow-up 1." in t.notes
    with pytest.raises(KaizenError, match="in none of the results"):
        ke.results_table([estimates["va"]], terms=["nope"])
    with pytest.raises(KaizenError, match="digits"):
        ke.results_table([estimates["va"]], digits=-1)


def test_missing_control_mean_is_blank_with_a_note():
    e1 = ke.Estimate(terms=("invited",), coef=[1.0], vcov=[[0.04]], dof=50, se_type="HC1",
                     method="OLS", estimand="ITT", outcome="sales", nobs=52,
                     control_mean=10.0)  # fmt: skip
    e2 = ke.Estimate(terms=("invited",), coef=[2.0], vcov=[[0.04]], dof=50, se_type="HC1",
                     method="OLS", estimand="ITT", outcome="profit", nobs=52)  # fmt: skip
    t = ke.results_table([e1, e2])
    cm = dict((row[0], row[1:]) for row in t.table.body)["Control mean"]
    assert cm == ("10.00", "")
    assert "Blank cells: no control mean for profit." in t.notes


def test_digits_fixes_the_decimals(estimates):
    t = ke.results_table([estimates["score"]], digits=4)
    assert re.fullmatch(r"-?\d+\.\d{4}\**", t.table.body[0][1])


def _all_renderings(t) -> dict[str, str]:
    return {
        "latex": t.to_latex(),
        "markdown": t.to_markdown(),
        "html": t.to_html(),
        "text": str(t),
    }


def test_no_raw_values_or_exponents_in_any_rendering(estimates):
    tiny = ke.Estimate(terms=("invited[female=0.0]", "invited[female=1.0]"), coef=[1.2e-5, 3e4],
                       vcov=[[1e-12, 0], [0, 1e8]], dof=np.inf, se_type="CR1", method="OLS",
                       estimand="ITT", outcome="value_added", nobs=1000, n_clusters=40,
                       control_mean=np.nan)  # fmt: skip
    t = ke.results_table([estimates["va"], estimates["late"], tiny], stars=True)
    for kind, text in _all_renderings(t).items():
        assert not EXPONENT.search(text), (kind, EXPONENT.search(text))
        assert not RAW.search(text), (kind, RAW.search(text))
        assert "female=" not in text and "('" not in text, kind
        assert "invited, female = 0" in text, kind


def test_latex_structure_and_compile(estimates, check_latex, compile_latex):
    t = ke.results_table(
        {"ITT": estimates["va"], "LATE": estimates["late"], "Score": estimates["score"]},
        stars=True,
        caption="Effects on value added (USD) & practices",
    )
    tex = t.to_latex()
    check_latex(tex)
    assert "\\item * p $<$ 0.1, ** p $<$ 0.05, *** p $<$ 0.01." in tex
    compile_latex(tex, t.to_latex(float_env=False))


def test_latex_structure_always_checked(estimates, check_latex):
    t = ke.results_table([estimates["va"], estimates["score"]], stars=True)
    check_latex(t.to_latex())
    check_latex(t.to_latex(float_env=False))


def test_csv_and_excel_hold_full_precision(estimates, tmp_path):
    t = ke.results_table([estimates["va"], estimates["score"]])
    text = t.to_csv()
    back = pd.read_csv(pd.io.common.StringIO(text))
    assert back.loc[0, "estimate"] == pytest.approx(estimates["va"].estimate, rel=1e-15)
    t.to_csv(tmp_path / "t.csv")
    with pytest.raises(OutputExistsError):
        t.to_csv(tmp_path / "t.csv")
    t.to_csv(tmp_path / "t.csv", overwrite=True)
    t.to_excel(tmp_path / "t.xlsx")
    xl = pd.read_excel(tmp_path / "t.xlsx", sheet_name="numbers")
    assert xl.loc[1, "estimate"] == pytest.approx(estimates["score"].estimate, rel=1e-15)
    shown = pd.read_excel(tmp_path / "t.xlsx", sheet_name="table", dtype=str)
    assert "Practice score" in shown.columns


def test_notebook_display(estimates):
    t = ke.results_table([estimates["va"]], stars=True)
    html = t._repr_html_()
    assert html.startswith("<table") and "<tfoot>" in html
    assert repr(t) == str(t)


def test_infinite_standard_error_is_a_blank_cell_with_a_note(check_readable):
    bad = ke.Estimate(terms=("invited",), coef=[3.0], vcov=[[np.inf]], dof=10, se_type="CR1",
                      method="OLS", estimand="ITT", outcome="sales", nobs=12, n_clusters=2,
                      control_mean=1.0)  # fmt: skip
    t = ke.results_table([bad], stars=True)
    assert t.table.body[0][1] == "3.00" and t.table.body[1][1] == ""
    assert "Blank cells: no finite estimate or standard error for invited." in t.notes
    check_readable(str(t))
    text = bad.summary()
    check_readable(text)
    assert "Blank cells: the standard error is zero, infinite or missing." in text
