"""Personal data never reaches issues, messages or written files (planted and grepped for)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.waves.errors import WavesWarning

NAMES = ["Akosua Ampofo", "Kwabena Owusu", "Efua Mensah", "Yaw Boateng"]
PHONES = ["+233 24 412 3456", "0201-555-777", "(024) 999 8888", "+233 55 123 4567"]
GPS = ["5.60371, -0.18702", "6.68844, -1.62433", "5.55512, -0.19631", "6.70001, -1.61002"]
EMAIL = "kwabena.owusu@example.com"
PLANTED = [*NAMES, *PHONES, *GPS, EMAIL, "412 3456", "5.60371", "Akosua"]


def _waves():
    base = pd.DataFrame(
        {
            "firm_id": ["GH01", "GH02", "GH03", "GH04"],
            "owner_name": NAMES,
            "contact": PHONES,
            "location": GPS,
            "sales": [1200.0, PHONES[0], 900.0, 400.0],
            "notes": ["ok", EMAIL, "ok", "fine"],
            "status": ["interviewed"] * 4,
        }
    )
    follow = pd.DataFrame(
        {
            "firm_id": ["GH01", "GH02", "GH03", "GH04"],
            "owner_name": NAMES,
            "sales": [1300.0, 800.0, GPS[1], 500.0],
            "status": ["interviewed"] * 4,
        }
    )
    return {"baseline": base, "followup": follow}


def _no_planted(text: str) -> None:
    for value in PLANTED:
        assert value not in text, value


def _all_text(folder) -> str:
    parts = []
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            parts.append(f.read_bytes().decode("utf-8", "replace"))
            if f.suffix == ".parquet":
                parts.append(pd.read_parquet(f).to_csv())
    return "\n".join(parts)


def test_columns_of_names_phones_and_gps_are_flagged():
    panel = ke.load_waves(_waves())
    assert panel.pii_columns == ("owner_name", "contact", "location")


def test_one_phone_in_a_numeric_column_flags_the_value_not_the_column():
    panel = ke.load_waves(_waves())
    assert "sales" not in panel.pii_columns
    assert panel.wave("baseline")["sales"].tolist()[::2] == [1200.0, 900.0]
    assert np.isnan(panel.wave("baseline")["sales"].iloc[1])
    row = panel.issues.query("wave == 'baseline' and column == 'sales'")
    assert row[["firm_id", "action"]].values.tolist() == [["GH02", "coerced"]]
    assert "phone number" in row["reason"].item()


def test_one_gps_point_in_a_numeric_column_is_removed_and_reported():
    panel = ke.load_waves(_waves())
    row = panel.issues.query("wave == 'followup' and column == 'sales'")
    assert row["firm_id"].tolist() == ["GH03"] and "GPS location" in row["reason"].item()


def test_one_email_in_a_text_column_is_removed_and_reported():
    panel = ke.load_waves(_waves())
    assert panel.wave("baseline")["notes"].tolist() == ["ok", None, "ok", "fine"]
    assert "e-mail" in panel.issues.query("column == 'notes'")["reason"].item()


def test_the_issue_log_never_holds_a_planted_value():
    panel = ke.load_waves(_waves())
    _no_planted(panel.issues.to_csv())
    _no_planted(repr(panel))


def test_deidentified_panel_writes_no_planted_value(tmp_path):
    clean = ke.deidentify(ke.load_waves(_waves()), salt="kumasi")
    clean.write(tmp_path)
    text = _all_text(tmp_path)
    _no_planted(text)
    assert "GH01" not in text
    assert json.loads((tmp_path / "panel.json").read_text())["pii_columns"] == []


def test_writing_without_deidentify_is_refused_and_the_message_has_no_value(tmp_path):
    panel = ke.load_waves(_waves())
    with pytest.raises(KaizenError, match=r"refusing to write .*'owner_name'") as info:
        panel.write(tmp_path)
    _no_planted(str(info.value))


def test_text_in_numeric_column_error_masks_a_phone_next_to_it():
    waves = _waves()
    waves["followup"]["sales"] = [1300.0, "n/a", "0244 123 456", 500.0]
    with pytest.raises(KaizenError, match=r"'n/a'") as info:
        ke.load_waves(waves)
    assert "0244 123 456" not in str(info.value)


def test_phone_typed_as_the_only_text_in_a_numeric_column_leaves_no_trace(capsys):
    waves = _waves()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = ke.load_waves(waves, errors="flag")
    out = capsys.readouterr()
    _no_planted(out.out + out.err + " ".join(str(w.message) for w in caught))
    _no_planted(panel.issues.to_csv())


def test_id_mismatch_warning_masks_nothing_personal():
    waves = _waves()
    waves["followup"] = waves["followup"].assign(firm_id=["X1", "X2", "X3", "X4"])
    with pytest.warns(WavesWarning) as caught:
        ke.load_waves(waves, errors="flag")
    _no_planted(" ".join(str(w.message) for w in caught))


def test_write_table_refuses_a_gps_text_column(tmp_path):
    df = pd.DataFrame({"firm_id": ["A", "B"], "where": GPS[:2]})
    with pytest.raises(KaizenError, match=r"refusing to write .*'where'") as info:
        ke.write_table(df, tmp_path / "x.csv")
    _no_planted(str(info.value))
    assert not (tmp_path / "x.csv").exists()


def test_deidentify_of_one_table_drops_values_detected_now(tmp_path):
    df = pd.DataFrame({"firm_id": ["A", "B"], "mobile_no": PHONES[:2], "sales": [1.0, 2.0]})
    out = ke.deidentify(df, salt="s")
    assert out.columns.tolist() == ["firm_id", "sales"]
    ke.write_table(out, tmp_path / "x.csv")
    _no_planted(_all_text(tmp_path))


def test_deidentify_refuses_an_empty_salt():
    with pytest.raises(KaizenError, match="`salt` must be a non-empty string"):
        ke.deidentify(ke.load_waves(_waves()), salt="")


def test_deidentify_refuses_other_objects():
    with pytest.raises(KaizenError, match="deidentify expects a Panel or a DataFrame, not list"):
        ke.deidentify([1, 2], salt="s")


def test_deidentify_method_equals_function():
    panel = ke.load_waves(_waves())
    a = panel.deidentify(salt="s").long
    b = ke.deidentify(panel, salt="s").long
    pd.testing.assert_frame_equal(a, b)


def test_pii_no_longer_imports_the_panel():
    import kaizen_eval.waves.pii as pii

    assert not hasattr(pii, "Panel") and hasattr(pii, "deidentify_frame")


def test_plain_large_numbers_are_not_phone_numbers():
    base = pd.DataFrame({"firm_id": ["A", "B"], "sales": ["1200000000", "5"]})
    panel = ke.load_waves({"baseline": base})
    assert panel.wave("baseline")["sales"].tolist() == [1200000000.0, 5.0]


def test_a_phone_in_a_numeric_csv_column_is_not_read_as_a_number(tmp_path):
    path = tmp_path / "baseline.csv"
    path.write_text("firm_id,sales\nA,1200\nB,0244123456\nC,800\n")
    panel = ke.load_waves({"baseline": path})
    sales = panel.wave("baseline")["sales"]
    assert sales.iloc[[0, 2]].tolist() == [1200.0, 800.0] and np.isnan(sales.iloc[1])
    row = panel.issues.query("column == 'sales'")
    assert row[["firm_id", "action"]].values.tolist() == [["B", "coerced"]]
    assert "0244123456" not in panel.issues.to_csv() and "244123456" not in panel.issues.to_csv()


@pytest.mark.parametrize("amount", ["1234567.89", "-1234567890", "0.123456789", "123456789012"])
def test_large_amounts_in_a_csv_are_not_mistaken_for_phones(tmp_path, amount):
    path = tmp_path / "baseline.csv"
    path.write_text(f"firm_id,sales\nA,{amount}\nB,5\n")
    panel = ke.load_waves({"baseline": path})
    assert panel.wave("baseline")["sales"].iloc[0] == float(amount)
    assert panel.issues.empty
