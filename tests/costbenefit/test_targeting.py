"""ke.targeting: top shares by predicted gain (sample-split inference) and subgroup BCRs."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression

import kaizen_eval as ke
from kaizen_eval import KaizenError


@pytest.fixture(scope="module")
def h():
    rng = np.random.default_rng(4)
    n = 1500
    df = pd.DataFrame({"x0": rng.normal(size=n), "x1": rng.normal(size=n)})
    df["d"] = rng.integers(0, 2, n)
    df["y"] = 500 * df["x1"] + df["d"] * (1000 + 800 * df["x0"]) + rng.normal(0, 600, n)
    return ke.heterogeneity(
        df,
        outcome="y",
        treatment="d",
        covariates=["x0", "x1"],
        learner=LinearRegression(),
        splits=6,
        groups=4,
        seed=3,
        propensity=0.5,
    )


def test_top_share_effects_bcr_and_probability(h):
    cost = ke.Cost(1500, per="invited")
    tg = ke.targeting(h, cost=cost, shares=[0.2, 0.5])
    t = tg.table
    assert list(t.index) == [0.2, 0.5, 1.0]  # everyone is always the comparison
    assert t.loc[0.2, "effect"] > t.loc[0.5, "effect"] > t.loc[1.0, "effect"]
    # the share-1 effect is the ATE of the BLP regression without its heterogeneity term
    assert t.loc[1.0, "effect"] == pytest.approx(h.blp.loc["ate", "estimate"], rel=0.05)
    # BCR is the effect over the cost (one year, no discounting)
    assert t["bcr"].to_numpy() == pytest.approx(t["effect"].to_numpy() / 1500, rel=1e-12)
    assert t["bcr_low"].to_numpy() == pytest.approx(t["ci_low"].to_numpy() / 1500, rel=1e-12)
    # P(BCR > 1): median over splits of the t probability that the gain exceeds 1,500
    per = h.top_effects([0.2], per_split=True)
    p = np.median(stats.t.sf((1500 - per["estimate"]) / per["std_error"], per["df"]))
    assert t.loc[0.2, "prob_bcr_above_1"] == pytest.approx(p, rel=1e-12)
    assert t.loc[0.2, "prob_bcr_above_1"] > 0.99 > t.loc[1.0, "prob_bcr_above_1"]
    # ... a median of per-split probabilities, said so (it is not an adjusted probability)
    assert "median over splits" in tg.notes[1] and "not an adjusted probability" in tg.notes[1]
    text = str(tg)
    assert "P(BCR > 1)" in text and "," in text and "e+" not in text


def test_top_effects_match_a_direct_two_group_regression(h):
    sp, arr = h._splits[0], h._arrays
    y, d = arr.y[sp.main], arr.d[sp.main]
    top = np.zeros(len(y), dtype=bool)
    top[np.argsort(-sp.s)[: int(np.ceil(0.2 * len(y)))]] = True
    e = d - 0.5
    x = np.column_stack([np.ones(len(y)), sp.b, e * top, e * ~top])
    b = np.linalg.lstsq(x, y, rcond=None)[0]
    per = h.top_effects([0.2], per_split=True)
    assert per.loc[0, "estimate"] == pytest.approx(b[2], rel=1e-10)


def test_subgroup_bcr_from_a_by_estimate():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"female": rng.integers(0, 2, 600), "invited": rng.integers(0, 2, 600)})
    df["y"] = 1000 * df["invited"] * (1 + df["female"]) + rng.normal(0, 500, 600)
    est = ke.itt(df, outcome="y", treatment="invited", by="female")
    tg = ke.targeting(est, cost=ke.Cost(1200, per="invited"), years=3, discount_rate=0.1)
    cb = ke.cost_benefit(
        gain=est,
        term="invited[female=1]",
        cost=ke.Cost(1200, per="invited"),
        years=3,
        discount_rate=0.1,
    )
    assert tg.table.loc["invited[female=1]", "bcr"] == pytest.approx(cb.bcr, rel=1e-12)
    assert tg.table.loc["invited[female=1]", "prob_bcr_above_1"] == cb.prob_bcr_above_1
    assert tg.kind == "subgroup"


def test_bad_input():
    with pytest.raises(KaizenError, match="targeting needs"):
        ke.targeting(3.0, cost=100)


def _scored(n=600, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "score": rng.normal(50, 10, n),
            "x": rng.normal(size=n),
            "female": rng.integers(0, 2, n),
            "invited": rng.integers(0, 2, n),
        }
    )
    df["y"] = 1000 * df["invited"] * (1 + (df["score"] - 50) / 10) + rng.normal(0, 500, n)
    return df


def test_a_continuous_moderator_gives_bcrs_for_effects_at_quantiles_not_for_the_slope():
    est = ke.itt(_scored(), outcome="y", treatment="invited", by="score")
    assert "invited:score" in est.terms  # the slope is a term of the estimate ...
    cost = ke.Cost(1200, per="invited")
    tg = ke.targeting(est, cost=cost)
    # ... but not an effect: no BCR for it, nor for the effect at the mean of the moderator
    assert list(tg.table.index) == [f"invited[score=p{q}]" for q in (25, 50, 75)]
    for term in tg.table.index:
        cb = ke.cost_benefit(gain=est, term=term, cost=cost)
        assert tg.table.loc[term, "bcr"] == pytest.approx(cb.bcr, rel=1e-12)
        assert tg.table.loc[term, "effect"] == est.term(term)["estimate"]
    assert tg.table["bcr"].is_monotonic_increasing  # the effect rises with the score
    notes = " ".join(tg.notes)
    assert "left out" in notes and "invited:score" in notes and "modelled effect" in notes


def test_several_moderators_and_lin_terms_keep_only_effects():
    df = _scored(seed=1)
    cost = ke.Cost(1200, per="invited")
    both = ke.itt(df, outcome="y", treatment="invited", by=["score", "female"])
    tg = ke.targeting(both, cost=cost)
    assert list(tg.table.index) == [
        "invited[score=p25]", "invited[score=p50]", "invited[score=p75]",
        "invited[female=0]", "invited[female=1]",
    ]  # fmt: skip
    assert "invited:female=1" in tg.notes[-1] and "invited:score" in tg.notes[-1]
    lin = ke.itt(
        df, outcome="y", treatment="invited", covariates=["x"], lin=True, lin_terms=True,
        by="female",
    )  # fmt: skip
    assert "invited[female=0]:x" in lin.terms
    tg = ke.targeting(lin, cost=cost)
    assert list(tg.table.index) == ["invited[female=0]", "invited[female=1]"]
    assert "modelled effect" not in " ".join(tg.notes)  # levels: no quantile note
    # without by=, Lin's interaction terms are left out too
    plain = ke.itt(df, outcome="y", treatment="invited", covariates=["x"], lin=True, lin_terms=True)
    assert list(ke.targeting(plain, cost=cost).table.index) == ["invited"]


def test_a_slope_alone_is_refused():
    est = ke.itt(_scored(), outcome="y", treatment="invited", by="score", by_quantiles=[])
    with pytest.raises(KaizenError, match="no effect to put a BCR on"):
        ke.targeting(est, cost=ke.Cost(1200, per="invited"))
