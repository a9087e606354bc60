import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def test_interval_is_the_set_of_effects_that_exact_tests_do_not_reject():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": np.repeat([0, 1], 7), "x": rng.normal(size=14)})
    df["y"] = 1.0 * df["t"] + df["x"] + rng.normal(size=14)
    ci = ke.randomization_ci(df, outcome="y", treatment="t", covariates="x", draws=5000)
    assert ci.exact and ci.draws == 3432
    for tau in np.linspace(ci.low - 2, ci.high + 2, 41):
        if min(abs(tau - ci.low), abs(tau - ci.high)) < 1e-6:
            continue
        ri = ke.randomization_inference(
            df.assign(y=df["y"] - tau * df["t"]),
            outcome="y",
            treatment="t",
            covariates="x",
            draws=5000,
        )
        assert (ri.pvalue > 0.05) == (ci.low <= tau <= ci.high), tau


def test_late_interval_inverts_tests_on_the_instrument():
    rng = np.random.default_rng(1)
    n = 200
    z = rng.permutation(np.repeat([0, 1], n // 2))
    d = z * (rng.random(n) < 0.6)
    df = pd.DataFrame({"z": z, "d": d, "s": np.arange(n) % 4})
    df["y"] = 2.0 * df["d"] + rng.normal(size=n)
    ci = ke.randomization_ci(
        df, outcome="y", treatment="d", instrument="z", strata="s", draws=500, seed=7
    )
    late = ke.late(df, outcome="y", treatment="d", instrument="z")
    assert ci.estimate == pytest.approx(late.estimate, rel=1e-10)  # Wald ratio, no covariates
    assert ci.low < 2.0 < ci.high and not ci.exact
    for tau in (ci.low - 0.05, ci.low + 0.05, ci.high - 0.05, ci.high + 0.05):
        ri = ke.randomization_inference(
            df.assign(y=df["y"] - tau * df["d"]),
            outcome="y",
            treatment="z",
            strata="s",
            draws=500,
            seed=7,
        )
        assert (ri.pvalue > 0.05) == (ci.low <= tau <= ci.high)


def test_no_first_stage_is_an_error():
    df = pd.DataFrame({"z": [0, 1] * 10, "d": [1] * 20, "y": np.arange(20.0)})
    with pytest.raises(KaizenError, match="does not move 'd'"):
        ke.randomization_ci(df, outcome="y", treatment="d", instrument="z")


def test_pvalue_of_no_effect_for_the_late_is_the_reduced_form_test():
    import numpy as np
    import pandas as pd

    import kaizen_eval as ke

    rng = np.random.default_rng(4)
    z = np.repeat([0, 1], 60)
    d = z * (rng.uniform(size=120) < 0.7)
    df = pd.DataFrame({"z": z, "d": d, "y": 0.5 * d + rng.normal(size=120)})
    ci = ke.randomization_ci(df, outcome="y", treatment="d", instrument="z", draws=999, seed=3)
    ri = ke.randomization_inference(df, outcome="y", treatment="z", draws=999, seed=3)
    assert ci.pvalue == ri.pvalue
    assert ci.low < ci.estimate < ci.high
