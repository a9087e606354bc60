"""Hostile input for load_waves / Panel: ids that drift, columns that change, empty waves."""

import warnings

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError
from kaizen_eval.waves.errors import (
    EmptyWaveError,
    IdMismatchError,
    IdPrecisionError,
    LabelConflictError,
    WavesWarning,
)


def _base(ids=("001", "002", "003", "004"), **cols):
    data = {"firm_id": list(ids), "sales": [100.0, 200.0, 300.0, 400.0][: len(ids)]}
    data.update(cols)
    return pd.DataFrame(data)


def _repaired(panel, wave):
    iss = panel.issues
    return iss[(iss["wave"] == wave) & (iss["action"] == "repaired")]


# -- ids drift between waves ---------------------------------------------------------------------


def test_leading_zeros_lost_by_excel_are_matched_and_reported():
    follow = pd.DataFrame({"firm_id": [1, 2, 3, 4], "sales": [1.0, 2.0, 3.0, 4.0]})
    panel = ke.load_waves({"baseline": _base(), "followup": follow})
    assert sorted(panel.wave("followup")["firm_id"]) == ["001", "002", "003", "004"]
    assert len(_repaired(panel, "followup")) == 4
    assert panel.id_changes["delivered"].tolist() == ["1", "2", "3", "4"]
    assert panel.attrition().observed.all().all()


def test_leading_zeros_lost_in_the_baseline_are_matched_too():
    base = pd.DataFrame({"firm_id": [7, 8], "x": [1.0, 2.0]})
    follow = pd.DataFrame({"firm_id": ["007", "008"], "x": [1.0, 2.0]})
    panel = ke.load_waves({"baseline": base, "followup": follow})
    assert panel.wave("followup")["firm_id"].tolist() == ["7", "8"]
    assert "leading zeros" in _repaired(panel, "followup")["reason"].iloc[0]


def test_two_ids_fitting_one_baseline_id_are_not_merged():
    base = pd.DataFrame({"firm_id": ["007", "7", "008", "009"], "x": [1.0, 2, 3, 4]})
    follow = pd.DataFrame({"firm_id": ["0007", "008", "009"], "x": [1.0, 2, 3]})
    panel = ke.load_waves({"baseline": base, "followup": follow}, errors="raise")
    assert "0007" in panel.wave("followup")["firm_id"].tolist()
    assert panel.id_changes.empty


def test_ids_with_spaces_are_stripped_and_reported():
    follow = _base(ids=(" 001", "002 ", "003", "004"))
    panel = ke.load_waves({"baseline": _base(), "followup": follow})
    rep = _repaired(panel, "followup")
    assert rep["firm_id"].tolist() == ["001", "002"]
    assert rep["reason"].str.contains("spaces").all()


def test_ids_in_other_letter_case_are_matched_to_the_baseline_and_reported():
    base = _base(ids=("GH01", "GH02", "GH03", "GH04"))
    follow = _base(ids=("gh01", "GH02", "Gh03", "GH04"))
    panel = ke.load_waves({"baseline": base, "followup": follow})
    rep = _repaired(panel, "followup")
    assert rep["firm_id"].tolist() == ["GH01", "GH03"]
    assert rep["reason"].str.contains("other letter case").all()
    assert panel.wave("followup")["firm_id"].tolist() == ["GH01", "GH02", "GH03", "GH04"]


def test_lower_case_ids_of_every_wave_are_left_alone():
    ids = ("5b53b6c789e6c0cd", "035094671d34184a", "ba8b37e5b948c633", "00aa11bb22cc33dd")
    panel = ke.load_waves({"baseline": _base(ids=ids), "followup": _base(ids=ids)})
    assert panel.issues.empty and panel.wave("followup")["firm_id"].tolist() == list(ids)


def test_ids_with_dot_zero_suffix_are_repaired():
    follow = _base(ids=("1.0", "2.0", "3", "4"))
    base = _base(ids=("1", "2", "3", "4"))
    panel = ke.load_waves({"baseline": base, "followup": follow})
    assert _repaired(panel, "followup")["firm_id"].tolist() == ["1", "2"]
    assert panel.id_changes["delivered"].tolist() == ["1.0", "2.0"]


def test_float_ids_from_a_dataframe_become_digits_without_report():
    base = pd.DataFrame({"firm_id": [1.0, 2.0], "x": [1.0, 2.0]})
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["firm_id"].tolist() == ["1", "2"]
    assert panel.issues.empty


def test_twenty_digit_python_int_ids_are_kept_exactly():
    ids = [12345678901234567890, 98765432109876543210]
    base = pd.DataFrame({"firm_id": pd.Series(ids, dtype=object), "x": [1.0, 2.0]})
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["firm_id"].tolist() == [str(i) for i in ids]


def test_twenty_digit_float_ids_are_an_error():
    base = pd.DataFrame({"firm_id": [1.2345678901234567e19, 3.0], "x": [1.0, 2.0]})
    with pytest.raises(IdPrecisionError, match=r"wave 'baseline', row 0.*above 2\*\*53"):
        ke.load_waves({"baseline": base})


def test_infinite_id_is_an_error():
    base = pd.DataFrame({"firm_id": [np.inf, 3.0], "x": [1.0, 2.0]})
    with pytest.raises(IdPrecisionError, match="wave 'baseline'"):
        ke.load_waves({"baseline": base})


def test_a_wave_with_other_ids_is_an_error_showing_both_sides():
    follow = _base(ids=("GH-001", "GH-002", "GH-003", "GH-004"))
    with pytest.raises(IdMismatchError, match=r"4 of 4 firm ids.*'GH-001'.*in 'baseline'.*'001'"):
        ke.load_waves({"baseline": _base(), "followup": follow})


def test_mostly_unmatched_ids_warn_and_are_flagged_with_errors_flag():
    follow = _base(ids=("001", "X2", "X3", "X4"))
    with pytest.warns(WavesWarning, match=r"3 of 4 firm ids are not in the first wave"):
        panel = ke.load_waves({"baseline": _base(), "followup": follow}, errors="flag")
    flagged = panel.issues.query("reason.str.contains('not in the first wave')")
    assert flagged["firm_id"].tolist() == ["X2", "X3", "X4"]


def test_a_few_new_firms_are_flagged_not_refused():
    follow = _base(ids=("001", "002", "003", "NEW"))
    panel = ke.load_waves({"baseline": _base(), "followup": follow})
    row = panel.issues.query("reason.str.contains('not in the first wave')")
    assert row["firm_id"].tolist() == ["NEW"]


def test_spacing_collision_within_a_wave_is_a_duplicate_error():
    base = _base(ids=("A1", "A1 ", "B2", "C3"))
    with pytest.raises(KaizenError, match=r"duplicate firm ids in 'firm_id': 'A1'"):
        ke.load_waves({"baseline": base})


def test_a_case_variant_is_not_matched_when_the_baseline_form_is_taken():
    base = _base(ids=("A1", "B2", "C3", "D4"))
    follow = _base(ids=("A1", "a1", "B2", "C3"))
    panel = ke.load_waves({"baseline": base, "followup": follow})
    assert panel.wave("followup")["firm_id"].tolist() == ["A1", "a1", "B2", "C3"]
    flagged = panel.issues.query("reason.str.contains('not in the first wave')")
    assert flagged["firm_id"].tolist() == ["a1"]


def test_blank_text_ids_are_missing_ids():
    base = _base(ids=("001", "   ", "003", "004"))
    with pytest.raises(KaizenError, match=r"1 row\(s\) have no value in the id column"):
        ke.load_waves({"baseline": base})


def test_id_column_missing_in_a_wave_is_named():
    follow = _base().rename(columns={"firm_id": "FirmID"})
    with pytest.raises(MissingColumnError, match=r"'firm_id' not found in wave 'followup'"):
        ke.load_waves({"baseline": _base(), "followup": follow})


def test_id_changes_are_hashed_by_deidentify():
    follow = pd.DataFrame({"firm_id": [1, 2, 3, 4], "sales": [1.0, 2.0, 3.0, 4.0]})
    panel = ke.load_waves({"baseline": _base(), "followup": follow})
    clean = ke.deidentify(panel, salt="s")
    assert not clean.id_changes["delivered"].isin(["1", "2", "3", "4"]).any()
    assert set(clean.id_changes["firm_id"]) == set(clean.wave("followup")["firm_id"])


# -- empty waves ---------------------------------------------------------------------------------


def test_an_empty_wave_is_an_error():
    follow = _base().iloc[:0]
    with pytest.raises(EmptyWaveError, match=r"wave 'followup' has no rows"):
        ke.load_waves({"baseline": _base(), "followup": follow})


def test_a_wave_with_no_columns_is_an_error():
    with pytest.raises(EmptyWaveError, match=r"wave 'followup' has no rows"):
        ke.load_waves({"baseline": _base(), "followup": pd.DataFrame()})


def test_a_wave_of_blank_rows_is_an_error():
    blank = pd.DataFrame({"firm_id": [None, " "], "sales": [np.nan, np.nan]})
    with pytest.raises(EmptyWaveError, match=r"wave 'followup' has only blank rows \(2\)"):
        ke.load_waves({"baseline": _base(), "followup": blank})


def test_an_empty_csv_wave_is_an_error(tmp_path):
    path = tmp_path / "followup.csv"
    path.write_text("firm_id,sales\n")
    with pytest.raises(EmptyWaveError, match="wave 'followup' has no rows"):
        ke.load_waves({"baseline": _base(), "followup": path})


def test_no_waves_is_an_error():
    with pytest.raises(KaizenError, match="`waves` must be a non-empty dict"):
        ke.load_waves({})


def test_a_list_of_waves_is_an_error():
    with pytest.raises(KaizenError, match="`waves` must be a non-empty dict"):
        ke.load_waves([_base()])


def test_a_wave_that_is_not_a_table_is_named():
    with pytest.raises(KaizenError, match=r"wave 'followup': expected a DataFrame or a file path"):
        ke.load_waves({"baseline": _base(), "followup": 42})


def test_errors_option_is_checked():
    with pytest.raises(KaizenError, match=r"`errors` must be one of 'raise', 'flag'"):
        ke.load_waves({"baseline": _base()}, errors="ignore")


# -- numbers written as text ---------------------------------------------------------------------


def test_thousands_separators_are_read_and_reported():
    base = _base(sales=["1,200", "800", "12,345,678", "3"])
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["sales"].tolist() == [1200.0, 800.0, 12345678.0, 3.0]
    assert _repaired(panel, "baseline")["firm_id"].tolist() == ["001", "003"]


def test_padded_numbers_are_read_and_reported():
    base = _base(sales=[" 12 ", "8", "9", "10"])
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["sales"].tolist() == [12.0, 8.0, 9.0, 10.0]
    assert _repaired(panel, "baseline")["firm_id"].tolist() == ["001"]


def test_text_column_of_numbers_is_flagged_as_read_as_numbers():
    base = _base(sales=["1,200", "800", "900", "1000"])
    panel = ke.load_waves({"baseline": base})
    flagged = panel.issues.query("action == 'flagged' and column == 'sales'")
    assert flagged["reason"].str.contains("text column read as numbers").all()


@pytest.mark.parametrize("code", ["n/a", "-", "N/A", ".", "missing"])
def test_missing_codes_in_a_numeric_column_are_an_error_naming_firm(code):
    base = _base(sales=[100.0, code, 300.0, 400.0])
    with pytest.raises(
        KaizenError, match=rf"wave 'baseline', column 'sales'.*{repr(code)[1:-1]}.*'002'"
    ):
        ke.load_waves({"baseline": base})


@pytest.mark.parametrize("code", ["n/a", "-"])
def test_missing_codes_are_coerced_and_listed_with_flag(code):
    base = _base(sales=["1,200", code, "300", "400"])
    panel = ke.load_waves({"baseline": base}, errors="flag")
    assert panel.wave("baseline")["sales"].isna().tolist() == [False, True, False, False]
    coerced = panel.issues.query("action == 'coerced'")
    assert coerced["firm_id"].tolist() == ["002"] and code in coerced["reason"].item()


def test_decimal_comma_is_an_error_with_a_hint():
    base = _base(sales=["12,5", "3", "4", "5"])
    with pytest.raises(KaizenError, match=r"'12,5'.*decimal comma is ambiguous.*'001'"):
        ke.load_waves({"baseline": base})


def test_text_infinity_is_not_a_number():
    base = _base(sales=[1.0, "inf", 3.0, 4.0])
    with pytest.raises(KaizenError, match=r"column 'sales'.*'inf'"):
        ke.load_waves({"baseline": base})


def test_codes_with_leading_zeros_stay_text():
    base = _base(district=["01", "02", "10", "11"])
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["district"].tolist() == ["01", "02", "10", "11"]


def test_text_that_is_not_numbers_stays_text():
    base = _base(sector=["retail", "garments", "food", "metal"])
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["sector"].tolist() == ["retail", "garments", "food", "metal"]


def test_numeric_in_one_wave_text_in_the_other_is_a_type_error():
    follow = _base(sales=["high", "low", "low", "high"])
    with pytest.raises(KaizenError, match=r"column 'sales' has a different type across waves"):
        ke.load_waves({"baseline": _base(), "followup": follow})


def test_mixed_numbers_and_text_across_waves_are_parsed():
    follow = _base(sales=["1,000", "2,000", "3", "4"])
    panel = ke.load_waves({"baseline": _base(), "followup": follow})
    assert panel.wave("followup")["sales"].tolist() == [1000.0, 2000.0, 3.0, 4.0]


# -- columns that change silently ----------------------------------------------------------------


def test_a_renamed_column_is_flagged_with_its_twin():
    base = _base(employees=[1, 2, 3, 4])
    follow = _base(employes=[1, 2, 3, 4])
    panel = ke.load_waves({"baseline": base, "followup": follow})
    rows = panel.issues.query("reason.str.contains('renamed')")
    assert rows[["wave", "column"]].values.tolist() == [
        ["baseline", "employees"],
        ["followup", "employes"],
    ]


def test_a_column_recased_between_waves_is_flagged():
    base = _base(Employees=[1, 2, 3, 4])
    follow = _base(employees=[1, 2, 3, 4])
    panel = ke.load_waves({"baseline": base, "followup": follow})
    rows = panel.issues.query("reason.str.contains('renamed')")
    assert "'employees'" in rows["reason"].iloc[0]


def test_unrelated_columns_in_one_wave_are_not_flagged():
    base = _base(employees=[1, 2, 3, 4])
    follow = _base(profit=[1, 2, 3, 4])
    panel = ke.load_waves({"baseline": base, "followup": follow})
    assert not panel.issues["reason"].str.contains("renamed").any()


def test_value_labels_that_changed_are_an_error():
    base = _base(gender=["F", "M", "F", "M"])
    follow = _base(gender=["Female", "Male", "Female", "Male"])
    with pytest.raises(LabelConflictError, match=r"column 'gender'.*'F' \(wave 'baseline'\)"):
        ke.load_waves({"baseline": base, "followup": follow})


def test_labels_differing_in_case_are_an_error():
    base = _base(gender=["female", "male", "female", "male"])
    follow = _base(gender=["Female", "Male", "Female", "Male"])
    with pytest.raises(LabelConflictError, match="codebook recode"):
        ke.load_waves({"baseline": base, "followup": follow})


def test_stata_labels_that_changed_are_an_error(tmp_path):
    base = _base(gender=pd.Categorical(["F", "M", "F", "M"]))
    follow = _base(gender=pd.Categorical(["Female", "Male", "Female", "Male"]))
    base.to_stata(tmp_path / "b.dta", write_index=False)
    follow.to_stata(tmp_path / "f.dta", write_index=False)
    with pytest.raises(LabelConflictError, match="column 'gender'"):
        ke.load_waves({"baseline": tmp_path / "b.dta", "followup": tmp_path / "f.dta"})


def test_labels_harmonised_by_codebook_are_accepted():
    base = _base(gender=["F", "M", "F", "M"])
    follow = _base(gender=["Female", "Male", "Female", "Male"])
    cb = pd.DataFrame(
        {
            "wave": ["baseline"],
            "source": ["gender"],
            "name": ["gender"],
            "recode": ['{"F": "Female", "M": "Male"}'],
        }
    )
    panel = ke.load_waves({"baseline": base, "followup": follow}, codebook=cb)
    assert set(panel.long["gender"]) == {"Female", "Male"}


def test_new_answers_in_a_later_wave_are_not_refused():
    base = _base(sector=["retail", "food", "retail", "food"])
    follow = _base(sector=["retail", "food", "garments", "metalwork"])
    panel = ke.load_waves({"baseline": base, "followup": follow})
    assert "garments" in panel.long["sector"].tolist()


def test_a_column_named_wave_is_refused():
    with pytest.raises(KaizenError, match="has a column named 'wave'"):
        ke.load_waves({"baseline": _base(wave=["b"] * 4)})


def test_duplicate_column_names_are_refused():
    df = _base()
    df.columns = ["firm_id", "firm_id"]
    with pytest.raises(KaizenError, match="two columns named 'firm_id'"):
        ke.load_waves({"baseline": df})


def test_codebook_naming_an_unknown_wave_is_refused():
    cb = pd.DataFrame({"wave": ["midline"], "source": ["sales"], "name": ["sales"]})
    with pytest.raises(KaizenError, match=r"names wave\(s\) 'midline'"):
        ke.load_waves({"baseline": _base()}, codebook=cb)


def test_codebook_recode_that_is_not_json_is_refused():
    cb = pd.DataFrame(
        {"wave": ["baseline"], "source": ["sales"], "name": ["sales"], "recode": ["{F: 1"]}
    )
    with pytest.raises(KaizenError, match=r"recode is not valid JSON"):
        ke.load_waves({"baseline": _base()}, codebook=cb)


def test_status_with_no_known_value_is_refused():
    base = _base(status=["done", "done", "done", "done"])
    with pytest.raises(KaizenError, match=r"status column 'status' holds none of the expected"):
        ke.load_waves({"baseline": base})


def test_unknown_status_is_flagged():
    base = _base(status=["interviewed", "interviewed", "moved", "interviewed"])
    panel = ke.load_waves({"baseline": base})
    assert panel.issues.query("column == 'status'")["reason"].item() == "unknown status 'moved'"


def test_clean_waves_load_without_any_warning_or_issue():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel = ke.load_waves({"baseline": _base(), "followup": _base()})
    assert panel.issues.empty and panel.id_changes.empty


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id_col": None}, r"`id_col` must be a column name\. You passed: None"),
        ({"id_col": ""}, r"`id_col` must be a column name\. You passed: ''"),
        ({"id_col": 3}, r"`id_col` must be a column name\. You passed: 3"),
        ({"status_col": ["status"]}, r"`status_col` must be a column name or None"),
        ({"arm_col": 1}, r"`arm_col` must be a column name or None"),
    ],
)
def test_column_arguments_are_checked(kwargs, message):
    with pytest.raises(TypeError, match=message):
        ke.load_waves({"baseline": _base()}, **kwargs)


def test_arm_column_in_no_wave_is_named():
    with pytest.raises(MissingColumnError, match=r"arm column 'invited' is in none of the waves"):
        ke.load_waves({"baseline": _base()}, arm_col="invited")


def test_unknown_wave_of_a_panel_is_named():
    panel = ke.load_waves({"baseline": _base()})
    with pytest.raises(KaizenError, match=r"no wave 'endline' in this panel; its waves are"):
        panel.wave("endline")
