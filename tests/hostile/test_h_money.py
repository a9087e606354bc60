"""Hostile input for the money helpers: currencies, infinities, nonsense rates."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError
from kaizen_eval.waves.errors import CurrencyError, NonFiniteValueError


@pytest.fixture
def long():
    return pd.DataFrame(
        {
            "firm_id": ["A", "B", "A", "B"],
            "wave": ["baseline", "baseline", "followup", "followup"],
            "sales": [1000.0, 2000.0, 1500.0, np.nan],
            "inputs": [400.0, 500.0, 600.0, 700.0],
        }
    )


@pytest.fixture
def rates():
    return pd.DataFrame({"wave": ["baseline", "followup"], "usd_per_unit": [0.5, 0.25]})


def test_row_currencies_with_one_rate_table_are_refused(long, rates):
    df = long.assign(currency=["GHS", "TZS", "GHS", "TZS"])
    with pytest.raises(CurrencyError, match=r"several currencies \('GHS', 'TZS'\).*no 'currency'"):
        ke.to_usd(df, "sales", rates=rates)


def test_row_currencies_are_converted_at_their_own_rate(long):
    df = long.assign(currency=["GHS", "TZS", "GHS", "TZS"])
    rates = pd.DataFrame(
        {
            "wave": ["baseline", "baseline", "followup", "followup"],
            "currency": ["GHS", "TZS", "GHS", "TZS"],
            "usd_per_unit": [0.5, 0.001, 0.25, 0.0005],
        }
    )
    out = ke.to_usd(df, "sales", rates=rates)
    assert out["sales_usd"].tolist()[:3] == [500.0, 2.0, 375.0]
    assert np.isnan(out["sales_usd"].iloc[3])


def test_row_currency_codes_are_compared_without_case_or_spaces(long):
    df = long.assign(currency=["ghs ", "GHS", "Ghs", "GHS"])
    rates = pd.DataFrame(
        {"wave": ["baseline", "followup"], "currency": ["GHS", "GHS"], "usd_per_unit": [0.5, 0.25]}
    )
    assert ke.to_usd(df, "sales", rates=rates)["sales_usd"].iloc[0] == 500.0


def test_a_row_currency_without_a_rate_is_named(long):
    df = long.assign(currency=["GHS", "TZS", "GHS", "GHS"])
    rates = pd.DataFrame(
        {"wave": ["baseline", "followup"], "currency": ["GHS", "GHS"], "usd_per_unit": [0.5, 0.25]}
    )
    with pytest.raises(KaizenError, match=r"no exchange rate for wave\(s\) 'baseline in TZS'"):
        ke.to_usd(df, "sales", rates=rates)


def test_currency_argument_contradicting_rows_is_refused(long, rates):
    df = long.assign(currency=["GHS", "TZS", "GHS", "GHS"])
    with pytest.raises(CurrencyError, match=r"`currency` is 'GHS'.*also has 'TZS'"):
        ke.to_usd(df, "sales", rates=rates.assign(currency="GHS"), currency="GHS")


def test_missing_row_currency_is_refused(long, rates):
    df = long.assign(currency=["GHS", None, "GHS", "GHS"])
    with pytest.raises(CurrencyError, match=r"1 row\(s\) have no currency code in 'currency'"):
        ke.to_usd(df, "sales", rates=rates)


def test_one_row_currency_with_one_rate_table_is_converted(long, rates):
    df = long.assign(currency="GHS")
    assert ke.to_usd(df, "sales", rates=rates)["sales_usd"].iloc[2] == 375.0


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e308, -1e300, 2e15])
def test_infinite_or_absurd_amounts_are_refused_naming_firm_and_wave(long, rates, value):
    df = long.assign(sales=[1000.0, 2000.0, value, 10.0])
    with pytest.raises(
        NonFiniteValueError, match=r"column 'sales': 1 amount.*firm 'A' in wave 'followup'"
    ):
        ke.to_usd(df, "sales", rates=rates)


def test_large_but_plausible_amounts_are_converted(long, rates):
    df = long.assign(sales=[1e12, 2000.0, 1.0, 10.0])
    assert ke.to_usd(df, "sales", rates=rates)["sales_usd"].iloc[0] == 5e11


def test_text_amounts_are_refused(long, rates):
    df = long.assign(sales=["1,000", "2", "3", "4"])
    with pytest.raises(KaizenError, match=r"column 'sales' must be numeric to convert"):
        ke.to_usd(df, "sales", rates=rates)


def test_boolean_amounts_are_refused(long, rates):
    df = long.assign(sales=[True, False, True, False])
    with pytest.raises(KaizenError, match=r"column 'sales' must be numeric to convert"):
        ke.to_usd(df, "sales", rates=rates)


def test_text_rate_is_refused(long):
    rates = pd.DataFrame({"wave": ["baseline", "followup"], "usd_per_unit": ["0.5", "n/a"]})
    with pytest.raises(KaizenError, match=r"non-positive usd_per_unit for wave\(s\) 'followup'"):
        ke.to_usd(long, "sales", rates=rates)


def test_infinite_rate_is_refused(long):
    rates = pd.DataFrame({"wave": ["baseline", "followup"], "usd_per_unit": [0.5, np.inf]})
    with pytest.raises(KaizenError, match=r"usd_per_unit for wave\(s\) 'followup'"):
        ke.to_usd(long, "sales", rates=rates)


def test_zero_deflator_is_refused(long, rates):
    with pytest.raises(KaizenError, match=r"non-positive deflator for wave\(s\) 'baseline'"):
        ke.to_usd(long, "sales", rates=rates.assign(deflator=[0.0, 1.0]))


def test_missing_wave_value_is_refused(long, rates):
    df = long.assign(wave=["baseline", None, "followup", "followup"])
    with pytest.raises(KaizenError, match=r"1 row\(s\) have no value in 'wave'"):
        ke.to_usd(df, "sales", rates=rates)


def test_rate_table_without_rate_column_is_named(long):
    with pytest.raises(MissingColumnError, match=r"'usd_per_unit' not found in the exchange-rate"):
        ke.to_usd(long, "sales", rates=pd.DataFrame({"wave": ["baseline"], "rate": [0.5]}))


def test_value_added_refuses_infinite_sales(long):
    df = long.assign(sales=[np.inf, 1.0, 2.0, 3.0])
    with pytest.raises(NonFiniteValueError, match=r"column 'sales'.*firm 'A' in wave 'baseline'"):
        ke.value_added(df)


def test_winsorize_refuses_infinite_values():
    df = pd.DataFrame({"y": [1.0, np.inf, 3.0]})
    with pytest.raises(NonFiniteValueError, match=r"column 'y': 1 amount.*row 1"):
        ke.winsorize(df, "y")


def test_trim_refuses_minus_infinity():
    df = pd.DataFrame({"y": [1.0, -np.inf, 3.0]})
    with pytest.raises(NonFiniteValueError, match=r"column 'y'"):
        ke.trim(df, "y")


def test_winsorize_quantile_out_of_range_is_named():
    with pytest.raises(KaizenError, match=r"`upper` must be a share between 0 and 1"):
        ke.winsorize(pd.DataFrame({"y": [1.0, 2.0]}), "y", upper=99)


def test_winsorize_group_with_missing_key_is_named():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "arm": [0, None, 1]})
    with pytest.raises(KaizenError, match=r"group column 'arm' has 1 missing values"):
        ke.winsorize(df, "y", by="arm")
