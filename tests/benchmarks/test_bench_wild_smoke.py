"""Smoke test of benchmarks/bench_wild*.py at tiny sizes (the benchmarks are not run in CI)."""

import importlib.util
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_bench_wild_pieces_run():
    bench = _load("bench_wild")
    df = bench.make_data(400, 10)
    assert df["g"].nunique() == 10 and set(df["t"]) == {0.0, 1.0}
    wb = bench.ke_call(df, 99)
    assert 0 <= wb.pvalue <= 1 and wb.exact is False
    v = np.ones((5, 10))
    assert bench.bare_products(v, np.ones((10, 11))).shape == (5,)


def test_bench_wild_size_runs():
    size = _load("bench_wild_size")
    rates = size.size(10, False, reps=3)
    assert set(rates) == {"CR1", "CR2", "WCR"} and all(0 <= r <= 1 for r in rates.values())
