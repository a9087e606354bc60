"""ke.kling_index and ke.icw_index: hand-computed values and base-R reference values."""

import json
from math import sqrt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError

REF = Path(__file__).parent / "reference"


@pytest.fixture
def small():
    # controls A, B, C; treated D (y2 missing) and E
    return pd.DataFrame(
        {
            "firm_id": list("ABCDE"),
            "treat": [0, 0, 0, 1, 1],
            "y1": [0.0, 1.0, 2.0, 4.0, 1.0],
            "y2": [0.0, 0.0, 3.0, np.nan, 6.0],
        }
    )


def _hand(small):
    """Reference: y1 mean 1, sd 1; y2 mean 1, sd sqrt(3) (controls, n - 1)."""
    r3 = sqrt(3.0)
    z1 = [-1.0, 0.0, 1.0, 3.0, 0.0]
    z2 = [-1 / r3, -1 / r3, 2 / r3, np.nan, 5 / r3]
    raw = [(-1 - 1 / r3) / 2, (0 - 1 / r3) / 2, (1 + 2 / r3) / 2, 3.0, (0 + 5 / r3) / 2]
    ref_raw = np.array(raw[:3])
    scale = (ref_raw.mean(), sqrt(((ref_raw - ref_raw.mean()) ** 2).sum() / 2))
    return z1, z2, np.array(raw), scale


def test_kling_by_hand(small):
    _, _, raw, (m, s) = _hand(small)
    assert abs(m) < 1e-15  # controls have every component, so the raw mean is 0
    r = ke.kling_index(small, ["y1", "y2"], treatment="treat")
    np.testing.assert_allclose(r.table["index_raw"], raw, rtol=0, atol=1e-14)
    np.testing.assert_allclose(r.table["index"], (raw - m) / s, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(r.table["n_components"], [2, 2, 2, 1, 2])
    np.testing.assert_allclose(r.components["mean"], [1.0, 1.0])
    np.testing.assert_allclose(r.components["sd"], [1.0, sqrt(3.0)])
    np.testing.assert_array_equal(r.components["n_reference"], [3, 3])
    np.testing.assert_allclose(r.components["weight"], [0.5, 0.5])
    np.testing.assert_allclose(r.scale, (m, s), atol=1e-15)
    # restandardized: mean 0 and sd 1 among controls
    idx = r.table.loc[small["treat"] == 0, "index"]
    assert abs(idx.mean()) < 1e-14 and idx.std() == pytest.approx(1.0, abs=1e-14)
    assert r.unscored.empty and r.method == "kling" and r.missing == "available"


def test_kling_group_mean_imputation_by_hand(small):
    _, _, raw, (m, s) = _hand(small)
    r = ke.kling_index(small, ["y1", "y2"], treatment="treat", missing="group_mean")
    # D's missing z2 is imputed at the treated group's mean z2, i.e. E's 5/sqrt(3)
    expected = raw.copy()
    expected[3] = (3.0 + 5 / sqrt(3.0)) / 2
    np.testing.assert_allclose(r.table["index_raw"], expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(r.table["index"], (expected - m) / s, rtol=0, atol=1e-14)
    assert r.table["n_components"].tolist() == [2, 2, 2, 1, 2]  # still the observed count


def test_control_mask_equals_treatment_column(small):
    a = ke.kling_index(small, ["y1", "y2"], treatment="treat")
    b = ke.kling_index(small, ["y1", "y2"], control_mask=small["treat"].eq(0).to_numpy())
    pd.testing.assert_frame_equal(a.table, b.table)


def test_signs_flip_a_component(small):
    flipped = small.assign(y2=-small["y2"])
    a = ke.kling_index(small, ["y1", "y2"], treatment="treat")
    b = ke.kling_index(flipped, ["y1", "y2"], treatment="treat", signs={"y2": -1})
    pd.testing.assert_frame_equal(a.table, b.table)
    assert b.components.loc["y2", "sign"] == -1


def test_reference_is_controls_at_baseline():
    df = pd.DataFrame(
        {
            "firm_id": ["A", "B", "A", "B"],
            "wave": pd.Categorical(
                ["baseline", "baseline", "followup", "followup"],
                categories=["baseline", "followup"],
                ordered=True,
            ),
            "treat": [0, 0, 0, 0],
            "y": [1.0, 3.0, 5.0, 7.0],
        }
    )
    r = ke.kling_index(df, ["y"], treatment="treat", wave_col="wave")
    # y: mean 2, sd sqrt(2) at baseline; one component, so the raw index is the z-score and the
    # restandardization (mean 0, sd 1 among baseline controls) leaves it unchanged
    np.testing.assert_allclose(r.table["index"], np.array([-1, 1, 3, 5]) / sqrt(2.0), atol=1e-14)
    with pytest.raises(KaizenError, match=r"say which value of 'wave' is the baseline"):
        ke.kling_index(
            df.assign(wave=df["wave"].astype(str)), ["y"], treatment="treat", wave_col="wave"
        )
    s = ke.kling_index(
        df.assign(wave=df["wave"].astype(str)),
        ["y"],
        treatment="treat",
        wave_col="wave",
        baseline="followup",
    )
    np.testing.assert_allclose(s.table["index"], np.array([-5, -3, -1, 1]) / sqrt(2.0), atol=1e-14)


def test_firm_without_components_is_unscored(small):
    df = small.copy()
    df.loc[4, ["y1", "y2"]] = np.nan
    r = ke.kling_index(df, ["y1", "y2"], treatment="treat")
    assert np.isnan(r.table.loc[4, "index"])
    assert r.unscored.to_dict("records") == [{"firm_id": "E", "reason": "no non-missing component"}]


def test_icw_with_two_components_has_equal_weights(small):
    # with two standardized components Sigma^-1 1 is proportional to (1, 1)
    complete = small.dropna()
    a = ke.icw_index(complete, ["y1", "y2"], treatment="treat")
    b = ke.kling_index(complete, ["y1", "y2"], treatment="treat")
    np.testing.assert_allclose(a.components["weight"], [0.5, 0.5], atol=1e-14)
    np.testing.assert_allclose(a.table["index"], b.table["index"], atol=1e-13)


def test_icw_by_hand_three_components():
    # controls: z1 = z2 exactly correlated with each other except one firm, z3 independent
    df = pd.DataFrame(
        {
            "firm_id": list("ABCDE"),
            "treat": [0, 0, 0, 0, 1],
            "y1": [-1.0, 1.0, -1.0, 1.0, 2.0],
            "y2": [-1.0, 1.0, -1.0, 1.0, 0.0],
            "y3": [-1.0, -1.0, 1.0, 1.0, 1.0],
        }
    )
    # y1 == y2 among controls: the covariance is singular
    with pytest.raises(KaizenError, match=r"covariance matrix .* is singular"):
        ke.icw_index(df, ["y1", "y2", "y3"], treatment="treat")
    df.loc[0, "y2"] = 1.0  # y2 = (1, 1, -1, 1): mean 1/2
    r = ke.icw_index(df, ["y1", "y2", "y3"], treatment="treat")
    y = df.loc[:3, ["y1", "y2", "y3"]].to_numpy()
    z = (df[["y1", "y2", "y3"]].to_numpy() - y.mean(axis=0)) / y.std(axis=0, ddof=1)
    # correlations among the 4 controls, by hand: corr(y1, y2) = 1/sqrt(3), corr(y1, y3) = 0,
    # corr(y2, y3) = -1/sqrt(3); the covariance of z-scores is that correlation matrix
    c = 1 / sqrt(3.0)
    sigma = np.array([[1.0, c, 0.0], [c, 1.0, -c], [0.0, -c, 1.0]])
    np.testing.assert_allclose(np.corrcoef(y, rowvar=False), sigma, atol=1e-14)
    # Sigma w = 1: w1 = 1 - c w2, w3 = 1 + c w2, so w2 (1 - 2c^2) = 1, w2 = 3,
    # w = (1 - sqrt(3), 3, 1 + sqrt(3)), summing to 5; y1 gets a negative weight
    w = np.array([1 - sqrt(3.0), 3.0, 1 + sqrt(3.0)]) / 5
    np.testing.assert_allclose(r.components["weight"], w, atol=1e-13)
    raw = z @ w
    m, s = raw[:4].mean(), raw[:4].std(ddof=1)
    np.testing.assert_allclose(r.table["index_raw"], raw, atol=1e-13)
    np.testing.assert_allclose(r.table["index"], (raw - m) / s, atol=1e-13)


@pytest.fixture(scope="module")
def reference():
    data = pd.read_csv(REF / "indices_data.csv")
    expected = json.loads((REF / "indices.json").read_text())
    return data, expected


def _as_array(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize(
    ("function", "kwargs", "key"),
    [
        (ke.kling_index, {"missing": "available"}, "kling_available"),
        (ke.kling_index, {"missing": "group_mean"}, "kling_group_mean"),
        (ke.icw_index, {}, "icw"),
    ],
)
def test_matches_base_r_reference(reference, function, kwargs, key):
    data, expected = reference
    r = function(
        data,
        ["y1", "y2", "y3"],
        treatment="treat",
        wave_col="wave",
        baseline="baseline",
        signs={"y3": -1},
        **kwargs,
    )
    got = r.table["index"].to_numpy()
    want = _as_array(expected[key])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(r.components["mean"], expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(r.components["sd"], expected["sd"], rtol=1e-12)
    if key == "icw":
        np.testing.assert_allclose(r.components["weight"], expected["icw_weights"], rtol=1e-12)
        assert min(expected["icw_weights"]) < 0  # Anderson's weights can be negative
    assert r.unscored["firm_id"].tolist() == [data.loc[5, "firm_id"]]


def test_index_on_a_synthetic_trial_panel():
    trial = ke.synthetic.simulate_trial("tanzania", seed=1)
    panel = ke.load_waves(dict(trial.waves), id_col="firm_id", codebook=trial.codebook)
    r = ke.kling_index(panel.long, trial.items, treatment="invited", wave_col="wave")
    base = r.table[(panel.long["wave"] == "baseline").to_numpy() & (panel.long["invited"] == 0)]
    assert abs(base["index"].mean()) < 1e-12
    assert base["index"].std() == pytest.approx(1.0, abs=1e-12)
    fu = r.table.assign(inv=panel.long["invited"].to_numpy())[
        (panel.long["wave"] == "followup").to_numpy()
    ]
    gap = fu.groupby("inv")["index"].mean()
    assert gap[1] > gap[0]  # the programme raises management practices


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, KaizenError, r"give exactly one of `treatment`"),
        ({"treatment": "treat", "control_mask": [True] * 5}, KaizenError, r"exactly one"),
        ({"control_mask": [True, False]}, KaizenError, r"boolean array of length 5"),
        ({"treatment": "arm"}, MissingColumnError, r"column 'arm' not found"),
        ({"treatment": "treat", "signs": {"y9": -1}}, KaizenError, r"not components: \['y9'\]"),
        ({"treatment": "treat", "signs": {"y1": 2}}, KaizenError, r"must be 1 or -1"),
        ({"treatment": "treat", "baseline": "b"}, KaizenError, r"`baseline` needs `wave_col`"),
        ({"treatment": "treat", "missing": "drop"}, KaizenError, r"`missing` must be one of"),
    ],
)
def test_bad_arguments(small, kwargs, error, match):
    with pytest.raises(error, match=match):
        ke.kling_index(small, ["y1", "y2"], **kwargs)


def test_bad_data(small):
    with pytest.raises(KaizenError, match=r"treatment column 'treat' must be 0/1.*\['E'\]"):
        ke.kling_index(small.assign(treat=[0, 0, 0, 1, 2]), ["y1", "y2"], treatment="treat")
    with pytest.raises(KaizenError, match=r"component\(s\) \['y2'\] do not vary"):
        ke.kling_index(small.assign(y2=[1.0] * 5), ["y1", "y2"], treatment="treat")
    with pytest.raises(KaizenError, match=r"\['y2'\] have fewer than 2 non-missing"):
        ke.kling_index(
            small.assign(y2=[np.nan, np.nan, 1.0, 1.0, 1.0]), ["y1", "y2"], treatment="treat"
        )
    with pytest.raises(KaizenError, match=r"column 'y1' is not numeric: firm 'B'"):
        ke.kling_index(small.assign(y1=["0", "x", "2", "4", "1"]), ["y1", "y2"], treatment="treat")
    with pytest.raises(KaizenError, match=r"the reference sample .* is empty"):
        ke.kling_index(small, ["y1", "y2"], treatment="treat", wave_col="treat", baseline=1)
    with pytest.raises(KaizenError, match=r"missing for every firm of group"):
        ke.kling_index(
            small.assign(y2=[0.0, 0.0, 3.0, np.nan, np.nan]),
            ["y1", "y2"],
            treatment="treat",
            missing="group_mean",
        )
