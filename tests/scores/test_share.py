"""ke.management_score against hand-computed shares."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError
from kaizen_eval.synthetic import simulate_trial

ITEMS = pd.DataFrame(
    {
        "item": ["q1", "q2", "q3", "q4"],
        "domain": ["kaizen_5s", "kaizen_5s", "record_keeping", "record_keeping"],
        "source": ["visual", "visual", "interview", "visual"],
    }
)


@pytest.fixture
def answers():
    return pd.DataFrame(
        {
            "firm_id": ["A", "B", "C"],
            "q1": [1, None, None],
            "q2": [0, None, None],
            "q3": [1, 0, None],
            "q4": [None, 0, None],
        },
        dtype=object,
    ).astype({"q1": "Int8", "q2": "Int8", "q3": "Int8", "q4": "Int8"})


def test_shares_over_answered_items(answers):
    s = ke.management_score(answers, ITEMS)
    t = s.table
    assert list(t.columns) == [
        "firm_id",
        "score_overall",
        "n_answered_overall",
        "score_kaizen_5s",
        "n_answered_kaizen_5s",
        "score_record_keeping",
        "n_answered_record_keeping",
    ]
    # A: 5S 1 of 2; record keeping 1 of 1 answered (q4 missing); overall 2 of 3 answered
    np.testing.assert_array_equal(t["score_kaizen_5s"], [0.5, np.nan, np.nan])
    np.testing.assert_array_equal(t["score_record_keeping"], [1.0, 0.0, np.nan])
    np.testing.assert_array_equal(t["score_overall"], [2 / 3, 0.0, np.nan])
    np.testing.assert_array_equal(t["n_answered_overall"], [3, 2, 0])
    np.testing.assert_array_equal(t["n_answered_kaizen_5s"], [2, 0, 0])
    np.testing.assert_array_equal(t["n_answered_record_keeping"], [1, 2, 0])


def test_unscored_firms_are_reported(answers):
    s = ke.management_score(answers, ITEMS)
    got = set(map(tuple, s.unscored[["firm_id", "domain"]].to_numpy()))
    assert got == {
        ("C", "overall"),
        ("B", "kaizen_5s"),
        ("C", "kaizen_5s"),
        ("C", "record_keeping"),
    }
    assert (s.unscored["reason"] == "no answered items").all()
    full = ke.management_score(answers.iloc[:1], ITEMS)
    assert full.unscored.empty and list(full.unscored.columns) == ["firm_id", "domain", "reason"]


def test_overall_as_mean_of_domains(answers):
    t = ke.management_score(answers, ITEMS, overall="domains").table
    # A: (1/2 + 1) / 2; B: only record keeping scored
    np.testing.assert_array_equal(t["score_overall"], [0.75, 0.0, np.nan])


def test_waves_mapping_items_and_bools():
    df = pd.DataFrame(
        {
            "firm_id": ["A", "A", "B"],
            "wave": ["baseline", "followup", "baseline"],
            "q1": [True, False, True],
            "q2": [False, False, True],
        }
    )
    s = ke.management_score(df, {"q1": "marketing", "q2": "marketing"}, wave_col="wave")
    assert s.table["wave"].tolist() == ["baseline", "followup", "baseline"]
    np.testing.assert_array_equal(s.table["score_marketing"], [0.5, 0.0, 1.0])
    assert s.overall == "items" and "3 rows" in repr(s)


def test_trial_scores_match_a_hand_computation():
    trial = simulate_trial("ethiopia", seed=3)
    fu = trial.waves["followup"]
    s = ke.management_score(fu, trial.items)
    items = trial.items
    for domain in ["kaizen_5s", "marketing"]:
        cols = items.loc[items["domain"] == domain, "item"]
        a = fu[cols].to_numpy(dtype=float, na_value=np.nan)
        n = (~np.isnan(a)).sum(axis=1)
        expected = np.divide(np.nansum(a, axis=1), n, out=np.full(len(fu), np.nan), where=n > 0)
        np.testing.assert_allclose(s.table[f"score_{domain}"], expected, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(s.table[f"n_answered_{domain}"], n)
    # firms not interviewed have no answers: each is unscored overall and in all four domains
    gone = set(fu.loc[fu["status"] != "interviewed", "firm_id"])
    assert set(s.unscored.loc[s.unscored["domain"] == "overall", "firm_id"]) == gone
    assert len(s.unscored) == 5 * len(gone)


def test_not_binary_is_an_error_naming_column_and_firm():
    df = pd.DataFrame(
        {"firm_id": ["A", "B"], "q1": [1, 2], "q2": [0, 1], "q3": [0, 0], "q4": [1, 1]}
    )
    with pytest.raises(KaizenError, match=r"column 'q1' must hold 0/1 answers.*firm 'B'.*\[2\.0\]"):
        ke.management_score(df, ITEMS)


def test_text_answers_are_an_error():
    df = pd.DataFrame(
        {"firm_id": ["A", "B"], "q1": ["1", "yes"], "q2": [0, 1], "q3": [0, 0], "q4": [1, 1]}
    )
    with pytest.raises(KaizenError, match=r"column 'q1' is not numeric: firm 'B' have \['yes'\]"):
        ke.management_score(df, ITEMS)


def test_missing_item_column_is_named():
    df = pd.DataFrame({"firm_id": ["A"], "q1": [1], "q2": [0], "q3": [1]})
    with pytest.raises(MissingColumnError, match=r"column 'q4' not found in the data"):
        ke.management_score(df, ITEMS)


def test_duplicate_firm_is_named():
    df = pd.DataFrame(
        {"firm_id": ["A", "A"], "q1": [1, 0], "q2": [0, 0], "q3": [1, 1], "q4": [0, 0]}
    )
    with pytest.raises(KaizenError, match=r"duplicate 'firm_id': firms 'A', 'A'"):
        ke.management_score(df, ITEMS)
    df["wave"] = ["baseline", "followup"]
    assert len(ke.management_score(df, ITEMS, wave_col="wave").table) == 2


@pytest.mark.parametrize(
    ("items", "match"),
    [
        (pd.DataFrame({"item": ["q1", "q1"], "domain": ["a", "b"]}), r"\['q1'\] appear more than"),
        (pd.DataFrame({"item": ["q1"]}), r"column 'domain' not found in the item table"),
        (pd.DataFrame({"item": [], "domain": []}), r"the item table is empty"),
        (["q1"], r"`items` must be a DataFrame .* You passed: list"),
    ],
)
def test_bad_item_tables(items, match):
    df = pd.DataFrame({"firm_id": ["A"], "q1": [1]})
    with pytest.raises(KaizenError, match=match):
        ke.management_score(df, items)


def test_bad_option():
    df = pd.DataFrame({"firm_id": ["A"], "q1": [1]})
    with pytest.raises(KaizenError, match=r"`overall` must be one of 'items', 'domains'"):
        ke.management_score(df, {"q1": "a"}, overall="mean")


def test_min_answered(answers):
    s = ke.management_score(answers, ITEMS, min_answered=2)
    t = s.table
    # A answered 1 record-keeping item: below the minimum; B answered 2
    np.testing.assert_array_equal(t["score_record_keeping"], [np.nan, 0.0, np.nan])
    np.testing.assert_array_equal(t["score_kaizen_5s"], [0.5, np.nan, np.nan])
    np.testing.assert_array_equal(t["score_overall"], [2 / 3, 0.0, np.nan])
    reasons = s.unscored.set_index(["firm_id", "domain"])["reason"]
    assert reasons[("A", "record_keeping")] == "fewer than 2 answered items"
    assert reasons[("C", "record_keeping")] == "no answered items"
    d = ke.management_score(answers, ITEMS, overall="domains", min_answered=2)
    assert d.unscored.set_index(["firm_id", "domain"]).loc[("C", "overall"), "reason"] == (
        "no domain scored"
    )
    with pytest.raises(KaizenError, match=r"`min_answered` must be an integer of at least 1"):
        ke.management_score(answers, ITEMS, min_answered=0)
