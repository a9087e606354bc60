"""The vectorised conditional-variance step of matching equals the unit-by-unit loop (issue 15).

``_sigma2_loop`` is the implementation ``_sigma2`` replaced, kept here as the reference: for each
unit, the squared distances to the other units of its arm, every unit within ``_TIE`` (``Match``'s
``distance.tolerance``) of the ``j``-th distance (ties kept), and the sample variance of the
unit's and their outcomes.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate import matching_core, matching_variance
from kaizen_eval.estimate.matching_core import _TIE, _nearest, _scaled, _sigma2, nn_match


def _sigma2_loop(y: np.ndarray, d: np.ndarray, u: np.ndarray, j: int) -> np.ndarray:
    """The unit-by-unit ``_sigma2`` of kaizen_eval before issue 15 (the reference)."""
    out = np.empty(len(y))
    for i in range(len(y)):
        own = np.flatnonzero(d == d[i])
        own = own[own != i]
        dist = np.sum((u[own] - u[i]) ** 2, axis=1)
        vals = np.concatenate([[y[i]], y[own[_nearest(dist, j, _TIE)]]])
        out[i] = np.var(vals, ddof=1)
    return out


def _data(seed: int, n: int, k: int, tied: bool, metric: str = "inverse_variance"):
    rng = np.random.default_rng(seed)
    d = (rng.random(n) < 0.4).astype(float)
    if tied:  # discrete covariates: many units at equal distances, and duplicates
        x = rng.integers(0, 3, size=(n, k)).astype(float)
    else:
        x = rng.normal(size=(n, k))
    y = x @ rng.normal(size=k) + rng.normal(size=n) + 5.0 * d
    return y, d, _scaled(x, metric)[0]


@pytest.mark.parametrize("dense", [None, True, False])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("j", [1, 2, 4])
def test_sigma2_matches_loop(seed: int, tied: bool, j: int, dense: bool | None) -> None:
    y, d, u = _data(
        seed, 150, (1, 2, 3, 8)[seed], tied, "mahalanobis" if seed % 2 else "inverse_variance"
    )
    np.testing.assert_allclose(
        _sigma2(y, d, u, j, dense=dense), _sigma2_loop(y, d, u, j), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("block", [1, 7, 100, 1 << 21])
def test_sigma2_blocks_do_not_change_numbers(block: int) -> None:
    """Blocks of one row (or pair), a few rows or the whole arm give the same values."""
    for tied in (False, True):
        y, d, u = _data(11, 90, 2, tied)
        want = _sigma2_loop(y, d, u, 2)
        for dense in (True, False):
            got = _sigma2(y, d, u, 2, block=block, dense=dense)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_sigma2_tied_neighbour_sets_are_kept() -> None:
    """One covariate with three values: every unit at the j-th distance (within _TIE) counts."""
    u = np.array([[0.0], [0.0], [0.0], [1.0], [1.0], [2.0], [0.0], [1.0], [1.0 + _TIE / 4]])
    d = np.array([1.0, 1, 1, 1, 1, 1, 0, 0, 0])
    y = np.array([1.0, 3, 8, 2, 6, 4, 0, 5, 9])
    for j in (1, 2, 3, 4):
        for dense in (True, False):
            np.testing.assert_allclose(
                _sigma2(y, d, u, j, dense=dense), _sigma2_loop(y, d, u, j), rtol=1e-12, atol=1e-12
            )
    # unit 3 (u = 1), j = 2: unit 4 at distance 0, then units 0, 1, 2 and 5 all at distance 1
    assert _sigma2(y, d, u, 2)[3] == pytest.approx(np.var([2.0, 6, 1, 3, 8, 4], ddof=1), rel=1e-12)


def test_sigma2_near_ties_use_matchs_distance_tolerance() -> None:
    """A neighbour 2e-6 beyond the j-th squared distance is tied (Match: distance.tolerance 1e-5).

    ``Matching``'s ``VarCalcMatchC`` keeps every same-arm unit within ``distance.tolerance`` of
    the ``Var.calc``-th distance, not within ``tolerance`` (``sqrt(eps)``); on a propensity score
    such near-ties are common (the 0.12 % SE gap on ``lalonde``).
    """
    u = np.array([[0.0], [1.0], [-1.0 - 1e-6], [5.0], [0.0], [3.0]])
    d = np.array([1.0, 1, 1, 1, 0, 0])
    y = np.array([1.0, 4, 9, 0, 2, 5])
    for dense in (True, False):
        got = _sigma2(y, d, u, 1, dense=dense)
        assert got[0] == pytest.approx(np.var([1.0, 4, 9], ddof=1), rel=1e-12)
        np.testing.assert_allclose(got, _sigma2_loop(y, d, u, 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("j", [1, 2, 4])
def test_sigma2_small_arms(j: int) -> None:
    """Arms of j + 1 units (every other unit is a neighbour) and of fewer than j + 1 units."""
    rng = np.random.default_rng(j)
    for size in (j + 1, 2, 3):
        d = np.r_[np.ones(size), np.zeros(12)]
        u = rng.normal(size=(len(d), 2))
        y = rng.normal(size=len(d))
        for dense in (True, False):
            np.testing.assert_allclose(
                _sigma2(y, d, u, j, dense=dense), _sigma2_loop(y, d, u, j), rtol=1e-12, atol=1e-12
            )


def test_sigma2_arm_of_one_unit_is_a_named_error() -> None:
    """An arm of one unit has no same-arm neighbour (the old loop crashed with IndexError)."""
    y, u = np.arange(4.0), np.arange(4.0)[:, None]
    d = np.array([1.0, 0, 0, 0])
    with pytest.raises(IndexError):
        _sigma2_loop(y, d, u, 1)
    for dense in (None, True, False):
        with pytest.raises(KaizenError, match="arm 1 has a single unit"):
            _sigma2(y, d, u, 1, dense=dense)


def test_match_att_with_one_treated_firm_names_the_arm() -> None:
    import pandas as pd

    import kaizen_eval as ke

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": [1] + [0] * 20, "x": rng.normal(size=21), "y": rng.normal(size=21)})
    with pytest.raises(KaizenError, match="the treated arm has 1 unit"):
        ke.match_att(df, outcome="y", treatment="t", covariates=["x"])


@pytest.mark.parametrize("estimand", ["ATT", "ATE", "ATC"])
def test_nn_match_sigma2_unchanged(estimand: str) -> None:
    y, d, _ = _data(5, 120, 2, True)
    x = np.random.default_rng(5).integers(0, 4, size=(120, 2)).astype(float)
    fit = nn_match(y, d, x, estimand=estimand, variance_matches=2)
    t = 1 - d if estimand == "ATC" else d
    np.testing.assert_allclose(
        fit.sigma2, _sigma2_loop(y, t, _scaled(x, "inverse_variance")[0], 2), rtol=1e-12
    )


def test_sigma2_memory_is_bounded() -> None:
    """A 4,000-unit arm never holds its 4,000 × 4,000 distances (128 MB) at once."""
    rng = np.random.default_rng(0)
    n = 4_000
    y, d, u = rng.normal(size=n), np.zeros(n), rng.normal(size=(n, 2))
    tracemalloc.start()
    try:
        _sigma2(y, d, u, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 * 2**20


def test_sigma2_chooses_each_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Continuous covariates go through the k-d tree, a few discrete values the full distances."""
    used: list[str] = []
    for name in ("_sigma2_dense", "_sigma2_tree"):
        real = getattr(matching_variance, name)
        monkeypatch.setattr(
            matching_variance,
            name,
            lambda *a, _real=real, _n=name: (used.append(_n), _real(*a))[1],
        )
    for tied, path in ((False, "_sigma2_tree"), (True, "_sigma2_dense")):
        used.clear()
        y, d, u = _data(3, 300, 1, tied)
        np.testing.assert_allclose(
            _sigma2(y, d, u, 1), _sigma2_loop(y, d, u, 1), rtol=1e-12, atol=1e-12
        )
        assert used == [path, path]


@pytest.mark.parametrize("k", range(1, 11))
def test_sq_dist_is_the_loops_sum_bit_for_bit(k: int) -> None:
    """The column accumulation gives exactly ``np.sum(..., axis=1)`` (the loop's distances)."""
    rng = np.random.default_rng(k)
    scale = rng.choice([1e-8, 1.0, 1e8], size=(500, k))
    a, b = rng.normal(size=(500, k)) * scale, rng.normal(size=k) * scale[0]
    np.testing.assert_array_equal(
        matching_core._sq_dist(a, b), np.sum((a - b) ** 2, axis=1), strict=True
    )


def _sigma2_caliper_loop(y, d, u, x, ecal, j, exact=None):
    """Unit by unit: the same-arm units within ``ecal`` on every covariate, 0 with < ``j``."""
    out = np.zeros(len(y))
    for i in range(len(y)):
        own = np.flatnonzero((d == d[i]) & (np.arange(len(y)) != i))
        own = own[np.all(np.abs(x[own] - x[i]) <= ecal, axis=1)]
        if exact is not None:
            own = own[exact[own] == exact[i]]
        if len(own) < j:
            continue
        nb = own[_nearest(np.sum((u[own] - u[i]) ** 2, axis=1), j, _TIE)]
        out[i] = np.var(np.r_[y[i], y[nb]], ddof=1)
    return out


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("j", [1, 3])
@pytest.mark.parametrize("block", [1, 7, 1 << 20])
def test_sigma2_caliper_matches_loop(tied: bool, j: int, block: int) -> None:
    y, d, x = _data(11, 150, 2, tied)
    u = _scaled(x, "inverse_variance")[0]
    ecal = 0.3 * x.std(axis=0)
    codes = np.random.default_rng(3).integers(0, 2, size=150)
    for exact in (None, codes):
        want = _sigma2_caliper_loop(y, d, u, x, ecal, j, exact)
        got = matching_core._sigma2_caliper(y, d, u, x, ecal, j, exact, block=block)
        assert (want > 0).any() and (tied or (want == 0).any())
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
