"""Few clusters, which inference? Size at 5 % of CR1, CR2 and the WCR bootstrap (issue 13).

A Monte Carlo under the null (no treatment effect): G clusters (10, 20, 50) of firms, half of
the clusters treated; *balanced*: 30 firms per cluster and equal error variances; *unbalanced*:
cluster sizes from 5 to 200 (log-uniform), one cluster in five treated, and errors twice as
dispersed in the treated clusters. The ITT regression has one covariate; tests of ``β = 0``:

* CR1: Stata's ``vce(cluster)``, t with G − 1 degrees of freedom;
* CR2: Bell–McCaffrey with Pustejovsky–Tipton degrees of freedom (``fit_ols(se="CR2")``);
* WCR: ``wild_cluster_bootstrap``'s kernel, Rademacher weights, 999 draws (every sign
  pattern when G = 10).

Run ``python benchmarks/bench_wild_size.py [--reps 1000]``; it prints a Markdown table (the one
in ``docs/estimate.md``, "Few clusters: which inference?").
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._core.wild import WildOLS, draw_weights


def trial(rng: np.random.Generator, g: int, balanced: bool):
    """One trial under the null: y, t, x (with a constant) and cluster codes."""
    if balanced:
        sizes = np.full(g, 30)
        treated = rng.permutation(np.arange(g) < g // 2)
    else:
        sizes = np.exp(rng.uniform(np.log(5), np.log(200), g)).astype(int)
        treated = rng.permutation(np.arange(g) < max(1, g // 5))
    cl = np.repeat(np.arange(g), sizes)
    n = len(cl)
    x = rng.normal(size=n)
    noise = 1.0 if balanced else 1.0 + treated[cl]
    y = 0.5 * x + 0.5 * rng.normal(size=g)[cl] + rng.normal(size=n) * noise
    return y, treated[cl].astype(float), np.column_stack([np.ones(n), x]), cl


def size(g: int, balanced: bool, reps: int, seed: int = 0) -> dict[str, float]:
    """Rejection rates at 5 % of CR1, CR2 and WCR over ``reps`` trials."""
    v, _ = draw_weights("rademacher", 999 if g > 10 else 1024, g, np.random.default_rng(seed))
    crit = stats.t.ppf(0.975, g - 1)
    counts = {"CR1": 0, "CR2": 0, "WCR": 0}
    for rep in range(reps):
        y, t, x, cl = trial(np.random.default_rng([seed, g, int(balanced), rep]), g, balanced)
        res = WildOLS(y, t, x, cl, v).result()
        counts["CR1"] += abs(res.statistic) > crit
        counts["WCR"] += res.pvalue <= 0.05
        cr2 = ke.fit_ols(y, np.column_stack([t, x]), se="CR2", clusters=cl)
        t_cr2 = cr2.coef[0] / cr2.std_error[0]
        counts["CR2"] += 2 * stats.t.sf(abs(t_cr2), cr2.df[0]) <= 0.05
    return {k: c / reps for k, c in counts.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    args = ap.parse_args(argv)
    print(
        f"Size at 5 % ({args.reps:,} trials per row; Monte Carlo s.e. of 5 %: "
        f"{100 * np.sqrt(0.05 * 0.95 / args.reps):.1f} points)\n"
    )
    print("| clusters | design | CR1 | CR2 | WCR |")
    print("|---|---|---|---|---|")
    for g in (10, 20, 50):
        for balanced in (True, False):
            r = size(g, balanced, args.reps)
            name = "balanced" if balanced else "unbalanced"
            print(
                f"| {g} | {name} | {100 * r['CR1']:.1f} % | {100 * r['CR2']:.1f} % | "
                f"{100 * r['WCR']:.1f} % |",
                flush=True,
            )


if __name__ == "__main__":
    main()
