"""Benchmark: the conditional-variance step of nearest-neighbour matching (issue 15).

``kaizen_eval.estimate.matching_variance._sigma2`` (σ²(X_i) from each unit and its ``J`` nearest
same-arm units, ties within ``_EPS`` kept; Abadie and Imbens 2006) against the unit-by-unit loop
it replaced, which is kept as the reference ``_sigma2_loop`` in
``tests/estimate/test_matching_sigma2.py`` and imported from there, so both are timed in the
same run on the same data. Workloads, each at n = 500, 2,000 and 8,000 units (40 % treated):

* *continuous*: 4 normal covariates, ``J = 1`` (the k-d tree path);
* *continuous, J = 4*: the same data with four variance matches;
* *discrete*: 2 covariates with 3 values each, many exact ties, ``J = 2`` (full distances
  between the 9 distinct values, each counted with its units).

Covariates are scaled as ``nn_match`` scales them. Times are the best of ``--repeat`` runs (wall
clock, ``time.perf_counter``); the ratio is old / new; the largest absolute difference of the
two results is printed (they must agree to 1e-12). ``--quick`` uses small sizes. Run
``python benchmarks/bench_matching.py``.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import pathlib
import platform
import time
from collections.abc import Callable

import numpy as np
import scipy

from kaizen_eval.estimate.matching_core import _scaled
from kaizen_eval.estimate.matching_variance import _sigma2

TEST = pathlib.Path(__file__).resolve().parents[1] / "tests/estimate/test_matching_sigma2.py"


def old_loop() -> Callable[..., np.ndarray]:
    """The pre-issue-15 loop, from the test file that keeps it as the reference."""
    spec = importlib.util.spec_from_file_location("test_matching_sigma2", TEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._sigma2_loop


def make_data(n: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome, treatment and scaled covariates of ``n`` units of one workload."""
    rng = np.random.default_rng(seed)
    d = (rng.random(n) < 0.4).astype(float)
    if kind == "discrete":
        x = rng.integers(0, 3, size=(n, 2)).astype(float)
    else:
        x = rng.normal(size=(n, 4))
    y = x @ rng.normal(size=x.shape[1]) + 2.0 * d + rng.normal(size=n)
    return y, d, _scaled(x, "inverse_variance")[0]


def best(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    """Best wall-clock time of ``repeat`` calls and the last result."""
    times, out = [], np.empty(0)
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


WORKLOADS = (("continuous", 1), ("continuous", 4), ("discrete", 2))


def run(sizes: tuple[int, ...], repeat: int) -> list[dict]:
    """Time old and new on every workload and size; print a Markdown table; return the rows."""
    loop = old_loop()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"{platform.machine()}; best of {repeat}\n"
    )
    print("| covariates | J | n | old loop (s) | new (s) | old / new | max abs diff |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for kind, j in WORKLOADS:
        for n in sizes:
            y, d, u = make_data(n, kind)
            _sigma2(y, d, u, j)  # warm-up (imports, caches)
            t_new, new = best(functools.partial(_sigma2, y, d, u, j), repeat)
            t_old, old = best(functools.partial(loop, y, d, u, j), repeat)
            diff = float(np.max(np.abs(new - old)))
            rows.append({"kind": kind, "j": j, "n": n, "old": t_old, "new": t_new, "diff": diff})
            label = "4 normal" if kind == "continuous" else "2 with 3 values"
            print(
                f"| {label} | {j} | {n:,} | {t_old:.4f} | {t_new:.4f} | "
                f"{t_old / t_new:.1f} | {diff:.1e} |",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="n = 100 and 400, best of 2")
    args = ap.parse_args(argv)
    if args.quick:
        run((100, 400), 2)
    else:
        run((500, 2_000, 8_000), args.repeat)


if __name__ == "__main__":
    main()
