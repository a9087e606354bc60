"""Simulation-based power against the analytic formulas, and its bias/coverage in a factorial."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._core.batch_ols import BatchOLS
from kaizen_eval._core.linear import fit_ols
from kaizen_eval._validation import KaizenError
from kaizen_eval.design import simulate as simulate_module


def test_power_at_the_analytic_mde_is_the_target():
    asg = ke.assign(pd.DataFrame({"firm_id": range(400)}), seed=1)
    effect = ke.mde(400, distribution="t")
    sp = ke.simulate_power(asg, effects={"invited": effect}, sims=2000, seed=3)
    row = sp.table.loc["invited"]
    # Monte Carlo SE of the power is sqrt(0.16 / 2000) ≈ 0.009: 0.036 is 4 SE
    assert abs(row["power"] - 0.8) < 0.036
    assert abs(row["coverage"] - 0.95) < 0.02  # SE ≈ 0.0049
    assert abs(row["bias"]) < 4 * row["sd_estimate"] / np.sqrt(2000)


def test_clustered_design_matches_design_effect():
    f = pd.DataFrame({"firm_id": range(400), "cl": np.repeat(np.arange(80), 5)})
    asg = ke.assign(f, cluster="cl", seed=2)
    effect = ke.mde(400, icc=0.2, cluster_size=5, distribution="t")
    sp = ke.simulate_power(asg, effects={"invited": effect}, icc=0.2, sims=1500, seed=4)
    row = sp.table.loc["invited"]
    assert sp.se_type == "CR1"
    # SE ≈ 0.0103; 0.045 allows for CR1 (G - 1 df) vs the formula's J - 2 df
    assert abs(row["power"] - 0.8) < 0.045
    assert abs(row["coverage"] - 0.95) < 0.025


def test_factorial_with_interaction_and_rerandomization_is_unbiased():
    f = pd.DataFrame({"firm_id": range(240), "s": np.arange(240) % 4, "z": np.arange(240) % 7})
    asg = ke.assign(
        f,
        strata="s",
        seed=5,
        stage2=ke.Stage(arms={"onsite": 0.5}, strata="s"),
        rerandomize=ke.Rerandomize(covariates=["z"], bound=1.0),
    )
    effects = {"invited": 0.3, "onsite": 0.2, "invited:onsite": -0.1}
    sp = ke.simulate_power(asg, effects=effects, r2=0.3, sims=600, seed=6)
    t = sp.table
    assert list(t.index) == list(effects)
    assert (t["effect"] == pd.Series(effects)).all()
    assert (t["bias"].abs() < 4 * t["sd_estimate"] / np.sqrt(600)).all()
    assert (t["coverage"].sub(0.95).abs() < 0.036).all()  # SE ≈ 0.0089
    assert t.loc["invited", "power"] > t.loc["invited:onsite", "power"]


def test_bad_terms_and_progress(capsys):
    asg = ke.assign(pd.DataFrame({"firm_id": range(20)}), seed=0)
    with pytest.raises(KaizenError, match=r"term 'onsite' is not an arm"):
        ke.simulate_power(asg, effects={"onsite": 1.0})
    with pytest.raises(KaizenError, match=r"`sims` must be an integer >= 2"):
        ke.simulate_power(asg, effects={"invited": 1.0}, sims=1)
    ke.simulate_power(asg, effects={"invited": 1.0}, sims=5, progress=True)
    assert "5/5" in capsys.readouterr().err


# --- the fits of all replications at once (issue 7) -----------------------------------------

EFFECTS = {"invited": 0.3, "onsite": 0.2, "invited:onsite": -0.1}


def _per_trial_loop(asg, effects, *, sd=1.0, r2=0.0, icc=0.0, sims, seed, se, strata_fe=True):
    """The simulation as it was before the batched fits: one ``fit_ols`` per replication.

    Same random streams (assignments from one ``redraw_many``, then x, u, e replication after
    replication); returns the estimates, standard errors and df of every replication.
    """
    terms = list(effects)
    parts = [t.split(":") for t in terms]
    design = asg._design
    table = design.table
    clustered = design.arguments["cluster"] is not None
    n_units = len(table)
    group = design.unit_group
    strata = design.arguments["strata"]
    fe = None
    if strata_fe and strata:
        fe = table.groupby(list(strata), sort=True).ngroup().to_numpy()
    clusters = group if clustered else None
    seq = np.random.SeedSequence(
        seed if not isinstance(seed, np.random.Generator) else seed.integers(2**63)
    )
    ss_assign, ss_outcome = seq.spawn(2)
    draws = asg.redraw_many(sims, np.random.default_rng(ss_assign))
    rng = np.random.default_rng(ss_outcome)
    tau = np.array([effects[t] for t in terms], dtype=float)
    b = sd * np.sqrt(r2)
    s_u = sd * np.sqrt(icc * (1 - r2))
    s_e = sd * np.sqrt((1 - icc) * (1 - r2))
    n_groups = int(group.max()) + 1
    names = (["(Intercept)"] if fe is None else []) + terms + (["x"] if r2 > 0 else [])
    est, ses, dfs = (np.empty((sims, len(terms))) for _ in range(3))
    for s in range(sims):
        d = np.column_stack(
            [np.prod([draws[a][s] for a in arms], axis=0).astype(float) for arms in parts]
        )
        x = rng.standard_normal(n_units)
        u = rng.standard_normal(n_groups)[group] * s_u
        e = rng.standard_normal(n_units) * s_e
        y = d @ tau + b * x + u + e
        cols = [np.ones(n_units)] if fe is None else []
        cols.extend(d.T)
        if r2 > 0:
            cols.append(x)
        fit = fit_ols(
            y, np.column_stack(cols), se=se, clusters=clusters, fixed_effects=fe, names=names
        )
        idx = [fit.index(t) for t in terms]
        est[s], ses[s], dfs[s] = fit.coef[idx], fit.std_error[idx], fit.df[idx]
    return est, ses, dfs


def _batched(asg, effects, *, sd=1.0, r2=0.0, icc=0.0, sims, seed, se, strata_fe=True, block=None):
    terms = list(effects)
    est, ses, dfs, _ = simulate_module._simulated_estimates(
        asg,
        terms,
        [t.split(":") for t in terms],
        np.array([effects[t] for t in terms], dtype=float),
        sd=sd,
        r2=r2,
        icc=icc,
        sims=sims,
        seed=seed,
        se=se,
        strata_fe=strata_fe,
        block=block,
    )
    return est, ses, dfs


@pytest.fixture
def fit_ols_calls(monkeypatch):
    """Count the per-replication refits simulate_power makes."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return fit_ols(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "fit_ols", counting)
    return calls


def _factorial(n=120, cluster=False):
    f = pd.DataFrame({"firm_id": range(n), "cl": np.arange(n) // 4})
    f["s"] = f["cl"] % 3 if cluster else np.arange(n) % 4
    return ke.assign(
        f,
        strata="s",
        cluster="cl" if cluster else None,
        seed=11,
        stage2=ke.Stage(arms={"onsite": 0.5}, strata="s"),
    )


def _assert_equal_to_loop(batched, loop):
    est, ses, dfs = batched
    est0, ses0, dfs0 = loop
    # the batch solves normal equations, fit_ols a QR: equal up to rounding (values are O(0.1))
    assert np.abs(est - est0).max() < 1e-10
    assert np.abs(ses - ses0).max() < 1e-10
    assert (dfs == dfs0).all()


@pytest.mark.parametrize("se", ["HC0", "HC1", "HC2", "HC3", "classical"])
@pytest.mark.parametrize("strata_fe", [True, False])
@pytest.mark.parametrize("r2", [0.0, 0.3])
def test_batched_fits_equal_one_fit_ols_per_replication(se, strata_fe, r2, fit_ols_calls):
    asg = _factorial()
    kw = dict(r2=r2, sims=25, seed=3, se=se, strata_fe=strata_fe)
    batched = _batched(asg, EFFECTS, **kw)
    assert not fit_ols_calls  # every replication went through the batch
    _assert_equal_to_loop(batched, _per_trial_loop(asg, EFFECTS, **kw))


@pytest.mark.parametrize("se", ["CR0", "CR1"])
@pytest.mark.parametrize("strata_fe", [True, False])
@pytest.mark.parametrize("r2", [0.0, 0.3])
def test_batched_clustered_fits_equal_one_fit_ols_per_replication(se, strata_fe, r2, fit_ols_calls):
    asg = _factorial(cluster=True)
    kw = dict(r2=r2, icc=0.2, sims=25, seed=4, se=se, strata_fe=strata_fe)
    batched = _batched(asg, EFFECTS, **kw)
    assert not fit_ols_calls
    _assert_equal_to_loop(batched, _per_trial_loop(asg, EFFECTS, **kw))


def test_cr2_keeps_one_fit_per_replication(fit_ols_calls):
    asg = _factorial(cluster=True)
    kw = dict(r2=0.3, icc=0.2, sims=6, seed=4, se="CR2")
    batched = _batched(asg, EFFECTS, **kw, block=4)
    assert len(fit_ols_calls) == 6
    for a, b in zip(batched, _per_trial_loop(asg, EFFECTS, **kw), strict=True):
        assert (a == b).all()


def test_a_generator_seed_gives_the_same_streams_as_before():
    asg = _factorial()
    kw = dict(r2=0.3, sims=10, se="HC2")
    batched = _batched(asg, EFFECTS, seed=np.random.default_rng(8), **kw)
    _assert_equal_to_loop(
        batched, _per_trial_loop(asg, EFFECTS, seed=np.random.default_rng(8), **kw)
    )


@pytest.mark.parametrize(
    ("cluster", "se"), [(False, "HC2"), (False, "HC1"), (False, "classical"), (True, "CR1")]
)
def test_results_do_not_depend_on_the_block_size(cluster, se):
    asg = _factorial(cluster=cluster)
    kw = dict(r2=0.3, icc=0.1, sims=23, seed=5, se=se)
    whole = _batched(asg, EFFECTS, **kw)
    for block in (1, 2, 3, 7, 22):
        parts = _batched(asg, EFFECTS, **kw, block=block)
        for a, b in zip(parts, whole, strict=True):
            assert (a == b).all(), block


def _tiny():
    # strata of 2 firms, one invited; on-site drawn within stratum x arm cells of one firm, so
    # some replications have no invited on-site firm, or on-site collinear with the strata
    f = pd.DataFrame({"firm_id": range(12), "s": np.arange(12) // 2})
    return ke.assign(f, strata="s", seed=0, stage2=ke.Stage(arms={"onsite": 0.5}, strata="s"))


@pytest.mark.parametrize("sims", [7, 10, 200])
def test_rank_deficient_replications_raise_what_the_loop_raised(sims):
    asg = _tiny()
    with pytest.raises(KaizenError, match=r"collinear regressors|has no variation left") as loop:
        _per_trial_loop(asg, EFFECTS, sims=sims, seed=1, se="HC1")
    with pytest.raises(KaizenError, match=r"collinear regressors|has no variation left") as new:
        ke.simulate_power(asg, effects=EFFECTS, sims=sims, seed=1, se="HC1")
    assert str(new.value) == str(loop.value)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.parametrize(("se", "sims"), [("HC1", 3), ("HC1", 5), ("HC2", 3), ("HC3", 5)])
def test_degenerate_replications_are_refitted_as_the_loop_fitted_them(se, sims, fit_ols_calls):
    # a coefficient whose variance is zero up to rounding: the sign of the rounding error (NaN
    # or a tiny standard error) is fit_ols's, because such replications are refitted with it
    asg = _tiny()
    est, ses, dfs = _batched(asg, EFFECTS, sims=sims, seed=1, se=se)
    est0, ses0, dfs0 = _per_trial_loop(asg, EFFECTS, sims=sims, seed=1, se=se)
    assert 0 < len(fit_ols_calls) < sims
    assert np.abs(est - est0).max() < 1e-10
    assert (np.isnan(ses) == np.isnan(ses0)).all()
    assert np.nanmax(np.abs(ses - ses0)) < 1e-10
    assert (dfs == dfs0).all()


def test_batch_flags_the_replication_it_cannot_fit():
    rng = np.random.default_rng(0)
    n = 30
    x = np.stack([np.ones((3, n)), rng.integers(0, 2, (3, n)).astype(float)], axis=1)
    x[1, 1] = 0.0  # replication 1: the arm has no treated unit
    y = rng.normal(size=(3, n))
    fit = BatchOLS(n, 2, se_type="HC2").fit(y, x)
    assert fit.suspect.tolist() == [False, True, False]
    assert np.isnan(fit.std_error[1]).all()
    for b in (0, 2):
        ref = fit_ols(y[b], x[b].T, se="HC2")
        assert np.abs(fit.coef[b] - ref.coef).max() < 1e-12
        assert np.abs(fit.std_error[b] - ref.std_error).max() < 1e-12
    with pytest.raises(KaizenError, match=r"expected x of shape \(B, 2, 30\)"):
        BatchOLS(n, 2, se_type="HC2").fit(y, x[:, :1])
    with pytest.raises(KaizenError, match=r"se_type"):
        BatchOLS(n, 2, se_type="CR2", clusters=np.arange(n) // 3)


def test_progress_counts_trials_over_blocks(capsys, monkeypatch):
    monkeypatch.setattr(simulate_module, "_MAX_BLOCK", 4)
    asg = _factorial()
    ke.simulate_power(asg, effects={"invited": 0.3}, sims=10, progress=True)
    assert "10/10" in capsys.readouterr().err
