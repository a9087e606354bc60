import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sharpened_qvalues_are_the_smallest_bky_level_that_rejects(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.02, 6), rng.uniform(0, 1, 14)])
    q = ke.sharpened_qvalues(p)
    for i in range(len(p)):
        # statsmodels' two-stage Benjamini–Krieger–Yekutieli procedure at level q_i rejects i
        if q[i] < 1:
            assert multipletests(p, alpha=q[i], method="fdr_tsbky")[0][i]
            lower = round(q[i] - 0.001, 3)
            if lower > 0:
                assert not multipletests(p, alpha=lower, method="fdr_tsbky")[0][i]


def test_sharpened_qvalues_bad_input():
    with pytest.raises(KaizenError, match="in \\[0, 1\\]"):
        ke.sharpened_qvalues([0.1, np.nan])


@pytest.fixture
def family():
    rng = np.random.default_rng(4)
    n = 120
    t = rng.permutation(np.repeat([0, 1], n // 2))
    common = rng.normal(size=n)
    df = pd.DataFrame({"t": t, "s": np.arange(n) % 3})
    for j, effect in enumerate([1.5, 0.0, 0.0, 0.3]):
        df[f"y{j}"] = effect * t + common + rng.normal(size=n)
    df.loc[:4, "y3"] = np.nan
    return df


def test_romano_wolf_against_a_direct_step_down(family):
    outcomes = ["y0", "y1", "y2", "y3"]
    rw = ke.romano_wolf(family, outcomes=outcomes, treatment="t", strata="s", draws=400, seed=3)
    # the single p-values are those of randomization_inference with the same draws (for the
    # complete outcomes; y3's draws permute over all rows and keep the ones where y3 is seen)
    for c in outcomes[:3]:
        ri = ke.randomization_inference(
            family, outcome=c, treatment="t", strata="s", draws=400, seed=3, statistic="t"
        )
        assert rw.loc[c, "pvalue"] == pytest.approx(ri.pvalue)
        assert rw.loc[c, "statistic"] == pytest.approx(ri.observed)
        assert rw.loc[c, "nobs"] == ri.nobs
    # direct step-down from the same null draws, on the complete outcomes
    outcomes = outcomes[:3]
    complete = family.drop(columns="y3")
    null = np.abs(
        np.column_stack(
            [
                ke.randomization_inference(
                    complete, outcome=c, treatment="t", strata="s", draws=400, seed=3, statistic="t"
                ).draws
                for c in outcomes
            ]
        )
    )
    rw = ke.romano_wolf(complete, outcomes=outcomes, treatment="t", strata="s", draws=400, seed=3)
    obs = np.abs(rw["statistic"].to_numpy())
    order = np.argsort(-obs)
    expected, running = {}, 0.0
    for r, j in enumerate(order):
        hits = np.sum(null[:, order[r:]].max(axis=1) >= obs[j] * (1 - 1e-9))
        running = max(running, (1 + hits) / 401)
        expected[outcomes[j]] = running
    for c in outcomes:
        assert rw.loc[c, "pvalue_romano_wolf"] == pytest.approx(expected[c])
    assert (rw["pvalue_romano_wolf"] >= rw["pvalue"] - 1e-12).all()
    assert rw.loc["y0", "pvalue_romano_wolf"] < 0.01  # a strong effect survives the adjustment
