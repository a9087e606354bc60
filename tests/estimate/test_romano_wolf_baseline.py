import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(11)
    n = 240
    s = np.repeat(np.arange(6), n // 6)
    t = np.concatenate([rng.permutation(np.repeat([0, 1], n // 12)) for _ in range(6)])
    a0, b0 = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame(
        {
            "s": s,
            "t": t,
            "a0": a0,
            "b0": b0,
            "a": 0.3 * t + 0.8 * a0 + rng.normal(size=n),
            "b": 0.8 * b0 + rng.normal(size=n),
        }
    )
    df.loc[[3, 50, 90], "a0"] = np.nan  # McKenzie's dummy must keep these firms
    return df


def test_each_outcome_uses_its_own_baseline_as_itt_does(frame):
    rw = ke.romano_wolf(
        frame,
        outcomes=["a", "b"],
        treatment="t",
        strata="s",
        fixed_effects="s",
        baseline={"a": "a0", "b": "b0"},
        draws=299,
        seed=1,
    )
    for y, b in [("a", "a0"), ("b", "b0")]:
        itt = ke.itt(frame, outcome=y, treatment="t", fixed_effects="s", baseline=b, se="HC1")
        assert rw.loc[y, "statistic"] == pytest.approx(itt.statistic, rel=1e-10)
        assert rw.loc[y, "nobs"] == itt.nobs == len(frame)
    plain = ke.romano_wolf(
        frame, outcomes=["a", "b"], treatment="t", strata="s", fixed_effects="s", draws=299, seed=1
    )
    assert abs(plain.loc["a", "statistic"]) < abs(rw.loc["a", "statistic"])  # ANCOVA is sharper
    assert (rw["pvalue_romano_wolf"] >= rw["pvalue"] - 1e-12).all()


def test_baseline_for_an_outcome_outside_the_family(frame):
    with pytest.raises(ke.KaizenError, match=r"`baseline` names outcomes \['c'\]"):
        ke.romano_wolf(frame, outcomes=["a"], treatment="t", baseline={"c": "a0"})
