"""Estimates, standard errors, degrees of freedom and p-values against R.

The numbers in ``reference/reference.csv`` were produced by ``reference/make_reference.R`` (estimatr
``lm_robust``/``iv_robust``/``lm_lin``, ``AER::ivreg`` with ``sandwich``, and ``clubSandwich``)
on the CSV data sets next to it. R is not needed to run these tests.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke

REF_DIR = Path(__file__).parent / "reference"
REF = pd.read_csv(REF_DIR / "reference.csv", na_values="NA")
DATA = {name: pd.read_csv(REF_DIR / f"{name}.csv") for name in ("firms", "small", "panel")}
RTOL = 1e-8  # the algebra is exact; R writes 17 significant digits

SE_MAP = {"stata": "CR1", "club_CR2": "CR2", "club_HTZ": "CR2"}
CLUSTER = {"firms": "village", "small": "village", "panel": "firm_id"}


def _se(label: str) -> str:
    return SE_MAP.get(label, label.removeprefix("aer_"))


def _fit(case: str) -> ke.Estimate:
    data_name, model, label = case.split(":")
    df = DATA[data_name]
    se = _se(label)
    cluster = CLUSTER[data_name] if se.startswith("CR") else None
    common = {"outcome": "y", "se": se, "cluster": cluster}
    if model == "itt_cov":
        return ke.itt(df, treatment="invited", covariates=["age", "educ"], **common)
    if model == "itt_fe":
        return ke.itt(df, treatment="invited", covariates="age", fixed_effects="stratum", **common)
    if model == "itt_fe2":
        return ke.itt(
            df, treatment="invited", covariates="age", fixed_effects=["stratum", "wave"], **common
        )
    if model == "itt_lin":
        return ke.itt(df, treatment="invited", covariates=["age", "educ"], lin=True, **common)
    if model == "itt_factorial":
        return ke.itt(df, treatment=["invited", "onsite"], interaction=True, **common)
    if model == "itt_weighted":
        return ke.itt(df, treatment="invited", covariates="age", weights="w", **common)
    if model == "itt_weighted_fe":
        return ke.itt(
            df,
            treatment="invited",
            covariates="age",
            weights="w",
            fixed_effects="stratum",
            **common,
        )
    if model == "itt_by_female":
        return ke.itt(df, treatment="invited", by="female", **common)
    if model == "itt_by_wave":
        return ke.itt(
            df,
            treatment="invited",
            covariates="age",
            by="wave",
            fixed_effects=["stratum", "wave"],
            **common,
        )
    iv = {"treatment": "attended", "instrument": "invited", "covariates": "age"}
    if model in ("late", "first_stage"):
        return ke.late(df, **iv, **common)
    if model == "late_fe":
        return ke.late(df, **iv, fixed_effects="stratum", **common)
    if model == "late_weighted":
        return ke.late(df, **iv, weights="w", **common)
    if model == "late_days":
        return ke.late(df, treatment="days", instrument="invited", covariates="age", **common)
    if model == "late_two":
        return ke.late(
            df,
            treatment=["attended", "onsite_received"],
            instrument=["invited", "onsite"],
            **common,
        )
    raise AssertionError(f"unknown reference case {case}")


R_TERMS = {  # R's names of per-group effects -> ours
    "invited:factor(female)0": "invited[female=0]",
    "invited:factor(female)1": "invited[female=1]",
    "invited:wavew1": "invited[wave=w1]",
    "invited:wavew2": "invited[wave=w2]",
}


def _row(est: ke.Estimate, term: str) -> dict:
    """Tidy numbers of any coefficient of the fit (covariates included)."""
    fit = est.extra["fit"]
    term = R_TERMS.get(term, term)
    j = fit.index(term)
    b, se, df = fit.coef[j], float(np.sqrt(fit.vcov[j, j])), fit.df[j]
    return {"estimate": b, "std_error": se, "df": df, "pvalue": 2 * stats.t(df).sf(abs(b / se))}


# AER's hatvalues() for ivreg use h_i = x_iᵀ (X̂ᵀX̂)⁻¹ x̂_i (the diagonal of the non-symmetric
# matrix mapping y to Xβ̂), estimatr uses h_i = x̂_iᵀ (X̂ᵀX̂)⁻¹ x̂_i. We follow estimatr (the same
# leverage as OLS on X̂); the AER HC2/HC3 numbers are checked separately with AER's leverage.
AER_LEVERAGE = ("late:aer_HC2", "late:aer_HC3")
CASES = sorted(c for c in REF["case"].unique() if not c.endswith(AER_LEVERAGE))
AER_CASES = sorted(c for c in REF["case"].unique() if c.endswith(AER_LEVERAGE))


def test_reference_covers_every_model_and_covariance_type():
    assert len(CASES) >= 80
    labels = {c.split(":")[2] for c in CASES}
    expected = {"classical", "HC0", "HC1", "HC2", "HC3", "CR0", "stata", "CR2", "club_CR2"}
    assert expected | {"club_HTZ"} <= labels


@pytest.mark.filterwarnings("ignore:weak first stage")
@pytest.mark.parametrize("case", CASES)
def test_matches_r(case):
    est = _fit(case)
    ref = REF[REF["case"] == case]
    assert len(ref) > 0
    for _, r in ref.iterrows():
        if r["term"] == "HTZ_F":
            test = ke.wald_test(est.extra["fit"], ["invited", "age"], test="HTZ")
            assert test.fstat == pytest.approx(r["estimate"], rel=RTOL)
            assert test.df2 == pytest.approx(r["df"], rel=RTOL)
            assert test.pvalue == pytest.approx(r["pvalue"], rel=RTOL)
            continue
        if r["term"] == "equality_F":
            test = est.extra["equality"]["invited"]
            assert test.fstat == pytest.approx(r["estimate"], rel=RTOL)
            assert test.pvalue == pytest.approx(r["pvalue"], rel=RTOL)
            assert test.df2 == r["df"]
            continue
        if r["term"] == "F":
            assert est.first_stage.fstat == pytest.approx(r["estimate"], rel=RTOL)
            assert est.first_stage.df[1] == r["df"]
            continue
        got = _row(est, r["term"])
        for col in ("estimate", "std_error", "df", "pvalue"):
            assert got[col] == pytest.approx(r[col], rel=RTOL), (case, r["term"], col)


@pytest.mark.parametrize("case", AER_CASES)
def test_aer_hc2_hc3_differ_only_by_the_leverage_definition(case):
    data_name, _, label = case.split(":")
    df = DATA[data_name]
    est = ke.late(df, outcome="y", treatment="attended", instrument="invited", covariates="age")
    fit = est.extra["fit"]
    x = np.column_stack([np.ones(len(df)), df["age"], df["attended"]])
    z = np.column_stack([np.ones(len(df)), df["age"], df["invited"]])
    xhat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
    bread = np.linalg.inv(xhat.T @ xhat)
    h_aer = np.einsum("ij,jk,ik->i", x, bread, xhat)
    power = 1 if label == "aer_HC2" else 2
    omega = fit.resid**2 / (1 - h_aer) ** power
    v = bread @ (xhat * omega[:, None]).T @ xhat @ bread
    ref = REF[(REF["case"] == case) & (REF["term"] == "attended")].iloc[0]
    assert np.sqrt(v[2, 2]) == pytest.approx(ref["std_error"], rel=RTOL)
    assert fit.coef[2] == pytest.approx(ref["estimate"], rel=RTOL)
    # and ours (estimatr's leverage) is a different, documented number
    assert est.std_error != pytest.approx(ref["std_error"], rel=1e-6)
