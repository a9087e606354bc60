"""Property tests of the loader: no row, column or cell lost silently; ids round-trip."""

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kaizen_eval as ke
from kaizen_eval.waves.errors import WavesWarning

FAST = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FILES = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- no row, column or cell lost silently --------------------------------------------------------

junk = st.sampled_from(["n/a", "-", "abc", "12,5", "?"])
amount = st.one_of(
    st.integers(0, 10**7).map(float),
    st.none(),
    st.integers(1000, 10**7).map(lambda v: f"{v:,}"),
    st.integers(0, 999).map(lambda v: f" {v} "),
    junk,
)


def _expected(cell):
    """What the loader must make of one delivered amount: a number, missing, or 'coerced'."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, float):
        return cell
    text = cell.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    return float(text) if re.fullmatch(r"\d+(\.\d+)?", text) else "coerced"


@st.composite
def wave(draw):
    n = draw(st.integers(2, 12))
    firms = [f"F{i:03d}" for i in range(n)]
    spelled = [draw(st.sampled_from([f, f.lower(), f" {f}", f"{f} "])) for f in firms]
    amounts = draw(st.lists(amount, min_size=n, max_size=n))
    # keep a number in the column so it is numeric, not a text column
    amounts[0] = 1.0
    sector = draw(st.lists(st.sampled_from(["retail", "food", None]), min_size=n, max_size=n))
    df = pd.DataFrame({"firm_id": spelled, "sales": amounts, "sector": sector}, dtype=object)
    blanks = draw(st.lists(st.integers(0, n), max_size=3))
    for pos in sorted(blanks, reverse=True):
        empty = pd.DataFrame({"firm_id": [None], "sales": [None], "sector": [None]}, dtype=object)
        df = pd.concat([df.iloc[:pos], empty, df.iloc[pos:]], ignore_index=True)
    return df


@FAST
@given(base=wave(), follow=wave())
def test_every_row_column_and_cell_is_kept_parsed_or_reported(base, follow):
    waves = {"baseline": base, "followup": follow}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WavesWarning)
        panel = ke.load_waves(waves, errors="flag")
    issues = panel.issues
    first = set(base["firm_id"].dropna().str.strip())
    first_by_key = {f.upper(): f for f in first}
    for name, delivered in waves.items():
        got = panel.wave(name)
        iss = issues[issues["wave"] == name]
        dropped = iss[iss["action"] == "dropped"]
        # rows: each delivered row is in the panel or dropped with its position
        assert len(got) + len(dropped) == len(delivered)
        assert set(dropped["row"]) == set(delivered.index[delivered["firm_id"].isna()])
        # columns: every delivered column is kept
        assert set(got.columns) == set(delivered.columns)
        # cells: each amount is the number it says, or missing with a 'coerced' issue
        by_firm = got.set_index("firm_id")
        for i, row in delivered.dropna(subset=["firm_id"]).iterrows():
            firm = row["firm_id"].strip()
            if name != "baseline" and firm not in first:
                firm = first_by_key.get(firm.upper(), firm)
            value = by_firm.at[firm, "sales"]
            want = _expected(row["sales"])
            if want == "coerced":
                hit = iss[(iss["row"] == i) & (iss["column"] == "sales")]
                assert math.isnan(value) and hit["action"].tolist() == ["coerced"]
            elif want is None:
                assert math.isnan(value)
            else:
                assert value == want
            if row["firm_id"] != firm:
                changed = panel.id_changes
                mine = changed[(changed["wave"] == name) & (changed["row"] == i)]
                # one row per step (spaces stripped, then matched to the first wave): ends at firm
                assert mine["firm_id"].tolist()[-1] == firm


# -- ids round-trip through every reader ---------------------------------------------------------

leading_zeros = st.integers(0, 10**6).map(lambda v: f"{v:07d}")
long_digits = st.integers(10**14, 10**25).map(str)
alphanumeric = st.text(
    alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_/", min_size=1, max_size=12
).filter(lambda s: s.strip("-_/") == s and not s.isdigit())
any_id = st.one_of(leading_zeros, long_digits, alphanumeric)
id_lists = st.lists(any_id, min_size=1, max_size=8, unique=True)


def _write(df, path):
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".xlsx":
        df.to_excel(path, index=False)
    elif path.suffix == ".dta":
        df.to_stata(path, write_index=False)
    else:
        df.to_parquet(path, index=False)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "dta", "parquet"])
@FILES
@given(ids=id_lists)
def test_text_ids_round_trip_through_every_reader(tmp_path, fmt, ids):
    df = pd.DataFrame({"firm_id": ids, "sales": np.arange(len(ids), dtype=float)})
    path = tmp_path / f"wave.{fmt}"
    _write(df, path)
    assert ke.read_wave(path, id_col="firm_id")["firm_id"].tolist() == ids
    panel = ke.load_waves({"baseline": path})
    assert panel.wave("baseline")["firm_id"].tolist() == ids


@pytest.mark.parametrize("fmt", ["xlsx", "dta", "parquet"])
@FILES
@given(ids=st.lists(st.integers(0, 2**31 - 2), min_size=1, max_size=8, unique=True))
def test_numeric_ids_round_trip_as_their_digits(tmp_path, fmt, ids):
    df = pd.DataFrame({"firm_id": ids, "sales": np.arange(len(ids), dtype=float)})
    path = tmp_path / f"wave.{fmt}"
    _write(df, path)
    assert ke.read_wave(path, id_col="firm_id")["firm_id"].tolist() == [str(i) for i in ids]


@FAST
@given(ids=st.lists(st.integers(1, 10**6), min_size=1, max_size=10, unique=True))
def test_ids_that_lost_zeros_link_to_the_baseline(ids):
    base = pd.DataFrame({"firm_id": [f"{i:08d}" for i in ids], "x": 1.0})
    follow = pd.DataFrame({"firm_id": ids, "x": 2.0})
    panel = ke.load_waves({"baseline": base, "followup": follow})
    assert panel.wave("followup")["firm_id"].tolist() == base["firm_id"].tolist()
    assert len(panel.id_changes) == len(ids)
