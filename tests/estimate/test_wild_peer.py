"""The wild cluster bootstrap against the peer ``wildboottest``.

The stored numbers (``reference/wild/``, written by ``make_wild_reference.py`` with
``wildboottest`` 0.3.2) run in CI without the peer; a live comparison runs where it is installed
(the ``bench`` extra).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._core.wild import WildOLS, draw_weights

REF = Path(__file__).parent / "reference" / "wild"


def _arrays(df):
    x = np.column_stack([np.ones(len(df)), df["x"]])
    return df["y"].to_numpy(), df["t"].to_numpy(float), x, df["g"].to_numpy()


def _mc_tolerance(p, draws=9_999):
    # two independent Monte Carlo p-values: 4 standard errors of their difference
    return 4 * np.sqrt(2 * max(p * (1 - p), 0.01 * 0.99) / draws)


@pytest.fixture(scope="module")
def reference():
    return json.loads((REF / "wild_reference.json").read_text())


@pytest.mark.parametrize("kind", ["WCR", "WCU"])
def test_enumerated_draws_equal_the_peer(reference, kind):
    y, t, x, g = _arrays(pd.read_csv(REF / "small.csv"))
    v, exact = draw_weights("rademacher", 9_999, 8, np.random.default_rng(0))
    res = WildOLS(y, t, x, g, v, restricted=kind == "WCR").result()
    peer = reference["small"][kind]
    assert exact and res.statistic == pytest.approx(peer["statistic"], rel=1e-10)
    np.testing.assert_allclose(np.sort(res.draws), peer["draws"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("weights", ["rademacher", "webb", "mammen", "normal"])
@pytest.mark.parametrize("kind", ["WCR", "WCU"])
def test_monte_carlo_pvalues_agree_with_the_peer(reference, weights, kind):
    df = pd.read_csv(REF / "large.csv")
    peer = reference["large"][f"{kind}/{weights}"]
    wb = ke.wild_cluster_bootstrap(
        df,
        outcome="y",
        treatment="t",
        cluster="g",
        covariates="x",
        weights=weights,
        bootstrap=kind,
        draws=9_999,
        seed=11,
    )
    assert wb.statistic == pytest.approx(peer["statistic"], rel=1e-10)
    assert abs(wb.pvalue - peer["pvalue"]) <= _mc_tolerance(peer["pvalue"])


def test_live_peer_on_fresh_data():
    pytest.importorskip("wildboottest")
    sm = pytest.importorskip("statsmodels.api")
    from wildboottest.wildboottest import wildboottest

    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(24), rng.integers(5, 30, 24))
    df = pd.DataFrame({"g": g, "t": (g % 3 == 0).astype(float), "x": rng.normal(size=len(g))})
    df["y"] = 0.2 * df["t"] + df["x"] + rng.normal(size=24)[g] + rng.normal(size=len(g))
    model = sm.OLS(df["y"], sm.add_constant(df[["t", "x"]]))
    peer = wildboottest(
        model, B=1_999, cluster=df["g"], param="t", seed=5, show=False, parallel=False
    )
    p_peer = float(np.ravel(peer["p-value"].iloc[0])[0])
    wb = ke.wild_cluster_bootstrap(
        df, outcome="y", treatment="t", cluster="g", covariates="x", draws=1_999, seed=5
    )
    assert wb.statistic == pytest.approx(float(np.ravel(peer["statistic"].iloc[0])[0]), rel=1e-9)
    assert abs(wb.pvalue - p_peer) <= _mc_tolerance(p_peer, draws=1_999)
