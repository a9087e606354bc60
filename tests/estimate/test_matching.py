"""nn_match against R's Matching::Match (reference/make_matching_reference.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kaizen_eval.estimate.matching_core import nn_match

R = Path(__file__).parent / "reference"
REF = pd.read_csv(R / "matching_reference.csv", index_col=0)
SIM = pd.read_csv(R / "matching_sim.csv")
LAL = pd.read_csv(R / "matching_lalonde.csv")
SX = ["x1", "x2", "x3", "x4"]
LX = ["age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75"]
MAHA = {"metric": "mahalanobis"}
CASES = {
    "sim_att_m1_w1": (SIM, "y", "d", SX, {}),
    "sim_att_m3_w2": (SIM, "y", "d", SX, {"n_neighbors": 3, "variance_matches": 3, **MAHA}),
    "sim_ate_m1_w1_ba": (SIM, "y", "d", SX, {"estimand": "ATE", "bias_adjust": True}),
    "sim_att_m2_w2_ba": (
        SIM,
        "y",
        "d",
        SX,
        {"n_neighbors": 2, "variance_matches": 2, "bias_adjust": True, **MAHA},
    ),
    "sim_atc_m1_w1": (SIM, "y", "d", SX, {"estimand": "ATC"}),
    "lalonde_att_m1_w1": (LAL, "re78", "treat", LX, {}),
    "lalonde_ate_m2_w2_ba": (
        LAL,
        "re78",
        "treat",
        LX,
        {"n_neighbors": 2, "variance_matches": 2, "estimand": "ATE", "bias_adjust": True, **MAHA},
    ),
    "lalonde_att_m4_w1_ba": (
        LAL,
        "re78",
        "treat",
        LX,
        {"n_neighbors": 4, "variance_matches": 4, "bias_adjust": True},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_estimate_and_se_match_r(case):
    df, y, d, x, kw = CASES[case]
    fit = nn_match(df[y].to_numpy(float), df[d].to_numpy(float), df[x].to_numpy(float), **kw)
    ref = REF.loc[case]
    scale = max(1.0, abs(ref["est"]))
    assert fit.estimate == pytest.approx(ref["est"], abs=1e-8 * scale)
    assert fit.estimate_unadjusted == pytest.approx(ref["est_noadj"], abs=1e-8 * scale)
    assert fit.std_error == pytest.approx(ref["se"], abs=1e-8 * scale)
    assert fit.matched.sum() == ref["wnobs"]


def test_caliper_estimate_and_drops_match_r():
    fit = nn_match(
        SIM.y.to_numpy(float), SIM.d.to_numpy(float), SIM[SX].to_numpy(float), caliper=0.1
    )
    ref = REF.loc["sim_att_caliper"]
    assert fit.estimate == pytest.approx(ref["est"], abs=1e-10)
    assert int((SIM.d == 1).sum() - fit.matched.sum()) == ref["ndrops"]
    assert np.isfinite(fit.std_error)
