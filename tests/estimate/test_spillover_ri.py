"""Randomization inference through the two-stage saturation Assignment."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def design(n_clusters=24, size=10, seed=1):
    f = pd.DataFrame(
        {
            "firm_id": [f"F{i:04d}" for i in range(n_clusters * size)],
            "cluster_id": np.repeat(np.arange(n_clusters), size),
        }
    )
    asg = ke.assign(f, cluster="cluster_id", saturation=[0, 0.3, 0.6], seed=seed)
    return f.merge(asg.frame, on="firm_id"), asg


def test_null_statistics_are_the_pooled_coefficients_of_each_redraw():
    d, asg = design()
    d["y"] = np.random.default_rng(0).normal(size=len(d))
    ri = ke.spillover_ri(d, asg, outcome="y", draws=30, seed=5)
    many = asg.redraw_many(30, seed=5)
    pos = pd.Series(range(len(d)), index=asg.frame["firm_id"]).loc[d["firm_id"]].to_numpy()
    for r in range(0, 30, 6):
        redrawn = d.assign(invited=many["invited"][r, pos], saturation=many["saturation"][r, pos])
        sp = ke.spillover(redrawn, outcome="y")
        assert ri.null.loc[r, "direct"] == pytest.approx(sp.term("direct")["estimate"], rel=1e-10)
        assert ri.null.loc[r, "spillover"] == pytest.approx(
            sp.term("spillover")["estimate"], rel=1e-10
        )
    obs = ke.spillover(d, outcome="y")
    assert ri.observed["direct"] == pytest.approx(obs.term("direct")["estimate"], rel=1e-10)


def _simulate(reps, seed):
    """Rejection rates at 5 % of the direct and spillover RI tests over ``reps`` null trials.

    Each trial has its own draw of the design (seeds ``seed + 97 + rep``), a cluster effect of
    sd 0.5 and 99 re-draws; the outcomes come from one stream seeded ``seed``.
    """
    d, _ = design()
    f = d[["firm_id", "cluster_id"]]
    rng = np.random.default_rng(seed)
    cl = d["cluster_id"].to_numpy()
    rejects = np.zeros(2)
    for rep in range(reps):
        asg = ke.assign(f, cluster="cluster_id", saturation=[0, 0.3, 0.6], seed=seed + 97 + rep)
        y = rng.normal(size=24)[cl] * 0.5 + rng.normal(size=len(d))
        trial = f.merge(asg.frame, on="firm_id").assign(y=y)
        ri = ke.spillover_ri(trial, asg, outcome="y", draws=99, seed=rng)
        rejects += ri.pvalues.to_numpy() <= 0.05
    return rejects / reps, rng


def _power(rng, draws):
    d, asg = design()
    y = d["invited"] * 1.5 + rng.normal(size=len(d)) * 0.3
    ri = ke.spillover_ri(d.assign(y=y), asg, outcome="y", draws=draws)
    assert ri.pvalues["direct"] < 0.01
    assert "re-draws of the saturation design" in str(ri)


def test_size_under_the_sharp_null_and_power_against_an_effect_fast():
    # 40 null trials: each of the two rejection rates at most 8 of 40, the binomial 0.9995
    # quantile of an exact 5 % test (so both pass w.p. ≥ 0.999; the normal 5 % + 3.5 SE is
    # 0.171). Caught: a test that ignores the clusters (firm-level permutations, or HC
    # p-values): icc 0.2 with 10 firms per cluster is a design effect of 1 + 9 × 0.2 = 2.8, an
    # SE too small by 1.67, which rejects ~24 % at 5 % (above 8 of 40 w.p. ~0.6);
    # the power check (direct p < 0.01 against an effect of 5 SDs) catches a test with no power.
    reps = 40
    rate, rng = _simulate(reps, seed=1_003)
    assert np.all(rate <= stats.binom(reps, 0.05).ppf(0.9995) / reps), rate
    _power(rng, draws=200)


@pytest.mark.slow
def test_size_under_the_sharp_null_and_power_against_an_effect():
    # 300 trials with no effect, each with its own draw of the design and 99 re-draws: the
    # test is exact, so rejection at 5 % is 5 % (MC SE 1.3 points; tolerance 2.5 points)
    rate, rng = _simulate(300, seed=3)
    assert np.all(np.abs(rate - 0.05) <= 0.025), rate
    _power(rng, draws=500)


def test_bad_input():
    d, asg = design()
    d["y"] = 1.0
    plain = ke.assign(d[["firm_id"]], seed=0)
    with pytest.raises(KaizenError, match="not a saturation design"):
        ke.spillover_ri(d, plain, outcome="y")
    with pytest.raises(KaizenError, match="differs from the assignment"):
        ke.spillover_ri(d.assign(invited=1 - d["invited"]), asg, outcome="y")
    with pytest.raises(KaizenError, match=r"must be a kaizen_eval\.Assignment"):
        ke.spillover_ri(d, object(), outcome="y")
