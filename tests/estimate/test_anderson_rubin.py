"""Anderson–Rubin sets: several instruments (exact), two treatments (joint test, projections)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError
from kaizen_eval.estimate.weakiv import (
    _quadratic_set,
    anderson_rubin_set,
    reduced_form,
    solve_line,
)

REF_DIR = Path(__file__).parent / "reference"
FIRMS = pd.read_csv(REF_DIR / "firms.csv").assign(inv_female=lambda d: d["invited"] * d["female"])
REF = pd.read_csv(REF_DIR / "ar_reference.csv", dtype={"value": float}).set_index(
    ["case", "quantity"]
)["value"]
CLUSTER = {"classical": None, "HC1": None, "CR1": "village"}


def _sim(n, strength, rng, *, k=2, direct=0.0, beta=1.0):
    """One treatment, ``k`` binary instruments (only the first relevant), endogenous errors."""
    z = rng.integers(0, 2, (n, k)).astype(float)
    v = rng.normal(size=n)
    d = strength * z[:, 0] + 0.8 * v + rng.normal(size=n) * 0.6
    y = beta * d + direct * z[:, -1] + v + rng.normal(size=n) * (1 + 0.5 * z[:, 0])
    return y, d, z


# ---- one treatment, several instruments ------------------------------------------------------


@pytest.mark.parametrize("se", ["classical", "HC1", "CR1"])
def test_several_instruments_match_r(se):
    ar = ke.anderson_rubin(
        FIRMS,
        outcome="y",
        treatment="attended",
        instrument=["invited", "inv_female"],
        covariates="age",
        fixed_effects="stratum",
        cluster=CLUSTER[se],
        se=se,
    )
    case = f"one:{se}"
    for b in (-1, 0, 1, 2.5, 5):
        # R: car::linearHypothesis with sandwich's covariance; same algebra (agrees to 4e-14)
        assert ar.statistic(b) == pytest.approx(REF[(case, f"F@{b:g}")], rel=1e-10)
    assert ar.df == (2, REF[(case, "df")])
    s = ar.sets["attended"]
    assert s.kind == "interval" and s.resolution == 0
    # R's ends come from uniroot (tol 1e-13) on the same statistic
    assert s.low == pytest.approx(REF[(case, "low")], abs=1e-10)
    assert s.high == pytest.approx(REF[(case, "high")], abs=1e-10)


@pytest.mark.parametrize(
    ("strength", "se", "kind"),
    [
        (1.0, "HC1", "interval"),
        (0.25, "classical", None),
        (0.25, "HC3", None),
        (0.0, "CR2", None),
        (0.0, "HC1", None),
    ],
)
def test_several_instruments_equal_grid_inversion(strength, se, kind):
    rng = np.random.default_rng(5)
    y, d, z = _sim(240, strength, rng, k=3)
    x = np.column_stack([np.ones(240), rng.normal(size=240)])
    clusters = np.repeat(np.arange(40), 6) if se == "CR2" else None
    ar = anderson_rubin_set(y, d, z, x, se=se, clusters=clusters)
    if kind:
        assert ar.kind == kind
    for b in np.linspace(-30, 30, 241):
        fit = ke.fit_ols(y - b * d, np.column_stack([z, x]), se=se, clusters=clusters)
        test = ke.wald_test(fit, [0, 1, 2])
        assert (test.pvalue >= 0.05) == (b in ar), (b, ar)
    for lo, hi in ar.pieces:  # the ends are where the p-value crosses alpha
        for e in (lo, hi):
            if np.isfinite(e):
                fit = ke.fit_ols(y - e * d, np.column_stack([z, x]), se=se, clusters=clusters)
                assert ke.wald_test(fit, [0, 1, 2]).pvalue == pytest.approx(0.05, abs=1e-9)


def test_one_instrument_general_solver_equals_closed_form():
    rng = np.random.default_rng(11)
    kinds = set()
    for strength in (1.0, 0.3, 0.15, 0.05, 0.0):
        y, d, z = _sim(200, strength, rng, k=1)
        rf = reduced_form(y, d, z, np.ones((200, 1)), se="HC1")
        closed = _quadratic_set(rf, 0.05)
        pieces = solve_line(rf, np.array([1.0, 0.0]), np.array([0.0, -1.0]), rf.critical(0.05))
        np.testing.assert_allclose(np.array(pieces), np.array(closed.pieces), rtol=1e-9)
        kinds.add(closed.kind)
    assert kinds >= {"interval", "real line"}


def test_one_instrument_equals_late_and_existing_result():
    kw = dict(outcome="y", treatment="attended", covariates="age", fixed_effects="stratum")
    with pytest.warns(UserWarning, match="weak first stage"):  # onsite does not move attended
        weak = ke.late(FIRMS, instrument="onsite", **kw)
    for inst, r in (("invited", ke.late(FIRMS, instrument="invited", **kw)), ("onsite", weak)):
        ar = ke.anderson_rubin(FIRMS, instrument=inst, **kw)
        assert ar.sets["attended"] == r.extra["anderson_rubin"]
    assert not weak.extra["anderson_rubin"].bounded


def test_late_attaches_the_set_with_several_instruments():
    kw = dict(
        outcome="y",
        treatment="attended",
        instrument=["invited", "inv_female"],
        covariates="age",
        fixed_effects="stratum",
        cluster="village",
    )
    r = ke.late(FIRMS, **kw)
    assert r.extra["anderson_rubin"] == ke.anderson_rubin(FIRMS, **kw).sets["attended"]
    assert r.extra["anderson_rubin"].low == pytest.approx(REF[("one:CR1", "low")], abs=1e-10)


def test_irrelevant_instruments_give_an_unbounded_set():
    rng = np.random.default_rng(3)
    y, d, z = _sim(300, 0.0, rng, k=2)
    z = rng.integers(0, 2, (300, 2)).astype(float)  # independent of d
    df = pd.DataFrame({"y": y, "d": d, "z1": z[:, 0], "z2": z[:, 1]})
    with pytest.warns(UserWarning, match="weak first stage"):
        r = ke.late(df, outcome="y", treatment="d", instrument=["z1", "z2"])
    ar = ke.anderson_rubin(df, outcome="y", treatment="d", instrument=["z1", "z2"])
    s = ar.sets["d"]
    assert not s.bounded and s.kind in ("real line", "two rays", "union")
    assert "unbounded" in str(s)
    assert 1e9 in s and -1e9 in s
    assert any("unbounded" in n for n in r.notes)


def test_violated_exclusion_gives_an_empty_set_and_a_note():
    rng = np.random.default_rng(4)
    y, d, z = _sim(2000, 1.0, rng, k=2, direct=1.0)  # z2 moves y directly, not through d
    z[:, 1] = z[:, 1] + 0.5 * z[:, 0]  # and z2 also predicts d a little
    d = d + 0.8 * z[:, 1]
    df = pd.DataFrame({"y": y, "d": d, "z1": z[:, 0], "z2": z[:, 1]})
    ar = ke.anderson_rubin(df, outcome="y", treatment="d", instrument=["z1", "z2"])
    s = ar.sets["d"]
    assert s.kind == "empty" and s.bounded and not s.pieces and np.isnan(s.low)
    assert "empty" in str(s)
    grid = np.linspace(-50, 50, 401)
    assert max(ar.pvalue(b) for b in grid) < 0.05
    # z2 is not 0/1: late refuses a non-binary instrument unless it is declared (issue 11)
    r = ke.late(df, outcome="y", treatment="d", instrument=["z1", "z2"], dose=True)
    assert any("no constant effect fits" in n for n in r.notes)


def test_pvalue_is_the_wald_test_of_the_shifted_regression():
    kw = dict(outcome="y", covariates="age", fixed_effects="stratum", se="HC1")
    ar = ke.anderson_rubin(FIRMS, treatment="attended", instrument=["invited", "inv_female"], **kw)
    for b in (0.0, 2.0, 7.0):
        shifted = FIRMS.assign(yb=FIRMS["y"] - b * FIRMS["attended"])
        x = shifted[["invited", "inv_female", "age"]].to_numpy(float)
        fit = ke.fit_ols(shifted["yb"].to_numpy(), x, se="HC1", fixed_effects=FIRMS["stratum"])
        assert ar.pvalue(b) == pytest.approx(ke.wald_test(fit, [0, 1]).pvalue, rel=1e-10)


def test_coverage_under_weak_instruments():
    # 200 draws with a weak first stage (population F about 2); the AR set is exact in
    # normal homoskedastic samples, so coverage should be 0.95 up to Monte Carlo error
    # (sd 0.015): [0.91, 0.99] is a ~2.7 sd band.
    rng = np.random.default_rng(2024)
    n, beta, covered, unbounded = 100, 1.0, 0, 0
    x = np.ones((n, 1))
    for _ in range(200):
        y, d, z = _sim(n, 0.35, rng, k=2, beta=beta)
        ar = anderson_rubin_set(y, d, z, x, se="HC1")
        covered += beta in ar
        unbounded += not ar.bounded
    assert 0.91 <= covered / 200 <= 0.99
    assert unbounded > 10  # the design really is weak


# ---- two treatments --------------------------------------------------------------------------

TWO = dict(
    outcome="y",
    treatment=["attended", "onsite_received"],
    instrument=["invited", "onsite"],
    covariates="age",
    fixed_effects="stratum",
)


@pytest.mark.parametrize("se", ["classical", "HC1", "CR1"])
def test_two_treatments_joint_statistic_matches_r(se):
    ar = ke.anderson_rubin(FIRMS, cluster=CLUSTER[se], se=se, grid=51, **TWO)
    for b in ((0, 0), (2, 1), (-1, 3), (4, -2)):
        ref = REF[(f"two:{se}", f"F@{b[0]},{b[1]}")]
        assert ar.statistic(b) == pytest.approx(ref, rel=1e-10)
        assert ar.pvalue(b) == pytest.approx(stats.f.sf(ref, *ar.df), rel=1e-7)
        assert (b in ar) == (ar.pvalue(b) >= 0.05)


def _profile_min(ar, j, t, span):
    """min over the other coefficient of the joint F at β_j = t (dense grid + refinement)."""
    from scipy.optimize import minimize_scalar

    def f(s):
        b = [t, s] if j == 0 else [s, t]
        return ar.statistic(b)

    grid = np.linspace(*span, 4001)
    vals = np.array([f(s) for s in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    return minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).fun


def test_two_treatments_projection_ends_are_profile_crossings():
    ar = ke.anderson_rubin(FIRMS, cluster="village", se="CR1", grid=201, **TWO)
    crit = ar.critical_value
    for j, t in enumerate(TWO["treatment"]):
        s = ar.sets[t]
        assert s.kind == "interval" and 0 < s.resolution < 1e-3
        other = ar.sets[TWO["treatment"][1 - j]]
        span = (other.low - 5, other.high + 5)
        delta = 1e-3  # a hundred times the stated resolution of the ends
        for e, inside in ((s.low, s.low + delta), (s.high, s.high - delta)):
            outside = 2 * e - inside
            assert _profile_min(ar, j, inside, span) <= crit
            assert _profile_min(ar, j, outside, span) > crit


def test_two_treatments_weak_second_stage_is_unbounded():
    rng = np.random.default_rng(2)
    n = 400
    z = rng.integers(0, 2, (n, 2))
    d1 = (rng.random(n) < 0.05 + 0.6 * z[:, 0]).astype(float)
    d2 = (rng.random(n) < 0.05 + 0.05 * z[:, 1]).astype(float)
    df = pd.DataFrame(
        {
            "inv": z[:, 0],
            "ons": z[:, 1],
            "att": d1,
            "rec": d2,
            "y": 2 * d1 + d2 + rng.normal(size=n),
        }
    )
    ar = ke.anderson_rubin(df, outcome="y", treatment=["att", "rec"], instrument=["inv", "ons"])
    for j, t in enumerate(("att", "rec")):
        assert not ar.sets[t].bounded and "unbounded" in str(ar.sets[t])
        for far in (1e3, -1e3):  # some value of the other coefficient accepts β_j = ±1000
            ratios = np.linspace(-300, 300, 1201)
            pts = [[far, far * v] if j == 0 else [far * v, far] for v in ratios]
            assert any(p in ar for p in pts)
    assert [2.0, 1.0] in ar


def test_grid_can_be_given_and_must_be_increasing():
    grid = {"attended": np.linspace(0, 5, 101), "onsite_received": np.linspace(-3, 5, 101)}
    ar = ke.anderson_rubin(FIRMS, grid=grid, **TWO)
    auto = ke.anderson_rubin(FIRMS, grid=201, **TWO)
    for t in TWO["treatment"]:
        tol = ar.sets[t].resolution + auto.sets[t].resolution
        assert ar.sets[t].low == pytest.approx(auto.sets[t].low, abs=tol)
        assert ar.sets[t].high == pytest.approx(auto.sets[t].high, abs=tol)
    with pytest.raises(KaizenError, match="increasing 1-D array"):
        ke.anderson_rubin(FIRMS, grid=[3.0, 1.0, 2.0], **TWO)
    with pytest.raises(KaizenError, match="reaches the end of the grid"):
        ke.anderson_rubin(FIRMS, grid=np.linspace(2, 3, 21), **TWO)  # inside the set
    with pytest.raises(KaizenError, match="at least 11 points"):
        ke.anderson_rubin(FIRMS, grid=5, **TWO)


# ---- bad input -------------------------------------------------------------------------------


def test_bad_input_errors():
    kw = dict(outcome="y", covariates="age")
    with pytest.raises(KaizenError, match="one or two treatments; got 3"):
        ke.anderson_rubin(
            FIRMS, treatment=["attended", "days", "onsite_received"], instrument="invited", **kw
        )
    with pytest.raises(KaizenError, match="need at least as many instruments"):
        ke.anderson_rubin(FIRMS, treatment=["attended", "days"], instrument="invited", **kw)
    with pytest.raises(KaizenError, match="cannot be both treatment and instrument"):
        ke.anderson_rubin(FIRMS, treatment="attended", instrument="attended", **kw)
    with pytest.raises(MissingColumnError, match="nope"):
        ke.anderson_rubin(FIRMS, treatment="attended", instrument="nope", **kw)
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.anderson_rubin(FIRMS, treatment="attended", instrument="invited", alpha=1.5, **kw)
    with pytest.raises(KaizenError, match="se"):
        ke.anderson_rubin(FIRMS, treatment="attended", instrument="invited", se="HC9", **kw)
    ar = ke.anderson_rubin(FIRMS, treatment="attended", instrument="invited", **kw)
    with pytest.raises(KaizenError, match="needs 1 value"):
        ar.pvalue([1.0, 2.0])
    with pytest.raises(KaizenError, match="one treatment"):
        anderson_rubin_set(
            np.zeros(5), np.zeros((5, 2)), np.zeros((5, 2)), np.ones((5, 1)), se="HC1"
        )


def test_tanzania_joint_set_covers_the_true_effects():
    # the whole chain on the synthetic Tanzania trial (seed 0): classroom and on-site training,
    # each instrumented by its own random invitation
    trial = ke.synthetic.simulate_trial("tanzania", seed=0)
    panel = ke.load_waves(trial.waves, id_col="firm_id", codebook=trial.codebook)
    long = panel.long.assign(va=lambda d: d["sales"] - d["inputs"])
    long = ke.to_usd(long, "va", rates=trial.exchange_rates)
    base = long[long["wave"] == panel.waves[0]][["firm_id", "va_usd"]]
    last = long[long["wave"] == panel.waves[-1]]
    df = last.merge(base.rename(columns={"va_usd": "va0"}), on="firm_id", how="left")
    kw = dict(
        outcome="va_usd",
        treatment=["attended", "onsite_received"],
        instrument=["invited", "onsite"],
        fixed_effects="stratum",
        baseline="va0",
    )
    ar = ke.anderson_rubin(df, **kw)
    late = ke.late(df, **kw)
    truth = (trial.truth["late_classroom_value_added"], trial.truth["late_onsite_value_added"])
    assert truth in ar
    assert ar.nobs == late.nobs
    assert ar.statistic(late.params.to_numpy()) == pytest.approx(0.0, abs=1e-12)  # just-identified
    for t, b in zip(kw["treatment"], truth, strict=True):
        assert ar.sets[t].bounded and b in ar.sets[t]
        assert late.params[t] in ar.sets[t]


def test_weights_equal_grid_inversion_of_weighted_regressions():
    rng = np.random.default_rng(8)
    y, d, z = _sim(200, 0.6, rng, k=2)
    w = rng.uniform(0.5, 2.0, 200)
    df = pd.DataFrame({"y": y, "d": d, "z1": z[:, 0], "z2": z[:, 1], "w": w})
    ar = ke.anderson_rubin(df, outcome="y", treatment="d", instrument=["z1", "z2"], weights="w")
    x = np.column_stack([z, np.ones(200)])
    for b in np.linspace(-10, 10, 81):
        fit = ke.fit_ols(y - b * d, x, weights=w)
        assert ke.wald_test(fit, [0, 1]).pvalue == pytest.approx(ar.pvalue(b), rel=1e-10)
        assert (b in ar.sets["d"]) == (ar.pvalue(b) >= 0.05)


def test_joint_test_size_with_two_weak_treatments():
    # 200 draws, both first stages weak: the joint AR test at the true (β1, β2) rejects about 5%
    # of the time (Monte Carlo sd 0.015; [0.01, 0.09] is a ~2.7 sd band around 0.05)
    rng = np.random.default_rng(77)
    n, rejections = 120, 0
    for _ in range(200):
        z = rng.integers(0, 2, (n, 2)).astype(float)
        v = rng.normal(size=n)
        d = 0.2 * z + 0.7 * v[:, None] + rng.normal(size=(n, 2)) * 0.7
        y = 1.0 * d[:, 0] - 0.5 * d[:, 1] + v + rng.normal(size=n)
        rf = reduced_form(y, d, z, np.ones((n, 1)), se="HC1")
        rejections += rf.pvalue(np.array([1.0, -1.0, 0.5])) < 0.05
    assert 0.01 <= rejections / 200 <= 0.09


def test_result_pickles():
    import pickle

    ar = ke.anderson_rubin(FIRMS, grid=51, **TWO)
    back = pickle.loads(pickle.dumps(ar))
    assert back.sets == ar.sets and back.pvalue([2.0, 1.0]) == ar.pvalue([2.0, 1.0])
    assert "AndersonRubin k=2" in repr(back)
