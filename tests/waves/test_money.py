"""to_usd, value_added, winsorize and trim: hand-computed numbers and R references."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError

REFERENCE = Path(__file__).parent / "reference" / "winsorize_reference.csv"


@pytest.fixture
def long():
    return pd.DataFrame(
        {
            "firm_id": ["A", "A", "B", "B"],
            "wave": pd.Categorical(["baseline", "followup"] * 2, ordered=True),
            "sales": [1000.0, 1500.0, 400.0, np.nan],
            "inputs": [600.0, 700.0, np.nan, 100.0],
        }
    )


@pytest.fixture
def rates():
    return pd.DataFrame(
        {
            "wave": ["baseline", "followup", "baseline", "followup"],
            "currency": ["GHS", "GHS", "EUR", "EUR"],
            "usd_per_unit": [0.5, 0.4, 1.3, 1.1],
            "deflator": [1.0, 1.25, 1.0, 1.0],
        }
    )


def test_to_usd_by_hand(long, rates):
    out = ke.to_usd(long, ["sales", "inputs"], rates=rates, currency="GHS")
    # baseline: x * 0.5 / 1.0; followup: x * 0.4 / 1.25 = x * 0.32
    np.testing.assert_allclose(out["sales_usd"], [500.0, 480.0, 200.0, np.nan], rtol=1e-15)
    np.testing.assert_allclose(out["inputs_usd"], [300.0, 224.0, np.nan, 32.0], rtol=1e-15)
    pd.testing.assert_series_equal(out["sales"], long["sales"])


def test_to_usd_replaces_with_empty_suffix(long, rates):
    out = ke.to_usd(long, "sales", rates=rates[rates.currency == "EUR"], suffix="")
    np.testing.assert_allclose(out["sales"], [1300.0, 1650.0, 520.0, np.nan], rtol=1e-15)


def test_to_usd_names_the_wave_without_rate(long, rates):
    with pytest.raises(KaizenError, match=r"no exchange rate for wave\(s\) 'followup'"):
        ke.to_usd(long, "sales", rates=rates.iloc[[0]])


def test_to_usd_needs_a_currency_when_several(long, rates):
    with pytest.raises(KaizenError, match=r"several rates for wave\(s\) 'baseline', 'followup'"):
        ke.to_usd(long, "sales", rates=rates)


def test_to_usd_rejects_non_positive_rates(long, rates):
    rates.loc[1, "usd_per_unit"] = 0.0
    with pytest.raises(KaizenError, match=r"non-positive usd_per_unit for wave\(s\) 'followup'"):
        ke.to_usd(long, "sales", rates=rates, currency="GHS")


def test_to_usd_missing_column(long, rates):
    with pytest.raises(MissingColumnError, match="'profit'"):
        ke.to_usd(long, "profit", rates=rates, currency="GHS")


def test_value_added_only_when_both_known(long):
    va = ke.value_added(long)
    np.testing.assert_array_equal(va.data["value_added"], [400.0, 800.0, np.nan, np.nan])
    assert va.summary.iloc[0].to_dict() == {
        "rows": 4,
        "computed": 2,
        "missing_sales": 1,
        "missing_inputs": 1,
        "missing_both": 0,
    }
    assert va.changes["reason"].to_dict() == {2: "inputs missing", 3: "sales missing"}
    assert "value_added" not in long.columns


def test_value_added_in_usd_matches_schema_formula(long, rates):
    usd = ke.to_usd(long, ["sales", "inputs"], rates=rates, currency="GHS")
    va = ke.value_added(usd, sales="sales_usd", inputs="inputs_usd", name="va_usd").data
    # (1500 - 700) * 0.4 / 1.25 = 256
    assert va.loc[1, "va_usd"] == pytest.approx(256.0, rel=1e-15)


def test_winsorize_within_arm_by_hand():
    df = pd.DataFrame({"arm": [0] * 5 + [1] * 5, "y": [1.0, 2, 3, 4, 100, 10, 20, 30, 40, 50]})
    w = ke.winsorize(df, "y", lower=0.25, upper=0.75, by="arm")
    # linear quantiles: arm 0 -> 2 and 4; arm 1 -> 20 and 40
    assert w.data["y"].tolist() == [2.0, 2, 3, 4, 4, 20, 20, 30, 40, 40]
    assert w.summary[["arm", "lower_bound", "upper_bound", "n_low", "n_high"]].values.tolist() == [
        [0, 2.0, 4.0, 1, 1],
        [1, 20.0, 40.0, 1, 1],
    ]
    assert w.changes["old"].tolist() == [1.0, 100.0, 10.0, 50.0]
    pooled = ke.winsorize(df, "y", lower=0.25, upper=0.75)
    assert pooled.data["y"].tolist() != w.data["y"].tolist()


@pytest.mark.parametrize(
    ("q_lower", "q_upper", "rtype", "method"),
    [
        (0.1, 0.9, 7, "linear"),
        (0.1, 0.9, 2, "averaged_inverted_cdf"),
        (0.25, 0.75, 7, "linear"),
        (0.25, 0.75, 2, "averaged_inverted_cdf"),
    ],
)
def test_winsorize_and_trim_match_r(q_lower, q_upper, rtype, method):
    ref = pd.read_csv(REFERENCE)
    ref = ref[np.isclose(ref.q_lower, q_lower) & np.isclose(ref.q_upper, q_upper)]
    ref = ref[ref.type == rtype].reset_index(drop=True)
    assert len(ref) == 24
    df = ref[["arm", "x"]]
    w = ke.winsorize(df, "x", lower=q_lower, upper=q_upper, by="arm", method=method)
    t = ke.trim(df, "x", lower=q_lower, upper=q_upper, by="arm", method=method)
    np.testing.assert_allclose(w.data["x"], ref["winsorized"], rtol=1e-14)
    np.testing.assert_allclose(t.data["x"], ref["trimmed"], rtol=1e-14)
    bounds = ref.groupby("arm")[["lower", "upper"]].first()
    np.testing.assert_allclose(w.summary["lower_bound"], bounds["lower"], rtol=1e-14)
    np.testing.assert_allclose(w.summary["upper_bound"], bounds["upper"], rtol=1e-14)


def test_trim_reports_every_removed_value():
    df = pd.DataFrame({"arm": [0] * 5 + [1] * 5, "y": [1.0, 2, 3, 4, 100, 10, 20, 30, 40, 50]})
    t = ke.trim(df, "y", lower=0.25, upper=0.75, by="arm")
    assert len(t.data) == len(df)
    assert t.data["y"].isna().sum() == 4
    removed = t.changes
    assert removed.index.tolist() == [0, 4, 5, 9]
    assert removed["old"].tolist() == [1.0, 100.0, 10.0, 50.0]
    assert removed["new"].isna().all()
    assert removed["reason"].str.contains("set to missing").all()
    assert t.summary[["n_low", "n_high"]].sum().sum() == len(removed)


def test_one_sided_and_missing_values_untouched():
    df = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0, 5.0]})
    w = ke.winsorize(df, "y", lower=None, upper=0.5)
    # upper bound: linear median of [1, 3, 4, 5] = 3.5
    assert w.data["y"].tolist()[:1] + w.data["y"].tolist()[2:] == [1.0, 3.0, 3.5, 3.5]
    assert np.isnan(w.data["y"].iloc[1])
    assert w.summary["n_low"].item() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lower": 0.9, "upper": 0.1}, r"`lower` \(0.9\) must be smaller"),
        ({"lower": -0.1}, r"`lower` must be a share"),
        ({"method": "stata"}, r"`method` must be one of"),
        ({"by": "missing_arm"}, r"group column 'missing_arm' has 1 missing"),
    ],
)
def test_winsorize_bad_input(kwargs, message):
    df = pd.DataFrame({"y": [1.0, 2.0], "missing_arm": [1, None]})
    with pytest.raises(KaizenError, match=message):
        ke.winsorize(df, "y", **kwargs)


def test_winsorize_text_column_rejected():
    with pytest.raises(KaizenError, match="column 'y' must be numeric"):
        ke.trim(pd.DataFrame({"y": ["a", "b"]}), "y")


def test_winsorize_with_repeated_index_labels():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=[7, 7, 8, 8, 9])
    w = ke.winsorize(df, "y", lower=0.25, upper=0.75)
    assert w.data["y"].tolist() == [2.0, 2.0, 3.0, 4.0, 4.0]
    assert w.data.index.tolist() == [7, 7, 8, 8, 9]
    assert w.changes.index.tolist() == [7, 9]


def test_nullable_integer_columns(rates):
    df = pd.DataFrame({"wave": ["baseline"] * 5, "y": pd.array([1, 2, None, 4, 5], dtype="Int64")})
    w = ke.winsorize(df, "y", lower=0.25, upper=0.75)
    # linear quantiles of [1, 2, 4, 5]: 1.75 and 4.25
    np.testing.assert_array_equal(w.data["y"], [1.75, 2.0, np.nan, 4.0, 4.25])
    usd = ke.to_usd(df, "y", rates=rates, currency="GHS")
    np.testing.assert_array_equal(usd["y_usd"], [0.5, 1.0, np.nan, 2.0, 2.5])
