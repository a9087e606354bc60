"""``itt(lin=True, by=<levels>)``: Lin (2013) within each level of a moderator, against R.

``reference/lin_by_reference.csv`` was written by ``reference/make_lin_by_reference.R`` from
``reference/het.csv``: estimatr ``lm_lin`` in each level separately (estimates and HC2 standard
errors), and ``lm_robust`` on the fully interacted model written out by hand (all columns, with
HC1, HC2, CR2 and strata fixed effects). R is not needed to run these tests.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

REF_DIR = Path(__file__).parent / "reference"
REF = pd.read_csv(REF_DIR / "lin_by_reference.csv")
HET = pd.read_csv(REF_DIR / "het.csv")
RTOL = 1e-8  # exact algebra; R writes 17 significant digits


def _fit(case: str) -> ke.Estimate:
    _route, by, *rest = case.split(":")
    se = rest[-1]
    fe = "stratum" if rest[0] == "fe" else None
    return ke.itt(
        HET, outcome="y", treatment="invited", covariates=["age", "educ"], lin=True,
        lin_terms=True, by=by, se=se, cluster="village" if se.startswith("CR") else None,
        fixed_effects=fe,
    )  # fmt: skip


@pytest.mark.parametrize("case", sorted(REF["case"].unique()))
def test_lin_within_levels_matches_r(case):
    ref = REF[REF["case"] == case].set_index("term")
    fit = _fit(case)
    for term, row in ref.iterrows():
        t = fit.term(term)
        assert t["estimate"] == pytest.approx(row["estimate"], rel=RTOL, abs=1e-12), term
        assert t["std_error"] == pytest.approx(row["std_error"], rel=RTOL), term
        if case.startswith("pooled"):
            assert t["df"] == pytest.approx(row["df"], rel=RTOL), term
            assert t["pvalue"] == pytest.approx(row["pvalue"], rel=RTOL), term


def test_the_reference_covers_every_level():
    assert set(REF.loc[REF["case"] == "pooled:stratum:fe:CR2", "term"]) >= {
        f"invited[stratum={s}]" for s in "abcde"
    }


def test_one_level_shifted_moves_only_that_levels_centring():
    """Lin's point: an effect does not depend on where the covariates are centred elsewhere."""
    shifted = HET.assign(age=np.where(HET["female"] == 1, HET["age"] + 50.0, HET["age"]))
    a = ke.itt(HET, outcome="y", treatment="invited", covariates="age", lin=True, by="female")
    b = ke.itt(shifted, outcome="y", treatment="invited", covariates="age", lin=True, by="female")
    for term in ("invited[female=0]", "invited[female=1]"):
        assert b.term(term)["estimate"] == pytest.approx(a.term(term)["estimate"], rel=1e-10)


def test_lin_with_a_continuous_or_several_moderators_is_refused():
    with pytest.raises(KaizenError, match=r"needs one discrete moderator.*is continuous"):
        ke.itt(HET, outcome="y", treatment="invited", covariates="age", lin=True, by="educ")
    with pytest.raises(KaizenError, match="are several moderators"):
        ke.itt(
            HET, outcome="y", treatment="invited", covariates="age", lin=True,
            by=["female", "stratum"],
        )  # fmt: skip
