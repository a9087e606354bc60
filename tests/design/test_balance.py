"""Balance tables against R's estimatr (reference/balance.R → balance.json, balance_data.csv)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "balance.json").read_text())
DATA = pd.read_csv(REF_DIR / "balance_data.csv")
COVS = ["female", "educ_years", "employees", "firm_age"]
SE_NAMES = {"stata": "CR1"}


def run_case(case):
    return ke.balance(
        DATA,
        treatment=case["treatment"],
        covariates=COVS,
        strata="stratum" if case["strata"] else None,
        cluster=case["cluster"],
        se=SE_NAMES.get(case["se"], case["se"]),
    )


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_per_covariate_matches_estimatr(name):
    case = REF["cases"][name]
    table = run_case(case).table
    assert len(table) == len(case["table"])
    for row in case["table"]:
        got = table.loc[(row["covariate"], row["arm"])]
        assert got["n"] == row["n"] and got["n_missing"] == row["n_missing"]
        for col in ("mean_control", "mean_arm", "sd_control", "sd_arm"):
            assert got[col] == pytest.approx(row[col], rel=1e-12, abs=1e-13), col
        assert got["normalized_diff"] == pytest.approx(row["norm_diff"], rel=1e-12)
        # estimatr's numbers are printed with 15 significant digits
        for col in ("difference", "std_error", "pvalue"):
            assert got[col] == pytest.approx(row[col], rel=1e-9, abs=1e-13), col


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_joint_test_matches_r(name):
    case = REF["cases"][name]
    joint = run_case(case).joint
    assert list(joint.index) == list(case["joint"])
    for arm, ref in case["joint"].items():
        got = joint.loc[arm]
        assert got["fstat"] == pytest.approx(ref["fstat"], rel=1e-9)
        assert got["pvalue"] == pytest.approx(ref["pvalue"], rel=1e-9)
        assert (got["df1"], got["df2"]) == (ref["df1"], ref["df2"])
        assert (got["nobs"], got["n_dropped"]) == (ref["nobs"], ref["n_dropped"])


def test_joint_f_accessors_and_notes():
    bt = run_case(REF["cases"]["hc2_strata"])
    assert isinstance(bt.joint_f, float) and isinstance(bt.joint_pvalue, float)
    assert any(
        "17 of 240 rows dropped because educ_years, employees are missing" in n for n in bt.notes
    )
    two = run_case(REF["cases"]["two_arms_hc2_strata"])
    assert list(two.joint_f.index) == ["classroom", "onsite"]


def test_exports():
    bt = run_case(REF["cases"]["two_arms_hc2_strata"])
    md = bt.to_markdown()
    assert "| educ years (onsite)" in md and "Joint F test (onsite vs control): F(4, 138)" in md
    tex = bt.to_latex()
    assert r"\begin{tabular}" in tex and r"educ years (classroom)" in tex
    html = bt.to_html()
    assert "<table" in html and "Joint F test (classroom vs control)" in html
    long = bt.to_frame()
    assert {"covariate", "arm", "difference", "normalized_diff"} <= set(long.columns)
    assert len(long) == 8


def test_table_is_a_copy():
    bt = run_case(REF["cases"]["hc2_nostrata"])
    t = bt.table
    t.loc[:, "difference"] = 0.0
    assert not (bt.table["difference"] == 0).all()


def test_errors_name_the_problem():
    d = DATA.copy()
    with pytest.raises(MissingColumnError, match=r"'wealth'"):
        ke.balance(d, treatment="invited", covariates=["wealth"])
    bad = d.assign(invited=d["invited"].astype(float))
    bad.loc[3, "invited"] = np.nan
    with pytest.raises(KaizenError, match=r"treatment `invited` is missing for F004"):
        ke.balance(bad, treatment="invited", covariates=COVS, id_col="firm_id")
    with pytest.raises(KaizenError, match=r"must be mutually exclusive"):
        ke.balance(d, treatment=["invited", "onsite"], covariates=COVS)
    with pytest.raises(KaizenError, match=r"with `cluster` the `se` must be one of"):
        ke.balance(d, treatment="invited", covariates=COVS, cluster="cluster", se="HC2")
    with pytest.raises(KaizenError, match=r"covariate `stratum` must be numeric"):
        ke.balance(d, treatment="invited", covariates=["stratum"])
    with pytest.raises(KaizenError, match=r"must be 0/1; other values for row 0"):
        ke.balance(d.assign(invited=d["invited"] + 1), treatment="invited", covariates=COVS)


def test_default_se_is_hc2_or_cr2():
    assert ke.balance(DATA, treatment="invited", covariates=COVS).se_type == "HC2"
    bt = ke.balance(DATA, treatment="invited_cl", covariates=COVS, cluster="cluster")
    assert bt.se_type == "CR2"


def test_constant_covariate_is_reported_not_fatal():
    d = DATA.assign(region=1.0)
    bt = ke.balance(d, treatment="invited", covariates=[*COVS, "region"], strata="stratum")
    row = bt.table.loc[("region", "invited")]
    assert row["difference"] == 0 and row["std_error"] == 0 and np.isnan(row["pvalue"])
    assert np.isnan(row["normalized_diff"])
    assert any("region left out (no variation among the 223 rows used)" in n for n in bt.notes)
    ref = REF["cases"]["hc2_strata"]["joint"]["invited"]
    assert bt.joint_f == pytest.approx(ref["fstat"], rel=1e-9)
    assert bt.joint.loc["invited", "df1"] == 4
