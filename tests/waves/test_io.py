"""read_wave (every format, never modifying the file) and the guarded writer."""

import hashlib

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def _fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture
def delivered():
    return pd.DataFrame(
        {
            "firm_id": ["GH001", "GH002", "GH003"],
            "female": [1, 0, 1],
            "sales": [1200.5, np.nan, 400.25],
            "stratum": ["a", "b", "a"],
        }
    )


def _write(df, path):
    suffix = path.suffix
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".dta":
        df.to_stata(path, write_index=False)
    else:
        df.to_excel(path, index=False, engine="openpyxl")


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".dta", ".xlsx"])
def test_read_wave_round_trips_and_leaves_the_file_alone(tmp_path, delivered, suffix):
    path = tmp_path / f"baseline{suffix}"
    _write(delivered, path)
    before = _fingerprint(path)
    got = ke.read_wave(path, wave="baseline")
    assert _fingerprint(path) == before
    assert got.attrs["wave"] == "baseline"
    assert got.columns.tolist() == delivered.columns.tolist()
    assert got["firm_id"].tolist() == delivered["firm_id"].tolist()
    assert got["stratum"].tolist() == delivered["stratum"].tolist()
    np.testing.assert_array_equal(got["female"].to_numpy(float), [1.0, 0.0, 1.0])
    np.testing.assert_allclose(got["sales"].to_numpy(float), delivered["sales"].to_numpy())


def test_stata_value_labels_become_categoricals(tmp_path):
    df = pd.DataFrame({"firm_id": ["A", "B", "C"], "sex": [1, 0, 1]})
    path = tmp_path / "w.dta"
    df.to_stata(
        path,
        write_index=False,
        value_labels={"sex": {0: "male", 1: "female"}},
        variable_labels={"sex": "Sex of the owner"},
    )
    got = ke.read_wave(path)
    assert isinstance(got["sex"].dtype, pd.CategoricalDtype)
    assert got["sex"].tolist() == ["female", "male", "female"]
    assert got.attrs["variable_labels"] == {"sex": "Sex of the owner"}


def test_csv_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("firm_id,sales\n0012,1\n0013,2\n")
    assert ke.read_wave(path, id_col="firm_id")["firm_id"].tolist() == ["0012", "0013"]


def test_unknown_suffix_is_a_clear_error(tmp_path):
    path = tmp_path / "baseline.sav"
    path.write_text("x")
    with pytest.raises(KaizenError, match=r"wave 'baseline'.*unknown file type '\.sav'"):
        ke.read_wave(path, wave="baseline")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(KaizenError, match=r"wave 'followup'.*no such file"):
        ke.read_wave(tmp_path / "nope.csv", wave="followup")


def test_write_table_refuses_identifiers_by_default(tmp_path):
    df = pd.DataFrame({"firm_id": ["A"], "owner_phone": ["0244123456"], "sales": [1.0]})
    target = tmp_path / "out.csv"
    with pytest.raises(KaizenError, match=r"refusing to write.*'owner_phone'"):
        ke.write_table(df, target)
    assert not target.exists()


def test_write_table_refuses_columns_flagged_earlier(tmp_path):
    # "contact_x" does not look like an identifier now, but the loader flagged it
    df = pd.DataFrame({"firm_id": ["A"], "contact_x": [1.0]})
    df.attrs["pii_columns"] = ["contact_x"]
    with pytest.raises(KaizenError, match="'contact_x'"):
        ke.write_table(df, tmp_path / "out.parquet")


def test_write_table_allows_when_told(tmp_path):
    df = pd.DataFrame({"firm_id": ["A"], "owner_phone": ["0244123456"], "gps_lat": [5.6]})
    with pytest.raises(KaizenError, match="'gps_lat'"):
        ke.write_table(df, tmp_path / "a.csv", allow_pii=["owner_phone"])
    ke.write_table(df, tmp_path / "b.csv", allow_pii=["owner_phone", "gps_lat"])
    path = ke.write_table(df, tmp_path / "sub" / "c.parquet", allow_pii=True)
    pd.testing.assert_frame_equal(pd.read_parquet(path), df)


def test_write_table_unknown_suffix(tmp_path):
    with pytest.raises(KaizenError, match=r"unknown file type '\.xlsx'"):
        ke.write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.xlsx")


def test_unreadable_excel_97_file_is_a_clear_error(tmp_path):
    # without the optional xlrd package, or with a corrupt file: either way a KaizenError
    path = tmp_path / "old.xls"
    path.write_bytes(b"not really a spreadsheet")
    with pytest.raises(KaizenError, match=r"cannot read wave 'baseline'"):
        ke.read_wave(path, wave="baseline")


def test_corrupt_parquet_is_a_clear_error(tmp_path):
    path = tmp_path / "w.parquet"
    path.write_bytes(b"garbage")
    with pytest.raises(KaizenError, match=r"cannot read wave 'survey2'"):
        ke.read_wave(path, wave="survey2")
