"""Every long loop shows a progress bar on request, on standard error, without changing results."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


@pytest.fixture(scope="module")
def firms():
    rng = np.random.default_rng(6)
    n = 200
    df = pd.DataFrame({"z": np.repeat([0, 1], n // 2), "x": rng.normal(size=n)})
    df["y0"] = df["x"] + rng.normal(size=n)
    df["y"] = df["y0"] + 0.5 * df["z"] + rng.normal(size=n)
    df.loc[df.sample(frac=0.1, random_state=1).index, "y"] = np.nan
    return df


def _quiet_and_loud(capsys, fn, **kw):
    quiet = fn(**kw)
    capsys.readouterr()
    loud = fn(**kw, progress=True)
    return quiet, loud, capsys.readouterr().err


def test_lee_bounds_bar(firms, capsys):
    quiet, loud, err = _quiet_and_loud(
        capsys, ke.lee_bounds, df=firms, outcome="y", treatment="z", draws=120, seed=1
    )
    assert "Lee bounds bootstrap" in err and "120/120" in err
    assert (loud.lower, loud.upper, loud.ci_low, loud.ci_high) == (
        quiet.lower,
        quiet.upper,
        quiet.ci_low,
        quiet.ci_high,
    )


def test_att_did_bar(firms, capsys):
    kw = {"outcome": "y", "baseline": "y0", "treatment": "z", "covariates": "x", "draws": 60}
    quiet, loud, err = _quiet_and_loud(capsys, ke.att_did, df=firms.dropna(), **kw)
    assert "DiD bootstrap" in err and "60/60" in err
    assert loud.estimate == quiet.estimate and loud.std_error == quiet.std_error


def test_bootstrap_gain_bar(firms, capsys):
    def gain(d):
        return d.loc[d["z"] == 1, "y0"].mean() - d.loc[d["z"] == 0, "y0"].mean()

    quiet, loud, err = _quiet_and_loud(
        capsys, ke.bootstrap_gain, data=firms, estimator=gain, draws=40, seed=2
    )
    assert "bootstrap" in err and "40/40" in err
    np.testing.assert_array_equal(loud, quiet)
