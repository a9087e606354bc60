"""Hostile input for read_wave: the files a field team delivers in its first week."""

from pathlib import Path

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.waves.errors import IdPrecisionError

FORMATS = ("csv", "xlsx", "dta", "parquet")


def _write(df: pd.DataFrame, path: Path) -> Path:
    suffix = path.suffix
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".xlsx":
        df.to_excel(path, index=False)
    elif suffix == ".dta":
        df.to_stata(path, write_index=False)
    else:
        df.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_ids_keep_leading_zeros_in_every_format(tmp_path, fmt):
    df = pd.DataFrame({"firm_id": ["007", "0100", "12"], "sales": [1.0, 2.0, 3.0]})
    out = ke.read_wave(_write(df, tmp_path / f"w.{fmt}"), id_col="firm_id")
    assert out["firm_id"].tolist() == ["007", "0100", "12"]


@pytest.mark.parametrize("fmt", ("xlsx", "dta", "parquet"))
def test_numeric_ids_are_read_as_their_digits(tmp_path, fmt):
    df = pd.DataFrame({"firm_id": [7, 10, 123456], "sales": [1.0, 2.0, 3.0]})
    out = ke.read_wave(_write(df, tmp_path / f"w.{fmt}"), id_col="firm_id")
    assert out["firm_id"].tolist() == ["7", "10", "123456"]


def test_csv_twenty_digit_ids_do_not_overflow(tmp_path):
    ids = ["12345678901234567890", "98765432109876543210"]
    path = tmp_path / "w.csv"
    path.write_text("firm_id,sales\n" + "\n".join(f"{i},1" for i in ids) + "\n")
    assert ke.read_wave(path, id_col="firm_id")["firm_id"].tolist() == ids


def test_parquet_float_ids_beyond_2_53_are_an_error(tmp_path):
    df = pd.DataFrame({"firm_id": [1.2345678901234567e19, 2.0], "sales": [1.0, 2.0]})
    path = _write(df, tmp_path / "w.parquet")
    with pytest.raises(IdPrecisionError, match=r"wave 'baseline'.*too large to keep every digit"):
        ke.read_wave(path, wave="baseline", id_col="firm_id")


def test_float_ids_with_decimals_are_kept_as_text(tmp_path):
    df = pd.DataFrame({"firm_id": [7.0, 8.5], "sales": [1.0, 2.0]})
    out = ke.read_wave(_write(df, tmp_path / "w.parquet"), id_col="firm_id")
    assert out["firm_id"].tolist() == ["7", "8.5"]


def test_unknown_suffix_is_named(tmp_path):
    path = tmp_path / "w.sav"
    path.write_text("x")
    with pytest.raises(KaizenError, match=r"wave 'baseline'.*unknown file type '\.sav'"):
        ke.read_wave(path, wave="baseline")


def test_no_suffix_is_named(tmp_path):
    path = tmp_path / "baseline"
    path.write_text("x")
    with pytest.raises(KaizenError, match=r"unknown file type '\(no suffix\)'"):
        ke.read_wave(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(KaizenError, match=r"wave 'followup'.*no such file"):
        ke.read_wave(tmp_path / "nope.csv", wave="followup")


def test_a_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(KaizenError, match="no such file"):
        ke.read_wave(folder)


def test_empty_csv_is_a_named_error(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'"):
        ke.read_wave(path, wave="b")


def test_ragged_csv_is_a_named_error_without_file_content(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("firm_id,sales\nA,1\nB,2,Kofi Mensah,0244123456\n")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'") as info:
        ke.read_wave(path, wave="b")
    assert "Kofi" not in str(info.value) and "0244123456" not in str(info.value)


def test_latin1_csv_is_a_named_error(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes("firm_id,owner\nA,Akosua Ampofo\xe9\n".encode("latin-1"))
    with pytest.raises(KaizenError, match="not UTF-8 text"):
        ke.read_wave(path, wave="b")


def test_corrupt_parquet_is_a_named_error(tmp_path):
    path = tmp_path / "w.parquet"
    path.write_bytes(b"not a parquet file at all")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'"):
        ke.read_wave(path, wave="b")


def test_corrupt_xlsx_is_a_named_error(tmp_path):
    path = tmp_path / "w.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'"):
        ke.read_wave(path, wave="b")


def test_corrupt_dta_is_a_named_error(tmp_path):
    path = tmp_path / "w.dta"
    path.write_bytes(b"\x00\x01garbage")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'"):
        ke.read_wave(path, wave="b")


def test_missing_excel_sheet_is_a_named_error(tmp_path):
    path = _write(pd.DataFrame({"firm_id": ["A"]}), tmp_path / "w.xlsx")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'.*followup"):
        ke.read_wave(path, wave="b", sheet="followup")


def test_excel_sheet_position_out_of_range_is_a_named_error(tmp_path):
    path = _write(pd.DataFrame({"firm_id": ["A"]}), tmp_path / "w.xlsx")
    with pytest.raises(KaizenError, match=r"cannot read wave 'b'"):
        ke.read_wave(path, wave="b", sheet=3)


def test_stata_value_labels_become_text(tmp_path):
    df = pd.DataFrame({"firm_id": ["A", "B"], "sex": pd.Categorical(["Female", "Male"])})
    out = ke.read_wave(_write(df, tmp_path / "w.dta"), id_col="firm_id")
    assert out["sex"].astype(str).tolist() == ["Female", "Male"]


def test_numeric_column_names_become_text(tmp_path):
    path = tmp_path / "w.parquet"
    df = pd.DataFrame({"firm_id": ["A"], "2013": [1.0]})
    _write(df, path)
    assert ke.read_wave(path).columns.tolist() == ["firm_id", "2013"]


def test_wave_name_is_stored(tmp_path):
    path = _write(pd.DataFrame({"firm_id": ["A"]}), tmp_path / "w.csv")
    assert ke.read_wave(path, wave="midline").attrs["wave"] == "midline"


@pytest.mark.parametrize("fmt", ("csv", "xlsx"))
@pytest.mark.parametrize("word", ["NA", "NULL", "N/A", "nan"])
def test_ids_that_look_like_missing_codes_are_kept(tmp_path, fmt, word):
    df = pd.DataFrame({"firm_id": [word, "B"], "sales": [1.0, None]})
    out = ke.read_wave(_write(df, tmp_path / f"w.{fmt}"), id_col="firm_id")
    assert out["firm_id"].tolist() == [word, "B"]
    assert out["sales"].isna().tolist() == [False, True]
