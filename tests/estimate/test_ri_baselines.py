"""Randomization inference with several baseline controls, as ``itt(baseline=[...])``."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(4)
    n = 240
    d = pd.DataFrame({"t": rng.permutation(np.repeat([0, 1], n // 2)),
                      "y0": rng.normal(size=n), "e0": rng.normal(size=n)})  # fmt: skip
    d["y"] = 0.3 * d["t"] + 0.6 * d["y0"] + 0.4 * d["e0"] + rng.normal(size=n)
    d["z"] = 0.1 * d["t"] + 0.5 * d["y0"] + rng.normal(size=n)
    d.loc[rng.choice(n, 20, replace=False), "e0"] = np.nan  # a baseline missing for some
    return d


def test_observed_statistic_is_the_itt_t_with_both_baselines(df):
    ri = ke.randomization_inference(
        df, outcome="y", treatment="t", baseline=["y0", "e0"], statistic="t", draws=99
    )
    itt = ke.itt(df, outcome="y", treatment="t", baseline=["y0", "e0"])
    assert float(ri.observed) == pytest.approx(itt.statistic, rel=1e-10)
    one = ke.randomization_inference(
        df, outcome="y", treatment="t", baseline="y0", statistic="t", draws=99
    )
    assert not np.isclose(float(one.observed), float(ri.observed))


def test_a_family_with_a_list_of_baselines_per_outcome(df):
    fam = ke.randomization_inference(
        df, outcome=["y", "z"], treatment="t", baseline={"y": ["y0", "e0"], "z": "y0"},
        statistic="t", draws=99,
    )  # fmt: skip
    assert fam.observed["y"] == pytest.approx(
        ke.itt(df, outcome="y", treatment="t", baseline=["y0", "e0"]).statistic, rel=1e-10
    )
    assert fam.observed["z"] == pytest.approx(
        ke.itt(df, outcome="z", treatment="t", baseline="y0").statistic, rel=1e-10
    )
    rw = ke.romano_wolf(df, outcomes=["y", "z"], treatment="t",
                        baseline={"y": ["y0", "e0"], "z": "y0"}, draws=99)  # fmt: skip
    assert rw.loc["y", "statistic"] == pytest.approx(fam.observed["y"], rel=1e-10)
