"""The attrition table as the report shows it: nothing hidden without a note."""

import pandas as pd

from kaizen_eval.pipeline._sections import attrition_display


def _counts(**cols):
    base = {"interviewed": [10, 8], "closed": [0, 1], "not_found": [0, 1], "refused": [0, 0],
            "no_record": [0, 0], "firms": [10, 10], "observed": [10, 8],
            "share_observed": [1.0, 0.8]}  # fmt: skip
    base.update(cols)
    return pd.DataFrame(base, index=pd.Index(["baseline", "followup"], name="wave"))


def test_statuses_no_firm_had_are_named_in_a_note():
    shown, notes = attrition_display(_counts(), None, None)
    assert list(shown.columns) == ["interviewed", "closed", "not_found", "firms", "share_observed"]
    assert notes == [
        "No firm was refused or without a record in any wave (the columns are left out)."
    ]
    assert shown["closed"].tolist() == [0, 1]  # a status seen in one wave stays in every wave


def test_observed_is_kept_when_it_differs_from_interviewed():
    counts = _counts(present=[0, 2], observed=[10, 10], share_observed=[1.0, 1.0])
    shown, _ = attrition_display(counts, None, None)
    assert "observed" in shown and "present" in shown
    assert shown["observed"].tolist() == [10, 10]


def test_nothing_left_out_means_no_note():
    counts = _counts(refused=[1, 0], no_record=[0, 3])
    shown, notes = attrition_display(counts, None, None)
    assert notes == []
    assert "refused" in shown and "no_record" in shown and "observed" not in shown
