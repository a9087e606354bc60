"""Smoke test of benchmarks/bench_exposure.py at tiny sizes (the benchmark is not run in CI)."""

import importlib.util
import pathlib
import sys

PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_exposure.py"


def test_bench_exposure_runs_at_tiny_sizes():
    spec = importlib.util.spec_from_file_location("bench_exposure", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        r = module.run(n=120, draws=200, repeat=1)
    finally:
        del sys.modules[spec.name]
    assert r["draws"] == 200 and r["mean_neighbours"] > 0
    assert set(module.CPU) == {"total", "graph", "redraw", "codes"}
