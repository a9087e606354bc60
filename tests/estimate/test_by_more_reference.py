"""More of pre-specified heterogeneity (`by=`) against R: ATT, LATE with fixed effects, joint tests.

``reference/by_more_reference.csv`` was written by ``reference/make_by_more_reference.R`` from
``reference/het.csv`` with estimatr ``lm_robust`` and ``iv_robust``, every model written out by
hand as explicit design columns:

* ``ke.att(by=)`` (one-sided non-compliance in ``het.csv``, so 2SLS) with a continuous and a
  discrete moderator, HC1/HC2/CR1/CR2, with and without strata fixed effects;
* ``ke.late(by=)`` with strata fixed effects and with HC1/CR1, by the five strata, and with
  two moderators;
* several moderators (one of them the absorbed stratum), several baselines (``itt`` and
  ``late``) and ``lin=True, lin_terms=True``, each with strata fixed effects;
* the joint tests of ``extra["moderation"]`` (and ``extra["equality"]`` for one discrete
  moderator), among them the five-level ``stratum`` (``df1 = 4``): with CR2
  ``clubSandwich::Wald_test(vcov = "CR2", test = "HTZ")`` on the same model fitted by ``lm``
  (``AER::ivreg`` for 2SLS) with the strata as dummies, fractional ``df2``; otherwise the Wald
  statistic ``(Rb)'(RVR')⁻¹(Rb)/q`` from the fit's covariance, with ``df2 = G − 1`` for CR1 and
  the residual degrees of freedom otherwise (estimatr's rule for its own F statistic).

Terms named ``test:<treatment>:<moderator>`` are those tests: ``estimate`` is F, ``df1`` and
``df`` its degrees of freedom. R is not needed to run these tests.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke

REF_DIR = Path(__file__).parent / "reference"
REF = pd.read_csv(REF_DIR / "by_more_reference.csv")
HET = pd.read_csv(REF_DIR / "het.csv")
RTOL = 1e-8  # exact algebra; R writes 17 significant digits
SE = {"stata": "CR1"}
IV = {"treatment": "attended", "instrument": "invited"}
ITT = {"treatment": "invited"}
MODELS = {  # model → (estimator, treatment columns, keyword arguments)
    "att_cont": (ke.att, IV, {"by": "educ"}),
    "att_female": (ke.att, IV, {"by": "female"}),
    "late_cont": (ke.late, IV, {"by": "educ"}),
    "late_female": (ke.late, IV, {"by": "female"}),
    "late_stratum": (ke.late, IV, {"by": "stratum"}),
    "late_two": (ke.late, IV, {"by": ["educ", "female"]}),
    "late_baselines": (ke.late, IV, {"baseline": ["y0b", "emp0"]}),
    "itt_two": (ke.itt, ITT, {"by": ["educ", "female"]}),
    "itt_two_stratum": (ke.itt, ITT, {"by": ["educ", "stratum"]}),
    "itt_baselines": (ke.itt, ITT, {"baseline": ["y0b", "emp0"]}),
    "itt_stratum": (ke.itt, ITT, {"by": "stratum"}),
}


def _fit(case: str) -> ke.Estimate:
    model, label = case.split(":")
    fe = model.endswith("_fe")
    model = model.removesuffix("_fe")
    se = SE.get(label, label)
    common = {
        "outcome": "y",
        "se": se,
        "cluster": "village" if se.startswith("CR") else None,
        "fixed_effects": "stratum" if fe else None,
    }
    if model == "itt_lin_terms":
        return ke.itt(
            HET, treatment="invited", covariates=["age", "educ"], lin=True, lin_terms=True,
            **common,
        )  # fmt: skip
    estimator, columns, kwargs = MODELS[model]
    return estimator(HET, covariates="age", **columns, **kwargs, **common)


def _coefficient(est: ke.Estimate, term: str) -> dict[str, float]:
    """A reported term, or (for the baseline columns) a coefficient of the full fit."""
    tidy = est.tidy()
    if term in tidy.index:
        row = tidy.loc[term]
        return {c: row[c] for c in ("estimate", "std_error", "df", "pvalue")}
    fit = est.extra["fit"]
    j = fit.index(term)
    tstat = fit.coef[j] / fit.std_error[j]
    return {
        "estimate": fit.coef[j],
        "std_error": fit.std_error[j],
        "df": fit.df[j],
        "pvalue": 2 * stats.t.sf(abs(tstat), fit.df[j]),
    }


def _joint_test(est: ke.Estimate, term: str) -> dict[str, float]:
    _, treatment, moderator = term.split(":")
    row = est.extra["moderation"].loc[(treatment, moderator)]
    got = {"estimate": row["fstat"], "df1": row["df1"], "df": row["df2"], "pvalue": row["pvalue"]}
    equality = est.extra.get("equality") or {}
    if treatment in equality:  # one discrete moderator: the same test, in its own place
        test = equality[treatment]
        assert (test.fstat, test.df1, test.df2, test.pvalue) == (
            got["estimate"], got["df1"], got["df"], got["pvalue"],
        )  # fmt: skip
    return got


CASES = sorted(REF["case"].unique())


def test_reference_covers_the_cases():
    assert len(CASES) == 54
    tests = REF[REF["term"].str.startswith("test:")]
    assert len(REF) == 319
    assert len(tests) == 52
    stratum = tests[tests["term"].str.endswith(":stratum")]
    assert set(stratum["df1"]) == {4.0}
    assert {c.split(":")[0] for c in stratum["case"]} == {
        "itt_stratum", "itt_stratum_fe", "late_stratum_fe", "itt_two_stratum_fe",
    }  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_matches_r(case):
    est = _fit(case)
    for _, r in REF[REF["case"] == case].iterrows():
        term = r["term"]
        got = _joint_test(est, term) if term.startswith("test:") else _coefficient(est, term)
        for col, value in got.items():
            assert value == pytest.approx(r[col], rel=RTOL, abs=1e-13), (case, term, col)


def test_att_is_the_late_under_one_sided_noncompliance():
    """The ATT cases and the LATE cases are one model (nobody uninvited attended in het.csv)."""
    assert not ((HET["invited"] == 0) & (HET["attended"] != 0)).any()
    a = ke.att(HET, outcome="y", covariates="age", by="educ", fixed_effects="stratum", **IV)
    b = ke.late(HET, outcome="y", covariates="age", by="educ", fixed_effects="stratum", **IV)
    assert a.estimand == "ATT" and a.method == "2SLS"
    np.testing.assert_allclose(a.tidy()["estimate"], b.tidy()["estimate"], rtol=1e-12)
