"""Smoke test of benchmarks/bench_pooling.py (the timing itself is a benchmark, not a test)."""

import importlib.util
import pathlib

PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_pooling.py"


def test_bench_pooling_runs_quick(capsys):
    spec = importlib.util.spec_from_file_location("bench_pooling", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    times = module.main(["--quick"])
    assert len(times) == 2 and all(t > 0 for t in times.values())
    assert "best of 3" in capsys.readouterr().out
