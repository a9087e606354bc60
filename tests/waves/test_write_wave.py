"""ke.write_wave and Panel.write(format="dta"): Stata files with variable and value labels."""

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._atomic import OutputExistsError
from kaizen_eval.waves.errors import WavesWarning

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"


@pytest.fixture(scope="module")
def panel():
    forms = {
        "baseline": ke.read_xlsform(FIXTURES / "kaizen_baseline.xlsx"),
        "followup": ke.read_xlsform(FIXTURES / "kaizen_followup.xlsx"),
    }
    return ke.load_waves(
        {
            "baseline": FIXTURES / "baseline_surveycto.csv",
            "followup": FIXTURES / "followup_odk.csv",
        },
        form=forms,
        codebook=pd.DataFrame(
            {"wave": ["followup"], "source": ["costs_last_month"], "name": ["costs_month"]}
        ),
        duplicates=pd.DataFrame(
            {"key": ["uuid:f0000005-0000-4000-8000-000000000000"], "action": ["drop"]}
        ),
    )


def _labels(path):
    with pd.io.stata.StataReader(path) as reader:
        return reader.variable_labels(), reader.value_labels()


def test_wave_to_dta_keeps_labels_and_values(panel, tmp_path):
    df = panel.wave("baseline")
    path = ke.write_wave(df, tmp_path / "baseline.dta")
    variable, value = _labels(path)
    assert variable["sales_month"] == "Sales last month (TZS)"
    assert variable["practices_other"] == "Which practices does the firm use?: Other"
    assert value["sector"] == {1: "Retail", 2: "Manufacturing", 3: "Services"}
    assert value["mp_records"] == {0: "No", 1: "Yes"}
    back = pd.read_stata(path, convert_categoricals=False)
    for column in ("sales_month", "costs_month", "loan_amount", "mp_records", "sector"):
        np.testing.assert_array_equal(back[column].to_numpy(float), df[column].to_numpy(float))
    assert back["firm_id"].tolist() == df["firm_id"].tolist()
    assert back["founded"].astype("datetime64[ns]").tolist() == df["founded"].tolist()
    labelled = pd.read_stata(path)
    assert labelled["sector"].tolist() == [
        "Retail", "Manufacturing", "Services", "Retail", "Manufacturing", "Retail"
    ]  # fmt: skip
    assert (back.select_dtypes("number") > -777).all().all() or back["costs_month"].min() == -50


def test_read_wave_keeps_value_labels_as_metadata(panel, tmp_path):
    path = ke.write_wave(panel.wave("baseline"), tmp_path / "b.dta")
    df = ke.read_wave(path, id_col="firm_id")
    assert df.attrs["variable_labels"]["mp_stock"] == "Does the firm count its stock monthly?"
    assert df.attrs["value_labels"]["sector"] == {1: "Retail", 2: "Manufacturing", 3: "Services"}
    again = ke.load_waves({"baseline": path})
    assert again.variable_labels["sales_month"] == "Sales last month (TZS)"
    assert dict(again.value_labels["mp_records"]) == {1: "Yes", 0: "No"}
    # and written out again, the labels survive a second round trip
    variable, value = _labels(ke.write_wave(again.wave("baseline"), tmp_path / "again.dta"))
    assert value["mp_records"] == {0: "No", 1: "Yes"}
    assert variable["sales_month"] == "Sales last month (TZS)"


def test_text_codes_become_labelled_numbers(tmp_path):
    df = pd.DataFrame(
        {"firm_id": ["A", "B", "C"],
         "sector": pd.Categorical(["retail", None, "services"], categories=["retail", "services"])}
    )  # fmt: skip
    path = ke.write_wave(
        df,
        tmp_path / "x.dta",
        value_labels={"sector": {"retail": "Retail", "services": "Services"}},
    )
    back = pd.read_stata(path, convert_categoricals=False)
    np.testing.assert_array_equal(back["sector"].to_numpy(float), [1.0, np.nan, 2.0])
    assert _labels(path)[1]["sector"] == {1: "Retail", 2: "Services"}


def test_panel_write_dta(panel, tmp_path):
    out = panel.write(tmp_path / "panel", format="dta")
    assert sorted(f.name for f in out.iterdir()) == [
        "id_changes.csv", "issues.csv", "long.dta", "panel.json"
    ]  # fmt: skip
    back = pd.read_stata(out / "long.dta", convert_categoricals=False)
    assert len(back) == len(panel.long)
    variable, value = _labels(out / "long.dta")
    assert variable["employees"] == "Number of paid workers"
    assert value["operating"] == {0: "No", 1: "Yes"}
    with pytest.raises(ValueError, match="format"):
        panel.write(tmp_path / "p2", format="sav")


def test_csv_and_parquet_by_suffix(panel, tmp_path):
    df = panel.wave("followup")
    assert ke.write_wave(df, tmp_path / "f.parquet").exists()
    assert pd.read_parquet(tmp_path / "f.parquet")["sales_month"].isna().sum() == 2
    assert ke.write_wave(df, tmp_path / "f.csv").exists()
    with pytest.raises(ke.KaizenError, match=r"unknown file type '\.sav'"):
        ke.write_wave(df, tmp_path / "f.sav")


def test_no_silent_overwrite_and_no_pii(tmp_path):
    df = pd.DataFrame({"firm_id": ["A"], "sales": [1.0]})
    ke.write_wave(df, tmp_path / "x.dta")
    with pytest.raises(OutputExistsError):
        ke.write_wave(df, tmp_path / "x.dta")
    ke.write_wave(df.assign(sales=2.0), tmp_path / "x.dta", overwrite=True)
    assert pd.read_stata(tmp_path / "x.dta")["sales"].tolist() == [2.0]
    with pytest.raises(ke.KaizenError, match="owner_phone"):
        ke.write_wave(df.assign(owner_phone="0244123456"), tmp_path / "y.dta")
    assert not (tmp_path / "y.dta").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.dta"]  # nothing left half-written


def test_names_and_labels_stata_cannot_hold(tmp_path):
    df = pd.DataFrame({"firm_id": ["A"], "grp_sales/sales": [1.0], "x" * 33: [1.0]})
    with pytest.raises(ke.KaizenError, match="'grp_sales/sales', 'xxxx"):
        ke.write_wave(df, tmp_path / "x.dta")
    df = pd.DataFrame({"firm_id": ["A"], "sales": [1.0]})
    with pytest.warns(WavesWarning, match="were cut: sales"):
        ke.write_wave(df, tmp_path / "x.dta", variable_labels={"sales": "s" * 100})
    assert len(_labels(tmp_path / "x.dta")[0]["sales"]) == 80
    with pytest.raises(ke.KaizenError, match="whole numbers"):
        ke.write_wave(df, tmp_path / "z.dta", value_labels={"sales": {"a": "A"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ke.write_wave(df, tmp_path / "w.dta", variable_labels={"sales": "Swahili: Mauzo ñ"})
    assert _labels(tmp_path / "w.dta")[0]["sales"] == "Swahili: Mauzo ñ"


REFERENCE = Path(__file__).resolve().parent / "reference"


def _pandas_view(path):
    """What pandas reads from a .dta, in the layout of haven_dta_reference.csv."""
    variable, value = _labels(path)
    df = pd.read_stata(path, convert_categoricals=False)
    rows = {}
    for column in df.columns:
        x = df[column]
        if pd.api.types.is_datetime64_any_dtype(x):
            cells = [v.strftime("%Y-%m-%d") if pd.notna(v) else "NA" for v in x]
        elif x.dtype == object or pd.api.types.is_string_dtype(x):
            cells = ["" if pd.isna(v) else str(v) for v in x]
        else:
            cells = ["NA" if np.isnan(v) else float(v) for v in x.astype(float)]
        labels = ";".join(f"{k}={v}" for k, v in sorted(value.get(column, {}).items()))
        rows[column] = (variable[column], labels, cells)
    return rows


def _haven_view(csv):
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    rows = {}
    for r in table.itertuples():
        cells = r.values.split("|")
        cells = [
            c if c in ("NA", "") or "-" in c[1:] or not _number(c) else float(c) for c in cells
        ]
        rows[r.variable] = (r.label, r.value_labels, cells)
    return rows


def _number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_stored_dta_reads_the_same_in_r_haven_and_pandas():
    """haven (R) and pandas agree on every label and value of the stored file."""
    assert _pandas_view(REFERENCE / "panel_baseline.dta") == _haven_view(
        REFERENCE / "haven_dta_reference.csv"
    )


def test_write_wave_still_writes_the_stored_dta(tmp_path):
    """The stored file is what write_wave writes today (so haven's reading applies to it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("write_dta", REFERENCE / "write_dta.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = ke.write_wave(module.baseline_wave(), tmp_path / "now.dta")
    assert _pandas_view(path) == _pandas_view(REFERENCE / "panel_baseline.dta")


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (not in CI)")
def test_r_haven_reads_a_fresh_file(tmp_path):
    """Where R and haven are installed, haven reads the file written now, live."""
    path = ke.write_wave(
        pd.DataFrame({"firm_id": ["A", "B"], "mp": [1.0, 0.0]}), tmp_path / "x.dta",
        variable_labels={"mp": "Kumbukumbu"}, value_labels={"mp": {1: "Ndiyo", 0: "Hapana"}},
    )  # fmt: skip
    script = (
        "suppressMessages(library(haven)); d <- read_dta(commandArgs(TRUE)[1]); "
        "cat(attr(d$mp, 'label'), paste(names(attr(d$mp, 'labels')), collapse=','), "
        "paste(unclass(d$mp), collapse=','), sep='|')"
    )
    try:
        out = subprocess.run(
            ["Rscript", "-e", script, str(path)], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.skip("Rscript did not answer in 60 s")
    if "there is no package called" in out.stderr:
        pytest.skip("R's haven is not installed")
    assert out.stdout == "Kumbukumbu|Hapana,Ndiyo|1,0", out.stderr
