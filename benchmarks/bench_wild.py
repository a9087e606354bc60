"""Benchmark: the wild cluster bootstrap (issue 13).

In one run, on the same data (N rows in G clusters, one covariate, B = 9,999 Rademacher draws):

1. ``ke.wild_cluster_bootstrap`` (WCR, the whole public call: validation, one pass, draws)
   against the peer ``wildboottest`` (``pip install wildboottest``, the ``bench`` extra; skipped
   with a note if absent), both at N = 1e5, G = 50; the p-values are printed side by side;
2. the kernel alone (:class:`kaizen_eval._core.wild.WildOLS`, weights given) against the bare
   cluster-sum products ``V·[n, K]`` and the squared-score sums (the floor of any
   implementation of the algebra);
3. the public call at N = 1e6;
4. WRE for 2SLS (``instrument=``) at N = 1e5;
5. peak memory (``tracemalloc``) of each public call.

Times are the best of ``--repeat`` runs (wall clock, ``time.perf_counter``). Run
``python benchmarks/bench_wild.py`` (a few minutes) or ``--quick``.
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

import kaizen_eval as ke
from kaizen_eval._core.wild import WildOLS, draw_weights


def make_data(n: int, g: int, seed: int = 0) -> pd.DataFrame:
    """N rows in g clusters of unequal size, half of the clusters treated, one covariate."""
    rng = np.random.default_rng(seed)
    cl = np.sort(rng.integers(0, g, n))
    t = (cl % 2).astype(float)
    x = rng.normal(size=n)
    z = t
    d = ((0.8 * z + rng.normal(size=n)) > 0.4).astype(float)
    y = 0.05 * t + 0.5 * x + 0.3 * rng.normal(size=g)[cl] + rng.normal(size=n)
    return pd.DataFrame({"g": cl, "t": t, "x": x, "d": d, "y": y, "y_iv": y + 0.1 * d})


def best(fn, repeat: int) -> tuple[float, object]:
    """Best wall-clock time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def peak_mb(fn) -> float:
    """Peak traced memory of one call, in MB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def ke_call(df: pd.DataFrame, draws: int, **kw):
    """The public call of the benchmark (WCR by default)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ke.wild_cluster_bootstrap(
            df, outcome="y", treatment="t", cluster="g", covariates="x", draws=draws, seed=1, **kw
        )


def peer_call(df: pd.DataFrame, draws: int):
    """``wildboottest`` on the same model (statsmodels OLS, WCR, Rademacher), or None."""
    try:
        import statsmodels.api as sm
        from wildboottest.wildboottest import wildboottest
    except ImportError:
        return None
    model = sm.OLS(df["y"], sm.add_constant(df[["t", "x"]]))
    res = wildboottest(model, B=draws, cluster=df["g"], param="t", seed=1, show=False)
    return float(np.ravel(res["p-value"].iloc[0])[0])


def bare_products(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The floor: ``V·[n, K]`` and the per-draw sums of squared scores (B × G × (G + 1))."""
    p = v @ m
    s = p[:, 1:]
    return p[:, 0] / np.sqrt(np.einsum("bh,bh->b", s, s))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    n, big, g, draws = (5_000, 20_000, 20, 999) if args.quick else (100_000, 1_000_000, 50, 9_999)
    rep = 2 if args.quick else args.repeat
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"N = {n:,}, G = {g}, B = {draws:,}, best of {rep}\n")
    out: dict = {}
    df = make_data(n, g)
    ke_call(df, draws)  # warm-up (imports)
    out["ke"], wb = best(lambda: ke_call(df, draws), rep)
    print(f"kaizen_eval wild_cluster_bootstrap (WCR)  {out['ke']:8.3f} s   p = {wb.pvalue:.4f}")
    peer = peer_call(df, min(draws, 99))  # warm-up (numba compilation)
    if peer is None:
        print("wildboottest: not installed (pip install wildboottest), skipped")
    else:
        out["peer"], p_peer = best(lambda: peer_call(df, draws), max(1, min(rep, 3)))
        print(f"wildboottest (WCR)                        {out['peer']:8.3f} s   p = {p_peer:.4f}")
        print(f"  ratio wildboottest / kaizen_eval         {out['peer'] / out['ke']:8.1f} x")

    # the kernel against the bare products of its draws
    y, t, cl = df["y"].to_numpy(), df["t"].to_numpy(), df["g"].to_numpy()
    x = np.column_stack([np.ones(n), df["x"]])
    v, _ = draw_weights("rademacher", draws, g, np.random.default_rng(1))
    out["kernel"], _ = best(lambda: WildOLS(y, t, x, cl, v).result(), rep)
    m = np.random.default_rng(2).normal(size=(g, g + 1))
    out["bare"], _ = best(lambda: bare_products(v, m), rep)
    print(f"\nkernel (WildOLS, weights given)           {out['kernel']:8.3f} s")
    print(f"bare products V·[n, K], Σ s²              {out['bare']:8.3f} s")
    print(f"  ratio kernel / bare                      {out['kernel'] / out['bare']:8.1f} x")
    draws_only = out["kernel"] - best(lambda: WildOLS(y, t, x, cl, v[:1]), rep)[0]
    print(f"  kernel's draw stage (kernel − 1 draw)    {draws_only:8.3f} s")
    print(f"  ratio draw stage / bare                  {draws_only / out['bare']:8.1f} x")

    dfb = make_data(big, g)
    out["ke_big"], _ = best(lambda: ke_call(dfb, draws), max(1, rep - 2))
    print(f"\nN = {big:,}: kaizen_eval (WCR)             {out['ke_big']:8.3f} s")

    def wre():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ke.wild_cluster_bootstrap(
                df,
                outcome="y_iv",
                treatment="d",
                instrument="t",
                cluster="g",
                covariates="x",
                draws=draws,
                seed=1,
            )

    out["wre"], r = best(wre, rep)
    print(f"WRE (2SLS), N = {n:,}                    {out['wre']:8.3f} s   p = {r.pvalue:.4f}")

    out["mem_ke"] = peak_mb(lambda: ke_call(df, draws))
    out["mem_big"] = peak_mb(lambda: ke_call(dfb, draws))
    out["mem_wre"] = peak_mb(wre)
    print(
        f"\npeak memory (tracemalloc): WCR N = {n:,} {out['mem_ke']:.0f} MB; "
        f"N = {big:,} {out['mem_big']:.0f} MB; WRE {out['mem_wre']:.0f} MB"
    )
    return out


if __name__ == "__main__":
    main()
