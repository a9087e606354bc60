"""Randomization inference for several outcomes in one call, and the stratified draws behind it."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.ri import _BinaryDraws, _permute
from kaizen_eval.estimate.ri_family import RandomizationFamily


@pytest.fixture(scope="module")
def trial():
    rng = np.random.default_rng(21)
    n = 120
    df = pd.DataFrame(
        {"firm": np.arange(n), "stratum": np.arange(n) % 4, "village": np.arange(n) // 3}
    )
    df["x"] = rng.normal(size=n)
    df["t"] = 0
    for s in range(4):
        members = np.flatnonzero(df["stratum"] == s)
        df.loc[rng.permutation(members)[: len(members) // 2], "t"] = 1
    df["y0"] = df["x"] + rng.normal(size=n)
    df["a"] = 0.5 * df["t"] + df["y0"] + rng.normal(size=n)
    df["b"] = df["x"] + rng.normal(size=n)
    df["c"] = -0.4 * df["t"] + rng.normal(size=n)
    return df


@pytest.mark.parametrize("statistic", ["coef", "t"])
def test_each_outcome_equals_its_own_call_with_the_same_seed(trial, statistic):
    kw = {
        "treatment": "t",
        "covariates": "x",
        "strata": "stratum",
        "fixed_effects": "stratum",
        "draws": 300,
        "seed": 7,
        "statistic": statistic,
    }
    fam = ke.randomization_inference(trial, outcome=["a", "b", "c"], **kw)
    assert isinstance(fam, RandomizationFamily) and len(fam) == 3 and list(fam) == ["a", "b", "c"]
    for y in ("a", "b", "c"):
        one = ke.randomization_inference(trial, outcome=y, **kw)
        assert np.array_equal(fam.draws[y].to_numpy(), one.draws)
        assert fam.pvalue[y] == one.pvalue and fam.observed[y] == one.observed
        member = fam[y]
        assert member.pvalue == one.pvalue and np.array_equal(member.draws, one.draws)
        assert member.nobs == one.nobs == 120 and member.outcome == y
    table = fam.table()
    assert list(table.columns) == ["observed", "pvalue", "nobs"]
    assert "RandomizationFamily" in repr(fam) and "300 random draws" in repr(fam)
    itt = ke.itt(trial, outcome="c", treatment="t", covariates="x", fixed_effects="stratum")
    expected = itt.estimate if statistic == "coef" else itt.statistic
    assert fam.observed["c"] == pytest.approx(expected, rel=1e-10)


def test_clusters_exact_enumeration_and_assignment_objects(trial):
    small = trial[trial["village"] < 8].copy()
    small["t"] = (small["village"] % 2).astype(int)
    kw = {"treatment": "t", "cluster": "village"}
    fam = ke.randomization_inference(small, outcome=["a", "b"], **kw)
    one = ke.randomization_inference(small, outcome="b", **kw)
    assert fam.exact and one.exact and fam.n_assignments == one.n_assignments == 70
    assert np.array_equal(fam.draws["b"].to_numpy(), one.draws)
    assert fam.pvalue["b"] == one.pvalue

    frame = pd.DataFrame({"firm_id": [f"F{i:03d}" for i in range(90)], "s": np.arange(90) % 3})
    asg = ke.assign(frame, id_col="firm_id", arms={"invited": 0.5}, strata="s", seed=5)
    df = frame.merge(asg.frame, on="firm_id").sample(frac=1.0, random_state=2)
    rng = np.random.default_rng(1)
    df["y1"], df["y2"] = 0.4 * df["invited"] + rng.normal(size=90), rng.normal(size=90)
    kw = {"treatment": "invited", "assignment": asg, "draws": 200, "seed": 4}
    fam = ke.randomization_inference(df, outcome=["y1", "y2"], **kw)
    for y in ("y1", "y2"):
        one = ke.randomization_inference(df, outcome=y, **kw)
        assert np.array_equal(fam.draws[y].to_numpy(), one.draws) and fam[y].pvalue == one.pvalue
    assert fam.n_assignments == -1 and not fam.exact


def test_missing_outcomes_use_their_own_rows_and_are_reported(trial):
    df = trial.copy()
    df.loc[[3, 10, 50], "b"] = np.nan
    df.loc[7, "x"] = np.nan  # a design column: dropped for every outcome
    kw = {"treatment": "t", "covariates": "x", "strata": "stratum", "draws": 200, "seed": 3}
    fam = ke.randomization_inference(df, outcome=["a", "b"], statistic="t", **kw)
    assert fam.nobs.to_dict() == {"a": 119, "b": 116}
    assert fam.dropped["reason"].tolist() == ["missing covariate 'x'"]
    reasons = fam["b"].dropped["reason"].value_counts().to_dict()
    assert reasons == {"missing covariate 'x'": 1, "missing outcome 'b'": 3}
    assert len(fam["a"].dropped) == 1
    assert fam["b"].observed == pytest.approx(
        ke.itt(df.dropna(subset=["b", "x"]), outcome="b", treatment="t", covariates="x").statistic,
        rel=1e-10,
    )
    # the same draws and p-values as Romano-Wolf's single-outcome column
    rw = ke.romano_wolf(df, outcomes=["a", "b"], **kw)
    pd.testing.assert_series_equal(rw["pvalue"], fam.pvalue, check_names=False)


def test_baselines_per_outcome(trial):
    kw = {"treatment": "t", "strata": "stratum", "draws": 100, "seed": 2, "statistic": "t"}
    fam = ke.randomization_inference(trial, outcome=["a", "c"], baseline={"a": "y0"}, **kw)
    with_base = ke.randomization_inference(trial, outcome="a", baseline="y0", **kw)
    assert np.array_equal(fam.draws["a"].to_numpy(), with_base.draws)
    plain = ke.randomization_inference(trial, outcome="c", **kw)
    assert np.array_equal(fam.draws["c"].to_numpy(), plain.draws)
    lone = ke.randomization_inference(trial, outcome=["a"], baseline="y0", **kw)
    assert np.array_equal(lone.draws["a"].to_numpy(), with_base.draws)


def test_family_errors(trial):
    kw = {"treatment": "t", "draws": 10}
    with pytest.raises(KaizenError, match="maps each outcome to its baseline"):
        ke.randomization_inference(trial, outcome=["a", "b"], baseline="y0", **kw)
    with pytest.raises(KaizenError, match="not in `outcomes`"):
        ke.randomization_inference(trial, outcome=["a"], baseline={"b": "y0"}, **kw)
    with pytest.raises(KaizenError, match="distinct columns"):
        ke.randomization_inference(trial, outcome=["a", "a"], **kw)
    with pytest.raises(KaizenError, match=r"a column name \(or names\) for one outcome"):
        ke.randomization_inference(trial, outcome="a", baseline={"a": "y0"}, **kw)
    with pytest.raises(KaizenError, match="'nope'"):
        ke.randomization_inference(trial, outcome=["a", "nope"], **kw)
    by_stratum = trial.assign(t=(trial["stratum"] == 0).astype(int))
    with pytest.raises(KaizenError, match="does not vary within any stratum of 'stratum'"):
        ke.randomization_inference(by_stratum, outcome=["a", "b"], strata="stratum", **kw)
    with pytest.raises(KaizenError, match="does not vary; there is nothing to test"):
        ke.randomization_inference(trial.assign(t=1), outcome=["a", "b"], **kw)
    fam = ke.randomization_inference(trial, outcome=["a", "b"], **kw)
    with pytest.raises(KeyError, match="no outcome 'z'"):
        fam["z"]


def test_outcome_whose_treatment_does_not_vary_is_refused_as_by_the_step_downs(trial):
    only_control = trial.assign(a=trial["a"].where(trial["t"] == 0))
    kw = {"treatment": "t", "draws": 10}
    match = "treatment 't' does not vary where outcome 'a' is observed"
    with pytest.raises(KaizenError, match=match):
        ke.randomization_inference(only_control, outcome=["a", "b"], **kw)
    with pytest.raises(KaizenError, match=match):
        ke.romano_wolf(only_control, outcomes=["a", "b"], **kw)


# --- the within-stratum draws ---------------------------------------------------------------
def test_binary_draws_keep_stratum_counts_and_are_uniform():
    strata = np.repeat([0, 1, 2, 3], [5, 6, 1, 8])
    t = np.array([1, 1, 0, 0, 0] + [0, 1, 0, 1, 1, 0] + [1] + [0] * 8, dtype=float)
    draws = np.vstack(list(_permute(t, strata, 40_000, np.random.default_rng(0), 1000)))
    for s in range(4):
        members = strata == s
        assert (draws[:, members].sum(axis=1) == t[members].sum()).all()
    # each of the C(6, 3) = 20 subsets of stratum 1 is equally likely
    members = np.flatnonzero(strata == 1)
    codes = draws[:, members] @ (2 ** np.arange(6))
    counts = np.unique(codes, return_counts=True)[1]
    assert len(counts) == 20
    assert stats.chisquare(counts).pvalue > 0.001
    # and the draws do not depend on the block size
    again = np.vstack(list(_permute(t, strata, 40_000, np.random.default_rng(0), 333)))
    assert np.array_equal(draws, again)


class _CoarseBits:
    """A bit generator stand-in whose 32-bit keys take four values: most draws tie."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def random_raw(self, size):
        v = self.rng.integers(0, 4, size=(*np.atleast_1d(size), 2), dtype=np.uint64)
        return (v[..., 0] << np.uint64(20)) | (v[..., 1] << np.uint64(52))


class _Coarse:
    def __init__(self, seed=1):
        self.bit_generator = _CoarseBits(seed)


def test_draws_stay_exactly_uniform_when_keys_tie_across_thresholds():
    # with four key values nearly every draw ties across a threshold and is redrawn from a
    # fresh stream; the draws kept (no tie) are uniform by exchangeability: together still
    # uniform over the 20 subsets, with exact counts
    strata = np.repeat([0, 1], [6, 7])
    t = np.r_[np.repeat([5.0, 2.0], [3, 3]), np.repeat([2.0, 5.0], [5, 2])]  # coded 2/5
    draws = np.vstack(list(_permute(t, strata, 20_000, _Coarse(), 1000)))
    assert set(np.unique(draws)) == {2.0, 5.0}
    for s, k in ((0, 3), (1, 2)):
        assert ((draws[:, strata == s] == 5.0).sum(axis=1) == k).all()
    codes = (draws[:, strata == 0] == 5.0) @ (2 ** np.arange(6))
    counts = np.unique(codes, return_counts=True)[1]
    assert len(counts) == 20 and stats.chisquare(counts).pvalue > 0.001
    again = np.vstack(list(_permute(t, strata, 20_000, _Coarse(), 7)))
    assert np.array_equal(draws, again)  # the redraws do not depend on the block either


def test_floating_point_keys_for_very_many_strata():
    strata = np.repeat(np.arange(3), 6)
    t = np.tile([1.0, 1.0, 0.0, 0.0, 0.0, 1.0], 3)
    sampler = _BinaryDraws(t, strata)
    assert sampler.integer
    sampler.integer = False  # the path taken with more than 2**16 strata
    mask = sampler.draw(np.random.default_rng(2), 30_000)
    assert (mask.reshape(-1, 3, 6).sum(axis=2) == 3).all()
    codes = mask[:, :6] @ (2 ** np.arange(6))
    counts = np.unique(codes, return_counts=True)[1]
    assert len(counts) == 20 and stats.chisquare(counts).pvalue > 0.001
