"""``ke.pool_sites`` against R metafor 3.8.1 (``reference/metafor_pool.R`` made the numbers).

Every method (FE, DL, PM, ML, REML) × test (z, knha) on three data sets: Rubin's eight schools
(BDA3 Table 5.2; tau2 = 0 for every estimator, the boundary), metafor's dat.bcg as log risk
ratios (13 trials, large heterogeneity) and its first five trials (few sites, tau2 > 0).
Tolerance 1e-10 relative (and absolute for values near 0): the R script tightens metafor's
convergence thresholds to 1e-13, so both sides are the exact estimators to rounding.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke

HERE = Path(__file__).parent / "reference"
DATA = pd.read_csv(HERE / "pool_data.csv")
REF = pd.read_csv(HERE / "metafor_pool.csv")
CASES = sorted(set(zip(REF["dataset"], REF["method"], REF["test"], strict=True)))


def _sites(dataset: str) -> pd.DataFrame:
    d = DATA[DATA["dataset"] == dataset]
    return pd.DataFrame(
        {"estimate": d["yi"].to_numpy(), "std_error": np.sqrt(d["vi"].to_numpy())},
        index=d["site"].to_numpy(),
    )


def test_reference_covers_every_method_and_test():
    assert len(CASES) == 3 * 5 * 2
    assert set(REF["quantity"]) >= {"mu", "se", "tau2", "I2", "QE", "pi_lb", "pi_ub"}


@pytest.mark.parametrize(("dataset", "method", "test"), CASES)
def test_matches_metafor(dataset, method, test):
    ref = REF[(REF["dataset"] == dataset) & (REF["method"] == method) & (REF["test"] == test)]
    ref = ref.set_index("quantity")["value"].astype(float)
    sites = _sites(dataset)
    if method == "FE" and test == "knha":  # metafor warns too: knha is not meant for FE
        with pytest.warns(ke.KaizenWarning, match="fixed-effect model assumes away"):
            p = ke.pool_sites(sites, method=method, test=test)
    else:
        p = ke.pool_sites(sites, method=method, test=test)
    ours = {
        "mu": p.mu,
        "se": p.std_error,
        "ci_lb": p.ci_low,
        "ci_ub": p.ci_high,
        "pval": p.pvalue,
        "tau2": p.tau2,
        "I2": p.i2,
        "QE": p.q,
        "QEp": p.q_pvalue,
        "pi_lb": p.prediction_interval[0],
        "pi_ub": p.prediction_interval[1],
    }
    table = p.sites
    for site in sites.index:
        ours[f"weight:{site}"] = table.loc[site, "weight"]
        ours[f"blup:{site}"] = table.loc[site, "shrunk"]
        ours[f"blup_se:{site}"] = table.loc[site, "shrunk_se"]
    assert set(ours) == set(ref.index)
    got = pd.Series(ours)[ref.index]
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-10, atol=1e-12)
    assert p.tau == pytest.approx(np.sqrt(ref["tau2"]), rel=1e-10, abs=1e-12)
    assert p.df == (len(sites) - 1 if test == "knha" else np.inf)
