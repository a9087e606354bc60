"""Power over a grid of designs: identical on every backend, and right where theory says."""

import importlib
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._core.linear import fit_2sls, fit_ols
from kaizen_eval._validation import KaizenError
from kaizen_eval.design.power_grid import GRID_COLUMNS

# A small grid with clusters, strata, the factorial second stage and both estimands (ITT, LATE).
SMALL = dict(
    n=[60, 120],
    takeup=[1.0, 0.7],
    effect=[0.0, 0.5],
    icc=[0.0, 0.2],
    cluster_size=2,
    strata=2,
    design="factorial",
    sims=12,
    seed=2026,
)


@pytest.fixture(scope="module")
def serial_grid():
    return ke.power_grid(**SMALL, backend="serial")


def test_table_has_one_row_per_grid_point_in_product_order(serial_grid):
    t = serial_grid.table
    assert list(t.columns) == list(GRID_COLUMNS)
    assert len(t) == 16
    expected = pd.MultiIndex.from_product([[60, 120], [1.0, 0.7], [0.0, 0.5], [0.0, 0.2]])
    assert pd.MultiIndex.from_frame(t[["n", "takeup", "effect", "icc"]]).equals(expected)
    assert (t["estimand"] == np.where(t["takeup"] == 1, "ITT", "LATE")).all()
    assert (t["sims"] == 12).all()
    p = t["power"]
    np.testing.assert_allclose(t["power_mc_se"], np.sqrt(p * (1 - p) / 12), rtol=0, atol=1e-15)
    np.testing.assert_allclose(t["bias"], t["mean_estimate"] - t["effect"], rtol=0, atol=1e-15)


def test_processes_give_the_serial_results_bit_for_bit(serial_grid):
    two = ke.power_grid(**SMALL, backend="processes", max_workers=2)
    pd.testing.assert_frame_equal(two.table, serial_grid.table, check_exact=True)
    one = ke.power_grid(**SMALL, backend="processes", max_workers=1)
    pd.testing.assert_frame_equal(one.table, serial_grid.table, check_exact=True)


def test_dask_gives_the_serial_results_bit_for_bit(serial_grid):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = ke.power_grid(**SMALL, backend="dask", client=client)
        current = ke.power_grid(**SMALL, backend="dask")  # the current client by default
    pd.testing.assert_frame_equal(on_dask.table, serial_grid.table, check_exact=True)
    pd.testing.assert_frame_equal(current.table, serial_grid.table, check_exact=True)


def test_seed_matters_and_a_generator_is_accepted(serial_grid):
    other = ke.power_grid(**{**SMALL, "seed": 7}, backend="serial")
    assert not other.table["mean_estimate"].equals(serial_grid.table["mean_estimate"])
    a = ke.power_grid(**{**SMALL, "seed": np.random.default_rng(3)}, backend="serial")
    b = ke.power_grid(**{**SMALL, "seed": np.random.default_rng(3)}, backend="serial")
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)


def test_size_is_alpha_and_power_grows_with_n_and_effect():
    g = ke.power_grid(
        n=[100, 400],
        effect=[0.0, 0.2, 0.4],
        design="single",
        sims=400,
        seed=11,
        backend="processes",
        max_workers=2,
    )
    t = g.table.set_index(["n", "effect"])["power"]
    mc_se0 = np.sqrt(0.05 * 0.95 / 400)  # ≈ 0.011
    assert abs(t[(100, 0.0)] - 0.05) < 4 * mc_se0
    assert abs(t[(400, 0.0)] - 0.05) < 4 * mc_se0
    # gaps of at least 0.2 in true power, against Monte Carlo SEs of at most 0.025
    assert t[(100, 0.2)] < t[(400, 0.2)]
    assert t[(100, 0.4)] < t[(400, 0.4)]
    assert t[(100, 0.0)] < t[(100, 0.2)] < t[(100, 0.4)]
    assert t[(400, 0.0)] < t[(400, 0.2)] < t[(400, 0.4)]


def test_power_at_the_analytic_mde_is_80_percent():
    effect = float(ke.mde(400, distribution="t"))
    fac = float(ke.mde(400, r2=0.3, icc=0.1, cluster_size=5, distribution="t"))
    single = ke.power_grid(
        n=400, effect=effect, design="single", sims=800, seed=5, backend="serial"
    ).table.iloc[0]
    factorial = ke.power_grid(
        n=400, effect=fac, icc=0.1, cluster_size=5, r2=0.3, strata=4, sims=800, seed=6,
        backend="serial",
    ).table.iloc[0]  # fmt: skip
    mc_se = np.sqrt(0.8 * 0.2 / 800)  # ≈ 0.014
    assert abs(single["power"] - 0.8) < 4 * mc_se
    # CR1 with G - 1 df, strata fixed effects and the onsite arm cost a few df: same tolerance
    assert abs(factorial["power"] - 0.8) < 4 * mc_se
    for row in (single, factorial):
        assert abs(row["coverage"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 800)
        assert abs(row["bias"]) < 4 * row["mean_std_error"] / np.sqrt(800)


def test_late_by_2sls_is_unbiased_with_nominal_size_and_coverage():
    g = ke.power_grid(
        n=400, takeup=0.6, effect=[0.0, 0.5], design="single", sims=300, seed=9, backend="serial"
    )
    t = g.table.set_index("effect")
    assert (t["estimand"] == "LATE").all()
    se = np.sqrt(0.05 * 0.95 / 300)  # ≈ 0.0126
    assert abs(t.loc[0.0, "power"] - 0.05) < 4 * se
    assert (abs(t["coverage"] - 0.95) < 4 * se).all()
    # the mean of 300 estimates has SE ≈ mean_std_error / sqrt(300)
    assert (abs(t["bias"]) < 4 * t["mean_std_error"] / np.sqrt(300)).all()
    # the LATE's standard error is about the ITT's divided by the take-up (0.1 / 0.6)
    assert t.loc[0.0, "mean_std_error"] == pytest.approx(0.1 / 0.6, rel=0.1)


def test_plot_draws_one_curve_per_effect_takeup_icc(serial_grid):
    from matplotlib.figure import Figure

    fig = serial_grid.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 8
    assert "effect=0.5, takeup=0.7, icc=0.2" in labels
    assert ax.get_xlabel() == "sample size (firms)"


def test_result_is_immutable(serial_grid):
    t = serial_grid.table
    t.loc[0, "power"] = 99.0
    assert serial_grid.table.loc[0, "power"] != 99.0
    with pytest.raises(AttributeError):
        serial_grid.sims = 3
    assert "16 grid points" in repr(serial_grid)


def test_progress_reports_on_stderr(capsys):
    ke.power_grid(n=40, effect=[0.0, 0.3], design="single", sims=3, backend="serial", progress=True)
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"design": "crossed"}, r"`design` must be one of 'single', 'factorial'. You passed"),
        ({"backend": "mpi"}, r"`backend` must be one of 'processes', 'serial', 'dask'"),
        ({"icc": 0.1}, r"`icc` > 0 needs clusters: set cluster_size > 1"),
        ({"n": 101, "cluster_size": 2}, r"n=101 is not a multiple of cluster_size=2"),
        ({"n": 12, "strata": 4}, r"n=12 gives 12 clusters for 4 strata"),
        ({"takeup": 0.0}, r"`takeup` values must be in \(0, 1\]. You passed: 0.0"),
        ({"effect": []}, r"`effect` must have at least one value"),
        ({"n": [100, 100]}, r"`n` must have at least one value and no repeats"),
        ({"n": 100.5}, r"`n` must be an integer >= 2. You passed: 100.5"),
        ({"sims": 1}, r"`sims` must be an integer >= 2"),
        ({"client": object()}, r'`client` is only used with backend="dask"'),
        ({"max_workers": 0}, r"`max_workers` must be an integer >= 1"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"n": 100, "effect": 0.2, "sims": 5, "backend": "serial", **kwargs}
    with pytest.raises(KaizenError, match=match):
        ke.power_grid(**args)


def test_dask_backend_without_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(KaizenError, match=r'pip install "kaizen-eval\[dask\]"'):
        ke.power_grid(n=100, effect=0.2, sims=5, backend="dask")


def test_dask_backend_without_a_cluster_says_so():
    distributed = pytest.importorskip("distributed")
    with pytest.raises(ValueError):  # make sure no client is left over from another test
        distributed.get_client()
    with pytest.raises(KaizenError, match=r'backend="dask" needs a cluster: pass client='):
        ke.power_grid(n=100, effect=0.2, sims=5, backend="dask")
    with pytest.raises(KaizenError, match=r"`client` must be a distributed.Client, not str"):
        ke.power_grid(n=100, effect=0.2, sims=5, backend="dask", client="tcp://x:8786")


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_a_failing_replication_names_its_grid_point(backend):
    # 10 invited firms with take-up 0.01: nobody takes up in most replications, 2SLS cannot fit
    with pytest.raises(KaizenError, match=r"grid point n=20, takeup=0.01, effect=0.3, icc=0"):
        ke.power_grid(n=20, takeup=0.01, effect=0.3, design="single", sims=5, backend=backend)


# --- the fits of a block of replications at once (issue 7) ----------------------------------

grid_module = importlib.import_module("kaizen_eval.design.power_grid")


def _point(*, n=80, takeup=1.0, effect=0.3, icc=0.0, cluster_size=1, design="single",
           strata=1, sims=30, r2=0.0):  # fmt: skip
    return grid_module._Point(
        n, takeup, effect, icc, cluster_size, design, strata, sims, 0.05, 1.0, r2
    )


def _per_replication_loop(point, seed):
    """The grid point as it was fitted before the batches: one fit per replication.

    A copy of the former loop of ``_simulate_point`` (same streams, same error wrapping);
    returns the estimate, standard error and df of every replication.
    """
    n, m = point.n, point.cluster_size
    n_clusters = n // m
    cluster = np.repeat(np.arange(n_clusters), m)
    stratum = cluster % point.strata
    frame = pd.DataFrame(
        {"firm_id": [f"F{i:07d}" for i in range(n)], "stratum": stratum, "cluster": cluster}
    )
    asg = ke.assign(
        frame,
        strata="stratum" if point.strata > 1 else None,
        cluster="cluster" if m > 1 else None,
        stage2=(
            ke.Stage(arms={"onsite": 0.5}, strata="stratum" if point.strata > 1 else None)
            if point.design == "factorial"
            else None
        ),
        seed=0,
    )
    ss_assign, ss_outcome = seed.spawn(2)
    draws = asg.redraw_many(point.sims, np.random.default_rng(ss_assign))
    rng = np.random.default_rng(ss_outcome)
    clustered = m > 1
    se_type = "CR1" if clustered else "HC2"
    clusters = cluster if clustered else None
    fe = stratum if point.strata > 1 else None
    b = point.sd * np.sqrt(point.r2)
    s_u = point.sd * np.sqrt(point.icc * (1 - point.r2))
    s_e = point.sd * np.sqrt((1 - point.icc) * (1 - point.r2))
    late = point.takeup < 1
    est, ses, dfs = (np.empty(point.sims) for _ in range(3))
    for s in range(point.sims):
        z = draws["invited"][s].astype(float)
        took = z * (rng.random(n) < point.takeup) if late else z
        x = rng.standard_normal(n)
        u = rng.standard_normal(n_clusters)[cluster] * s_u
        e = rng.standard_normal(n) * s_e
        y = point.effect * took + b * x + u + e
        exog = [] if fe is not None else [np.ones(n)]
        if "onsite" in draws:
            exog.append(draws["onsite"][s].astype(float))
        if point.r2 > 0:
            exog.append(x)
        exog_x = np.column_stack(exog) if exog else np.empty((n, 0))
        try:
            if late:
                fit = fit_2sls(
                    y, exog_x, took[:, None], z[:, None], se=se_type, clusters=clusters,
                    fixed_effects=fe,
                )  # fmt: skip
            else:
                fit = fit_ols(
                    y, np.column_stack([z, exog_x]), se=se_type, clusters=clusters,
                    fixed_effects=fe,
                )  # fmt: skip
        except KaizenError as err:
            raise KaizenError(
                f"grid point n={n}, takeup={point.takeup:g}, effect={point.effect:g}, "
                f"icc={point.icc:g}, replication {s}: {err}"
            ) from err
        j = exog_x.shape[1] if late else 0
        est[s], ses[s], dfs[s] = fit.coef[j], fit.std_error[j], fit.df[j]
    return est, ses, dfs


def _summary(point, est, ses, dfs):
    """The former summary of a grid point's replications."""
    q = stats.t.ppf(1 - point.alpha / 2, dfs)
    pvals = 2 * stats.t.sf(np.abs(est / ses), dfs)
    return {
        "power": float((pvals < point.alpha).mean()),
        "bias": float(est.mean() - point.effect),
        "coverage": float((np.abs(est - point.effect) <= q * ses).mean()),
        "mean_estimate": float(est.mean()),
        "mean_std_error": float(ses.mean()),
    }


@pytest.fixture
def refits(monkeypatch):
    """Count the one-replication fits the grid makes."""
    calls = []
    for name in ("fit_ols", "fit_2sls"):
        fit = getattr(grid_module, name)

        def counting(*args, _fit=fit, **kwargs):
            calls.append(1)
            return _fit(*args, **kwargs)

        monkeypatch.setattr(grid_module, name, counting)
    return calls


def _assert_equal_to_loop(got, loop):
    # normal equations here, QR (and linearmodels for 2SLS) there: equal up to rounding
    for a, b in zip(got[:2], loop[:2], strict=True):
        assert np.abs(a - b).max() < 1e-10
    assert (got[2] == loop[2]).all()


@pytest.mark.parametrize("takeup", [1.0, 0.6])
@pytest.mark.parametrize("design", ["single", "factorial"])
@pytest.mark.parametrize(("cluster_size", "icc"), [(1, 0.0), (4, 0.2)])
@pytest.mark.parametrize(("strata", "r2"), [(1, 0.0), (2, 0.3)])
def test_batched_point_equals_one_fit_per_replication(
    takeup, design, cluster_size, icc, strata, r2, refits
):
    point = _point(
        takeup=takeup, design=design, cluster_size=cluster_size, icc=icc, strata=strata, r2=r2
    )
    seed = np.random.SeedSequence(42)
    got = grid_module._replications(point, seed)
    assert not refits  # every replication went through the batch
    loop = _per_replication_loop(point, np.random.SeedSequence(42))
    _assert_equal_to_loop(got, loop)
    summary = grid_module._simulate_point(point, np.random.SeedSequence(42))
    expected = _summary(point, *loop)
    assert summary["power"] == expected["power"]  # shares: no p-value within 1e-10 of alpha
    assert summary["coverage"] == expected["coverage"]
    for key in ("bias", "mean_estimate", "mean_std_error"):
        assert abs(summary[key] - expected[key]) < 1e-10


@pytest.mark.parametrize(
    "point",
    [
        _point(takeup=0.7, design="factorial", cluster_size=2, icc=0.2, strata=2, sims=23),
        _point(takeup=1.0, design="factorial", strata=2, r2=0.3, sims=23),
        _point(takeup=0.5, r2=0.3, sims=23),
    ],
)
def test_results_do_not_depend_on_the_block_size(point):
    whole = grid_module._replications(point, np.random.SeedSequence(5))
    for block in (1, 2, 3, 7, 22):
        parts = grid_module._replications(point, np.random.SeedSequence(5), block=block)
        for a, b in zip(parts, whole, strict=True):
            assert (a == b).all(), block


@pytest.mark.parametrize("takeup", [1.0, 0.6])
def test_flagged_replications_are_refitted_in_place(takeup, refits, monkeypatch):
    # nothing in a regular design is flagged: flag every third replication, and check that the
    # refits land where they belong (the right outcome, take-up, invitation and covariates)
    point = _point(takeup=takeup, design="factorial", strata=2, r2=0.3, sims=20)
    cls = "Batch2SLS" if takeup < 1 else "BatchOLS"
    batch_cls = getattr(grid_module, cls)

    class Flagging(batch_cls):
        def fit(self, y, *rows):
            fit = super().fit(y, *rows)
            suspect = fit.suspect.copy()
            suspect[::3] = True
            return replace(fit, suspect=suspect)

    monkeypatch.setattr(grid_module, cls, Flagging)
    got = grid_module._replications(point, np.random.SeedSequence(8), block=7)
    assert len(refits) == 3 + 3 + 2  # blocks of 7, 7 and 6
    _assert_equal_to_loop(got, _per_replication_loop(point, np.random.SeedSequence(8)))


@pytest.mark.parametrize(
    ("point", "seed"),
    [
        (_point(n=20, takeup=0.01, sims=5), 3),  # nobody takes up at once: 2SLS cannot fit
        # nobody takes up at a later replication, after some that fit in the same blocks
        (_point(n=20, takeup=0.2, design="factorial", strata=2, r2=0.3, sims=40), 2),
        (_point(n=2, sims=3), 3),  # two firms, two parameters: no residual degrees of freedom
        (_point(n=2, takeup=0.5, sims=3), 3),
    ],
)
@pytest.mark.parametrize("block", [None, 4])
def test_a_replication_that_cannot_be_fitted_fails_as_before(point, seed, block):
    pattern = r"grid point n=\d+, .* replication (\d+): "
    with pytest.raises(KaizenError, match=pattern) as old:
        _per_replication_loop(point, np.random.SeedSequence(seed))
    with pytest.raises(KaizenError, match=pattern) as new:
        grid_module._replications(point, np.random.SeedSequence(seed), block=block)
    assert str(new.value) == str(old.value)
