"""CR2 in ``ke.heterogeneity``: one fixed split against estimatr::lm_robust(se_type="CR2")."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import kaizen_eval as ke
from kaizen_eval import KaizenError

REF = Path(__file__).parent / "reference"


def _data():
    rng = np.random.default_rng(7)
    n = 360
    df = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(3)})
    df["v"] = rng.integers(0, 24, n)
    df["d"] = rng.integers(0, 2, n)
    noise = rng.normal(size=n)  # drawn before the cluster shocks, as for the stored split
    df["y"] = df["x1"] + df["d"] * (1.0 + df["x0"]) + noise + 0.5 * rng.normal(size=24)[df["v"]]
    return df


def _fit(se):
    return ke.heterogeneity(
        _data(),
        outcome="y",
        treatment="d",
        covariates=["x0", "x1", "x2"],
        learner=LinearRegression(),
        splits=1,
        groups=3,
        cluster="v",
        se=se,
        propensity=0.5,
        seed=3,
    )


def test_one_split_blp_and_gates_with_cr2_equal_lm_robust():
    h = _fit("CR2")
    sp = h._splits[0]
    split = pd.read_csv(REF / "het_cr2_split.csv")
    m = _data().iloc[sp.main]
    # the stored main half is this split's: same rows, same learner predictions and groups
    assert split["y"].to_numpy() == pytest.approx(m["y"].to_numpy(), rel=1e-12)
    assert np.array_equal(split["v"].to_numpy(), m["v"].to_numpy())
    assert split["b"].to_numpy() == pytest.approx(sp.b, rel=1e-12)
    assert split["s"].to_numpy() == pytest.approx(sp.s, rel=1e-12)
    assert np.array_equal(split["group"].to_numpy(), sp.group + 1)
    ref = pd.read_csv(REF / "het_cr2_reference.csv")
    blp, gates = ref[ref["regression"] == "blp"], ref[ref["regression"] == "gates"]
    for name, got in (("estimate", sp.blp_est), ("std_error", sp.blp_se), ("df", sp.blp_df)):
        assert got == pytest.approx(blp[name].to_numpy(), rel=1e-8)
    for name, got in (("estimate", sp.gates_est), ("std_error", sp.gates_se), ("df", sp.gates_df)):
        assert got == pytest.approx(gates[name].to_numpy(), rel=1e-8)
    assert any("CR2" in note for note in h.notes)


def test_cr2_differs_from_the_default_cr1_and_bad_se_is_named():
    cr1, cr2 = _fit(None)._splits[0], _fit("CR2")._splits[0]
    assert cr1.blp_est == pytest.approx(cr2.blp_est, rel=1e-12)
    assert not np.allclose(cr1.blp_se, cr2.blp_se)
    with pytest.raises(KaizenError, match="se"):
        _fit("HC2")
    df = _data()
    with pytest.raises(KaizenError, match="cluster"):
        ke.heterogeneity(
            df,
            outcome="y",
            treatment="d",
            covariates=["x0"],
            learner=LinearRegression(),
            splits=1,
            se="CR2",
        )
