"""CR2 edge cases against R: estimatr and clubSandwich on ``reference/cr2_edge.csv``.

The numbers in ``reference/cr2_reference.csv`` were produced by
``reference/make_cr2_reference.R``: clusters of size 1 mixed with villages, fixed effects nested
in clusters (``I − H_gg`` singular, the pseudo-inverse), regression weights, and 2SLS with each
of them. R is not needed to run these tests.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke

REF_DIR = Path(__file__).parent / "reference"
REF = pd.read_csv(REF_DIR / "cr2_reference.csv", na_values="NA")
DATA = pd.read_csv(REF_DIR / "cr2_edge.csv")
RTOL = 1e-8  # the algebra is exact; R writes 17 significant digits
CASES = sorted(REF["case"].unique())


def _fit(model: str) -> ke.Estimate:
    common = {"outcome": "y", "cluster": "cl", "se": "CR2"}
    extra = {}
    if model.endswith("nested"):
        extra["fixed_effects"] = "block"
    if model.endswith("weighted"):
        extra["weights"] = "w"
    if model.startswith("iv_"):
        return ke.late(
            DATA, treatment="attended", instrument="invited", covariates="age", **common, **extra
        )
    return ke.itt(DATA, treatment="invited", covariates="age", **common, **extra)


def test_every_edge_case_is_covered():
    models = {c.split(":")[0] for c in CASES}
    assert models == {
        "singletons",
        "nested",
        "weighted",
        "iv_singletons",
        "iv_nested",
        "iv_weighted",
    }
    assert (DATA.groupby("cl").size() == 1).sum() >= 40
    # the nested blocks really sit inside clusters
    assert (DATA.groupby("block")["cl"].nunique() == 1).sum() >= 16


@pytest.mark.filterwarnings("ignore:weak first stage")
# blocks nested in small clusters: some blocks have one arm only (they identify the FE alone)
@pytest.mark.filterwarnings("ignore:(treatment|instrument) 'invited' does not vary within")
@pytest.mark.parametrize("case", CASES)
def test_matches_r(case):
    est = _fit(case.split(":")[0])
    fit = est.extra["fit"]
    for _, r in REF[REF["case"] == case].iterrows():
        if r["term"] == "HTZ_F":
            test = ke.wald_test(fit, ["invited", "age"], test="HTZ")
            assert test.fstat == pytest.approx(r["estimate"], rel=RTOL)
            assert test.df2 == pytest.approx(r["df"], rel=RTOL)
            assert test.pvalue == pytest.approx(r["pvalue"], rel=RTOL)
            continue
        j = fit.index(r["term"])
        b, se, df = fit.coef[j], float(np.sqrt(fit.vcov[j, j])), fit.df[j]
        assert b == pytest.approx(r["estimate"], rel=RTOL)
        assert se == pytest.approx(r["std_error"], rel=RTOL), (case, r["term"])
        assert df == pytest.approx(r["df"], rel=RTOL), (case, r["term"])
        assert 2 * stats.t(df).sf(abs(b / se)) == pytest.approx(r["pvalue"], rel=RTOL)
