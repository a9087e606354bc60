"""The committed data/synthetic/<site>/ files are exactly what the documented command writes."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kaizen_eval.synthetic import SITES, simulate_trial
from kaizen_eval.synthetic.__main__ import main
from kaizen_eval.synthetic.bundled import BUNDLED_SEEDS

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    assert main([str(out)]) == 0
    return out


def test_bundled_data_is_small():
    files = [p for p in DATA.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 10 * 2**20


@pytest.mark.parametrize("site", sorted(SITES))
def test_regenerated_files_equal_the_committed_ones(regenerated, site):
    committed = sorted(p.name for p in (DATA / site).iterdir())
    fresh = sorted(p.name for p in (regenerated / site).iterdir())
    assert fresh == committed
    for name in fresh:
        new, old = regenerated / site / name, DATA / site / name
        if name.endswith(".parquet"):
            # Parquet bytes embed the writer's library versions: compare schema and values exactly
            assert (
                pq.read_schema(new).remove_metadata().equals(pq.read_schema(old).remove_metadata())
            )
            a, b = pd.read_parquet(new), pd.read_parquet(old)
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            ha = pd.util.hash_pandas_object(a, index=False)
            hb = pd.util.hash_pandas_object(b, index=False)
            assert ha.equals(hb)
        else:
            assert _sha256(new) == _sha256(old), name


def test_regeneration_is_bit_for_bit_within_one_environment(regenerated, tmp_path):
    main([str(tmp_path)])
    for p in regenerated.rglob("*"):
        if p.is_file():
            assert _sha256(p) == _sha256(tmp_path / p.relative_to(regenerated)), p


@pytest.mark.parametrize("site", sorted(SITES))
def test_committed_truth_and_meta(site):
    trial = simulate_trial(site, seed=BUNDLED_SEEDS[site])
    assert json.loads((DATA / site / "truth.json").read_text()) == dict(trial.truth)
    meta = json.loads((DATA / site / "meta.json").read_text())
    assert meta["seed"] == BUNDLED_SEEDS[site] and meta["n_firms"] == SITES[site].n_default


def test_bundled_pii_only_in_baseline():
    for site in SITES:
        for path in (DATA / site).glob("*.parquet"):
            cols = set(pq.read_schema(path).names)
            has_pii = {"owner_name", "owner_phone", "gps_lat", "gps_lon"} & cols
            assert bool(has_pii) == (path.stem == "baseline"), path


def test_command_line_usage(capsys):
    assert main(["--help"]) == 0
    assert "usage: python -m kaizen_eval.synthetic" in capsys.readouterr().out
    assert main(["a", "b"]) == 2
