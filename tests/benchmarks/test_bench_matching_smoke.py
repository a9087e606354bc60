"""Smoke test of benchmarks/bench_matching.py at tiny sizes (the benchmark is not run in CI)."""

import importlib.util
import pathlib

PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_matching.py"


def test_bench_matching_runs_and_agrees(capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_matching", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run((60, 120), 1)
    assert len(rows) == 2 * len(module.WORKLOADS)
    assert all(r["old"] > 0 and r["new"] > 0 and r["diff"] <= 1e-12 for r in rows)
    assert "old / new" in capsys.readouterr().out
