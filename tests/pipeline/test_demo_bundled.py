"""The demo, ``simulate`` and ``ke.synthetic.load_bundled`` use the trials of data/synthetic/."""

import json
from pathlib import Path

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.cli import main
from kaizen_eval.pipeline.demo import describe_inputs, write_demo_inputs
from kaizen_eval.report.builder import Report
from kaizen_eval.synthetic.bundled import BUNDLED_SEEDS, bundled_folder

DATA = Path(__file__).resolve().parents[2] / "data" / "synthetic"


@pytest.mark.parametrize("site", ["ghana", "tanzania"])
def test_load_bundled_is_the_stored_trial(site, tmp_path):
    trial = ke.synthetic.load_bundled(site)
    folder = DATA / site
    meta = json.loads((folder / "meta.json").read_text())
    assert trial.seed == meta["seed"] == BUNDLED_SEEDS[site]
    assert trial.n_firms == meta["n_firms"] and list(trial.waves) == meta["waves"]
    assert dict(trial.truth) == json.loads((folder / "truth.json").read_text())
    for wave, df in trial.waves.items():
        stored = pd.read_parquet(folder / f"{wave}.parquet")
        pd.testing.assert_frame_equal(df.reset_index(drop=True), stored.reset_index(drop=True))
    written = trial.write(tmp_path / site)
    for name in ("codebook.csv", "exchange_rates.csv", "items.csv", "truth.json", "meta.json"):
        assert written[name].read_bytes() == (folder / name).read_bytes(), name
    assert bundled_folder(site) == folder


def test_load_bundled_names_the_sites():
    with pytest.raises(KaizenError, match=r"`site` must be one of 'ghana'.*You passed: 'kenya'"):
        ke.synthetic.load_bundled("kenya")


def test_demo_inputs_are_the_bundled_files(tmp_path):
    plans = write_demo_inputs(tmp_path)
    for site, plan in plans.items():
        for f in (DATA / site).iterdir():
            assert (plan.parent / f.name).read_bytes() == f.read_bytes(), f
        assert 'baseline = "baseline.parquet"' in plan.read_text()
    assert describe_inputs() == (
        f"copying the bundled synthetic trials from {DATA} (Ghana seed 21, Tanzania seed 0)"
    )


def test_demo_with_a_seed_simulates_new_trials(tmp_path):
    plans = write_demo_inputs(tmp_path, seed=3)
    meta = json.loads((plans["ghana"].parent / "meta.json").read_text())
    assert meta["seed"] == 3
    assert "not the bundled ones" in describe_inputs(3)


def test_simulate_defaults_to_the_bundled_seed(tmp_path, capsys):
    assert main(["simulate", "ghana", "--out", str(tmp_path / "g"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seed"] == 21 and out["bundled"] is True
    truth = (tmp_path / "g" / "truth.json").read_bytes()
    assert truth == (DATA / "ghana" / "truth.json").read_bytes()
    assert main(["simulate", "ghana", "--out", str(tmp_path / "h"), "--seed", "4"]) == 0
    assert "seed 4) written" in capsys.readouterr().out


def test_provenance_lists_every_plan(tmp_path):
    a = Report("A")
    for site in ("ghana", "tanzania"):
        part = Report("A")
        part.plan_hashes[site] = f"hash-{site}"
        a.extend(part)
    prov = json.loads((a.write(tmp_path / "r") / "provenance.json").read_text())
    assert prov["plans"] == {"ghana": "hash-ghana", "tanzania": "hash-tanzania"}
    assert "plan_sha256" not in prov
    page = (tmp_path / "r" / "index.html").read_text()
    assert "plan tanzania: hash-tanzania" in page
    one = Report("B", plan_hash="abc")
    prov = json.loads((one.write(tmp_path / "s") / "provenance.json").read_text())
    assert prov["plan_sha256"] == "abc" and "plans" not in prov
