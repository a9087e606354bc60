"""ke.codebook_template: the iecodebook-style workbook, and its round trip through load_waves."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._atomic import OutputExistsError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
WAVES = {
    "baseline": FIXTURES / "baseline_surveycto.csv",
    "followup": FIXTURES / "followup_odk.csv",
}
FIRST_KZ005 = "uuid:f0000005-0000-4000-8000-000000000000"
DROP_FIRST = pd.DataFrame({"key": [FIRST_KZ005], "action": ["drop"]})


@pytest.fixture(scope="module")
def forms():
    return {
        "baseline": ke.read_xlsform(FIXTURES / "kaizen_baseline.xlsx"),
        "followup": ke.read_xlsform(FIXTURES / "kaizen_followup.xlsx"),
    }


def test_template_rows_labels_and_the_suggested_rename(forms, tmp_path):
    path = ke.codebook_template(WAVES, tmp_path / "codebook.xlsx", form=forms)
    cb = pd.read_excel(path, sheet_name="codebook")
    assert list(cb.columns) == [
        "wave", "source", "name", "recode", "type", "label", "question_type", "choices", "note"
    ]  # fmt: skip
    assert len(cb[cb["wave"] == "baseline"]) == 19 and len(cb[cb["wave"] == "followup"]) == 16
    row = cb.set_index(["wave", "source"]).loc[("baseline", "sector")]
    assert row["label"] == "Main sector" and row["question_type"] == "select_one"
    assert row["choices"] == "1=Retail;2=Manufacturing;3=Services"
    renamed = cb.set_index(["wave", "source"]).loc[("followup", "costs_last_month")]
    assert renamed["name"] == "costs_month"
    assert renamed["note"] == "probably renamed: 'costs_month' in wave 'baseline'; check"
    assert (cb["source"] == cb["name"]).sum() == len(cb) - 1  # that is the only suggestion
    split = cb.set_index(["wave", "source"]).loc[("baseline", "practices_none")]
    assert split["question_type"] == "select_multiple (0/1)"


def test_round_trip_through_read_codebook_and_load_waves(forms, tmp_path):
    path = ke.codebook_template(WAVES, tmp_path / "codebook.xlsx", form=forms)
    by_hand = pd.DataFrame(
        {"wave": ["followup"], "source": ["costs_last_month"], "name": ["costs_month"]}
    )
    expected = ke.load_waves(WAVES, form=forms, codebook=by_hand, duplicates=DROP_FIRST)
    got = ke.load_waves(WAVES, form=forms, codebook=path, duplicates=DROP_FIRST)
    pd.testing.assert_frame_equal(got.long, expected.long)
    pd.testing.assert_frame_equal(got.issues, expected.issues)
    # the user edits the template: a name changed in both waves is applied
    cb = pd.read_excel(path)
    cb.loc[cb["source"] == "sales_month", "name"] = "sales"
    cb.to_csv(tmp_path / "edited.csv", index=False)
    edited = ke.load_waves(WAVES, form=forms, codebook=tmp_path / "edited.csv",
                           duplicates=DROP_FIRST)  # fmt: skip
    np.testing.assert_array_equal(
        edited.wide["sales_followup"], expected.wide["sales_month_followup"]
    )
    assert edited.variable_labels["sales"] == "Sales last month (TZS)"
    assert "sales" in set(edited.not_asked["column"])


def test_without_a_form_and_as_csv(tmp_path):
    waves = {
        "b": pd.DataFrame({"firm_id": ["A"], "profit": [1.0], "sexe": ["F"]}),
        "f": pd.DataFrame({"firm_id": ["A"], "profits": [2.0]}),
    }
    path = ke.codebook_template(waves, tmp_path / "cb.csv")
    cb = pd.read_csv(path)
    assert cb[["wave", "source", "name", "question_type"]].to_numpy().tolist() == [
        ["b", "firm_id", "firm_id", "text"],
        ["b", "profit", "profit", "numeric"],
        ["b", "sexe", "sexe", "text"],
        ["f", "firm_id", "firm_id", "text"],
        ["f", "profits", "profit", "numeric"],
    ]
    panel = ke.load_waves(waves, codebook=path)
    assert panel.wide["profit_f"].tolist() == [2.0]


def test_bad_arguments(tmp_path):
    waves = {"b": pd.DataFrame({"firm_id": ["A"]})}
    with pytest.raises(ke.KaizenError, match=r"xlsx or \.csv"):
        ke.codebook_template(waves, tmp_path / "cb.json")
    with pytest.raises(ke.KaizenError, match="non-empty dict"):
        ke.codebook_template({}, tmp_path / "cb.csv")
    ke.codebook_template(waves, tmp_path / "cb.csv")
    with pytest.raises(OutputExistsError):
        ke.codebook_template(waves, tmp_path / "cb.csv")
    assert ke.codebook_template(waves, tmp_path / "cb.csv", overwrite=True).exists()
