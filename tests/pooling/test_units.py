"""Sites whose estimates are in different units are not pooled unless told (issue 15)."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


@pytest.fixture(scope="module")
def stacked():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"site": np.repeat(["a", "b", "c"], 80), "invited": np.tile([0, 1], 120)})
    df["y"] = 2.0 * df["invited"] + rng.normal(size=len(df))
    return df


def test_site_estimates_record_the_unit_and_pooling_keeps_it(stacked):
    est = ke.site_estimates(stacked, outcome="y", treatment="invited", unit="USD")
    assert {e.unit for e in est.values()} == {"USD"}
    assert "in USD" in est["a"].summary().splitlines()[0]
    plain = ke.site_estimates(stacked, outcome="y", treatment="invited")
    assert plain["a"].unit is None and "in " not in plain["a"].summary().splitlines()[0]
    # the unit changes nothing else
    assert est["a"].tidy().equals(plain["a"].tidy())
    assert ke.pool_sites(est, method="REML").mu == ke.pool_sites(plain, method="REML").mu


def test_different_units_are_refused_unless_allowed(stacked):
    units = {"a": "USD", "b": "USD", "c": "GHS"}
    est = ke.site_estimates(stacked, outcome="y", treatment="invited", unit=units)
    with pytest.raises(KaizenError, match=r"different units \(USD: a, b; GHS: c\)"):
        ke.pool_sites(est)
    mixed = ke.pool_sites(est, allow_mixed=True)
    assert np.isfinite(mixed.mu)
    # a site that does not say its unit is not compared
    est2 = dict(est)
    est2["c"] = est["c"].with_unit(None)
    assert np.isfinite(ke.pool_sites(est2).mu)
    # the same check on a DataFrame with a unit column
    t = pd.DataFrame(
        {"estimate": [1.0, 2.0, 1.5], "std_error": [0.5, 0.6, 0.4], "unit": ["USD", "SD", None]},
        index=["a", "b", "c"],
    )
    with pytest.raises(KaizenError, match="different units"):
        ke.pool_sites(t)
    assert np.isfinite(ke.pool_sites(t.drop(columns="unit")).mu)


def test_bad_unit_input(stacked):
    with pytest.raises(KaizenError, match="no unit for site"):
        ke.site_estimates(stacked, outcome="y", treatment="invited", unit={"a": "USD"})
    with pytest.raises(TypeError, match="`unit` must be a string"):
        ke.site_estimates(stacked, outcome="y", treatment="invited", unit=3)
    est = ke.site_estimates(stacked, outcome="y", treatment="invited")
    with pytest.raises(KaizenError, match="non-empty string"):
        est["a"].with_unit("  ")
