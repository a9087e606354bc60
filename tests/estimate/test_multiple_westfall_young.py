"""Westfall–Young free step-down and families across arms × outcomes × subgroups.

The references are naive loops written here: OLS with HC1 t by ``numpy.linalg.lstsq`` draw
by draw, the minP step-down of Westfall and Young (1993, Algorithm 2.8) hypothesis by
hypothesis, on the same re-drawn assignments (the draw machinery of randomization inference,
``ri_draws.permute``, called with the same seed).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

import kaizen_eval as ke
from kaizen_eval._core.absorb import factorize
from kaizen_eval._core.engine import block_rows
from kaizen_eval._validation import KaizenError, KaizenWarning
from kaizen_eval.estimate.ri_draws import permute


def _hc1_t(y, d, w):
    x = (
        np.column_stack([np.ones(len(y)), d, w])
        if w is not None
        else np.column_stack([np.ones(len(y)), d])
    )
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    e = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    n, k = x.shape
    v = bread @ (x.T * e**2) @ x @ bread * n / (n - k)
    return beta[1] / np.sqrt(v[1, 1])


def _naive_wy(obs, null):
    """Westfall–Young minP free step-down by loops; the observed assignment is a draw."""
    b, h = null.shape
    thr = lambda v: abs(v) * (1 - 1e-9)  # noqa: E731  (the tie rule of randomization_pvalues)
    p = np.array(
        [(1 + sum(abs(null[i, j]) >= thr(obs[j]) for i in range(b))) / (b + 1) for j in range(h)]
    )
    pstar = np.empty((b, h))
    for i in range(b):
        for j in range(h):
            count = sum(abs(null[r, j]) >= thr(null[i, j]) for r in range(b))
            pstar[i, j] = (count + (abs(obs[j]) >= thr(null[i, j]))) / (b + 1)
    order = sorted(range(h), key=lambda j: p[j])
    adjusted, running = np.empty(h), 0.0
    for r, j in enumerate(order):
        hits = 0
        for i in range(b):
            if min(pstar[i, s] for s in order[r:]) <= p[j] * (1 + 1e-9):
                hits += 1
        running = max(running, (1 + hits) / (b + 1))
        adjusted[j] = running
    return p, adjusted


@pytest.fixture(scope="module")
def factorial():
    """A stratified 2×2 (classroom × on-site), three outcomes, one with missing values."""
    rng = np.random.default_rng(7)
    n = 96
    s = np.repeat(np.arange(4), n // 4)
    cell = np.concatenate([rng.permutation(np.arange(24) % 4) for _ in range(4)])
    c, o = cell % 2, cell // 2
    w = rng.normal(size=n)
    df = pd.DataFrame({"s": s, "classroom": c, "onsite": o, "w": w, "g": np.arange(n) % 2})
    df["y0"] = 0.9 * c + 0.5 * w + rng.normal(size=n)
    df["y1"] = 0.2 * o + rng.normal(size=n)
    df["y2"] = rng.normal(size=n) + 0.4 * w
    df.loc[[2, 17, 40], "y2"] = np.nan
    return df


def _joint_draws(df, draws, seed):
    code = df["classroom"].to_numpy(float) + 2 * df["onsite"].to_numpy(float)
    s_unit = factorize(df["s"].to_numpy())
    rng = np.random.default_rng(seed)
    blocks = list(permute(code, s_unit, draws, rng, block_rows(len(df))))
    return np.rint(np.vstack(blocks)).astype(int)


def test_family_across_arms_equals_a_naive_loop(factorial):
    df, outcomes, arms, draws = factorial, ["y0", "y1", "y2"], ["classroom", "onsite"], 150
    wy = ke.westfall_young(
        df, outcomes=outcomes, treatment=arms, covariates="w", strata="s", draws=draws, seed=5
    )
    rw = ke.romano_wolf(
        df, outcomes=outcomes, treatment=arms, covariates="w", strata="s", draws=draws, seed=5
    )
    assert wy.index.names == ["treatment", "outcome"]
    assert list(wy.index) == [(a, c) for a in arms for c in outcomes]
    codes = _joint_draws(df, draws, 5)
    obs, null = [], []
    for k, arm in enumerate(arms):
        for c in outcomes:
            ok = df[c].notna().to_numpy()
            y, w = df.loc[ok, c].to_numpy(), df.loc[ok, "w"].to_numpy()
            obs.append(_hc1_t(y, df.loc[ok, arm].to_numpy(float), w))
            null.append([_hc1_t(y, ((code[ok] >> k) & 1).astype(float), w) for code in codes])
    obs, null = np.array(obs), np.array(null).T
    np.testing.assert_allclose(wy["statistic"], obs, rtol=1e-9)
    p, adjusted = _naive_wy(obs, null)
    np.testing.assert_allclose(wy["pvalue"], p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(wy["pvalue_westfall_young"], adjusted, rtol=0, atol=1e-12)
    # the same draws as Romano–Wolf's (same single p-values, same statistics)
    np.testing.assert_allclose(rw["pvalue"], wy["pvalue"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(rw["statistic"], wy["statistic"], rtol=0, atol=1e-12)
    # the simple references, as statsmodels computes them
    np.testing.assert_allclose(wy["pvalue_holm"], multipletests(p, method="holm")[1], atol=1e-12)
    np.testing.assert_allclose(
        wy["pvalue_bonferroni"], multipletests(p, method="bonferroni")[1], atol=1e-12
    )
    # ordering facts of any step-down: at least the single p, at most Bonferroni's bound
    assert (wy["pvalue_westfall_young"] >= wy["pvalue"] - 1e-12).all()
    assert wy.loc[("classroom", "y0"), "pvalue_westfall_young"] < 0.05


def test_one_arm_family_uses_the_randomization_inference_draws(factorial):
    df = factorial.drop(columns="y2")
    wy = ke.westfall_young(
        df, outcomes=["y0", "y1"], treatment="classroom", strata="s", draws=120, seed=2
    )
    null = np.column_stack(
        [
            ke.randomization_inference(
                df,
                outcome=c,
                treatment="classroom",
                strata="s",
                draws=120,
                seed=2,
                statistic="t",
            ).draws
            for c in ["y0", "y1"]
        ]
    )
    _, adjusted = _naive_wy(wy["statistic"].to_numpy(), null)
    np.testing.assert_allclose(wy["pvalue_westfall_young"], adjusted, rtol=0, atol=1e-12)
    assert list(wy.index) == ["y0", "y1"] and wy.index.name == "outcome"


def test_subgroups_are_hypotheses_of_the_family(factorial):
    df = factorial
    wy = ke.westfall_young(
        df,
        outcomes=["y0"],
        treatment=["classroom", "onsite"],
        by="g",
        strata="s",
        draws=100,
        seed=1,
    )
    assert wy.index.names == ["treatment", "outcome", "g"] and len(wy) == 4
    codes = _joint_draws(df, 100, 1)
    obs, null = [], []
    for k, arm in enumerate(["classroom", "onsite"]):
        for g in (0, 1):
            ok = (df["g"] == g).to_numpy()
            y = df.loc[ok, "y0"].to_numpy()
            obs.append(_hc1_t(y, df.loc[ok, arm].to_numpy(float), None))
            null.append([_hc1_t(y, ((code[ok] >> k) & 1).astype(float), None) for code in codes])
    np.testing.assert_allclose(wy["statistic"], obs, rtol=1e-9)
    _, adjusted = _naive_wy(np.array(obs), np.array(null).T)
    np.testing.assert_allclose(wy["pvalue_westfall_young"], adjusted, rtol=0, atol=1e-12)
    assert (wy["nobs"] == 48).all()


def test_family_of_one_hypothesis_warns(factorial):
    with pytest.warns(KaizenWarning, match="one hypothesis"):
        wy = ke.westfall_young(factorial, outcomes=["y0"], treatment="classroom", draws=50)
    assert wy["pvalue_westfall_young"].iloc[0] == pytest.approx(wy["pvalue"].iloc[0], abs=1e-12)
    with pytest.warns(KaizenWarning, match="one hypothesis"):
        ke.romano_wolf(factorial, outcomes="y0", treatment="classroom", draws=50)


def test_bad_family_input(factorial):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(KaizenError, match="distinct"):
            ke.westfall_young(factorial, outcomes=["y0"], treatment=["onsite", "onsite"])
        with pytest.raises(KaizenError, match="statistic"):
            ke.westfall_young(factorial, outcomes=["y0", "y1"], treatment="onsite", statistic="z")
        bad = factorial.assign(onsite=np.where(factorial["g"] == 1, factorial["onsite"], 0))
        with pytest.raises(KaizenError, match="'onsite' does not vary where outcome 'y0'"):
            ke.westfall_young(
                bad, outcomes=["y0"], treatment=["classroom", "onsite"], by="g", draws=20
            )
        with pytest.raises(KaizenError, match="dose"):
            ke.westfall_young(
                factorial, outcomes=["y0"], treatment=["classroom", "onsite"], dose=True
            )


def test_holm_and_bonferroni_match_statsmodels():
    p = np.array([0.001, 0.02, 0.03, 0.2, 0.04, 0.9])
    np.testing.assert_allclose(ke.holm(p), multipletests(p, method="holm")[1], atol=1e-15)
    np.testing.assert_allclose(
        ke.bonferroni(p), multipletests(p, method="bonferroni")[1], atol=1e-15
    )
    with pytest.raises(KaizenError, match=r"\[0, 1\]"):
        ke.holm([0.2, 1.5])


def _simulate(reps, seed):
    """FWER at 5 % of Westfall–Young and of the unadjusted p-values over ``reps`` null families.

    A 2×2 with three correlated outcomes (six hypotheses) under the global null, 499 draws.
    """
    rng = np.random.default_rng(seed)
    n, draws, hits, naive = 60, 499, 0, 0  # 99 draws would be too coarse (min p 0.01)
    for _ in range(reps):
        cell = rng.permutation(np.arange(n) % 4)
        common = rng.normal(size=n)
        df = pd.DataFrame({"c": cell % 2, "o": cell // 2})
        for j in range(3):
            df[f"y{j}"] = common + rng.normal(size=n) * (1 + j)
        kw = dict(outcomes=["y0", "y1", "y2"], treatment=["c", "o"], draws=draws, seed=rng)
        wy = ke.westfall_young(df, **kw)
        hits += bool((wy["pvalue_westfall_young"] <= 0.05).any())
        naive += bool((wy["pvalue"] <= 0.05).any())
    return hits / reps, naive / reps


def test_westfall_young_controls_the_familywise_error_rate_fast():
    """150 null families: FWER at most the binomial 0.9995 quantile of 5 %, and not zero."""
    # SE of a 5 % rate over 150 families: 1.8 points; the bound, 18 of 150 (0.12; normal
    # 5 % + 3.5 SE = 0.112), fails a procedure with FWER ≤ 5 % w.p. ≤ 0.0005, and zero hits
    # happen w.p. 0.95^150 = 0.0005 (p-values too coarse, as with 99 draws, would give ~0).
    # Caught: no adjustment. The unadjusted p-values of six hypotheses (two arms × three
    # outcomes correlated through a common factor) give a FWER of 0.26 here, asserted outside.
    reps = 150
    fwer, naive = _simulate(reps, seed=2027)
    hi = stats.binom(reps, 0.05).ppf(0.9995) / reps
    print(f"Westfall–Young FWER at 5 %: {fwer:.3f}, unadjusted {naive:.3f} over {reps} families")
    assert 0 < fwer <= hi
    assert naive > hi  # the wrong method lands outside the band


@pytest.mark.slow
def test_westfall_young_controls_the_familywise_error_rate():
    """Under the global null of a 2×2 with three correlated outcomes (six hypotheses)."""
    reps = 400
    fwer, _ = _simulate(reps, seed=2026)
    print(f"Westfall–Young FWER at 5 %: {fwer:.3f} over {reps} null families")
    assert fwer <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)  # 0.072: 2 Monte Carlo SE above 5 %
    assert fwer >= 0.02  # and not degenerate (99 draws gave 0.007: p-values too coarse)
