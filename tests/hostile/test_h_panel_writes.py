"""Hostile cases for the survey-data writers: tables, panels and synthetic trials.

Each is written aside and renamed into place; an existing output is replaced only when asked.
"""

import subprocess
import sys

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._atomic import OutputExistsError
from kaizen_eval.waves import io as io_mod


def small_panel(sales=1.0):
    waves = {
        "baseline": pd.DataFrame({"firm_id": ["007", "008"], "sales": [sales, 2.0]}),
        "followup": pd.DataFrame({"firm_id": [7, 8], "sales": [3.0, 4.0]}),
    }
    return ke.load_waves(waves, id_col="firm_id")


def leftovers(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith("."))


def test_write_table_refuses_to_replace_a_file_silently(tmp_path):
    target = tmp_path / "t.csv"
    ke.write_table(pd.DataFrame({"firm_id": ["A"], "x": [1]}), target)
    with pytest.raises(OutputExistsError, match=r"t\.csv' already exists; pass overwrite=True"):
        ke.write_table(pd.DataFrame({"firm_id": ["B"], "x": [2]}), target)
    assert pd.read_csv(target)["firm_id"].tolist() == ["A"]


def test_write_table_replaces_when_asked(tmp_path):
    target = tmp_path / "t.parquet"
    ke.write_table(pd.DataFrame({"firm_id": ["A"]}), target)
    ke.write_table(pd.DataFrame({"firm_id": ["B"]}), target, overwrite=True)
    assert pd.read_parquet(target)["firm_id"].tolist() == ["B"]
    assert leftovers(target) == []


def test_write_table_failing_half_way_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    ke.write_table(pd.DataFrame({"firm_id": ["A"], "x": [1]}), target)

    def broken(self, path, **kw):
        with open(path, "w") as fh:
            fh.write("firm_id,x\nB,")  # half a table, then the disk fills
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="No space left"):
        io_mod.write_table(pd.DataFrame({"firm_id": ["B"], "x": [2]}), target, overwrite=True)
    monkeypatch.undo()
    assert pd.read_csv(target)["firm_id"].tolist() == ["A"]
    assert leftovers(target) == []


def test_panel_write_refuses_an_existing_panel_folder(tmp_path):
    out = small_panel().write(tmp_path / "panel")
    with pytest.raises(OutputExistsError, match=r"panel' already exists; pass overwrite=True"):
        small_panel(sales=99.0).write(out)
    assert pd.read_parquet(out / "long.parquet")["sales"].iloc[0] == 1.0


def test_panel_write_replaces_whole_folder_when_asked(tmp_path):
    out = small_panel().write(tmp_path / "panel")
    (out / "stale.csv").write_text("left from an older run\n")
    small_panel(sales=99.0).write(out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "id_changes.csv",
        "issues.csv",
        "long.parquet",
        "panel.json",
    ]
    assert pd.read_parquet(out / "long.parquet")["sales"].max() == 99.0
    assert leftovers(out) == []


def test_panel_write_killed_before_panel_json_leaves_no_panel(tmp_path, monkeypatch):
    calls = []
    real = io_mod.write_table

    def fail_on_second(df, path, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return real(df, path, **kw)

    monkeypatch.setattr("kaizen_eval.waves.panel.write_table", fail_on_second)
    with pytest.raises(OSError, match="Input/output"):
        small_panel().write(tmp_path / "panel")
    assert not (tmp_path / "panel").exists()
    assert leftovers(tmp_path / "panel") == []


def test_panel_write_keeps_the_visible_id_normalisation(tmp_path):
    out = small_panel().write(tmp_path / "panel")
    changes = pd.read_csv(out / "id_changes.csv", dtype=str)
    assert set(changes["firm_id"]) == {"007", "008"}
    assert set(changes["delivered"]) == {"7", "8"}


def test_panel_write_after_deidentify_holds_no_raw_id(tmp_path):
    out = small_panel().deidentify(salt="s").write(tmp_path / "panel")
    text = "".join(p.read_text(errors="replace") for p in out.glob("*.csv"))
    assert "007" not in text and "008" not in text


def test_trial_write_refuses_an_existing_folder(tmp_path):
    trial = ke.synthetic.simulate_trial("ghana", n_firms=40, seed=1)
    trial.write(tmp_path / "g")
    with pytest.raises(OutputExistsError, match=r"g' already exists; pass overwrite=True"):
        trial.write(tmp_path / "g")
    again = trial.write(tmp_path / "g", overwrite=True)
    assert all(p.exists() for p in again.values())


def test_cli_simulate_refuses_existing_folder_without_force(tmp_path):
    cmd = [sys.executable, "-m", "kaizen_eval", "simulate", "ghana", "--n-firms", "40"]
    out = str(tmp_path / "g")
    first = subprocess.run([*cmd, "--out", out], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([*cmd, "--out", out], capture_output=True, text=True, timeout=120)
    assert second.returncode == 2
    assert "already exists; pass --force" in second.stderr
    assert "Traceback" not in second.stderr
    forced = [*cmd, "--out", out, "--force"]
    third = subprocess.run(forced, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0, third.stderr
