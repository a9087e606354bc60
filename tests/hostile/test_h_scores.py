"""Hostile input for the management scores and standardized indices."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError

ITEMS = {"a": "ops", "b": "ops", "c": "finance"}


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D"],
            "a": [1, 0, 1, 0],
            "b": [0, 1, 1, 0],
            "c": [1, 1, 0, 0],
            "t": [0, 0, 1, 1],
            "y1": [1.0, 2.0, 3.0, 4.0],
            "y2": [2.0, 1.5, 4.0, 3.0],
            "y3": [0.5, 2.5, 1.0, 2.0],
        }
    )


def test_answers_as_text_zero_one_are_read(df):
    out = ke.management_score(df.assign(a=["1", "0", "1", "0"]), ITEMS)
    assert out.table["score_ops"].tolist() == [0.5, 0.5, 1.0, 0.0]


def test_booleans_are_answers(df):
    out = ke.management_score(df.assign(a=[True, False, True, False]), ITEMS)
    assert out.table["score_ops"].tolist() == [0.5, 0.5, 1.0, 0.0]


def test_yes_no_answers_are_refused_naming_firms(df):
    with pytest.raises(KaizenError, match=r"column 'a' is not numeric: firms 'A', 'B'"):
        ke.management_score(df.assign(a=["yes", "no", "yes", "no"]), ITEMS)


@pytest.mark.parametrize("value", [2, 0.5, -1])
def test_answers_other_than_zero_one_are_refused(df, value):
    with pytest.raises(KaizenError, match=r"column 'a' must hold 0/1 answers.*firm 'A'"):
        ke.management_score(df.assign(a=[value, 0, 1, 0]), ITEMS)


def test_infinite_answer_is_refused(df):
    with pytest.raises(KaizenError, match=r"column 'a' has infinite values at firm 'A'"):
        ke.management_score(df.assign(a=[np.inf, 0, 1, 0]), ITEMS)


def test_no_rows_is_refused(df):
    with pytest.raises(KaizenError, match="`df` has no rows"):
        ke.management_score(df.iloc[:0], ITEMS)


def test_not_a_dataframe_is_a_type_error():
    with pytest.raises(TypeError, match="`df` must be a pandas DataFrame; you passed list"):
        ke.management_score([[1, 0]], ITEMS)


def test_empty_item_table_is_refused(df):
    with pytest.raises(KaizenError, match="the item table is empty"):
        ke.management_score(df, {})


def test_item_absent_from_data_is_named(df):
    with pytest.raises(MissingColumnError, match=r"column 'zz' not found in the data"):
        ke.management_score(df, {"zz": "ops"})


def test_item_without_domain_is_named(df):
    with pytest.raises(KaizenError, match=r"items without a name or domain: \['a'\]"):
        ke.management_score(df, pd.DataFrame({"item": ["a"], "domain": [None]}))


def test_item_listed_twice_is_named(df):
    items = pd.DataFrame({"item": ["a", "a"], "domain": ["ops", "ops"]})
    with pytest.raises(KaizenError, match=r"item\(s\) \['a'\] appear more than once"):
        ke.management_score(df, items)


def test_duplicate_firm_is_named(df):
    with pytest.raises(KaizenError, match=r"duplicate 'firm_id': firms 'A', 'A'"):
        ke.management_score(df.assign(firm_id=["A", "A", "C", "D"]), ITEMS)


def test_missing_firm_id_is_named(df):
    with pytest.raises(KaizenError, match=r"column 'firm_id' is missing in 1 row"):
        ke.management_score(df.assign(firm_id=["A", None, "C", "D"]), ITEMS)


def test_min_answered_beyond_every_domain_is_refused(df):
    with pytest.raises(KaizenError, match=r"`min_answered` is 3, but the largest domain has 2"):
        ke.management_score(df, ITEMS, min_answered=3)


@pytest.mark.parametrize("value", [0, "2", True, 1.5])
def test_min_answered_must_be_a_positive_integer(df, value):
    with pytest.raises(KaizenError, match=r"`min_answered` must be an integer of at least 1"):
        ke.management_score(df, ITEMS, min_answered=value)


def test_overall_option_is_checked(df):
    with pytest.raises(KaizenError, match=r"`overall` must be one of 'items', 'domains'"):
        ke.management_score(df, ITEMS, overall="mean")


def test_firm_with_no_answers_is_unscored_and_listed(df):
    out = ke.management_score(df.assign(a=[np.nan, 0, 1, 0], b=[np.nan, 1, 1, 0]), ITEMS)
    assert np.isnan(out.table["score_ops"].iloc[0])
    assert "A" in out.unscored["firm_id"].tolist()


def test_kling_refuses_an_infinite_component(df):
    with pytest.raises(KaizenError, match=r"column 'y1' has infinite values at firm 'A'"):
        ke.kling_index(df.assign(y1=[np.inf, 2, 3, 4]), ["y1", "y2"], treatment="t")


def test_kling_refuses_a_constant_component(df):
    with pytest.raises(KaizenError, match=r"component\(s\) \['y1'\] do not vary"):
        ke.kling_index(df.assign(y1=[1.0, 1.0, 3.0, 4.0]), ["y1", "y2"], treatment="t")


@pytest.mark.parametrize("arm", [[0, 0, 2, 2], [0, np.nan, 1, 1], [-1, 0, 1, 1]])
def test_kling_refuses_treatment_other_than_zero_one(df, arm):
    with pytest.raises(KaizenError, match=r"treatment column 't' must be 0/1 without missing"):
        ke.kling_index(df.assign(t=arm), ["y1", "y2"], treatment="t")


def test_kling_needs_exactly_one_control_definition(df):
    with pytest.raises(KaizenError, match="give exactly one of `treatment`"):
        ke.kling_index(df, ["y1", "y2"])


@pytest.mark.parametrize("mask", [[True, False], [1, 1, 0, 0]])
def test_kling_control_mask_must_be_boolean_per_row(df, mask):
    with pytest.raises(KaizenError, match=r"`control_mask` must be a boolean array of length 4"):
        ke.kling_index(df, ["y1", "y2"], control_mask=mask)


@pytest.mark.parametrize("ddof", ["1", -1, 1.0, None])
def test_ddof_is_checked(df, ddof):
    with pytest.raises(KaizenError, match=r"`ddof` must be an integer >= 0"):
        ke.kling_index(df, ["y1", "y2"], treatment="t", ddof=ddof)


def test_icw_ddof_is_checked(df):
    with pytest.raises(KaizenError, match=r"`ddof` must be an integer >= 0"):
        ke.icw_index(df, ["y1", "y2"], treatment="t", ddof="0")


def test_kling_signs_must_be_plus_or_minus_one(df):
    with pytest.raises(KaizenError, match=r"`signs` must be 1 or -1; not so for \['y1'\]"):
        ke.kling_index(df, ["y1", "y2"], treatment="t", signs={"y1": 2})


def test_kling_signs_must_name_components(df):
    with pytest.raises(KaizenError, match=r"`signs` names column\(s\) that are not components"):
        ke.kling_index(df, ["y1", "y2"], treatment="t", signs={"profit": -1})


def test_kling_without_controls_is_refused(df):
    with pytest.raises(KaizenError, match=r"the reference sample .* is empty"):
        ke.kling_index(df.assign(t=1), ["y1", "y2"], treatment="t")


def test_kling_baseline_not_found_is_named(df):
    with pytest.raises(KaizenError, match=r"no rows with 'w' == 'z' \(the baseline\)"):
        ke.kling_index(df.assign(w="b"), ["y1", "y2"], treatment="t", wave_col="w", baseline="z")


def test_kling_text_component_names_the_firm(df):
    with pytest.raises(KaizenError, match=r"column 'y1' is not numeric: firm 'B' have \['x'\]"):
        ke.kling_index(df.assign(y1=["1", "x", "3", "4"]), ["y1", "y2"], treatment="t")


def test_kling_no_components(df):
    with pytest.raises(KaizenError, match="no components given"):
        ke.kling_index(df, [], treatment="t")


def test_kling_no_rows(df):
    with pytest.raises(KaizenError, match="`df` has no rows"):
        ke.kling_index(df.iloc[:0], ["y1", "y2"], treatment="t")


def test_icw_collinear_components_are_refused(df):
    with pytest.raises(KaizenError, match=r"covariance matrix .* is singular"):
        ke.icw_index(df.assign(y2=df["y1"] * 2), ["y1", "y2"], treatment="t")


def test_kling_of_a_clean_frame_has_mean_zero_in_controls(df):
    out = ke.kling_index(df, ["y1", "y2", "y3"], treatment="t")
    controls = out.table["index"][df["t"] == 0]
    assert controls.mean() == pytest.approx(0.0, abs=1e-12)
