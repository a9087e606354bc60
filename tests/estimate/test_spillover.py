"""ke.spillover against estimatr::lm_robust (CR2) and clubSandwich, checks and bad input.

The reference numbers and the data come from reference/make_spillover_reference.R.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

REF = Path(__file__).parent / "reference"
DATA = pd.read_csv(REF / "spillover_data.csv")
R = pd.read_csv(REF / "spillover_reference.csv").set_index(["case", "term", "quantity"])["value"]
CASES = {
    "plain": {},
    "cov": {"covariates": "x"},
    "fe": {"covariates": "x", "fixed_effects": "stratum"},
}


def ref(case, term, quantity):
    return float(R.loc[(case, term, quantity)])


@pytest.mark.parametrize("case", list(CASES))
def test_matches_lm_robust_cr2(case):
    sp = ke.spillover(DATA, outcome="y", **CASES[case])
    tidy = sp.tidy()
    expected_terms = ["direct", "spillover"]
    for s in ("0.25", "0.5", "0.75", "1"):
        expected_terms += [f"direct:{s}"] + ([f"spillover:{s}"] if s != "1" else [])
    expected_terms += [f"total:{s}" for s in ("0.25", "0.5", "0.75", "1")]
    assert tidy.index.tolist() == expected_terms
    for term in expected_terms:
        for col, q in (("estimate", "estimate"), ("std_error", "std_error"), ("df", "df")):
            assert tidy.loc[term, col] == pytest.approx(ref(case, term, q), rel=1e-8, abs=1e-10), (
                term,
                col,
            )
    for kind in ("direct", "spillover"):
        wt = sp.extra["linear_dose_response"][kind]
        assert wt.df1 == ref(case, f"linear:{kind}", "df1")
        assert wt.fstat == pytest.approx(ref(case, f"linear:{kind}", "F"), rel=1e-8)
        assert wt.df2 == pytest.approx(ref(case, f"linear:{kind}", "df2"), rel=1e-8)
        assert wt.pvalue == pytest.approx(ref(case, f"linear:{kind}", "p"), rel=1e-7)
    assert sp.se_type == "CR2" and sp.n_clusters == 36 and sp.nobs == len(DATA)


def test_pooled_terms_are_cell_means_without_covariates():
    # with only the two dummies, the pooled terms are differences of means (exact algebra)
    sp = ke.spillover(DATA, outcome="y")
    control = DATA.loc[DATA.saturation == 0, "y"].mean()
    treated = DATA.loc[DATA.invited == 1, "y"].mean()
    spill = DATA.loc[(DATA.invited == 0) & (DATA.saturation > 0), "y"].mean()
    assert sp.term("direct")["estimate"] == pytest.approx(treated - control, abs=1e-12)
    assert sp.term("spillover")["estimate"] == pytest.approx(spill - control, abs=1e-12)
    assert sp.control_mean == pytest.approx(control)
    c = sp.extra["cell_counts"].set_index("cell")
    assert c.loc["pure control", "clusters"] == 8 and c["firms"].sum() == len(DATA)


def test_cross_covariance_of_the_two_fits():
    # direct and direct:s come from different fits on the same rows: their covariance is the
    # cluster sandwich across the fits, (X1'X1)^-1 [Σ_g X1g' e1g e2g' X2g] (X2'X2)^-1 (CR0),
    # written out here directly.
    sp = ke.spillover(DATA, outcome="y", covariates="x", se="CR0")
    d = DATA
    one = np.ones(len(d))
    spill = (1 - d.invited) * (d.saturation > 0)
    x1 = np.column_stack([one, d.invited, spill, d.x])
    cells = []
    for s in (0.25, 0.5, 0.75, 1.0):
        cells.append(d.invited * (d.saturation == s))
        if s < 1:
            cells.append((1 - d.invited) * (d.saturation == s))
    x2 = np.column_stack([one, *cells, d.x])
    y = d.y.to_numpy()
    e1 = y - x1 @ np.linalg.lstsq(x1, y, rcond=None)[0]
    e2 = y - x2 @ np.linalg.lstsq(x2, y, rcond=None)[0]
    meat = np.zeros((x1.shape[1], x2.shape[1]))
    for g in np.unique(d.cluster_id):
        at = (d.cluster_id == g).to_numpy()
        meat += np.outer(x1[at].T @ e1[at], x2[at].T @ e2[at])
    cross = np.linalg.inv(x1.T @ x1) @ meat @ np.linalg.inv(x2.T @ x2)
    terms = list(sp.terms)
    i, j = terms.index("direct"), terms.index("spillover:0.5")
    # x2's columns: const, direct:0.25, spillover:0.25, direct:0.5, spillover:0.5, ...
    assert sp.vcov[i, j] == pytest.approx(cross[1, 4], rel=1e-10)
    k = terms.index("direct:1")
    assert sp.vcov[terms.index("spillover"), k] == pytest.approx(cross[2, 7], rel=1e-10)
    assert np.allclose(sp.vcov, sp.vcov.T) and np.linalg.eigvalsh(sp.vcov).min() > -1e-12


def test_other_cluster_se_types_and_too_few_levels():
    sp = ke.spillover(DATA, outcome="y", se="CR1")
    assert sp.se_type == "CR1" and (sp.dof == 35).all()
    two = DATA[DATA.saturation.isin([0, 0.5, 1])]
    sp2 = ke.spillover(two, outcome="y")
    assert sp2.extra["linear_dose_response"] == {"direct": None, "spillover": None}
    assert any("needs three non-zero saturations" in n for n in sp2.notes)


def test_runs_on_an_assignment_drawn_by_assign():
    rng = np.random.default_rng(4)
    f = pd.DataFrame({"firm_id": range(300), "cluster_id": np.repeat(np.arange(30), 10)})
    asg = ke.assign(f, cluster="cluster_id", saturation=[0, 0.2, 0.6], seed=2)
    d = f.merge(asg.frame, on="firm_id")
    d["y"] = d["invited"] + rng.normal(size=len(d))
    sp = ke.spillover(d, outcome="y")
    assert "spillover:0.6" in sp.terms and "total:0.2" in sp.terms


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.assign(saturation=d.saturation * 2), r"must be in \[0, 1\]"),
        (lambda d: d.assign(saturation=d.saturation * 0.9 + 0.05), "no pure control cluster"),
        (
            lambda d: d.assign(saturation=np.where(d.index == 0, 0.33, d.saturation)),
            "varies within cluster",
        ),
        (lambda d: d.assign(invited=np.where(d.saturation == 0, 1, d.invited)), "saturation 0"),
        (lambda d: d.assign(invited=d.invited * 2), "0/1"),
    ],
)
def test_bad_input(edit, match):
    with pytest.raises(KaizenError, match=match):
        ke.spillover(edit(DATA.copy()), outcome="y")


def test_bad_se_and_missing_column():
    with pytest.raises(KaizenError, match="se"):
        ke.spillover(DATA, outcome="y", se="HC1")
    with pytest.raises(KaizenError, match="nope"):
        ke.spillover(DATA, outcome="y", saturation="nope")
