"""Randomization inference: exact enumeration against brute force, draws, clusters, errors."""

import itertools

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def _coef(y, t, x=None):
    cols = [np.ones(len(y)), t] + ([] if x is None else [x])
    return np.linalg.lstsq(np.column_stack(cols), y, rcond=None)[0][1]


def test_exact_enumeration_matches_brute_force_within_strata():
    rng = np.random.default_rng(3)
    strata = np.repeat([0, 1, 2], [6, 5, 4])
    t = np.concatenate([[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 0, 1, 0]])
    x = rng.normal(size=15)
    y = 0.8 * t + x + rng.normal(size=15)
    df = pd.DataFrame({"t": t, "s": strata, "x": x, "y": y})
    ri = ke.randomization_inference(df, outcome="y", treatment="t", covariates="x", strata="s")
    # brute force: every within-stratum assignment with the observed treated counts
    per = []
    for s in range(3):
        idx = np.flatnonzero(strata == s)
        k = int(t[idx].sum())
        per.append([(idx, c) for c in itt_combos(len(idx), k)])
    stats_all = []
    for combo in itertools.product(*per):
        a = np.zeros(15)
        for idx, c in combo:
            a[idx[list(c)]] = 1
        stats_all.append(_coef(y, a, x))
    stats_all = np.array(stats_all)
    obs = _coef(y, t.astype(float), x)
    assert ri.exact and ri.n_assignments == len(stats_all) == 15 * 10 * 6
    assert ri.observed == pytest.approx(obs, rel=1e-10)
    np.testing.assert_allclose(np.sort(ri.draws), np.sort(stats_all), rtol=1e-9, atol=1e-12)
    assert ri.pvalue == pytest.approx(np.mean(np.abs(stats_all) >= abs(obs) - 1e-9))


def itt_combos(n, k):
    return list(itertools.combinations(range(n), k))


@pytest.fixture
def clustered():
    rng = np.random.default_rng(8)
    n_v = 30
    village = rng.integers(0, n_v, 300)
    t_v = rng.permutation(np.repeat([0, 1], n_v // 2))
    s_v = np.arange(n_v) % 3
    x = rng.normal(size=300)
    y = 0.2 * t_v[village] + x + rng.normal(size=300) + rng.normal(size=n_v)[village]
    return pd.DataFrame({"v": village, "t": t_v[village], "s": s_v[village], "x": x, "y": y})


def test_studentized_observed_equals_itt_t(clustered):
    ri = ke.randomization_inference(
        clustered,
        outcome="y",
        treatment="t",
        covariates="x",
        cluster="v",
        statistic="t",
        draws=200,
    )
    e = ke.itt(clustered, outcome="y", treatment="t", covariates="x", cluster="v")
    assert ri.observed == pytest.approx(e.statistic, rel=1e-10)
    hc = ke.randomization_inference(clustered, outcome="y", treatment="t", statistic="t", draws=10)
    assert hc.observed == pytest.approx(ke.itt(clustered, outcome="y", treatment="t").statistic)


def test_seeded_draws_are_reproducible_and_p_counts_observed(clustered):
    kw = {"outcome": "y", "treatment": "t", "strata": "s", "cluster": "v", "draws": 500}
    a = ke.randomization_inference(clustered, seed=1, **kw)
    b = ke.randomization_inference(clustered, seed=np.random.default_rng(1), **kw)
    c = ke.randomization_inference(clustered, seed=2, **kw)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, c.draws)
    assert not a.exact and len(a.draws) == 500
    count = np.sum(np.abs(a.draws) >= abs(a.observed) * (1 - 1e-9))
    assert a.pvalue == pytest.approx((1 + count) / 501)
    with pytest.raises(ValueError):
        a.draws[0] = 1.0


def test_cluster_permutations_keep_clusters_whole_and_strata_counts(clustered):
    # permuting whole clusters within strata: the statistic only takes values of
    # cluster-level assignments; check via exact enumeration on a small design
    small = clustered[clustered["v"] < 8].copy()
    small["t"] = (small["v"] % 2).astype(int)
    small["s"] = (small["v"] < 4).astype(int)
    ri = ke.randomization_inference(small, outcome="y", treatment="t", strata="s", cluster="v")
    assert ri.exact and ri.n_assignments == 6 * 6
    bad = small.assign(t=np.arange(len(small)) % 2)
    with pytest.raises(KaizenError, match="not constant within cluster 'v'"):
        ke.randomization_inference(bad, outcome="y", treatment="t", cluster="v")


def test_bad_input(clustered):
    with pytest.raises(KaizenError, match="does not vary"):
        ke.randomization_inference(clustered.assign(t=1), outcome="y", treatment="t")
    by_stratum = clustered.assign(t=(clustered["s"] == 0).astype(int))
    with pytest.raises(KaizenError, match="does not vary within any stratum of 's'"):
        ke.randomization_inference(by_stratum, outcome="y", treatment="t", strata="s")
    with pytest.raises(KaizenError, match="`statistic` must be one of"):
        ke.randomization_inference(clustered, outcome="y", treatment="t", statistic="F")
    with pytest.raises(KaizenError, match="`draws` must be a positive integer"):
        ke.randomization_inference(clustered, outcome="y", treatment="t", draws=0)
    df = clustered.copy()
    df.loc[:4, "y"] = np.nan
    ri = ke.randomization_inference(df, outcome="y", treatment="t", draws=10)
    assert ri.nobs == 295 and (ri.dropped["reason"] == "missing outcome 'y'").sum() == 5


@pytest.fixture
def assigned():
    frame = pd.DataFrame(
        {"firm_id": [f"F{i:03d}" for i in range(90)], "stratum": np.arange(90) % 3}
    )
    asg = ke.assign(frame, id_col="firm_id", arms={"invited": 0.5}, strata="stratum", seed=5)
    rng = np.random.default_rng(1)
    df = frame.merge(asg.frame, on="firm_id").sample(frac=1.0, random_state=2)  # any row order
    df["y"] = 0.4 * df["invited"] + rng.normal(size=90)
    return asg, df


def test_draws_from_an_assignment_object_follow_its_redraws(assigned):
    asg, df = assigned
    ri = ke.randomization_inference(
        df, outcome="y", treatment="invited", assignment=asg, draws=300, seed=4
    )
    redrawn = asg.redraw_many(300, np.random.default_rng(4))["invited"]
    pos = asg.frame.reset_index(drop=True).reset_index().set_index("firm_id").loc[df["firm_id"]]
    arms = redrawn[:, pos["index"].to_numpy()]
    y = df["y"].to_numpy()
    expected = [y[a == 1].mean() - y[a == 0].mean() for a in arms]
    np.testing.assert_allclose(ri.draws, expected, rtol=1e-10)
    assert not ri.exact and "300 random draws" in repr(ri)


def test_assignment_mismatch_is_an_error(assigned):
    asg, df = assigned
    flipped = df.assign(invited=1 - df["invited"])
    with pytest.raises(KaizenError, match="differs from the assignment"):
        ke.randomization_inference(flipped, outcome="y", treatment="invited", assignment=asg)
    with pytest.raises(KaizenError, match="give either `assignment` or `strata`"):
        ke.randomization_inference(
            df, outcome="y", treatment="invited", assignment=asg, strata="stratum"
        )


def test_baseline_enters_the_statistic_like_itt(clustered):
    df = clustered.assign(y0=clustered["x"] + 0.1)
    df.loc[:9, "y0"] = np.nan
    ri = ke.randomization_inference(
        df, outcome="y", treatment="t", baseline="y0", statistic="t", draws=20
    )
    e = ke.itt(df, outcome="y", treatment="t", baseline="y0")
    assert ri.observed == pytest.approx(e.statistic, rel=1e-10)
    assert ri.nobs == 300
    ci = ke.randomization_ci(df, outcome="y", treatment="t", baseline="y0", draws=200)
    assert ci.estimate == pytest.approx(e.estimate, rel=1e-10)


def test_progress_bar_on_stderr_and_same_result(capsys):
    import numpy as np
    import pandas as pd

    import kaizen_eval as ke

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": np.repeat([0, 1], 30), "y": rng.normal(size=60)})
    quiet = ke.randomization_inference(df, outcome="y", treatment="t", draws=2500, seed=1)
    loud = ke.randomization_inference(
        df, outcome="y", treatment="t", draws=2500, seed=1, progress=True
    )
    err = capsys.readouterr().err
    assert "randomization draws" in err and "3/3" in err  # 2,500 draws in blocks of 1,000
    assert loud.pvalue == quiet.pvalue
    np.testing.assert_array_equal(loud.draws, quiet.draws)
