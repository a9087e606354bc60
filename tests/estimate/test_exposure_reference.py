"""Exposure estimators (HT, Hájek, regression-adjusted) against an independent R computation.

``reference/make_exposure_reference.R`` enumerates all 319,770 assignments of a 22-firm
network design (8 invited), so every probability is exact, and writes ``exposure_data.csv``,
``exposure_edges.csv`` and ``exposure_reference.csv``: the estimators by ``lm()`` with weights
and the paper's conservative variance by explicit loops over pairs of firms. R is not needed to
run these tests.
"""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

REF_DIR = Path(__file__).parent / "reference"
DATA = pd.read_csv(REF_DIR / "exposure_data.csv")
EDGES = pd.read_csv(REF_DIR / "exposure_edges.csv")
REF = pd.read_csv(REF_DIR / "exposure_reference.csv")
CASES = {
    "HT": {"estimator": "HT"},
    "Hajek": {"estimator": "Hajek"},
    "regression:interact": {"estimator": "regression", "covariates": ["x1", "x2"]},
    "regression:common": {
        "estimator": "regression",
        "covariates": ["x1", "x2"],
        "interact": False,
    },
}


@pytest.fixture(scope="module")
def probabilities():
    n = len(DATA)
    support = np.zeros((319_770, n), dtype=np.int8)
    for r, chosen in enumerate(itertools.combinations(range(n), 8)):
        support[r, list(chosen)] = 1
    return ke.exposure_probabilities(
        DATA, support, id_col="firm_id", treatment="invited", edges=EDGES
    )


def _fit(probabilities, **kw):
    return ke.exposure_effects(
        DATA, outcome="y", id_col="firm_id", treatment="invited", assignment=None,
        edges=EDGES, probabilities=probabilities, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_exposure_estimators_match_r(probabilities, case):
    assert probabilities.exact and probabilities.draws == 319_770
    fit = _fit(probabilities, **CASES[case])
    ref = REF[REF["case"] == case].set_index("term")
    assert list(ref.index) == list(fit.terms)
    # exact algebra on exact probabilities; R writes 17 significant digits
    np.testing.assert_allclose(fit.coef, ref["estimate"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), ref["std_error"], rtol=1e-10)
    assert fit.method == CASES[case]["estimator"]


def test_prognostic_covariates_shrink_the_standard_errors(probabilities):
    hajek = _fit(probabilities, estimator="Hajek")
    ra = _fit(probabilities, estimator="regression", covariates=["x1", "x2"])
    # y = 10 + 2 x1 - 0.5 x2 + effects + N(0, 1): the adjusted errors are several times smaller
    assert (np.diag(ra.vcov) < np.diag(hajek.vcov) / 9).all()
    assert ra.notes[-1].startswith("adjusted for x1, x2 (weighted least squares, one slope")


def test_regression_bad_input(probabilities):
    with pytest.raises(KaizenError, match="name at least one"):
        _fit(probabilities, estimator="regression")
    with pytest.raises(KaizenError, match="used only by estimator='regression'"):
        _fit(probabilities, estimator="Hajek", covariates="x1")
    with pytest.raises(KaizenError, match="not found in exposure_effects"):
        _fit(probabilities, estimator="regression", covariates="x9")
    with pytest.raises(KaizenError, match="outcome or the treatment"):
        _fit(probabilities, estimator="regression", covariates=["x1", "invited"])
    with pytest.raises(KaizenError, match="True or False"):
        _fit(probabilities, estimator="regression", covariates="x1", interact="yes")
    gap = DATA.assign(x1=DATA["x1"].where(DATA.index != 3))
    with pytest.raises(KaizenError, match=r"covariate 'x1' has missing values .*F03"):
        ke.exposure_effects(
            gap, outcome="y", id_col="firm_id", treatment="invited", assignment=None,
            edges=EDGES, probabilities=probabilities, estimator="regression", covariates="x1",
        )  # fmt: skip
    # collinear covariates (x3 = 2 x1): named, for common and for per-condition slopes
    twice = DATA.assign(x3=2 * DATA["x1"])
    for interact, match in ((False, "constant or collinear"), (True, "in exposure condition")):
        with pytest.raises(KaizenError, match=match):
            ke.exposure_effects(
                twice, outcome="y", id_col="firm_id", treatment="invited", assignment=None,
                edges=EDGES, probabilities=probabilities, estimator="regression",
                covariates=["x1", "x3"], interact=interact,
            )  # fmt: skip
