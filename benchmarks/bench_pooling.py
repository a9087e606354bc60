"""Time ``ke.pool_sites``: the 7-site Bayesian fit with 10,000 predictive draws (issue 15).

Target (issue 15): under 50 ms on this machine, with no compiler or MCMC backend. Best of N
repetitions after a warm-up, printed with the frequentist REML fit beside it for scale::

    python benchmarks/bench_pooling.py            # best of 25
    python benchmarks/bench_pooling.py --quick    # best of 3 (smoke test)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import kaizen_eval as ke

SEVEN = pd.DataFrame(
    {"estimate": [28, 8, -3, 7, -1, 1, 18], "std_error": [15, 10, 16, 11, 9, 11, 10]},
    index=list("ABCDEFG"),
)


def best_of(fn, repeat: int) -> float:
    fn()  # warm up imports and caches
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 25
    times = {
        "bayes, 7 sites + 10,000 draws": best_of(
            lambda: ke.pool_sites(SEVEN, method="bayes").draws(10_000, seed=0), repeat
        ),
        "REML + knha, 7 sites + 10,000 draws": best_of(
            lambda: ke.pool_sites(SEVEN, method="REML", test="knha").draws(10_000), repeat
        ),
    }
    for name, t in times.items():
        print(f"{name:<40} best of {repeat}: {t * 1000:7.1f} ms")
    return times


if __name__ == "__main__":
    main()
