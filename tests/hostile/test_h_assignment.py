"""Hostile arguments to assignment, and damaged, edited or raced assignment files."""

import json
import threading

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._atomic import OutputExistsError
from kaizen_eval._validation import KaizenError, MissingColumnError
from kaizen_eval.design._files import ManifestError


def frame(n=20):
    return pd.DataFrame(
        {"firm_id": [f"F{i:03d}" for i in range(n)], "stratum": np.repeat(["a", "b"], n // 2)}
    )


@pytest.fixture
def written(tmp_path):
    asg = ke.assign(frame(), strata="stratum", seed=11)
    path = asg.write(tmp_path / "asg.parquet")
    return asg, path, tmp_path / "asg.manifest.json"


def edit_manifest(mpath, change):
    man = json.loads(mpath.read_text())
    change(man)
    mpath.write_text(json.dumps(man))


# --- arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seed", "shown"), [("abc", "'abc'"), (-1, "-1"), (True, "True"), (1.5, "1.5"), (None, "None")]
)
def test_bad_seeds_are_named(seed, shown):
    with pytest.raises(KaizenError, match=rf"`seed` must be a non-negative integer .*: {shown}\."):
        ke.assign(frame(), seed=seed)


def test_a_seed_sequence_is_recorded_and_reproducible(tmp_path):
    asg = ke.assign(frame(), seed=np.random.SeedSequence(5))
    assert asg.manifest["seed"] is None
    assert asg.manifest["rng_state"]["bit_generator"] == "PCG64"
    ke.Assignment.read(asg.write(tmp_path / "a.parquet")).verify(frame())


@pytest.mark.parametrize(
    ("arms", "message"),
    [
        ({"a": 0.6, "b": 0.6}, r"`arms`: shares sum to 1.2 > 1"),
        ({"a": 0.0}, r"the share of arm 'a' must be in \(0, 1\]: 0.0"),
        ({"a": float("nan")}, r"the share of arm 'a' must be in \(0, 1\]: nan"),
        ({"a": "0.5"}, r"the share of arm 'a' must be a number: '0.5'"),
        ({"a": True}, r"the share of arm 'a' must be a number: True"),
        ({"": 0.5}, r"arm names must be non-empty strings: ''"),
        ({}, r"`arms` must be a non-empty dict"),
        ({"firm_id": 0.5}, r"arm name\(s\) \['firm_id'\] are also used as id"),
    ],
)
def test_bad_arms_are_named(arms, message):
    with pytest.raises(KaizenError, match=message):
        ke.assign(frame(), arms=arms, seed=1)


def test_ids_that_are_duplicates_once_read_as_text_are_refused():
    f = pd.DataFrame({"firm_id": ["7", 7, "8"]})  # "7" and 7: one firm typed twice
    with pytest.raises(KaizenError, match=r"`firm_id` has duplicate ids: 7; assignment needs one"):
        ke.assign(f, seed=1)


def test_missing_ids_and_missing_strata_are_named():
    f = frame()
    f.loc[3, "firm_id"] = None
    with pytest.raises(KaizenError, match=r"`firm_id` is missing in 1 row\(s\) \(index 3\)"):
        ke.assign(f, seed=1)
    g = frame()
    g.loc[4, "stratum"] = np.nan
    with pytest.raises(
        KaizenError, match=r"strata column `stratum` is missing for 1 unit\(s\): F004"
    ):
        ke.assign(g, strata="stratum", seed=1)


def test_a_missing_column_and_an_empty_frame():
    with pytest.raises(MissingColumnError, match=r"column 'region' not found in the assignment"):
        ke.assign(frame(), strata="region", seed=1)
    with pytest.raises(KaizenError, match=r"the assignment frame has no rows"):
        ke.assign(frame().iloc[:0], seed=1)


def test_wrong_argument_types():
    with pytest.raises(KaizenError, match=r"`frame` must be a pandas DataFrame, not list"):
        ke.assign([1, 2], seed=1)
    with pytest.raises(KaizenError, match=r"`cluster` must be one column name"):
        ke.assign(frame(), cluster=["a", "b"], seed=1)


# --- manifests --------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["arguments", "seed", "frame_sha256", "result_sha256"])
def test_a_deleted_manifest_key_is_named(written, key):
    _, path, mpath = written
    edit_manifest(mpath, lambda m: m.pop(key))
    with pytest.raises(ManifestError, match=rf"the manifest has no key '{key}' \(it was edited"):
        ke.Assignment.read(path)


@pytest.mark.parametrize("key", ["id_col", "arms", "strata", "cluster", "stage2", "rerandomize"])
def test_a_deleted_argument_is_named(written, key):
    _, path, mpath = written
    edit_manifest(mpath, lambda m: m["arguments"].pop(key))
    with pytest.raises(ManifestError, match=rf"no key 'arguments.{key}'"):
        ke.Assignment.read(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(seed="abc"), r"manifest key 'seed' must be a non-negative integer"),
        (lambda m: m.update(seed=None), r"manifest key 'rng_state' must be a generator state"),
        (lambda m: m.update(result_sha256="xyz"), r"'result_sha256' must be a SHA-256 hex"),
        (
            lambda m: m["arguments"].update(arms={"invited": 1.5}),
            r"arguments are invalid: "
            r"`arguments.arms`: the share of arm 'invited' must be in \(0, 1\]",
        ),
        (lambda m: m["arguments"].update(strata="stratum"), r"'arguments.strata' must be a list"),
        (lambda m: m["arguments"].update(id_col=3), r"'arguments.id_col' must be a column name"),
        (lambda m: m["arguments"].update(stage2={"arms": {}}), r"'arguments.stage2' must be null"),
        (lambda m: m["arguments"].update(rerandomize={"bound": 1}), r"'arguments.rerandomize'"),
        (lambda m: m.update(arguments=[]), r"manifest key 'arguments' must be an object"),
    ],
)
def test_a_tampered_manifest_is_named(written, change, message):
    _, path, mpath = written
    edit_manifest(mpath, change)
    with pytest.raises(ManifestError, match=message):
        ke.Assignment.read(path)


def test_a_manifest_that_is_not_an_object_or_not_json(written):
    _, path, mpath = written
    mpath.write_text("[1, 2]")
    with pytest.raises(ManifestError, match=r"it holds a JSON list, not an object"):
        ke.Assignment.read(path)
    mpath.write_text("{seed: 1")
    with pytest.raises(ManifestError, match=r"is not valid JSON"):
        ke.Assignment.read(path)


def test_the_manifest_of_another_draw_is_caught(tmp_path):
    a = ke.assign(frame(), strata="stratum", seed=1).write(tmp_path / "a.parquet")
    ke.assign(frame(), strata="stratum", seed=2).write(tmp_path / "b.parquet")
    (tmp_path / "a.manifest.json").write_text((tmp_path / "b.manifest.json").read_text())
    with pytest.raises(KaizenError, match=r"result differs: the table .*a.parquet' does not match"):
        ke.Assignment.read(a)


def test_a_damaged_table_is_named(written):
    _, path, _ = written
    path.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(KaizenError, match=r"cannot be read as a .parquet assignment table"):
        ke.Assignment.read(path)


def test_an_arm_column_deleted_from_the_table_is_named(tmp_path):
    path = ke.assign(frame(), seed=3).write(tmp_path / "a.csv")
    pd.read_csv(path).drop(columns="invited").to_csv(path, index=False)
    with pytest.raises(MissingColumnError, match=r"column 'invited' not found in .*the arms of"):
        ke.Assignment.read(path)


# --- writing ----------------------------------------------------------------------------------
def test_write_refuses_then_force_replaces_both_files_together(written):
    _, path, _ = written
    other = ke.assign(frame(), strata="stratum", seed=99)
    with pytest.raises(OutputExistsError, match=r"already exists; an assignment is never"):
        other.write(path)
    assert ke.Assignment.read(path).manifest["seed"] == 11
    other.write(path, force=True)
    back = ke.Assignment.read(path)
    assert back.manifest["seed"] == 99 and back.frame.equals(other.frame)
    back.verify(frame())


def test_a_refused_write_of_personal_data_leaves_no_file(tmp_path):
    f = frame().assign(gps_lat=np.linspace(5.5, 5.6, 20))
    asg = ke.assign(f, seed=1, rerandomize=ke.Rerandomize(covariates=["gps_lat"], bound=10))
    with pytest.raises(KaizenError, match=r"gps_lat"):
        asg.write(tmp_path / "a.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_two_writers_race_exactly_one_wins_and_files_match(tmp_path):
    path = tmp_path / "a.parquet"
    draws = [ke.assign(frame(), strata="stratum", seed=s) for s in (1, 2, 3, 4)]
    outcome = []
    start = threading.Barrier(len(draws))

    def write(asg):
        start.wait()
        try:
            asg.write(path)
            outcome.append(("won", asg.manifest["seed"]))
        except OutputExistsError as err:
            outcome.append(("lost", str(err)))

    threads = [threading.Thread(target=write, args=(a,)) for a in draws]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcome if o[0] == "won"]
    assert len(winners) == 1 and len(outcome) == 4
    assert all("already exists" in o[1] for o in outcome if o[0] == "lost")
    back = ke.Assignment.read(path)
    assert back.manifest["seed"] == winners[0][1]
    back.verify(frame())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.manifest.json", "a.parquet"]


def test_racing_writers_with_force_leave_one_consistent_draw(tmp_path):
    path = tmp_path / "a.csv"
    draws = [ke.assign(frame(), strata="stratum", seed=s) for s in (5, 6, 7)]
    start = threading.Barrier(len(draws))
    errors = []

    def write(asg):
        start.wait()
        try:
            asg.write(path, force=True)
        except Exception as err:  # any failure is the finding
            errors.append(err)

    threads = [threading.Thread(target=write, args=(a,)) for a in draws]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    back = ke.Assignment.read(path)
    assert back.manifest["seed"] in (5, 6, 7)
    back.verify(frame())


def test_bad_strata_names_and_redraw_arguments():
    with pytest.raises(KaizenError, match=r"`strata` must be a column name or a list of them"):
        ke.assign(frame(), strata=5, seed=1)
    with pytest.raises(KaizenError, match=r"`strata` must list column names \(str\); found 3"):
        ke.assign(frame(), strata=["stratum", 3], seed=1)
    asg = ke.assign(frame(), seed=1)
    with pytest.raises(KaizenError, match=r"`n` must be a non-negative integer. You passed: 'abc'"):
        asg.redraw_many("abc", seed=1)
    with pytest.raises(KaizenError, match=r"`n` must be a non-negative integer. You passed: 2.5"):
        asg.redraw_many(2.5, seed=1)
    assert asg.redraw_many(3.0, seed=1)["invited"].shape == (3, 20)


def test_verify_with_a_bad_seed_or_frame_is_named():
    asg = ke.assign(frame(), seed=1)
    with pytest.raises(
        KaizenError, match=r"`seed` must be a non-negative integer. You passed: 'x'"
    ):
        asg.verify(frame(), seed="x")
    with pytest.raises(KaizenError, match=r"`frame` must be a pandas DataFrame, not str"):
        asg.verify("frame.csv")
    with pytest.raises(KaizenError, match=r"seed/arguments differ: you passed seed=2"):
        asg.verify(frame(), seed=2)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ke.Stage(arms={"onsite": 0.5}, strata=5), r"`stage2.strata` must be a column"),
        (lambda: ke.Stage(arms={"onsite": 0.5}, among=[1]), r"`stage2.among` must list column"),
        (lambda: ke.Stage(arms={"onsite": 1.5}), r"`stage2.arms`: the share of arm 'onsite'"),
        (lambda: ke.Rerandomize(covariates=["x"], bound="1"), r"`rerandomize.bound` must be > 0"),
        (lambda: ke.Rerandomize(covariates=["x"], bound=-1), r"`rerandomize.bound` must be > 0"),
        (lambda: ke.Rerandomize(covariates=["x"], bound=1, max_draws="9"), r"must be an integer"),
        (lambda: ke.Rerandomize(covariates=["x"], bound=1, max_draws=0), r"must be >= 1: 0"),
        (lambda: ke.Rerandomize(covariates=[], bound=1), r"`rerandomize.covariates` is empty"),
        (lambda: ke.Rerandomize(covariates=3, bound=1), r"`rerandomize.covariates` must be a col"),
        (
            lambda: ke.Rerandomize(covariates=["x"], bound=1, criterion="t"),
            r"`rerandomize.criterion` must be one of 'max_abs_t', 'mahalanobis'",
        ),
    ],
)
def test_bad_stage_and_rerandomize_declarations_are_named(build, message):
    with pytest.raises(KaizenError, match=message):
        build()


def test_a_non_numeric_rerandomization_covariate_is_named():
    f = frame().assign(size=["small", "big"] * 10)
    rr = ke.Rerandomize(covariates=["size"], bound=1)
    with pytest.raises(KaizenError, match=r"re-randomization covariate `size` is not numeric"):
        ke.assign(f, seed=1, rerandomize=rr)
