"""CPU time of the fast paths, for before/after comparisons on a shared machine (issue 12).

Prints one JSON line: each path's best ``time.process_time()`` over a few repeats, on the data
and sizes of ``bench_resampling.py``. Run it alternately on two versions of the package, with one
BLAS thread so that other jobs disturb it little, e.g.::

    for r in 1 2 3; do
      OPENBLAS_NUM_THREADS=1 PYTHONPATH=/path/to/old/src python benchmarks/ab_fast_paths.py
      OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/ab_fast_paths.py
    done

and compare each side's best (``RESULTS.md``, issue 12, table B).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import kaizen_eval as ke

try:  # the engine and fit_ols moved to the numerical core in issue 12
    from kaizen_eval._core.engine import ResamplingEngine, block_rows
    from kaizen_eval._core.linear import fit_ols
except ImportError:
    from kaizen_eval.estimate.engine import ResamplingEngine, block_rows
    from kaizen_eval.estimate.linear import fit_ols
from kaizen_eval.estimate.ri import _permute

_spec = importlib.util.spec_from_file_location(
    "bench_resampling", Path(__file__).with_name("bench_resampling.py")
)
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_resampling"] = bench
_spec.loader.exec_module(bench)


def best(fn: Callable[[], object], repeat: int) -> float:
    """Smallest CPU time of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        out.append(time.process_time() - start)
    return min(out)


def main(draws: int = 10_000, sims: int = 1_000) -> dict[str, float]:
    """Time every path; returns (and prints) ``{path: seconds}``."""
    df = bench.make_trial()
    outcomes = bench.outcomes_of(df)
    t, strata = df["invited"].to_numpy(), df["stratum"].to_numpy()
    design = bench._ri_design(draws)

    def engine(draw_count: int, **kw: object) -> np.ndarray:
        eng = ResamplingEngine(
            df[outcomes].to_numpy(),
            covariates=df[list(bench.COVARIATES)].to_numpy(),
            fixed_effects=strata,
            **kw,
        )
        blocks = _permute(t, strata, draw_count, np.random.default_rng(0), block_rows(len(df)))
        return eng.run(blocks).t

    asg = bench.tanzania_assignment()
    effects = {"invited": 0.3, "onsite": 0.3, "invited:onsite": 0.0}
    grid = {"n": [200, 400], "takeup": [1.0, 0.6], "effect": 0.2, "icc": [0.0, 0.1]}
    grid |= {"cluster_size": 10, "strata": 4, "r2": 0.3, "sims": sims // 2, "seed": 1}
    panel = bench.make_panel(100_000)
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(1_000_000), rng.normal(size=(1_000_000, 9))])
    y = x @ np.arange(10.0) + rng.normal(size=1_000_000)
    res = {
        "ri_one_call": best(lambda: bench._ri_one_call(df, draws), 5),
        "romano_wolf": best(lambda: ke.romano_wolf(df, outcomes=outcomes, seed=0, **design), 5),
        "engine_2sls": best(
            lambda: engine(draws, se_type="HC1", endogenous=df["attended"].to_numpy()), 5
        ),
        "engine_cr1_2000": best(
            lambda: engine(2000, se_type="CR1", clusters=np.arange(len(df)) // 4), 3
        ),
        "simulate_power": best(
            lambda: ke.simulate_power(asg, effects=effects, r2=0.3, sims=sims, seed=0), 5
        ),
        "simulate_power_HC1": best(
            lambda: ke.simulate_power(
                asg, effects={"invited": 0.3}, r2=0.3, sims=sims, seed=0, se="HC1"
            ),
            3,
        ),
        "power_grid_serial": best(lambda: ke.power_grid(**grid, backend="serial"), 3),
        "itt_1e5": best(lambda: bench.fit_kaizen(panel, "ITT"), 5),
        "late_1e5": best(lambda: bench.fit_kaizen(panel, "LATE"), 5),
        "fit_ols_HC1_1e6x10": best(lambda: fit_ols(y, x, se="HC1"), 3),
        "fit_ols_HC2_1e6x10": best(lambda: fit_ols(y, x, se="HC2"), 3),
    }
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
