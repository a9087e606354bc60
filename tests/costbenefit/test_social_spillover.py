"""The social cost-benefit with a measured spillover (ke.cost_benefit(spillover_gain=Estimate)).

Checked against the float path (a known spillover per firm gives the same point BCR), against
the draws written out here, and for the joint draws against the fit's covariance.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

DATA = pd.read_csv(Path(__file__).parents[1] / "estimate" / "reference" / "spillover_data.csv")
SP = ke.spillover(DATA, outcome="y")
GAIN = ke.itt(DATA, outcome="y", treatment="invited")
M = 1.5
KW = {"cost": 2.0, "takeup": 0.8, "years": 3, "discount_rate": 0.1, "draws": 20_000, "seed": 4}


def test_point_bcr_equals_the_float_path():
    sigma = float(SP.tidy().loc["spillover", "estimate"])
    cb = ke.cost_benefit(gain=GAIN, spillover_gain=SP, nonparticipants_per_participant=M, **KW)
    flt = ke.cost_benefit(
        gain=GAIN,
        spillover_gain=max(M * sigma, 0.0),
        business_stealing=max(-M * sigma, 0.0),
        **KW,
    )
    assert cb.bcr == pytest.approx(flt.bcr, abs=1e-12)
    assert cb.npv == pytest.approx(flt.npv, abs=1e-12)
    assert cb.spillover.per_firm == M and not cb.spillover.shared_fit


def test_independent_draws_carry_both_uncertainties():
    tid = SP.tidy().loc["spillover"]
    cb = ke.cost_benefit(gain=GAIN, spillover_gain=SP, nonparticipants_per_participant=M, **KW)
    flt = ke.cost_benefit(gain=GAIN, spillover_gain=0.0, **KW)
    d, f = cb.draws, flt.draws
    np.testing.assert_array_equal(d["gain"], f["gain"])  # the gain's draws are unchanged
    rng = np.random.default_rng([KW["seed"], 17])
    z = (
        rng.standard_t(tid["df"], KW["draws"])
        if np.isfinite(tid["df"])
        else rng.standard_normal(KW["draws"])
    )
    np.testing.assert_allclose(
        d["spillover"], M * (tid["estimate"] + tid["std_error"] * z), atol=1e-12
    )
    # each draw's BCR is the float path's BCR plus the spillover draw's present value per cost
    per_unit = (d["bcr"] - f["bcr"]) / d["spillover"]
    assert np.ptp(per_unit) < 1e-9 * abs(per_unit.mean())
    assert cb.prob_bcr_above_1 == pytest.approx(float(np.mean(d["bcr"] > 1)), abs=1e-12)
    assert d["bcr"].std() > f["bcr"].std()
    corr = np.corrcoef(d["gain"], d["spillover"])[0, 1]
    assert abs(corr) < 4 / np.sqrt(KW["draws"])


def test_one_fit_is_drawn_with_its_covariance():
    cb = ke.cost_benefit(
        gain=SP, term="direct", spillover_gain=SP, nonparticipants_per_participant=M, **KW
    )
    assert cb.spillover.shared_fit
    cov = SP.cov.loc["direct", "spillover"]
    se_d, se_s = (
        np.sqrt(SP.cov.loc["direct", "direct"]),
        np.sqrt(SP.cov.loc["spillover", "spillover"]),
    )
    corr = np.corrcoef(cb.draws["gain"], cb.draws["spillover"])[0, 1]
    assert corr == pytest.approx(cov / (se_d * se_s), abs=4 / np.sqrt(KW["draws"]))
    assert any("covariance used" in n for n in cb.notes)


def test_bad_input_is_named():
    with pytest.raises(KaizenError, match="spillover_term"):
        ke.cost_benefit(gain=GAIN, spillover_gain=SP, spillover_term="direct", **KW)
    with pytest.raises(KaizenError, match="nonparticipants_per_participant"):
        ke.cost_benefit(gain=GAIN, spillover_gain=SP, nonparticipants_per_participant=-1, **KW)
    with pytest.raises(KaizenError, match="term="):
        ke.cost_benefit(gain=SP, spillover_gain=SP, nonparticipants_per_participant=M, **KW)
