"""A synthetic trial delivered as SurveyCTO/ODK/Kobo exports reads back into the same panel."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def trial():
    return ke.synthetic.simulate_trial("tanzania", n_firms=60, seed=3)


def _cells(series):
    if pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(float).to_numpy()
    return np.array([None if pd.isna(v) else str(v) for v in series], dtype=object)


@pytest.mark.parametrize("platform", ["surveycto", "odk", "kobo"])
def test_trial_write_platform_round_trip(trial, platform, tmp_path):
    written = trial.write(tmp_path / "trial", platform=platform)
    for wave in trial.waves:
        assert f"{wave}_form.xlsx" in written and f"{wave}_{platform}.csv" in written
    folder = tmp_path / "trial"
    forms = {w: ke.read_xlsform(folder / f"{w}_form.xlsx") for w in trial.waves}
    exports = {w: folder / f"{w}_{platform}.csv" for w in trial.waves}
    header = pd.read_csv(exports["baseline"], nrows=0).columns
    sep = "-" if platform == "surveycto" else "/"
    assert f"grp_practices{sep}mp_01" in header and f"grp_firm{sep}sales" in header
    got = ke.load_waves(exports, form=forms, platform=platform, codebook=folder / "codebook.csv")
    want = ke.load_waves(dict(trial.waves), codebook=trial.codebook)
    assert sorted(got.long.columns) == sorted(want.long.columns)  # the form groups them
    for column in want.long.columns:
        np.testing.assert_array_equal(
            _cells(got.long[column]), _cells(want.long[column]), err_msg=column
        )

    def events(panel):
        return sorted(map(str, panel.issues[["wave", "firm_id", "column", "reason"]].to_numpy()))

    assert events(got) == events(want)
    assert len(got.metadata) == sum(len(df) for df in trial.waves.values())
    assert got.value_labels["mp_01"] == {1.0: "Yes", 0.0: "No"}


def test_trial_write_without_platform_is_unchanged(trial, tmp_path):
    names = sorted(trial.write(tmp_path / "t"))
    assert not [n for n in names if n.endswith(("_form.xlsx", "_surveycto.csv"))]


def test_unknown_platform_writes_nothing(trial, tmp_path):
    with pytest.raises(ValueError, match="platform"):
        trial.write(tmp_path / "t", platform="qualtrics")
    assert not (tmp_path / "t").exists() or not any((tmp_path / "t").iterdir())
