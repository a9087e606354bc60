"""The synthetic saturation trial: its truths, bad input, and the coverage of ke.spillover."""

import time

import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

LEVELS = [0, 0.25, 0.5, 0.75]


def trial(n_clusters=60, seed=0, **kw):
    f = ke.synthetic.saturation_firms(n_clusters, seed=seed)
    asg = ke.assign(f, cluster="cluster_id", saturation=LEVELS, strata="stratum", seed=seed + 1)
    d, truth = ke.synthetic.saturation_outcomes(f, asg.frame, seed=seed + 2, **kw)
    return f, asg, d, truth


def test_truths_follow_the_model():
    _, _, d, truth = trial(direct=0.3, knowledge=0.4, stealing=-0.2)
    assert truth.terms["direct:0.5"] == 0.3
    assert truth.terms["spillover:0.5"] == pytest.approx(0.1)
    assert truth.terms["total:0.75"] == pytest.approx(0.75 * 0.3 + 0.25 * 0.2 * 0.75)
    s = d.loc[(d.invited == 0) & (d.saturation > 0), "saturation"]
    assert truth.terms["spillover"] == pytest.approx(0.2 * s.mean())
    # business stealing alone is a negative spillover
    _, _, _, steal = trial(knowledge=0.0, stealing=-0.3)
    assert steal.terms["spillover:0.75"] == pytest.approx(-0.225)


def test_a_large_trial_recovers_every_truth():
    # 160 clusters: every truth inside its 95 % interval (with independent seeds this fails
    # for about one term in twenty, so the seed is fixed and the check is of the machinery)
    _, _, d, truth = trial(n_clusters=160, seed=3)
    tidy = ke.spillover(d, outcome="y").tidy()
    for term, value in truth.terms.items():
        assert tidy.loc[term, "ci_low"] <= value <= tidy.loc[term, "ci_high"], term


def test_bad_input():
    f = ke.synthetic.saturation_firms(4, seed=0)
    a = f[["firm_id"]].assign(invited=0, saturation=0.0)
    with pytest.raises(KaizenError, match="stealing"):
        ke.synthetic.saturation_outcomes(f, a, stealing=0.2)
    with pytest.raises(KaizenError, match="every firm"):
        ke.synthetic.saturation_outcomes(f, a.iloc[1:])
    with pytest.raises(KaizenError, match="sizes"):
        ke.synthetic.saturation_firms(4, sizes=(5, 2))


def _simulate(reps, seed, se="CR2"):
    """Coverage of the direct and spillover intervals over ``reps`` re-drawn 32-cluster trials.

    Both stages re-drawn from the Assignment (seed ``seed + 2``), outcomes re-drawn (seeds
    ``1_000 + r``, shifted by ``seed - 11``); the firms and the Assignment are those of seed 11.
    """
    f = ke.synthetic.saturation_firms(32, sizes=(6, 10), seed=11)
    asg = ke.assign(f, cluster="cluster_id", saturation=LEVELS, seed=12)
    draws = asg.redraw_many(reps, seed=seed + 2)
    ids = asg.frame["firm_id"]
    hits = {"direct": 0, "spillover": 0}
    start = time.process_time()
    for r in range(reps):
        a = pd.DataFrame(
            {"firm_id": ids, "invited": draws["invited"][r], "saturation": draws["saturation"][r]}
        )
        d, truth = ke.synthetic.saturation_outcomes(f, a, icc=0.15, seed=1_000 + seed - 11 + r)
        tidy = ke.spillover(d, outcome="y", se=se).tidy()
        for term in hits:
            hits[term] += tidy.loc[term, "ci_low"] <= truth.terms[term] <= tidy.loc[term, "ci_high"]
    coverage = {k: v / reps for k, v in hits.items()}
    print(f"coverage over {reps} replications: {coverage}; {time.process_time() - start:.0f} s CPU")
    return coverage


def test_coverage_of_direct_and_spillover_fast():
    # 60 replications: each term covered at least 50 times, the binomial 0.05 % quantile at
    # 95 % (normal 95 % - 3.5 SE = 0.85), so a right interval fails either term w.p. ≤ 0.001.
    # Not caught: CR0 (32 clusters: it covered 0.975 and 0.95 in 80 of these replications);
    # ke.spillover offers no SE that ignores the clusters. Caught: an interval with an SE half
    # the right one (coverage 0.67: passes w.p. 0.004); one a third too small (coverage 0.81)
    # still passes w.p. 0.4.
    reps = 60
    floor = stats.binom(reps, 0.95).ppf(0.0005) / reps
    for term, c in _simulate(reps, seed=5_011).items():
        assert c >= floor, (term, c)


@pytest.mark.slow
def test_coverage_of_direct_and_spillover():
    # 1,000 replications of a 32-cluster trial (8 clusters per saturation, 6-10 firms each):
    # both stages re-drawn from the Assignment, outcomes re-drawn; CR2 intervals cover 93-97 %.
    # MC SE of a coverage of 0.95 with 1,000 replications: 0.7 percentage points.
    for term, c in _simulate(1_000, seed=11).items():
        assert 0.93 <= c <= 0.97, (term, c)
