"""Hostile input for the inference functions (issue 11): RI, its CI, the wild bootstrap,
Romano–Wolf and sharpened q-values. An error names the argument or column; never a p-value
computed from degenerate input, never a numpy traceback.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval import KaizenError, KaizenWarning

N = 120


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    village = np.arange(N) % 24
    z = (village % 2).astype(int)
    d = z * (rng.random(N) < 0.8)
    return pd.DataFrame(
        {
            "z": z,
            "d": d,
            "y": 1.0 * z + rng.normal(size=N),
            "y2": rng.normal(size=N),
            "x": rng.normal(size=N),
            "stratum": np.arange(N) % 3,
            "village": village,
        }
    )


RI = {"outcome": "y", "treatment": "z", "draws": 99}
WILD = {"outcome": "y", "treatment": "z", "cluster": "village", "draws": 99}
RW = {"outcomes": ["y", "y2"], "treatment": "z", "draws": 99}


def _call(name: str, df: pd.DataFrame, **kw):
    if name == "ri":
        return ke.randomization_inference(df, **{**RI, **kw})
    if name == "ri_ci":
        return ke.randomization_ci(df, **{**RI, **kw})
    if name == "wild":
        return ke.wild_cluster_bootstrap(df, **{**WILD, **kw})
    if name == "romano_wolf":
        return ke.romano_wolf(df, **{**RW, **kw})
    if name == "ri_family":
        return ke.randomization_inference(df, **{**RI, "outcome": ["y", "y2"], **kw})
    raise AssertionError(name)


FUNCS = ["ri", "ri_ci", "wild", "romano_wolf", "ri_family"]


# --- degenerate input --------------------------------------------------------------------------
@pytest.mark.parametrize("fn", FUNCS)
def test_constant_outcome_is_an_error_not_a_pvalue(trial, fn):
    # before: RI gave p = 0.43 (or 1), the wild bootstrap p = 1, Romano-Wolf a table
    with pytest.raises(KaizenError, match=r"outcome '(y|y2)' is constant"):
        _call(fn, trial.assign(y=5.0, y2=5.0))


@pytest.mark.parametrize("fn", FUNCS)
def test_treatment_that_does_not_vary(trial, fn):
    with pytest.raises(KaizenError, match="does not vary"):
        _call(fn, trial.assign(z=1))


@pytest.mark.parametrize("fn", FUNCS)
def test_inf_outcome_names_the_column(trial, fn):
    bad = trial.assign(y=trial["y"].where(trial.index != 4, np.inf))
    with pytest.raises(KaizenError, match=r"outcome 'y' has infinite values.*rows 4"):
        _call(fn, bad)


@pytest.mark.parametrize("fn", FUNCS)
def test_text_treatment(trial, fn):
    with pytest.raises(KaizenError, match="treatment 'z' must be numeric"):
        _call(fn, trial.assign(z=trial["z"].map({0: "no", 1: "yes"})))


@pytest.mark.parametrize("fn", FUNCS)
def test_all_rows_dropped(trial, fn):
    with pytest.raises(KaizenError, match="no rows left to estimate on"):
        _call(fn, trial.assign(z=np.nan))


def test_outcome_constant_in_the_one_outcome_of_a_family(trial):
    with pytest.raises(KaizenError, match="outcome 'y2' is constant in romano_wolf"):
        ke.romano_wolf(trial.assign(y2=0.0), **RW)


def test_treatment_not_constant_within_cluster(trial):
    bad = trial.assign(z=(np.arange(N) // 24) % 2)  # rows i and i + 24 share a village
    with pytest.raises(KaizenError, match="not constant within cluster 'village'"):
        ke.randomization_inference(bad, **RI, cluster="village")


# --- bad arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize("fn", FUNCS)
@pytest.mark.parametrize("seed", ["abc", -1, 1.5, True])
def test_bad_seed_is_a_named_error(trial, fn, seed):
    # before: numpy's "SeedSequence expects int or sequence of ints"
    with pytest.raises(KaizenError, match=r"`seed` must be a non-negative integer"):
        _call(fn, trial, seed=seed)


def test_generator_seed_is_accepted(trial):
    a = ke.randomization_inference(trial, **RI, seed=np.random.default_rng(3))
    b = ke.randomization_inference(trial, **RI, seed=3)
    assert np.array_equal(a.draws, b.draws)


@pytest.mark.parametrize("fn", FUNCS)
@pytest.mark.parametrize("draws", [0, -5, 2.5, "99"])
def test_bad_draws(trial, fn, draws):
    with pytest.raises(KaizenError, match="`draws` must be a positive integer"):
        _call(fn, trial, draws=draws)


@pytest.mark.parametrize("alpha", [1.5, 0.0, "0.1"])
def test_ri_ci_alpha(trial, alpha):
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.randomization_ci(trial, **RI, alpha=alpha)


def test_wild_alpha_checked_even_without_ci(trial):
    # before: alpha=1.5 was accepted and silently unused
    with pytest.raises(KaizenError, match=r"`alpha` must be in \(0, 1\)"):
        ke.wild_cluster_bootstrap(trial, **WILD, alpha=1.5)


def test_statistic_spelling(trial):
    with pytest.raises(KaizenError, match="`statistic` must be one of 'coef', 't'"):
        ke.randomization_inference(trial, **RI, statistic="T")


def test_wild_weights_spelling(trial):
    with pytest.raises(KaizenError, match="`weights` must be one of"):
        ke.wild_cluster_bootstrap(trial, **WILD, weights="Rademacher")


def test_wild_null_must_be_finite(trial):
    with pytest.raises(KaizenError, match="`null` must be a finite number"):
        ke.wild_cluster_bootstrap(trial, **WILD, null=np.inf)


def test_wild_zero_two_treatment(trial):
    with pytest.raises(KaizenError, match=r"treatment 'z' must be coded 0/1 .*dose=True"):
        ke.wild_cluster_bootstrap(trial.assign(z=2 * trial["z"]), **WILD)


def test_wild_declared_dose(trial):
    r = ke.wild_cluster_bootstrap(trial.assign(z=2 * trial["z"]), **WILD, dose=True)
    base = ke.wild_cluster_bootstrap(trial, **WILD)
    assert r.estimate == pytest.approx(base.estimate / 2, rel=1e-10)
    assert r.pvalue == base.pvalue


def test_wild_one_cluster(trial):
    with pytest.raises(KaizenError, match="at least 2 clusters"):
        ke.wild_cluster_bootstrap(trial.assign(village=0), **WILD)


def test_wild_missing_cluster(trial):
    bad = trial.assign(village=trial["village"].where(trial.index != 2))
    with pytest.raises(KaizenError, match=r"cluster 'village' is missing for 1 rows"):
        ke.wild_cluster_bootstrap(bad, **WILD)


def test_wild_few_clusters_is_the_remedy_and_does_not_warn(trial):
    few = trial.assign(village=np.arange(N) % 6, z=(np.arange(N) % 6) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", KaizenWarning)
        r = ke.wild_cluster_bootstrap(few, **WILD)
    assert r.exact and len(r.draws) == 2**6


def test_few_clusters_in_the_itt_warns_and_the_bootstrap_is_named(trial):
    few = trial.assign(village=np.arange(N) % 6, z=(np.arange(N) % 6) % 2)
    with pytest.warns(KaizenWarning, match="use ke.wild_cluster_bootstrap"):
        ke.itt(few, outcome="y", treatment="z", cluster="village")


def test_ri_with_few_clusters_is_exact_and_does_not_warn(trial):
    few = trial.assign(village=np.arange(N) % 6, z=(np.arange(N) % 6) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", KaizenWarning)
        r = ke.randomization_inference(few, **RI, cluster="village")
    assert r.exact and r.n_assignments == 20


# --- sharpened q-values ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pvalues, match",
    [
        ([0.1, np.nan], "without missing"),
        ([0.1, 1.5], r"in \[0, 1\]"),
        ([-0.1, 0.5], r"in \[0, 1\]"),
        ([], "`pvalues` is empty"),
        (["a", 0.5], "not numbers"),
        ([[0.1, 0.2]], "1-d array"),
    ],
)
def test_sharpened_qvalues_bad_pvalues(pvalues, match):
    with pytest.raises(KaizenError, match=match):
        ke.sharpened_qvalues(pvalues)


@pytest.mark.parametrize("step", [0, -0.001, 1.0, np.nan])
def test_sharpened_qvalues_bad_step(step):
    # before: step=0 gave a ZeroDivisionError
    with pytest.raises(KaizenError, match=r"`step` must be in \(0, 1\)"):
        ke.sharpened_qvalues([0.01, 0.5], step=step)


def test_sharpened_qvalues_single_pvalue_is_handled():
    q = ke.sharpened_qvalues([0.01])
    assert q.shape == (1,) and 0 < q[0] <= 1


# --- Anderson-Rubin (its arrays come from the same validated IV data as late) ----------------
AR = {"outcome": "y", "treatment": "d", "instrument": "z"}


def test_anderson_rubin_constant_outcome(trial):
    with pytest.raises(KaizenError, match="outcome 'y' is constant in anderson_rubin"):
        ke.anderson_rubin(trial.assign(y=2.0), **AR)


def test_anderson_rubin_inf_outcome(trial):
    bad = trial.assign(y=trial["y"].where(trial.index != 9, -np.inf))
    with pytest.raises(KaizenError, match=r"outcome 'y' has infinite values in anderson_rubin"):
        ke.anderson_rubin(bad, **AR)


def test_anderson_rubin_missing_cluster(trial):
    bad = trial.assign(village=trial["village"].where(trial.index != 1))
    with pytest.raises(KaizenError, match="cluster 'village' is missing for 1 rows"):
        ke.anderson_rubin(bad, **AR, cluster="village")


def test_anderson_rubin_alpha(trial):
    with pytest.raises(KaizenError, match="`alpha` must be"):
        ke.anderson_rubin(trial, **AR, alpha=1.5)


def test_late_fewer_rows_than_parameters(trial):
    small = trial.head(5)
    with pytest.raises(KaizenError, match=r"late: 5 rows in the estimation sample for \d+ param"):
        ke.late(small, **AR, covariates=["x", "y2", "stratum"])


# --- codings in randomization inference ------------------------------------------------------
@pytest.mark.parametrize("fn", ["ri", "ri_ci", "romano_wolf", "ri_family"])
def test_zero_two_assignment_in_ri_is_an_error_unless_declared(trial, fn):
    with pytest.raises(KaizenError, match=r"treatment 'z' must be coded 0/1 .*dose=True"):
        _call(fn, trial.assign(z=2 * trial["z"]))


def test_ri_declared_dose_halves_the_statistic_and_keeps_the_pvalue(trial):
    base = ke.randomization_inference(trial, **RI, seed=4)
    dosed = ke.randomization_inference(trial.assign(z=2 * trial["z"]), **RI, seed=4, dose=True)
    assert dosed.observed == pytest.approx(base.observed / 2, rel=1e-12)
    assert dosed.pvalue == base.pvalue


def test_ri_ci_instrument_coded_0_1_3_4(trial):
    bad = trial.assign(z=np.tile([0, 1, 3, 4], N // 4))
    with pytest.raises(KaizenError, match="instrument 'z' must be coded 0/1 in randomization_ci"):
        ke.randomization_ci(bad, outcome="y", treatment="d", instrument="z", draws=99)
