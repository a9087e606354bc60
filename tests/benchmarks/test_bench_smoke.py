"""Smoke test of benchmarks/bench_resampling.py at tiny sizes (the benchmark is not run in CI)."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_resampling.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_resampling", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_stratified_draws_permute_within_strata(bench):
    t = np.array([0, 1, 0, 1, 1, 1, 0, 0], dtype=float)
    s = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    d = bench.stratified_draws(t, s, 50, seed=0)
    assert d.shape == (50, 8)
    np.testing.assert_array_equal(d[:, :4].sum(axis=1), 2)
    np.testing.assert_array_equal(d[:, 4:].sum(axis=1), 2)
    assert len({tuple(r) for r in d}) > 1


def test_sections_run_at_tiny_sizes(bench, capsys):
    df = bench.make_trial(n=48, n_strata=4, n_outcomes=2)
    ri = bench.section_ri(df, draws=40, sm_draws=2, ritest_reps=2)
    labels = [r.label for r in ri["rows"]]
    assert bench.KE_RI in labels and bench.SM in labels and bench.BARE in labels
    assert bench.KE_ONE in labels and bench.KE_RW in labels
    assert all(r.seconds > 0 for r in ri["rows"])
    assert ((ri["pvalues"] > 0) & (ri["pvalues"] <= 1)).all()
    iv = bench.section_ri_iv(df, draws=40, lm_draws=2)
    assert iv["rows"][-1].label == bench.BARE
    fits = bench.section_fits([1_000])["fits"]
    assert [f["kind"] for f in fits] == ["ITT", "LATE"]
    # estimates and CR1 standard errors identical to linearmodels with strata dummies
    assert max(max(f["rel_coef"], f["rel_se"]) for f in fits) <= 1e-8
    power = bench.section_power(sims=5)
    assert power["peak_mib"] > 0 and list(power["table"].index) == [
        "invited",
        "onsite",
        "invited:onsite",
    ]
    grid = bench.section_grid(sims=4)
    assert grid["serial"] > 0 and len(grid["table"]) == 8
    out = capsys.readouterr().out
    assert "targets:" in out and "observed t, kaizen_eval vs statsmodels" in out


def test_main_quick_parses_sections(bench, monkeypatch):
    called = []
    for name in ("section_ri", "section_ri_iv", "section_fits", "section_power", "section_grid"):
        monkeypatch.setattr(bench, name, lambda *a, _n=name, **k: called.append(_n))
    bench.main(["--quick", "--only", "fits", "--only", "power"])
    assert called == ["section_fits", "section_power"]
    bench.main(["--quick", "--only", "grid"])
    assert called[-1] == "section_grid"
