"""Panel.attrition: who is observed in which wave, exit kept apart from not found."""

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


@pytest.fixture
def panel():
    base = pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D", "E", "F"],
            "status": ["interviewed"] * 6,
            "invited": [1, 1, 1, 0, 0, 0],
        }
    )
    mid = pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D", "E"],
            "status": ["interviewed", "closed", "interviewed", "not_found", "interviewed"],
        }
    )
    end = pd.DataFrame(
        {
            "firm_id": ["A", "C", "D", "E", "F"],
            "status": ["interviewed", "refused", "interviewed", "closed", "interviewed"],
        }
    )
    return ke.load_waves({"baseline": base, "survey2": mid, "followup": end}, arm_col="invited")


def test_status_and_observed_per_firm(panel):
    att = panel.attrition(arm=None)
    assert att.status.loc["B"].tolist() == ["interviewed", "closed", "no_record"]
    assert att.status.loc["F"].tolist() == ["interviewed", "no_record", "interviewed"]
    assert att.observed.sum().tolist() == [6, 3, 3]
    assert att.observed.loc["D"].tolist() == [True, False, True]


def test_counts_per_wave_keep_exit_apart(panel):
    counts = (
        ke.load_waves(
            {w: panel.wave(w).drop(columns="invited", errors="ignore") for w in panel.waves}
        )
        .attrition()
        .counts
    )
    assert counts.index.tolist() == ["baseline", "survey2", "followup"]
    expected = {
        # wave: interviewed, closed, not_found, refused, no_record
        "baseline": [6, 0, 0, 0, 0],
        "survey2": [3, 1, 1, 0, 1],
        "followup": [3, 1, 0, 1, 1],
    }
    cols = ["interviewed", "closed", "not_found", "refused", "no_record"]
    for wave, row in expected.items():
        assert counts.loc[wave, cols].tolist() == row
    assert counts["firms"].tolist() == [6, 6, 6]
    assert counts["share_observed"].tolist() == [1.0, 0.5, 0.5]


def test_counts_by_arm(panel):
    counts = panel.attrition().counts  # the panel's arm_col, "invited"
    assert counts.index.names == ["invited", "wave"]
    invited = counts.loc[1]
    assert invited.loc["survey2", ["interviewed", "closed"]].tolist() == [2, 1]
    assert invited.loc["followup", ["interviewed", "refused", "no_record"]].tolist() == [1, 1, 1]
    control = counts.loc[0]
    assert control.loc["survey2", ["interviewed", "not_found", "no_record"]].tolist() == [1, 1, 1]
    assert control.loc["followup", ["interviewed", "closed"]].tolist() == [2, 1]
    assert counts["firms"].tolist() == [3] * 6


def test_without_status_a_row_means_observed():
    a = pd.DataFrame({"firm_id": ["A", "B"], "x": [1.0, 2.0]})
    b = pd.DataFrame({"firm_id": ["A"], "x": [3.0]})
    att = ke.load_waves({"a": a, "b": b}).attrition()
    counts = att.counts[["present", "no_record", "observed"]]
    assert counts.values.tolist() == [[2, 0, 2], [1, 1, 1]]


def test_changing_arm_is_an_error():
    a = pd.DataFrame({"firm_id": ["A", "B"], "invited": [1, 0]})
    b = pd.DataFrame({"firm_id": ["A", "B"], "invited": [1, 1]})
    panel = ke.load_waves({"a": a, "b": b})
    with pytest.raises(KaizenError, match=r"'invited' changes across waves for firm\(s\) 'B'"):
        panel.attrition(arm="invited")
