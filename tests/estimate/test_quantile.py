"""ke.quantile_effects: equal to quantreg::rq for a binary regressor; bootstrap behaviour."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval import KaizenError

REF_DIR = Path(__file__).parent / "reference"
FIRMS = pd.read_csv(REF_DIR / "firms.csv")
REF = pd.read_csv(REF_DIR / "quantile_reference.csv")


def test_equals_quantreg_rq():
    n = FIRMS["invited"].value_counts()
    for tau in REF["quantile"]:  # the rq solution is unique where n_arm * tau is no integer
        assert all(abs(k * tau - round(k * tau)) > 1e-6 for k in n)
    q = ke.quantile_effects(
        FIRMS, outcome="y", treatment="invited", quantiles=REF["quantile"].tolist(), draws=50
    ).tidy()
    assert q["estimate"].to_numpy() == pytest.approx(REF["estimate"].to_numpy(), rel=1e-12)
    assert q["control"].to_numpy() == pytest.approx(REF["control"].to_numpy(), rel=1e-12)


def test_bootstrap_respects_strata_and_clusters_and_is_reproducible():
    common = dict(outcome="y", treatment="invited", quantiles=[0.5], draws=200, seed=4)
    a = ke.quantile_effects(FIRMS, strata="stratum", **common)
    b = ke.quantile_effects(FIRMS, strata="stratum", **common)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    c = ke.quantile_effects(FIRMS, cluster="village", **common)
    assert c.n_clusters == 25 and "whole clusters" in c.notes[0]
    row = c.tidy().loc[0.5]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert "95% interval" in str(c)


def test_bad_input():
    with pytest.raises(KaizenError, match="quantiles"):
        ke.quantile_effects(FIRMS, outcome="y", treatment="invited", quantiles=[1.0])
    with pytest.raises(KaizenError, match="draws"):
        ke.quantile_effects(FIRMS, outcome="y", treatment="invited", draws=0)
    with pytest.raises(KaizenError, match="single arm"):
        ke.quantile_effects(FIRMS.assign(invited=1), outcome="y", treatment="invited")


def _simulate(reps, seed):
    """Share of ``reps`` shifted log-normal trials whose 95 % median-QTE interval covers."""
    rng = np.random.default_rng(seed)
    truth = np.log(2.0)  # median of exp(N(0,1)) is 1; treated: 1 + log 2 shift
    hits = 0
    for r in range(reps):
        d = rng.integers(0, 2, 400)
        y = np.exp(rng.normal(size=400)) + truth * d
        df = pd.DataFrame({"d": d, "y": y})
        t = ke.quantile_effects(df, outcome="y", treatment="d", quantiles=[0.5], draws=199,
                                seed=r).tidy().loc[0.5]  # fmt: skip
        hits += t["ci_low"] <= truth <= t["ci_high"]
    cover = hits / reps
    print(f"coverage of the median QTE: {cover:.3f}")
    return cover


def test_interval_coverage_of_the_median_effect_fast():
    """40 trials: covered at least 33 times (the binomial 0.1 % quantile at 95 %)."""
    # A right 95 % interval covers fewer than 33 of 40 w.p. 0.0007 (normal 95 % - 3.5 SE =
    # 0.83). Caught: an interval half as wide (e.g. a bootstrap SE of one arm's median taken
    # for the difference's, and divided by sqrt(2) again) covers ~0.67 and passes w.p. 0.023;
    # resampling only the treated arm (SE too small by sqrt(2), coverage ~0.84) is not caught.
    reps = 40
    assert _simulate(reps, seed=12) >= stats.binom(reps, 0.95).ppf(0.001) / reps


@pytest.mark.slow
def test_interval_coverage_of_the_median_effect():
    """Shifted log-normal outcome: the 95 % interval of the median QTE covers 93–97 %."""
    assert 0.93 <= _simulate(400, seed=11) <= 0.97


def test_progress_bar_on_request_does_not_change_the_result(capsys):
    common = dict(outcome="y", treatment="invited", quantiles=[0.5], draws=60, seed=2)
    quiet = ke.quantile_effects(FIRMS, **common)
    capsys.readouterr()
    loud = ke.quantile_effects(FIRMS, **common, progress=True)
    err = capsys.readouterr().err
    assert "bootstrap" in err and "60/60" in err
    pd.testing.assert_frame_equal(quiet.tidy(), loud.tidy())


def _one_sided(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    complier = rng.random(n) < 0.6
    d = z * complier
    y0 = np.where(complier, rng.normal(0, 1, n), rng.normal(3, 1, n))  # never-takers differ
    return pd.DataFrame({"z": z, "d": d, "y": y0 + 2.0 * d})


def test_complier_quantiles_under_one_sided_noncompliance():
    df = _one_sided()
    q = ke.quantile_effects(
        df, outcome="y", treatment="d", instrument="z", quantiles=[0.3, 0.5], draws=100
    )
    t = q.tidy()
    # no always-takers: the treated compliers are exactly the assigned participants
    taken = df.loc[(df["z"] == 1) & (df["d"] == 1), "y"]
    direct = np.quantile(taken, [0.3, 0.5], method="inverted_cdf")
    assert t["treated"].to_numpy() == pytest.approx(direct, rel=1e-12)
    # the complier effect is the shift of 2 (the arm-quantile difference is not)
    assert np.all(np.abs(t["estimate"].to_numpy() - 2.0) < 0.25)
    naive = ke.quantile_effects(df, outcome="y", treatment="z", quantiles=[0.5], draws=20)
    assert abs(naive.tidy().loc[0.5, "estimate"] - 2.0) > 0.5
    assert "compliers" in q.notes[0]


def test_full_compliance_complier_quantiles_are_the_arm_quantiles():
    df = FIRMS.assign(took=FIRMS["invited"])
    common = dict(outcome="y", quantiles=REF["quantile"].tolist(), draws=30, seed=1)
    iv = ke.quantile_effects(df, treatment="took", instrument="invited", **common).tidy()
    assert iv["estimate"].to_numpy() == pytest.approx(REF["estimate"].to_numpy(), rel=1e-12)


def test_clusters_that_cross_strata_are_refused():
    with pytest.raises(KaizenError, match="span several strata of 'stratum'"):
        ke.quantile_effects(
            FIRMS, outcome="y", treatment="invited", quantiles=[0.5], cluster="village",
            strata="stratum", draws=20,
        )  # fmt: skip


def test_bootstrap_draws_keep_each_cell_and_whole_clusters():
    from kaizen_eval.estimate.quantile import _cluster_resampler, _row_resampler

    rng = np.random.default_rng(8)
    d = FIRMS["invited"].to_numpy()
    s = pd.factorize(FIRMS["stratum"])[0]
    draw = _row_resampler(d, s)
    cells = pd.crosstab(d, s)
    for _ in range(50):
        idx = draw(rng)
        pd.testing.assert_frame_equal(pd.crosstab(d[idx], s[idx]), cells)  # sizes kept per cell
    village = FIRMS["village"].to_numpy()
    s = pd.factorize(village)[0] % 3  # strata of whole villages (FIRMS's strata cut across them)
    draw = _cluster_resampler(village, s)
    per_stratum = pd.Series(village).groupby(s).nunique()
    size = pd.Series(village).value_counts()
    for _ in range(50):
        idx = draw(rng)
        # runs of whole clusters: each drawn cluster contributes all its rows, as often as drawn
        drawn = pd.Series(village[idx]).value_counts()
        assert ((drawn % size[drawn.index]) == 0).all()
        times = drawn // size[drawn.index]
        by_stratum = times.groupby(pd.Series(s, index=village).groupby(level=0).first()).sum()
        pd.testing.assert_series_equal(
            by_stratum.sort_index(), per_stratum.sort_index(), check_names=False
        )


def test_complier_quantiles_with_always_and_never_takers_recover_the_compliers_truth():
    # two-sided non-compliance: always-takers (outcomes shifted up), never-takers (down) and
    # compliers whose untreated outcomes are skewed and whose effect is a shift of 2; the
    # instrument is random. The complier quantiles are identified (Abadie 2002) and must
    # recover the compliers' own quantiles, which the arm or take-up comparisons do not.
    rng = np.random.default_rng(21)
    n = 40_000
    kind = rng.choice(["always", "never", "complier"], n, p=[0.2, 0.3, 0.5])
    z = rng.integers(0, 2, n)
    d = np.where(kind == "always", 1, np.where(kind == "never", 0, z))
    y0 = rng.exponential(1.0, n) + np.where(kind == "always", 5.0, 0.0) - (kind == "never") * 3
    y = y0 + 2.0 * d * (kind == "complier") + 1.0 * d * (kind == "always")
    df = pd.DataFrame({"y": y, "d": d, "z": z})
    qs = [0.25, 0.5, 0.75]
    t = ke.quantile_effects(df, outcome="y", treatment="d", instrument="z", quantiles=qs,
                            draws=20).tidy()  # fmt: skip
    truth0 = np.quantile(y0[kind == "complier"], qs)
    assert t["control"].to_numpy() == pytest.approx(truth0, abs=0.05)
    assert t["treated"].to_numpy() == pytest.approx(truth0 + 2.0, abs=0.05)
    assert t["estimate"].to_numpy() == pytest.approx([2.0] * 3, abs=0.07)
    by_takeup = ke.quantile_effects(df, outcome="y", treatment="d", quantiles=qs, draws=20)
    assert (np.abs(by_takeup.tidy()["estimate"].to_numpy() - 2.0) > 1.0).all()
