"""Pre-specified heterogeneity (`by=`), Lin's interaction terms and several baselines against R.

The numbers in ``reference/by_reference.csv`` were produced by ``reference/make_by_reference.R``
(estimatr ``lm_robust``, ``lm_lin``, ``iv_robust``) on ``reference/het.csv``. Effects at a
quantile (or level) of a moderator are, in R, the treatment coefficient with the moderator
centred there. With CR2 the rows ``test:<treatment>:<moderator>`` are the joint tests of
``extra["moderation"]``: ``clubSandwich::Wald_test(vcov = "CR2", test = "HTZ")`` on the same
model fitted by ``lm`` / ``AER::ivreg`` (``estimate`` the F statistic, ``df`` its fractional
denominator df, one restriction each). R is not needed to run these tests.
"""

from pathlib import Path

import pandas as pd
import pytest

import kaizen_eval as ke

REF_DIR = Path(__file__).parent / "reference"
REF = pd.read_csv(REF_DIR / "by_reference.csv")
HET = pd.read_csv(REF_DIR / "het.csv")
RTOL = 1e-8  # exact algebra; R writes 17 significant digits
SE = {"stata": "CR1"}


def _fit(case: str) -> ke.Estimate:
    _, model, label = case.split(":")
    se = SE.get(label, label)
    common = {"outcome": "y", "se": se, "cluster": "village" if se.startswith("CR") else None}
    if model == "itt_cont":
        return ke.itt(HET, treatment="invited", covariates="age", by="educ", **common)
    if model == "itt_cont_fe":
        return ke.itt(
            HET, treatment="invited", covariates="age", by="educ", fixed_effects="stratum", **common
        )
    if model == "itt_two":
        return ke.itt(HET, treatment="invited", covariates="age", by=["educ", "female"], **common)
    if model == "itt_lin_terms":
        return ke.itt(
            HET, treatment="invited", covariates=["age", "educ"], lin=True, lin_terms=True, **common
        )
    if model == "itt_baselines":
        return ke.itt(
            HET, treatment="invited", covariates="age", baseline=["y0b", "emp0"], **common
        )
    iv = {"treatment": "attended", "instrument": "invited", "covariates": "age"}
    if model == "late_cont":
        return ke.late(HET, by="educ", **iv, **common)
    if model == "late_female":
        return ke.late(HET, by="female", **iv, **common)
    raise AssertionError(case)


CASES = sorted(REF["case"].unique())


def test_reference_covers_the_cases():
    assert len(CASES) == 19
    assert len(REF) == 97
    tests = REF[REF["term"].str.startswith("test:")]
    assert len(tests) == 6 and tests["case"].str.endswith(":CR2").all()


@pytest.mark.parametrize("case", CASES)
def test_matches_r(case):
    est = _fit(case)
    ref = REF[REF["case"] == case]
    model = case.split(":")[1]
    tidy = est.tidy() if model != "itt_baselines" else None
    fit = est.extra["fit"]
    for _, r in ref.iterrows():
        if r["term"].startswith("test:"):
            _, treatment, moderator = r["term"].split(":")
            row = est.extra["moderation"].loc[(treatment, moderator)]
            assert row["df1"] == 1
            for col, value in (("estimate", "fstat"), ("df", "df2"), ("pvalue", "pvalue")):
                assert row[value] == pytest.approx(r[col], rel=RTOL), (case, r["term"], col)
            continue
        if tidy is not None:
            row = tidy.loc[r["term"]]
            got = {c: row[c] for c in ("estimate", "std_error", "df", "pvalue")}
        else:  # baseline columns are coefficients of the fit, not reported terms
            j = fit.index(r["term"])
            got = {"estimate": fit.coef[j], "std_error": fit.std_error[j], "df": fit.df[j]}
        for col, value in got.items():
            assert value == pytest.approx(r[col], rel=RTOL), (case, r["term"], col)
