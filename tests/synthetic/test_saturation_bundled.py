"""data/synthetic/saturation/ is what scripts/regenerate_synthetic.py writes, and it holds together.

The trial is built in kaizen_eval.studies (it draws its assignment with ke.assign, which the
synthetic floor may not import), so the script, not ``python -m kaizen_eval.synthetic``,
regenerates it.
"""

import json
import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._atomic import OutputExistsError
from kaizen_eval.studies.saturation_site import (
    FILES,
    SATURATION_LEVELS,
    SATURATION_SEED,
    saturation_site,
    write_saturation_site,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "synthetic" / "saturation"
SCRIPT = ROOT / "scripts" / "regenerate_synthetic.py"
#: Manifest fields that record the libraries that drew the assignment, not the draw.
VERSIONS = ("package_version", "numpy_version")


def _read_csv(name):
    return pd.read_csv(DATA / name)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    assert runpy.run_path(str(SCRIPT))["main"]([str(out)]) == 0
    return out / "saturation"


def _without_versions(text):
    manifest = json.loads(text)
    # the file is exactly the canonical dump of its content, so comparing content compares bytes
    assert json.dumps(manifest, indent=2, sort_keys=True) + "\n" == text
    assert all(isinstance(manifest.pop(key), str) for key in VERSIONS)
    return manifest


def test_regenerated_files_equal_the_committed_ones(regenerated):
    assert sorted(p.name for p in DATA.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in regenerated.iterdir()) == sorted(FILES)
    for name in FILES:
        new, old = (regenerated / name).read_bytes(), (DATA / name).read_bytes()
        if name == "assignment.manifest.json":
            # byte for byte up to the library versions it records (regenerate after upgrading)
            assert _without_versions(new.decode()) == _without_versions(old.decode())
        else:
            assert new == old, name
    # and the regenerated four sites sit beside it, as in data/synthetic
    assert {p.name for p in regenerated.parent.iterdir()} == {
        "saturation",
        *ke.synthetic.SITES,
    }


def test_the_truth_is_that_of_saturation_outcomes():
    firms, followup = _read_csv("firms.csv"), _read_csv("followup.csv")
    truth = json.loads((DATA / "truth.json").read_text())
    meta = json.loads((DATA / "meta.json").read_text())
    asg = ke.Assignment.read(DATA / "assignment.csv")
    assert meta["seed"] == SATURATION_SEED and meta["seeds"]["outcomes"] == SATURATION_SEED + 2
    assert truth["parameters"] == {
        "direct": 0.3,
        "knowledge": 0.4,
        "stealing": -0.2,
        "icc": 0.1,
        "sd": 1.0,
    }
    data, fresh = ke.synthetic.saturation_outcomes(
        firms, asg.frame, seed=meta["seeds"]["outcomes"], **truth["parameters"]
    )
    assert truth["terms"] == dict(fresh.terms)
    assert truth["terms"]["spillover:0.5"] == pytest.approx(0.1)
    assert (fresh.direct, fresh.knowledge, fresh.stealing) == (0.3, 0.4, -0.2)
    # the stored outcome is that model's draw (to the last bit where the CSV reader round-trips)
    np.testing.assert_allclose(data["y"].to_numpy(), followup["y"].to_numpy(), rtol=1e-15)
    assert list(followup["firm_id"]) == list(firms["firm_id"])
    # the pooled spillover truth is the mean over the uninvited firms of treated clusters
    d = data[(data["invited"] == 0) & (data["saturation"] > 0)]
    assert truth["terms"]["spillover"] == pytest.approx(0.2 * d["saturation"].mean())


def test_the_bundled_assignment_reads_verifies_and_redraws():
    firms = _read_csv("firms.csv")
    meta = json.loads((DATA / "meta.json").read_text())
    asg = ke.Assignment.read(DATA / "assignment.csv")
    asg.verify(firms.sample(frac=1, random_state=0), seed=meta["seeds"]["assignment"])
    assert asg.manifest["arguments"]["saturation"]["levels"] == list(SATURATION_LEVELS)
    assert asg.redraw(meta["seeds"]["assignment"]).equals(asg.frame)
    # a quarter of each region's 30 clusters at each level, up to the leftover cluster
    counts = asg.counts()
    assert counts["count"].between(7, 8).all() and counts["count"].sum() == 60
    # within a cluster of m firms at saturation s, floor(m s) or ceil(m s) firms are invited
    cl = (
        firms.merge(asg.frame)
        .groupby("cluster_id")
        .agg(m=("invited", "size"), k=("invited", "sum"), s=("saturation", "first"))
    )
    assert (
        (cl["k"] >= np.floor(cl["m"] * cl["s"])) & (cl["k"] <= np.ceil(cl["m"] * cl["s"]))
    ).all()
    # the same trial as built in memory
    site = saturation_site()
    assert site.assignment.frame.equals(asg.frame)
    pd.testing.assert_frame_equal(site.firms, firms)
    assert meta == site.meta() and meta["n_firms"] == len(firms) == 715


def test_an_existing_folder_is_never_replaced_unless_asked(tmp_path):
    target = tmp_path / "saturation"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        write_saturation_site(target)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    files = write_saturation_site(target, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == sorted(files) == sorted(FILES)


def test_another_seed_is_another_trial(tmp_path):
    other = saturation_site(5)
    assert other.assignment.manifest["seed"] == 6
    assert not other.followup["y"].equals(saturation_site().followup["y"])
    assert other.data[["invited", "saturation", "y"]].notna().all().all()


def test_script_usage(capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main(["--help"]) == 0
    assert "usage: python scripts/regenerate_synthetic.py" in capsys.readouterr().out
    assert main(["a", "b"]) == 2
