"""Benchmark: CR2 (Bell–McCaffrey, Pustejovsky–Tipton df) against CR1 and estimatr (issue 13).

For each workload, in one run on the same data: ``ke.itt(..., se="CR1")`` and
``ke.itt(..., se="CR2")`` (the whole public call: data handling, fit, covariance, df), best of
``--reps``, with the peak traced memory of the CR2 call (``tracemalloc``, second run); then
estimatr's ``lm_robust(se_type="CR2")`` on the same CSV through ``Rscript`` (best of
``--r-reps`` inside one R session, data reading excluded), and the largest relative difference
of the standard errors and df between the two. Without ``Rscript`` or estimatr the R column is
skipped with a note.

Workloads (targets of issue 13: CR2 within 3× of CR1 at G = 1,000 and G = 50; ≥ 5× faster than
estimatr at G = 1,000 and ≥ 100× at G = 50):

* N = 100,000, G = 1,000 clusters of 100, 20 strata fixed effects (clusters nested in strata);
* N = 100,000, G = 50 clusters of 2,000, no fixed effects;
* N = 20,000, G = 20 clusters of 1,000, no fixed effects.

Run ``python benchmarks/bench_cr2.py`` (estimatr needs minutes at G = 50) or ``--quick``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import kaizen_eval as ke

WORKLOADS = ((100_000, 1_000, 20), (100_000, 50, 0), (20_000, 20, 0))
QUICK = ((10_000, 100, 10), (10_000, 10, 0))

R_SCRIPT = r"""
suppressPackageStartupMessages(library(estimatr))
args <- commandArgs(trailingOnly = TRUE)
dat <- read.csv(args[1])
reps <- as.integer(args[2])
fe <- args[3] == "1"
best <- Inf
for (i in seq_len(reps)) {
  t0 <- proc.time()[["elapsed"]]
  fit <- if (fe) {
    lm_robust(y ~ invited + x1, data = dat, fixed_effects = ~stratum, clusters = cluster,
              se_type = "CR2")
  } else {
    lm_robust(y ~ invited + x1, data = dat, clusters = cluster, se_type = "CR2")
  }
  best <- min(best, proc.time()[["elapsed"]] - t0)
}
cat(sprintf("time %.6f\n", best))
for (t in c("invited", "x1")) cat(sprintf("%s %.17g %.17g\n", t, fit$std.error[[t]], fit$df[[t]]))
"""


def make_data(n: int, g: int, n_strata: int, seed: int = 0) -> pd.DataFrame:
    """Clusters of equal size (nested in strata when ``n_strata``), invitation by cluster."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(g), n // g)
    invited = (rng.permutation(g) < g // 2).astype(float)[cluster]
    x1 = rng.normal(size=n)
    y = 0.3 * invited + 0.5 * x1 + rng.normal(size=g)[cluster] + rng.normal(size=n)
    df = pd.DataFrame({"cluster": cluster, "invited": invited, "x1": x1, "y": y})
    df["stratum"] = cluster * n_strata // g if n_strata else 0
    return df


def best_of(fn: Callable[[], object], reps: int) -> float:
    best = np.inf
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_mib(fn: Callable[[], object]) -> float:
    fn()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run_r(df: pd.DataFrame, fe: bool, reps: int) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "data.csv", Path(tmp) / "cr2.R"
        df.to_csv(data, index=False, float_format="%.17g")
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(data), str(reps), "1" if fe else "0"],
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        print(f"    estimatr failed: {out.stderr.strip()[:300]}")
        return None
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    res = {"time": float(lines["time"])}
    for term in ("invited", "x1"):
        se, df_ = lines[term].split()
        res[term] = (float(se), float(df_))
    return res


def workload(n: int, g: int, n_strata: int, reps: int, r_reps: int, use_r: bool) -> dict:
    df = make_data(n, g, n_strata)
    kw = {
        "outcome": "y",
        "treatment": "invited",
        "covariates": "x1",
        "cluster": "cluster",
        "fixed_effects": "stratum" if n_strata else None,
    }

    def cr(se: str) -> ke.Estimate:
        with warnings.catch_warnings():  # the few-clusters warning of CR1 at G = 20
            warnings.simplefilter("ignore", ke.KaizenWarning)
            return ke.itt(df, se=se, **kw)

    cr1, cr2 = best_of(lambda: cr("CR1"), reps), best_of(lambda: cr("CR2"), reps)
    mem = peak_mib(lambda: cr("CR2"))
    row = {"N": n, "G": g, "strata FE": n_strata, "CR1 (s)": cr1, "CR2 (s)": cr2}
    row["CR2/CR1"] = cr2 / cr1
    row["CR2 peak MiB"] = mem
    if use_r:
        r = run_r(df, bool(n_strata), r_reps)
        if r is not None:
            fit = cr("CR2").extra["fit"]
            diffs = []
            for term in ("invited", "x1"):
                j = fit.index(term)
                se, dfree = float(np.sqrt(fit.vcov[j, j])), float(fit.df[j])
                diffs += [abs(se / r[term][0] - 1), abs(dfree / r[term][1] - 1)]
            row["estimatr (s)"] = r["time"]
            row["estimatr/CR2"] = r["time"] / cr2
            row["max rel diff (se, df)"] = max(diffs)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--reps", type=int, default=7, help="best of (kaizen_eval)")
    parser.add_argument("--r-reps", type=int, default=3, help="best of (estimatr, G >= 100)")
    parser.add_argument("--no-r", action="store_true", help="skip estimatr")
    args = parser.parse_args()
    use_r = not args.no_r
    if use_r and shutil.which("Rscript") is None:
        print("note: Rscript not found, estimatr is skipped")
        use_r = False
    print(f"kaizen_eval {ke.__version__}, numpy {np.__version__}, {platform.platform()}")
    rows = []
    for n, g, s in QUICK if args.quick else WORKLOADS:
        r_reps = args.r_reps if g >= 100 else 1  # estimatr takes minutes with few big clusters
        print(f"  N = {n:,}, G = {g:,}, strata FE = {s} ...", flush=True)
        rows.append(workload(n, g, s, args.reps, r_reps, use_r))
        print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    print()
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))


if __name__ == "__main__":
    main()
