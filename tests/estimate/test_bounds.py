import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def test_equal_response_collapses_to_the_difference_in_means():
    rng = np.random.default_rng(0)
    z = np.repeat([0, 1], 50)
    y = rng.normal(size=100) + z
    y[[0, 1, 50, 51]] = np.nan
    b = ke.lee_bounds(pd.DataFrame({"z": z, "y": y}), outcome="y", treatment="z", draws=50)
    diff = np.nanmean(y[z == 1]) - np.nanmean(y[z == 0])
    assert b.trim_share == 0.0
    assert b.lower == pytest.approx(diff) and b.upper == pytest.approx(diff)


def test_trims_the_control_arm_with_fractional_weights():
    # control responds 4/4, treated 3/4: trim 1/4 of the 4 control outcomes (exactly one)
    df = pd.DataFrame({"z": [0, 0, 0, 0, 1, 1, 1, 1], "y": [1.0, 2, 3, 10, 5, 5, 5, None]})
    b = ke.lee_bounds(df, outcome="y", treatment="z", draws=20)
    assert (b.trimmed_arm, b.trim_share) == (0, 0.25)
    assert b.lower == pytest.approx(5 - (2 + 3 + 10) / 3)
    assert b.upper == pytest.approx(5 - (1 + 2 + 3) / 3)
    # 6 control outcomes, trim 1/4 -> 1.5 observations: the boundary one counts half
    df = pd.DataFrame({"z": [0] * 6 + [1] * 4, "y": [1.0, 2, 3, 4, 5, 6, 0, 0, 0, None]})
    b = ke.lee_bounds(df, outcome="y", treatment="z", draws=20)
    assert b.upper == pytest.approx(0 - (1 + 2 + 3 + 4 + 0.5 * 5) / 4.5)


def test_bounds_contain_the_effect_on_always_observed_firms():
    rng = np.random.default_rng(1)
    n = 6000
    z = rng.integers(0, 2, n)
    y0 = rng.normal(size=n)
    y = y0 + 1.0 * z
    # training keeps weak firms alive: survival rises from 70% to 85%, among low-y0 firms
    survive = (y0 > np.quantile(y0, 0.3)) | ((z == 1) & (y0 > np.quantile(y0, 0.15)))
    df = pd.DataFrame({"z": z, "y": np.where(survive, y, np.nan)})
    b = ke.lee_bounds(df, outcome="y", treatment="z", draws=200, seed=3)
    q0, q1 = survive[z == 0].mean(), survive[z == 1].mean()
    assert b.response == pytest.approx((q0, q1))
    assert b.trimmed_arm == 1 and b.trim_share == pytest.approx((q1 - q0) / q1)
    assert b.lower <= 1.0 <= b.upper
    assert b.ci_low < b.lower and b.ci_high > b.upper
    naive = np.nanmean(df["y"][z == 1]) - np.nanmean(df["y"][z == 0])
    assert naive < b.upper  # the naive comparison is pulled down by the weak survivors


def test_bad_input():
    df = pd.DataFrame({"z": [0, 0, 1, 1], "y": [1.0, np.nan, 2.0, 3.0]})
    with pytest.raises(KaizenError, match="0/1 assignment"):
        ke.lee_bounds(df.assign(z=[0, 1, 2, 1]), outcome="y", treatment="z")
    with pytest.raises(KaizenError, match="no observed 'y' in the arm z = 0"):
        ke.lee_bounds(df.assign(y=[np.nan, np.nan, 1.0, 2.0]), outcome="y", treatment="z")
