"""Metrics against reference values computed independently in base R (reference/cost_benefit.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke

REF = pd.read_csv(
    Path(__file__).parent / "reference" / "cost_benefit_reference.csv", skipinitialspace=True
)


@pytest.mark.parametrize("i", range(len(REF)))
def test_matches_r(i):
    s = REF.iloc[i]
    cb = ke.cost_benefit(
        gain=s["gain"],
        cost=s["cost"],
        years=int(s["years"]),
        discount_rate=s["rate"],
        decay=s["decay"],
        survival=s["survival"],
    )
    assert cb.pv_gains == pytest.approx(s["pv"], rel=1e-12)
    assert cb.npv == pytest.approx(s["npv"], rel=1e-12)
    assert cb.bcr == pytest.approx(s["bcr"], rel=1e-12)
    assert cb.breakeven_gain == pytest.approx(s["breakeven_gain"], rel=1e-12)
    if np.isnan(s["payback"]):
        assert np.isnan(cb.payback_years)
    else:
        assert cb.payback_years == pytest.approx(s["payback"], rel=1e-12)
    # polyroot (Jenkins-Traub) vs brentq: observed agreement 2e-14; 1e-11 leaves root-finder slack
    assert cb.irr == pytest.approx(s["irr"], rel=1e-11, abs=1e-13)
