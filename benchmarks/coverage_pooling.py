"""Coverage of the 95 % intervals for ``mu`` of ``ke.pool_sites`` on simulated sites (issue 15).

Produces the table of ``docs/pooling.md`` ("Which interval to trust with few sites"). Sites:
``s_j ~ U(0.5, 1.5)``, ``theta_j ~ N(mu = 1, tau**2)``, ``y_j ~ N(theta_j, s_j**2)``; the
interval covers when ``ci_low <= mu <= ci_high``. Columns:

* ``knha``: REML with the Hartung–Knapp–Sidik–Jonkman test, ``tau = 1``;
* ``dl_z``: DerSimonian–Laird with the z test, on the same simulated data as ``knha``;
* ``bayes_uniform``: ``method="bayes"`` with its default uniform prior on ``tau``, ``tau = 1``;
* ``bayes_half_normal``: ``method="bayes", prior="half_normal", prior_scale=1``, with ``tau``
  drawn for each replication from that half-normal(1) prior (a credible interval's coverage
  averaged over its own prior is nominal).

The seeds of ``knha``/``dl_z`` (``j``) and ``bayes_half_normal`` (``1000 + j``) are those of
``tests/pooling/test_coverage.py::test_coverage_over_thousands_of_replications``; the uniform
prior's are ``2000 + j``::

    python benchmarks/coverage_pooling.py                 # 4,000 / 2,000 replications (~10 min)
    python benchmarks/coverage_pooling.py --quick         # 200 / 100 (smoke test)
    python benchmarks/coverage_pooling.py --only bayes_uniform --sites 7
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import kaizen_eval as ke

MU = 1.0
COLUMNS = ("knha", "dl_z", "bayes_uniform", "bayes_half_normal")
SITES = (4, 7, 20)


def coverage(j: int, reps: int, seed: int, how: str) -> float:
    """Share of ``reps`` simulated sets of ``j`` sites whose 95 % interval covers ``mu``."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        s = rng.uniform(0.5, 1.5, j)
        tau = abs(rng.standard_normal()) if how == "bayes_half_normal" else 1.0
        y = MU + tau * rng.standard_normal(j) + s * rng.standard_normal(j)
        sites = pd.DataFrame({"estimate": y, "std_error": s})
        with warnings.catch_warnings():
            # J = 4 under the uniform prior: the posterior sd of mu is infinite (warned); the
            # interval, from the quantiles, is finite.
            warnings.simplefilter("ignore")
            if how == "bayes_half_normal":
                p = ke.pool_sites(sites, method="bayes", prior="half_normal", prior_scale=1.0)
            elif how == "bayes_uniform":
                p = ke.pool_sites(sites, method="bayes")
            elif how == "knha":
                p = ke.pool_sites(sites, method="REML", test="knha")
            else:
                p = ke.pool_sites(sites, method="DL", test="z")
        hits += p.ci_low <= MU <= p.ci_high
    return hits / reps


def seed_of(j: int, how: str) -> int:
    return {"knha": 0, "dl_z": 0, "bayes_half_normal": 1000, "bayes_uniform": 2000}[how] + j


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", choices=COLUMNS)
    parser.add_argument("--freq-reps", type=int, default=None, help="default 4,000 (quick 200)")
    parser.add_argument("--bayes-reps", type=int, default=None, help="default 2,000 (quick 100)")
    parser.add_argument("--sites", action="append", type=int, choices=SITES)
    args = parser.parse_args(argv)
    freq = args.freq_reps or (200 if args.quick else 4000)
    bayes = args.bayes_reps or (100 if args.quick else 2000)
    cols = args.only or list(COLUMNS)
    sites = args.sites or list(SITES)
    table = pd.DataFrame(index=pd.Index(sites, name="sites"), columns=cols, dtype=float)
    for how in cols:
        reps = bayes if how.startswith("bayes") else freq
        for j in sites:
            t0 = time.perf_counter()
            table.loc[j, how] = 100 * coverage(j, reps, seed_of(j, how), how)
            print(
                f"{how:<18} J = {j:<3} {reps:>6,} reps: {table.loc[j, how]:6.2f} %"
                f" ({round(table.loc[j, how] * reps / 100):,} cover)"
                f"  ({time.perf_counter() - t0:5.1f} s)",
                flush=True,
            )
    print(
        f"\ncoverage of the 95 % intervals for mu, percent ({freq:,} replications for knha "
        f"and dl_z, {bayes:,} for bayes)"
    )
    print(table.round(2).to_string())
    return table


if __name__ == "__main__":
    main()
