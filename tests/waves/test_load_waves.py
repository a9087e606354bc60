"""load_waves: panel shape, codebook, and every validation error naming its culprit."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError


def _waves(baseline, followup):
    return {"baseline": baseline, "followup": followup}


def test_long_and_wide_shapes(baseline, followup, codebook):
    panel = ke.load_waves(_waves(baseline, followup), codebook=codebook)
    assert panel.waves == ("baseline", "followup")
    long = panel.long
    assert len(long) == 8
    assert not long.duplicated(["firm_id", "wave"]).any()
    assert long["wave"].cat.ordered
    assert long["wave"].cat.categories.tolist() == ["baseline", "followup"]
    assert long["firm_id"].tolist() == [f for f in baseline["firm_id"] for _ in range(2)]
    wide = panel.wide
    assert wide["firm_id"].tolist() == baseline["firm_id"].tolist()
    assert {"sales_baseline", "sales_followup", "female_baseline"} <= set(wide.columns)
    assert "female_followup" not in wide.columns
    assert wide["sales_followup"].tolist()[0] == 1400.0


def test_wave_order_is_dict_order(baseline, followup, codebook):
    waves = {"followup": followup, "baseline": baseline}
    panel = ke.load_waves(waves, codebook=codebook)
    assert panel.long["wave"].cat.categories.tolist() == ["followup", "baseline"]
    assert panel.long["wave"].iloc[0] == "followup"


def test_codebook_renames_and_recodes_per_wave(baseline, followup, codebook):
    panel = ke.load_waves(_waves(baseline, followup), codebook=codebook)
    base = panel.wave("baseline")
    assert "sexe" not in base.columns
    assert base["female"].tolist() == [1, 0, 1, 0]
    follow = panel.wave("followup")
    assert "ventes" not in follow.columns
    assert follow["sales"].tolist()[0] == 1400.0


def test_codebook_from_csv_with_null_recode(tmp_path, baseline, followup):
    baseline = baseline.assign(sales=baseline["sales"].astype(object))
    baseline.loc[3, "sales"] = -99
    path = tmp_path / "codebook.csv"
    pd.DataFrame(
        {
            "wave": ["baseline", "followup"],
            "source": ["sales", "ventes"],
            "name": ["sales", "sales"],
            "recode": ['{"-99": null}', ""],
        }
    ).to_csv(path, index=False)
    panel = ke.load_waves(_waves(baseline, followup), codebook=path)
    assert panel.wave("baseline")["sales"].isna().tolist() == [False, False, False, True]


def test_reading_paths_of_mixed_formats(tmp_path, baseline, followup, codebook):
    p0, p1 = tmp_path / "b.xlsx", tmp_path / "f.parquet"
    baseline.to_excel(p0, index=False, engine="openpyxl")
    followup.to_parquet(p1, index=False)
    panel = ke.load_waves({"baseline": p0, "followup": p1}, codebook=codebook)
    assert len(panel.long) == 8
    assert panel.wave("followup")["sales"].iloc[0] == 1400.0


def test_stata_labels_need_a_recode_to_match_numeric_waves(tmp_path):
    base = pd.DataFrame({"firm_id": ["A", "B"], "female": [1, 0]})
    path = tmp_path / "b.dta"
    base.to_stata(path, write_index=False, value_labels={"female": {0: "man", 1: "woman"}})
    follow = pd.DataFrame({"firm_id": ["A", "B"], "female": [1, 0]})
    with pytest.raises(
        KaizenError, match=r"column 'female'.*text in wave\(s\) 'baseline'.*numeric in wave"
    ):
        ke.load_waves({"baseline": path, "followup": follow})
    cb = pd.DataFrame(
        {
            "wave": ["baseline"],
            "source": ["female"],
            "name": ["female"],
            "recode": ['{"woman": 1, "man": 0}'],
        }
    )
    panel = ke.load_waves({"baseline": path, "followup": follow}, codebook=cb)
    assert panel.long["female"].tolist() == [1, 1, 0, 0]


def test_numeric_ids_match_across_formats():
    a = pd.DataFrame({"firm_id": [1, 2], "x": [1.0, 2.0]})
    b = pd.DataFrame({"firm_id": [1.0, 2.0], "x": [3.0, 4.0]})
    panel = ke.load_waves({"a": a, "b": b})
    # ids are text in every wave and every format (issue 11), so 1, 1.0 and " 1" agree
    assert panel.long["firm_id"].tolist() == ["1", "1", "2", "2"]
    c = pd.DataFrame({"firm_id": [" 1", "2 "], "x": [5.0, 6.0]})
    panel = ke.load_waves({"a": a, "c": c})
    assert panel.long["firm_id"].tolist() == ["1", "1", "2", "2"]


# -- errors naming their culprit ---------------------------------------------------------------


def test_missing_id_column_names_the_wave(baseline, followup):
    with pytest.raises(MissingColumnError, match=r"'firm_id' not found in wave 'followup'"):
        ke.load_waves(_waves(baseline, followup.rename(columns={"firm_id": "id"})))


def test_duplicate_ids_name_the_firms(baseline, followup):
    followup.loc[2, "firm_id"] = "GH001"
    with pytest.raises(KaizenError, match=r"wave 'followup': duplicate firm ids.*'GH001'"):
        ke.load_waves(_waves(baseline, followup))


def test_type_differs_across_waves_names_waves_and_types(baseline, followup):
    followup["invited"] = ["yes", "no", "yes", "no"]
    with pytest.raises(
        KaizenError,
        match=r"column 'invited'.*numeric in wave\(s\) 'baseline'; text in wave\(s\) 'followup'",
    ):
        ke.load_waves(_waves(baseline, followup))


def test_dates_against_numbers_is_a_type_error():
    a = pd.DataFrame({"firm_id": ["A"], "visit": [3.0]})
    b = pd.DataFrame({"firm_id": ["A"], "visit": pd.to_datetime(["2013-05-01"])})
    with pytest.raises(KaizenError, match=r"column 'visit'.*datetime in wave\(s\) 'b'"):
        ke.load_waves({"a": a, "b": b})


def test_unparseable_numbers_name_wave_column_firm_and_value(baseline, followup):
    followup["inputs"] = ["800", "n/a", None, "320"]
    with pytest.raises(
        KaizenError, match=r"wave 'followup', column 'inputs'.*'n/a'.*firm\(s\) 'GH002'"
    ):
        ke.load_waves(_waves(baseline, followup))


def test_unparseable_numbers_coerced_and_listed_with_flag(baseline, followup):
    followup["inputs"] = ["800", "n/a", None, "320"]
    panel = ke.load_waves(_waves(baseline, followup), errors="flag")
    inputs = panel.wave("followup")["inputs"]
    assert inputs.dtype == float
    np.testing.assert_array_equal(inputs.to_numpy(), [800.0, np.nan, np.nan, 320.0])
    coerced = panel.issues.query("action == 'coerced'")
    assert coerced[["wave", "firm_id", "column"]].values.tolist() == [
        ["followup", "GH002", "inputs"]
    ]
    assert "'n/a'" in coerced["reason"].item()


def test_declared_numeric_column_is_checked_even_in_one_wave(baseline, followup):
    baseline["employees"] = ["3", "4", "five", "2"]
    cb = pd.DataFrame(
        {"wave": ["baseline"], "source": ["employees"], "name": ["employees"], "type": ["numeric"]}
    )
    with pytest.raises(KaizenError, match=r"column 'employees'.*'five'.*'GH003'"):
        ke.load_waves(_waves(baseline, followup), codebook=cb)


def test_spreadsheet_mixing_numbers_and_text_is_checked(baseline, followup):
    followup["inputs"] = pd.Series([800.0, "refused", None, 320.0], dtype=object)
    with pytest.raises(KaizenError, match=r"wave 'followup', column 'inputs'.*'refused'"):
        ke.load_waves({"followup": followup})


def test_missing_ids_are_an_error_naming_the_rows(baseline, followup):
    followup.loc[1, "firm_id"] = "  "
    with pytest.raises(KaizenError, match=r"wave 'followup': 1 row\(s\) have no value.*\b1\b"):
        ke.load_waves(_waves(baseline, followup))


def test_codebook_source_absent_from_wave(baseline, followup, codebook):
    followup = followup.rename(columns={"ventes": "sales_local"})
    with pytest.raises(KaizenError, match=r"names column\(s\) 'ventes' for wave 'followup'"):
        ke.load_waves(_waves(baseline, followup), codebook=codebook)


def test_codebook_unknown_wave(baseline, followup, codebook):
    codebook.loc[1, "wave"] = "folowup"
    with pytest.raises(KaizenError, match=r"codebook names wave\(s\) 'folowup'"):
        ke.load_waves(_waves(baseline, followup), codebook=codebook)


def test_codebook_bad_json_names_the_row(baseline, followup, codebook):
    codebook.loc[0, "recode"] = "{F: 1}"
    with pytest.raises(KaizenError, match=r"codebook row 0 \(wave 'baseline', source 'sexe'\)"):
        ke.load_waves(_waves(baseline, followup), codebook=codebook)


def test_codebook_rename_clash(baseline, followup, codebook):
    followup["sales"] = 1.0
    with pytest.raises(KaizenError, match=r"wave 'followup' to 'sales'.*already has"):
        ke.load_waves(_waves(baseline, followup), codebook=codebook)


def test_codebook_duplicate_source(codebook):
    doubled = pd.concat([codebook, codebook.iloc[[0]]], ignore_index=True)
    with pytest.raises(KaizenError, match=r"source column 'sexe' more than once.*'baseline'"):
        ke.read_codebook(doubled)


def test_status_without_any_known_value(baseline, followup):
    followup["status"] = [1, 2, 3, 1]
    with pytest.raises(KaizenError, match=r"wave 'followup': status column 'status'"):
        ke.load_waves({"followup": followup})


def test_unknown_status_is_flagged(baseline, followup):
    followup.loc[3, "status"] = "moved"
    panel = ke.load_waves(_waves(baseline, followup))
    hit = panel.issues.query("reason == \"unknown status 'moved'\"")
    assert hit[["wave", "firm_id", "action"]].values.tolist() == [["followup", "GH004", "flagged"]]


def test_unknown_wave_name(baseline, followup):
    panel = ke.load_waves(_waves(baseline, followup))
    with pytest.raises(KaizenError, match=r"no wave 'endline'.*'baseline', 'followup'"):
        panel.wave("endline")


def test_bad_errors_option(baseline):
    with pytest.raises(KaizenError, match=r"`errors` must be one of 'raise', 'flag'"):
        ke.load_waves({"b": baseline}, errors="ignore")


def test_arm_column_absent(baseline):
    with pytest.raises(MissingColumnError, match=r"arm column 'onsite'"):
        ke.load_waves({"b": baseline}, arm_col="onsite")


# -- nothing disappears silently -----------------------------------------------------------------


def test_flag_mode_drops_are_listed(baseline, followup):
    messy = pd.concat(
        [followup, followup.iloc[[0]], followup.iloc[[3]].assign(inputs=1.0)], ignore_index=True
    )
    messy.loc[len(messy)] = [None] * messy.shape[1]
    messy.loc[len(messy)] = [None, "interviewed", 1, 5.0, 5.0]
    panel = ke.load_waves(_waves(baseline, messy), errors="flag")
    dropped = panel.issues.query("action == 'dropped'")
    assert dropped["row"].tolist() == [3, 4, 5, 6, 7]
    assert set(panel.wave("followup")["firm_id"]) == {"GH001", "GH002", "GH003"}
    reasons = dict(zip(dropped["row"], dropped["reason"], strict=True))
    assert reasons[4].startswith("exact repeat")
    assert reasons[3].startswith("duplicate firm id with differing rows")
    assert reasons[5].startswith("duplicate firm id with differing rows")
    assert reasons[6].startswith("empty row")
    assert reasons[7].startswith("missing firm id")


# random ids drawn per wave overlap little across waves: the loader rightly warns (WavesWarning)
@pytest.mark.filterwarnings("ignore::kaizen_eval.waves.errors.WavesWarning")
@pytest.mark.parametrize("seed", range(20))
def test_rows_in_equal_rows_kept_plus_rows_dropped(seed):
    rng = np.random.default_rng(seed)
    waves, rows_in = {}, 0
    for w in ("baseline", "survey2", "followup"):
        n = int(rng.integers(5, 40))
        ids = rng.choice([f"F{i:03d}" for i in range(30)], size=n).astype(object)
        ids[rng.random(n) < 0.1] = None
        sales = rng.normal(100, 20, n).round(1).astype(object)
        sales[rng.random(n) < 0.1] = "n/a"
        df = pd.DataFrame({"firm_id": ids, "sales": sales, "status": "interviewed"})
        if rng.random() < 0.5:  # an exact repeat of some row
            df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
        blank = rng.random(len(df)) < 0.05
        df.loc[blank, :] = None
        waves[w] = df
        rows_in += len(df)
    panel = ke.load_waves(waves, errors="flag")
    dropped = panel.issues.query("action == 'dropped'")
    assert rows_in == len(panel.long) + len(dropped)
    for w, df in waves.items():
        kept = len(panel.wave(w))
        assert len(df) == kept + int((dropped["wave"] == w).sum())


def test_panel_is_not_changed_through_its_frames(baseline, followup, codebook):
    panel = ke.load_waves(_waves(baseline, followup), codebook=codebook)
    long = panel.long
    long.loc[0, "sales"] = -1.0
    long["new"] = 1
    one_wave, issues = panel.wave("baseline"), panel.issues
    one_wave.loc[0, "sales"] = -1.0
    issues.loc[0, "reason"] = "x"
    assert panel.long.loc[0, "sales"] == 1200.0
    assert "new" not in panel.long.columns
    assert panel.wave("baseline").loc[0, "sales"] == 1200.0
    assert panel.issues.loc[0, "reason"] != "x"
    with pytest.raises(AttributeError):
        panel.id_col = "x"


def test_inputs_are_not_modified(baseline, followup, codebook):
    before = baseline.copy(), followup.copy()
    ke.load_waves(_waves(baseline, followup), codebook=codebook)
    pd.testing.assert_frame_equal(baseline, before[0])
    pd.testing.assert_frame_equal(followup, before[1])


def test_numeric_dtypes_stack_across_waves():
    a = pd.DataFrame({"firm_id": ["A", "B"], "female": [True, False], "x": [1, None]})
    b = pd.DataFrame(
        {"firm_id": ["A", "B"], "female": [1, 0], "x": pd.Series([2.5, 3], dtype=object)}
    )
    long = ke.load_waves({"a": a, "b": b}).long
    assert long["female"].dtype == "int64"
    assert long["female"].tolist() == [1, 1, 0, 0]
    assert long["x"].dtype == float


def test_whitespace_only_rows_count_as_empty():
    a = pd.DataFrame({"firm_id": ["A", "  ", None], "note": ["x", " ", None]})
    panel = ke.load_waves({"a": a})
    assert panel.issues["reason"].tolist() == ["empty row (every value missing)"] * 2
    assert panel.issues["row"].tolist() == [1, 2]


def test_flag_mode_still_refuses_types_that_differ(baseline, followup):
    followup["invited"] = ["yes", "no", "yes", "no"]
    with pytest.raises(KaizenError, match=r"column 'invited' has a different type across waves"):
        ke.load_waves(_waves(baseline, followup), errors="flag")


def test_firms_absent_from_the_first_wave_are_flagged(baseline, followup):
    followup.loc[3, "firm_id"] = "GH999"
    panel = ke.load_waves(_waves(baseline, followup))
    hit = panel.issues.query("reason == \"firm not in the first wave 'baseline'\"")
    assert hit[["wave", "firm_id", "row"]].values.tolist() == [["followup", "GH999", 3]]
    assert len(panel.wide) == 5
