"""``ke.heterogeneity`` with the design's unequal propensities: one split against a direct WLS.

The fixed-split checks of ``test_heterogeneity.py`` and ``test_heterogeneity_cr2.py`` use
``propensity=0.5``, where the weights ``1/(p(1 − p))`` are a constant 4 and ``D − p`` is
symmetric. Here the propensities come from real ``ke.assign`` designs with strata and unequal
arm shares, the weights differ across rows, and the strata are fixed effects. The BLP and GATES
of one split must equal the paper's weighted regressions written out here (Chernozhukov,
Demirer, Duflo & Fernández-Val, BLP and GATES with ``w = 1/(p(1 − p))``, ``X1 = (1, B)`` and
the strata dummies), by NumPy and by statsmodels' WLS, to 1e-10.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.linear_model import LinearRegression

import kaizen_eval as ke

N = 1200
COVS = ["x0", "x1", "x2"]


def _firms(seed=11):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"firm_id": [f"F{i:04d}" for i in range(N)]})
    df["stratum"] = rng.choice(["a1", "a2", "b1", "b2"], size=N, p=[0.2, 0.3, 0.3, 0.2])
    for j in range(len(COVS)):
        df[f"x{j}"] = rng.normal(size=N)
    return df, rng


def _outcome(df, rng):
    shift = df["stratum"].map({"a1": 0.0, "a2": 1.5, "b1": -1.0, "b2": 3.0})
    tau = 1.0 + df["x0"]
    return shift + df["x1"] + df["d"] * tau + rng.normal(size=len(df)) * (1 + 0.5 * df["d"])


def _two_region_trial():
    """Region a (strata a1, a2) invites 30 %, region b (b1, b2) 60 %: two real designs."""
    df, rng = _firms()
    parts, probs = [], []
    for region, share, seed in (("a", 0.3, 1), ("b", 0.6, 2)):
        sub = df[df["stratum"].str.startswith(region)]
        asg = ke.assign(sub, arms={"invited": share}, strata="stratum", seed=seed)
        parts.append(asg.frame)
        probs.append(asg.probabilities())
    arms = pd.concat(parts).rename(columns={"invited": "d"})
    p = pd.concat(probs).rename(columns={"invited": "p"})
    df = df.merge(arms, on="firm_id").merge(p, on="firm_id")
    df["y"] = _outcome(df, rng)
    return df


def _check_split(h, df, p, wls_hc1):
    """BLP and GATES of the one split of ``h`` equal the written-out weighted regressions."""
    sp = h._splits[0]
    m = df.iloc[sp.main]
    y, d, pm = m["y"].to_numpy(), m["d"].to_numpy(float), p[sp.main]
    w = 1.0 / (pm * (1.0 - pm))
    e = d - pm
    fe = pd.get_dummies(m["stratum"]).to_numpy(float)  # every stratum: no separate constant
    x_blp = np.column_stack([fe, sp.b, e, e * (sp.s - sp.s.mean())])
    groups = h.groups
    x_gates = np.column_stack([fe, sp.b, *[e * (sp.group == g) for g in range(groups)]])
    k_fe = fe.shape[1]
    checks = (
        (x_blp, [k_fe + 1, k_fe + 2], h.blp, sp.blp_est, sp.blp_se),
        (x_gates, list(range(k_fe + 1, k_fe + 1 + groups)), h.gates, sp.gates_est, sp.gates_se),
    )
    for x, cols, table, est, se_split in checks:
        b, se, dof = wls_hc1(y, x, w)
        sm_fit = sm.WLS(y, x, weights=w).fit(cov_type="HC1")
        assert sm_fit.params[cols] == pytest.approx(b[cols], rel=1e-10)
        assert sm_fit.bse[cols] == pytest.approx(se[cols], rel=1e-10)
        assert est == pytest.approx(b[cols], rel=1e-10)
        assert se_split == pytest.approx(se[cols], rel=1e-10)
        q = stats.t.ppf(1 - h.alpha / 2, dof)
        pval = 2 * stats.t.sf(np.abs(b[cols] / se[cols]), dof)
        assert table["estimate"].to_numpy() == pytest.approx(b[cols], rel=1e-10)
        assert table["ci_low"].to_numpy() == pytest.approx(b[cols] - q * se[cols], rel=1e-10)
        assert table["ci_high"].to_numpy() == pytest.approx(b[cols] + q * se[cols], rel=1e-10)
        assert table["pvalue"].to_numpy() == pytest.approx(
            np.minimum(1.0, 2 * pval), rel=1e-10, abs=1e-300
        )
    return w


def _het(df, propensity, **kw):
    return ke.heterogeneity(
        df, outcome="y", treatment="d", covariates=COVS, learner=LinearRegression(),
        splits=1, groups=3, fixed_effects="stratum", propensity=propensity, seed=5, **kw,
    )  # fmt: skip


def test_strata_with_different_shares_equal_the_papers_weighted_regressions(wls_hc1):
    df = _two_region_trial()
    p = df["p"].to_numpy()
    assert set(np.round(p, 12)) == {0.3, 0.6}
    # the design's shares hold in each stratum (up to the leftover unit)
    share = df.groupby("stratum")["d"].mean()
    assert share[["a1", "a2"]].to_numpy() == pytest.approx(0.3, abs=0.01)
    assert share[["b1", "b2"]].to_numpy() == pytest.approx(0.6, abs=0.01)
    h = _het(df, "p")
    w = _check_split(h, df, p, wls_hc1)
    assert np.ptp(w) > 0.5  # weights 1/0.21 and 1/0.24: not constant
    assert "column 'p'" in h.notes[0]
    # the default (share treated within each stratum) is a different propensity, so a
    # different regression: the design's must be passed
    assert not np.allclose(_het(df, None)._splits[0].blp_est, h._splits[0].blp_est, rtol=1e-8)


@pytest.mark.parametrize("rerandomized", [False, True])
def test_an_assignment_with_strata_and_unequal_shares_gives_its_exact_propensities(
    rerandomized, wls_hc1
):
    df, rng = _firms(seed=12)
    rr = ke.Rerandomize(covariates=["x0"], bound=1.5) if rerandomized else None
    asg = ke.assign(df, arms={"invited": 0.3}, strata="stratum", seed=3, rerandomize=rr)
    df = df.merge(asg.frame.rename(columns={"invited": "d"}), on="firm_id")
    df["y"] = _outcome(df, rng)
    # the Assignment is matched on its id column; its arm is "invited", so name it so
    df = df.rename(columns={"d": "invited"})
    h = ke.heterogeneity(
        df, outcome="y", treatment="invited", covariates=COVS, learner=LinearRegression(),
        splits=1, groups=3, fixed_effects="stratum", propensity=asg, seed=5,
    )  # fmt: skip
    assert "Assignment" in h.notes[0]
    p = df[["firm_id"]].merge(asg.probabilities(), on="firm_id")["invited"].to_numpy()
    w = _check_split(h, df.rename(columns={"invited": "d"}), p, wls_hc1)
    if rerandomized:  # the probabilities are estimated by re-draws: they differ by firm
        assert np.ptp(w) > 0 and abs(p.mean() - 0.3) < 0.01
    else:
        assert np.allclose(p, 0.3) and np.allclose(w, 1 / 0.21)


def test_the_boosting_learner_runs_end_to_end():
    from threadpoolctl import threadpool_limits

    df = _two_region_trial().iloc[:600]
    # scikit-learn's histogram boosting runs OpenMP threads; on a shared, busy machine they
    # spin against each other (about 12 s a fit of 150 rows instead of 0.3 s with one thread)
    with threadpool_limits(limits=1, user_api="openmp"):
        h = ke.heterogeneity(
            df, outcome="y", treatment="d", covariates=COVS, learner="boosting", splits=2,
            groups=3, fixed_effects="stratum", propensity="p", seed=1,
        )  # fmt: skip
    assert h.learner == "boosting" and h.splits == 2
    tidy = h.tidy()
    assert np.isfinite(tidy.select_dtypes("number").to_numpy()).all()
    assert np.all(np.isfinite(h._splits[0].s)) and np.ptp(h._splits[0].s) > 0
    assert "boosting" in str(h)


def test_the_note_of_a_rerandomized_assignment_says_its_probabilities_are_estimated():
    df, rng = _firms(seed=12)
    rr = ke.Rerandomize(covariates=["x0"], bound=1.5)
    asg = ke.assign(df, arms={"invited": 0.3}, strata="stratum", seed=3, rerandomize=rr)
    df = df.merge(asg.frame, on="firm_id")
    df["y"] = _outcome(df.rename(columns={"invited": "d"}), rng)
    h = ke.heterogeneity(
        df, outcome="y", treatment="invited", covariates=COVS, learner=LinearRegression(),
        splits=1, groups=3, fixed_effects="stratum", propensity=asg, seed=5,
    )  # fmt: skip
    assert "exact" not in h.notes[0] and "estimated from 2,000 re-draws" in h.notes[0]
    assert not asg.exact_probabilities
    assert ke.assign(df[["firm_id"]], arms={"invited": 0.3}, seed=3).exact_probabilities
