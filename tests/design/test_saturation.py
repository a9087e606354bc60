"""Randomized saturation designs: both stages, re-drawing, manifest, verify, files, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

LEVELS = [0, 0.25, 0.5, 0.75]


def make_frame(n_clusters=20, size=8, seed=0, region=True):
    rng = np.random.default_rng(seed)
    sizes = np.full(n_clusters, size) if np.isscalar(size) else np.asarray(size)
    cl = np.repeat(np.arange(n_clusters), sizes)
    f = pd.DataFrame({"firm_id": [f"F{i:04d}" for i in range(len(cl))], "cluster_id": cl})
    if region:
        f["region"] = np.where(cl < n_clusters // 2, "north", "south")
    return f.sample(frac=1, random_state=int(rng.integers(1000))).reset_index(drop=True)


def draw(f, **kw):
    args = {"id_col": "firm_id", "cluster": "cluster_id", "saturation": LEVELS, "seed": 7}
    args.update(kw)
    return ke.assign(f, arms={"invited": None}, **args)


@pytest.mark.parametrize("seed", range(4))
def test_both_stages_exact(seed):
    f = make_frame()
    asg = draw(f, strata="region", seed=seed)
    m = asg.frame.merge(f, on="firm_id")
    assert list(asg.frame.columns) == ["firm_id", "invited", "saturation"]
    per = m.groupby("cluster_id").agg(
        s=("saturation", "first"), ns=("saturation", "nunique"), inv=("invited", "sum")
    )
    assert (per["ns"] == 1).all()  # one saturation per cluster
    assert (per["inv"] == per["s"] * 8).all()  # 8 firms: m*s is a whole number, so exact
    # 10 clusters per region, 4 levels: 2 or 3 clusters of each level in each region
    byreg = m.drop_duplicates("cluster_id").groupby(["region", "saturation"]).size()
    assert byreg.between(2, 3).all() and byreg.groupby("region").sum().tolist() == [10, 10]


def test_counts_of_clusters_and_firms():
    f = make_frame(n_clusters=12, size=4, region=False)
    asg = draw(f, saturation={0: 6, 0.5: 3, 1.0: 3})
    c = asg.counts()
    assert c["saturation"].tolist() == [0.0, 0.5, 1.0]
    assert c["count"].tolist() == [6, 3, 3]
    assert c["firms"].tolist() == [24, 12, 12]
    assert c["invited"].tolist() == [0, 6, 12]


def test_leftover_rule_gives_exact_probabilities():
    # clusters of 5 and 7 firms at saturation 0.5: 2.5 and 3.5 expected invitations; every firm
    # of a cluster at s is invited with probability s. 4,000 draws: SE of a frequency <= 0.008.
    f = make_frame(n_clusters=6, size=[5, 7, 5, 7, 5, 7], region=False)
    asg = draw(f, saturation=[0, 0.5, 1.0])
    many = asg.redraw_many(4_000, seed=11)
    inv, sat = many["invited"], many["saturation"]
    assert inv.shape == sat.shape == (4_000, len(f))
    for s in (0.5, 1.0):
        at = sat == s
        freq = (inv * at).sum(axis=0) / at.sum(axis=0)
        assert np.abs(freq - s).max() < 4 * np.sqrt(0.25 / (at.sum(axis=0).min()))
    assert (inv[sat == 0] == 0).all()
    # unconditional probability: mean over levels of s, as Assignment.probabilities says
    p = asg.probabilities()
    assert np.allclose(p["invited"], 0.5) and np.allclose(p["saturation=0.5"], 1 / 3)
    assert np.abs(inv.mean(axis=0) - 0.5).max() < 4 * np.sqrt(0.25 / 4_000)
    # each draw: whole clusters share a level; 2 clusters per level
    order = f.set_index("firm_id").loc[asg.frame["firm_id"], "cluster_id"].to_numpy()
    for d in range(20):
        s = pd.Series(sat[d]).groupby(order).nunique()
        assert (s == 1).all()
        assert (pd.Series(sat[d]).groupby(order).first().value_counts() == 2).all()


def test_redraw_reproduces_and_verify_covers_both_stages(tmp_path):
    f = make_frame()
    asg = draw(f, strata="region", seed=123)
    assert asg.redraw(123).equals(asg.frame)
    asg.verify(f.sample(frac=1, random_state=1), seed=123)
    man = asg.manifest
    assert man["arguments"]["saturation"] == {"levels": LEVELS, "shares": [0.25] * 4}
    assert man["arguments"]["arms"] == {"invited": None} and man["n_clusters"] == 20
    p = asg.write(tmp_path / "sat.parquet")
    back = ke.Assignment.read(p)
    assert back.frame.equals(asg.frame)
    back.verify(f)
    assert back.redraw_many(3, seed=0)["saturation"].shape == (3, 160)
    # a tampered saturation is a changed result
    table = pd.read_parquet(p)
    table.loc[0, "saturation"] = 0.25 if table.loc[0, "saturation"] != 0.25 else 0.5
    table.to_parquet(p)
    with pytest.raises(KaizenError, match="result differs"):
        ke.Assignment.read(p)
    # other clusters: the frame differs
    g = f.copy()
    g.loc[0, "cluster_id"] = 99
    with pytest.raises(KaizenError, match="frame differs"):
        asg.verify(g)
    # an edited manifest
    mp = tmp_path / "sat.manifest.json"
    man2 = json.loads(mp.read_text())
    man2["arguments"]["saturation"]["levels"][1] = 1.5
    mp.write_text(json.dumps(man2))
    with pytest.raises(KaizenError, match="outside"):
        ke.Assignment.read(p)


def test_different_seeds_differ_and_repr():
    f = make_frame()
    a, b = draw(f, seed=1), draw(f, seed=2)
    assert not a.frame.equals(b.frame)
    assert "20 clusters at saturations (0.0, 0.25, 0.5, 0.75)" in repr(a)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"saturation": [0, 1.5]}, r"level 1.5 is outside \[0, 1\]"),
        ({"saturation": [0, -0.1]}, "outside"),
        ({"saturation": [0.5]}, "at least two levels"),
        ({"saturation": [0, 0.5, 0.5]}, "distinct"),
        ({"saturation": {0: 0.3, 0.5: 0.3}}, "sum to 0.6"),
        ({"saturation": "0.5"}, "list of saturation levels"),
        ({"cluster": None}, "name the `cluster` column"),
        ({"stage2": ke.Stage(arms={"onsite": 0.5})}, "cannot be combined"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(KaizenError, match=match):
        draw(make_frame(), **kwargs)


def test_arms_share_is_refused():
    with pytest.raises(KaizenError, match="set by the saturation"):
        ke.assign(
            make_frame(), cluster="cluster_id", saturation=LEVELS, arms={"invited": 0.5}, seed=1
        )


def test_clusters_too_small_for_their_saturation():
    f = make_frame(n_clusters=6, size=[8, 8, 3, 8, 8, 2], region=False)
    with pytest.raises(KaizenError, match=r"cluster\(s\) 2, 5 have fewer than 4 firms"):
        draw(f, saturation=[0, 0.25, 0.5])
    draw(f.loc[~f["cluster_id"].isin([2, 5])], saturation=[0, 0.25, 0.5])


def test_a_saturation_column_in_the_design_is_refused():
    f = make_frame().assign(saturation="a")
    with pytest.raises(KaizenError, match="rename the column or arm 'saturation'"):
        draw(f, strata="saturation")
    # an unrelated input column of that name is not used, and not in the result twice
    assert list(draw(f).frame.columns) == ["firm_id", "invited", "saturation"]


def test_ordinary_assignments_are_unchanged():
    # the hook leaves designs without saturation as they were (same draw for the same seed)
    f = make_frame()
    asg = ke.assign(f, cluster="cluster_id", seed=5)
    assert "saturation" not in asg.manifest["arguments"]
    assert list(asg.frame.columns) == ["firm_id", "invited"]


def test_csv_round_trip_with_thirds(tmp_path):
    # levels as floats (1/3, 2/3) survive a CSV: the result hash and the re-draw still agree
    f = make_frame(n_clusters=9, size=10, region=False)
    asg = draw(f, saturation={0: 3, 1 / 3: 3, 2 / 3: 3}, seed=3)
    back = ke.Assignment.read(asg.write(tmp_path / "sat.csv"))
    assert back.frame.equals(asg.frame)
    back.verify(f)
    assert back.counts()["count"].tolist() == [3, 3, 3]
    per = (
        asg.frame.merge(f)
        .groupby("cluster_id")
        .agg(s=("saturation", "first"), k=("invited", "sum"))
    )
    assert ((per["k"] == np.floor(10 * per["s"])) | (per["k"] == np.ceil(10 * per["s"]))).all()
