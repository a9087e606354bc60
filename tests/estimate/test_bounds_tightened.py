"""Tightened Lee bounds (Lee 2009 §4), against a direct implementation of the paper's formulas.

The reference below is written from the paper, not from the module: in each cell ``x`` the arm
that responds more is trimmed by ``p_x = (q_hi − q_lo)/q_hi`` (fractional weight on the
boundary observation), the cell bounds are the trimmed-mean differences, and they are averaged
with ``π_x ∝ P(X = x) · min(q_0x, q_1x)``, the cells' shares of the always-observed units.
"""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def _trimmed(values, keep, top):
    v = np.sort(values)[::-1] if top else np.sort(values)
    k = keep * len(v)
    w = np.clip(k - np.arange(len(v)), 0.0, 1.0)
    return float(w @ v / w.sum())


def _lee_cell(y1, y0, q1, q0):
    if q1 >= q0:
        p = (q1 - q0) / q1
        return _trimmed(y1, 1 - p, False) - y0.mean(), _trimmed(y1, 1 - p, True) - y0.mean(), 1, p
    p = (q0 - q1) / q0
    return y1.mean() - _trimmed(y0, 1 - p, True), y1.mean() - _trimmed(y0, 1 - p, False), 0, p


def _reference(df, cells):
    rows = []
    for key, g in df.groupby(cells):
        seen = g["y"].notna()
        q1, q0 = seen[g["z"] == 1].mean(), seen[g["z"] == 0].mean()
        y1 = g.loc[seen & (g["z"] == 1), "y"].to_numpy()
        y0 = g.loc[seen & (g["z"] == 0), "y"].to_numpy()
        lo, hi, arm, p = _lee_cell(y1, y0, q1, q0)
        rows.append((key, lo, hi, arm, p, len(g) / len(df) * min(q0, q1)))
    w = np.array([r[5] for r in rows])
    w /= w.sum()
    return (
        float(w @ [r[1] for r in rows]),
        float(w @ [r[2] for r in rows]),
        [r[3] for r in rows],
        w,
    )


@pytest.fixture(scope="module")
def trial():
    """Three strata: training raises response in two, lowers it in the third."""
    rng = np.random.default_rng(19)
    n = 900
    stratum = np.repeat([0, 1, 2], n // 3)
    z = np.concatenate([rng.permutation(np.repeat([0, 1], n // 6)) for _ in range(3)])
    y0 = rng.normal(size=n) + stratum
    rate = np.choose(stratum, [0.6 + 0.25 * z, 0.7 + 0.1 * z, 0.9 - 0.2 * z])
    seen = rng.uniform(size=n) < rate
    return pd.DataFrame(
        {
            "z": z,
            "stratum": stratum,
            "size": (y0 > 1).astype(int),
            "y": np.where(seen, y0 + 0.5 * z, np.nan),
        }
    )


def test_tightened_bounds_equal_the_papers_formulas(trial):
    b = ke.lee_bounds(trial, outcome="y", treatment="z", tighten="stratum", draws=100, seed=1)
    lo, hi, arms, w = _reference(trial, "stratum")
    assert b.lower == pytest.approx(lo, abs=1e-12) and b.upper == pytest.approx(hi, abs=1e-12)
    assert list(b.cells["trimmed_arm"]) == arms == [1, 1, 0]  # the direction, cell by cell
    np.testing.assert_allclose(b.cells["weight"], w, rtol=0, atol=1e-12)
    assert b.trimmed_arm == -1 and b.tighten == ("stratum",)
    assert b.ci_low < b.lower <= b.upper < b.ci_high
    assert b.cells["nobs"].sum() == b.nobs == len(trial)
    # two covariates: their full interaction
    b2 = ke.lee_bounds(trial, outcome="y", treatment="z", tighten=["stratum", "size"], draws=50)
    lo2, hi2, _, _ = _reference(trial, ["stratum", "size"])
    assert b2.lower == pytest.approx(lo2, abs=1e-12) and b2.upper == pytest.approx(hi2, abs=1e-12)
    assert b2.cells.index.names == ["stratum", "size"] and len(b2.cells) == 6


def test_tightening_narrows_the_bounds_when_the_cells_predict_the_outcome(trial):
    basic = ke.lee_bounds(trial, outcome="y", treatment="z", draws=50)
    tight = ke.lee_bounds(
        trial.query("stratum < 2"), outcome="y", treatment="z", tighten="stratum", draws=50
    )
    loose = ke.lee_bounds(trial.query("stratum < 2"), outcome="y", treatment="z", draws=50)
    assert tight.upper - tight.lower < loose.upper - loose.lower
    assert basic.cells is None and basic.tighten == ()


def test_one_cell_equals_the_basic_bounds_to_the_last_digit(trial):
    basic = ke.lee_bounds(trial, outcome="y", treatment="z", draws=80, seed=4)
    one = ke.lee_bounds(
        trial.assign(all=1), outcome="y", treatment="z", tighten="all", draws=80, seed=4
    )
    for name in ("lower", "upper", "se_lower", "se_upper", "ci_low", "ci_high", "trim_share"):
        assert getattr(one, name) == pytest.approx(getattr(basic, name), abs=1e-12), name
    assert one.trimmed_arm == basic.trimmed_arm and one.response == basic.response


def test_a_cell_without_respondents_in_one_arm_is_a_named_error(trial):
    bad = trial.copy()
    bad.loc[(bad["stratum"] == 2) & (bad["z"] == 0), "y"] = np.nan
    with pytest.raises(KaizenError, match="cell stratum = 2 has no observed 'y' in the arm z = 0"):
        ke.lee_bounds(bad, outcome="y", treatment="z", tighten="stratum", draws=20)
    with pytest.raises(KaizenError, match="no observed 'y' in the arm z = 1"):
        ke.lee_bounds(
            trial.assign(y=np.where(trial["z"] == 1, np.nan, trial["y"])),
            outcome="y",
            treatment="z",
            tighten="stratum",
            draws=20,
        )
