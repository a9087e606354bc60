"""Personal data: flagged by the loader, removed by deidentify, never written by default."""

import hashlib

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError


@pytest.fixture
def panel(baseline, followup, codebook):
    baseline = baseline.assign(
        gps_lat=[5.60, 5.61, 5.62, 5.63],
        gps_lon=[-0.18, -0.19, -0.20, -0.21],
        contact=["ama@example.com", "kofi@example.org", None, "yaw@example.net"],
    )
    return ke.load_waves({"baseline": baseline, "followup": followup}, codebook=codebook)


def test_detect_by_name_and_by_value():
    df = pd.DataFrame(
        {
            "firm_id": ["A", "B"],
            "owner_name": ["Ama", "Kofi"],
            "OwnerPhoneNumber": [1, 2],
            "latitude": [5.6, 5.7],
            "stratum_name": ["north", "south"],
            "reach": ["+233 24 412 3456", "020-111-2222"],
            "notes": ["a@b.com", "c@d.org"],
            "sales": ["1200000", "2500000"],  # large numbers as text are not phone numbers
            "cell": ["11", "12"],  # a factorial design cell, not a cell phone
        }
    )
    found = ke.detect_pii(df)
    assert list(found) == ["owner_name", "OwnerPhoneNumber", "latitude", "reach", "notes"]
    assert found["reach"] == "values look like phone numbers"
    assert found["notes"] == "values look like e-mail addresses"


def test_loader_flags_identifiers_in_issues(panel):
    assert set(panel.pii_columns) == {"owner_name", "owner_phone", "gps_lat", "gps_lon", "contact"}
    flagged = panel.issues.query("action == 'flagged' and reason.str.startswith('direct')")
    assert sorted(flagged["column"]) == sorted(panel.pii_columns)
    assert set(flagged["wave"]) == {"baseline"}


def test_identifiers_never_reach_a_written_file_by_default(panel, tmp_path):
    with pytest.raises(KaizenError, match=r"refusing to write.*'owner_name'.*'owner_phone'"):
        panel.write(tmp_path / "out")
    for frame in (panel.long, panel.wide, panel.wave("baseline")):
        with pytest.raises(KaizenError, match="refusing to write"):
            ke.write_table(frame, tmp_path / "x.parquet")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []


def test_deidentified_panel_writes_without_identifiers(panel, tmp_path):
    clean = ke.deidentify(panel, salt="kumasi-2013")
    assert clean.pii_columns == ()
    out = clean.write(tmp_path / "out")
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    for secret in ("Ama Mensah", "0244123456", "ama@example.com", "GH001", "5.61"):
        assert secret.encode() not in blob
    long = pd.read_parquet(out / "long.parquet")
    assert not set(panel.pii_columns) & set(long.columns)
    assert len(long) == len(panel.long)
    assert long["wave"].cat.categories.tolist() == ["baseline", "followup"]
    # the original panel is unchanged
    assert "owner_name" in panel.long.columns
    assert panel.long["firm_id"].iloc[0] == "GH001"


def test_hashes_are_stable_across_waves_and_calls(panel):
    one = ke.deidentify(panel, salt="s")
    two = ke.deidentify(panel, salt="s")
    other = ke.deidentify(panel, salt="t")
    base, follow = one.wave("baseline")["firm_id"], one.wave("followup")["firm_id"]
    assert base.tolist() == follow.tolist()  # same firms, same order in both waves
    assert base.tolist() == two.wave("baseline")["firm_id"].tolist()
    assert not set(base) & set(other.wave("baseline")["firm_id"])
    assert base.str.len().eq(16).all() and base.nunique() == 4
    # a single frame de-identified alone gets the same hashes as through the panel
    alone = ke.deidentify(panel.wave("followup"), salt="s")
    assert alone["firm_id"].tolist() == follow.tolist()
    assert base.iloc[0] == hashlib.sha256(b"sGH001").hexdigest()[:16]


def test_deidentify_drop_extra_and_bad_input(panel):
    clean = ke.deidentify(panel, salt="s", drop="invited")
    assert "invited" not in clean.long.columns
    with pytest.raises(MissingColumnError, match="'nope'"):
        ke.deidentify(panel, salt="s", drop=["nope"])
    with pytest.raises(KaizenError, match="`salt` must be a non-empty string"):
        ke.deidentify(panel, salt="")
    with pytest.raises(KaizenError, match="expects a Panel or a DataFrame"):
        ke.deidentify([1, 2], salt="s")


def test_deidentify_hashes_issue_ids(baseline, followup):
    followup.loc[1, "status"] = "moved"
    panel = ke.load_waves({"baseline": baseline, "followup": followup})
    clean = ke.deidentify(panel, salt="s")
    ids = set(clean.issues["firm_id"].dropna())
    assert ids and not ids & set(baseline["firm_id"])
    assert ids <= set(clean.long["firm_id"])


def test_refuse_pii_is_the_rule_for_other_writers():
    df = pd.DataFrame({"firm_id": ["A"], "owner_name": ["Ama"], "sales": [1.0]})
    with pytest.raises(
        KaizenError, match=r"refusing to write table\.tex: column\(s\) 'owner_name'"
    ):
        ke.refuse_pii(df, where="table.tex")
    ke.refuse_pii(df, allow_pii=["owner_name"])
    ke.refuse_pii(df.drop(columns="owner_name"))
