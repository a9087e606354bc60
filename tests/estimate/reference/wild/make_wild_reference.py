"""Reference numbers for the wild cluster bootstrap from the peer ``wildboottest`` (0.3.x).

Run from the repository root (needs ``pip install wildboottest``, the ``bench`` extra):

    python tests/estimate/reference/wild/make_wild_reference.py

Writes next to this script:

* ``small.csv`` / ``large.csv``: the data (so the tests do not depend on a random generator);
* ``wild_reference.json``: for ``small.csv`` (8 clusters, so both packages enumerate all 256
  Rademacher patterns) the observed t statistic and the sorted bootstrap t statistics of WCR
  and WCU (``impose_null``), for ``large.csv`` (30 clusters) Monte Carlo p-values with
  B = 9,999 for Rademacher, Webb, Mammen and normal weights, WCR and WCU.

The regression is ``y ~ 1 + t + x`` (statsmodels OLS), clustered by ``g``, testing ``t = 0``;
``wildboottest``'s default small-sample factor ``G/(G − 1)·(N − 1)/(N − K)`` is CR1. Its
p-value counts ``|t*| > |t|`` strictly, ours ``|t*| >= |t|``: with enumeration the two differ by
the ties (the draws ``v = ±1`` reproduce ``±t`` exactly under WCR), so the tests compare the
bootstrap distributions draw by draw and the Monte Carlo p-values within simulation error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import wildboottest
from wildboottest.wildboottest import WildboottestCL
from wildboottest.wildboottest import wildboottest as peer_test

HERE = Path(__file__).parent


def make(seed: int, g: int, treated: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 40, g)
    cl = np.repeat(np.arange(g), sizes)
    t = rng.permutation(np.arange(g) < treated)[cl].astype(float)
    x = rng.normal(size=len(cl))
    y = 0.15 * t + 0.5 * x + rng.normal(size=g)[cl] + rng.standard_t(4, len(cl))
    return pd.DataFrame({"g": cl, "t": t, "x": np.round(x, 12), "y": np.round(y, 12)})


def peer_draws(df: pd.DataFrame, impose_null: bool) -> tuple[float, list[float]]:
    x = sm.add_constant(df[["t", "x"]]).to_numpy()
    boot = WildboottestCL(
        X=x,
        Y=df["y"].to_numpy(),
        cluster=df["g"].to_numpy(),
        R=np.array([0, 1.0, 0]),
        B=9999,
        seed=1,
        parallel=False,
    )
    boot.get_scores(bootstrap_type="11", impose_null=impose_null, adj=True, cluster_adj=True)
    boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    return float(np.ravel(boot.t_stat)[0]), sorted(float(v) for v in np.ravel(boot.t_boot))


def main() -> None:
    small, large = make(1, 8, 4), make(2, 30, 10)
    small.to_csv(HERE / "small.csv", index=False)
    large.to_csv(HERE / "large.csv", index=False)
    small, large = pd.read_csv(HERE / "small.csv"), pd.read_csv(HERE / "large.csv")
    version = getattr(wildboottest, "__version__", "0.3.2")
    out: dict = {"wildboottest": version, "small": {}, "large": {}}
    for name, null in (("WCR", True), ("WCU", False)):
        stat, draws = peer_draws(small, null)
        out["small"][name] = {"statistic": stat, "draws": draws}
    model = sm.OLS(large["y"], sm.add_constant(large[["t", "x"]]))
    for weights in ("rademacher", "webb", "mammen", "normal"):
        for name, null in (("WCR", True), ("WCU", False)):
            res = peer_test(
                model,
                B=9999,
                cluster=large["g"],
                param="t",
                weights_type="norm" if weights == "normal" else weights,
                impose_null=null,
                seed=3,
                parallel=False,
                show=False,
            )
            out["large"][f"{name}/{weights}"] = {
                "statistic": float(np.ravel(res["statistic"].iloc[0])[0]),
                "pvalue": float(np.ravel(res["p-value"].iloc[0])[0]),
            }
    (HERE / "wild_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
