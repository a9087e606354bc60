"""Benchmark: ``ke.heterogeneity`` (generic ML inference) at the size of a trial (issue 16).

N = 2,000 firms, 10 covariates, the default random forest, 100 sample splits, 5 GATES groups,
run on ``--jobs`` worker processes (default 2, the machine's cores); best of ``--repeat`` runs.
Target: under 60 s. Prints the timings, the BLP and GATES, and whether β₂'s interval covers
the true loading of a τ(x) linear in one covariate.

Run ``python benchmarks/bench_heterogeneity.py`` (a few minutes), or add ``--splits 10``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

import kaizen_eval as ke


def data(n: int = 2_000, k: int = 10, seed: int = 0) -> pd.DataFrame:
    """Firms with effect ``1 + x0`` (heterogeneous in one covariate) and a prognostic ``x1``."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(k)})
    df["invited"] = rng.integers(0, 2, n)
    df["y"] = df["x1"] + df["invited"] * (1.0 + df["x0"]) + rng.normal(size=n)
    return df


def main() -> None:
    """Time the benchmark and print a Markdown-ready summary."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--splits", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    df = data()
    cov = [c for c in df.columns if c.startswith("x")]
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        h = ke.heterogeneity(
            df, outcome="y", treatment="invited", covariates=cov, learner="forest",
            splits=args.splits, groups=5, seed=0, n_jobs=args.jobs, progress=False,
        )  # fmt: skip
        times.append(time.perf_counter() - t0)
    # CPU seconds per split (one process): what the run costs on an unloaded machine
    c0 = time.process_time()
    ke.heterogeneity(
        df, outcome="y", treatment="invited", covariates=cov, learner="forest", splits=5,
        groups=5, seed=1, n_jobs=1,
    )  # fmt: skip
    per_split = (time.process_time() - c0) / 5
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    print(
        f"CPU per split {per_split:.2f} s: {args.splits} splits need {per_split * args.splits:.1f} "
        f"CPU s, {per_split * args.splits / args.jobs:.1f} s on {args.jobs} free cores"
    )
    print(
        f"N = {len(df)}, {len(cov)} covariates, forest, {args.splits} splits, n_jobs = "
        f"{args.jobs}: best of {args.repeat} {min(times):.1f} s (all: "
        + ", ".join(f"{t:.1f}" for t in times)
        + ")"
    )
    print(h.blp.to_string())
    print(h.gates.to_string())
    lo, hi = h.blp.loc["heterogeneity", ["ci_low", "ci_high"]]
    print(f"beta2 interval [{lo:.3f}, {hi:.3f}] (a perfect proxy has beta2 = 1)")


if __name__ == "__main__":
    main()
