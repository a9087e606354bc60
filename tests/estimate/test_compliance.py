import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def test_complier_characteristics_recover_the_truth_with_two_sided_noncompliance():
    rng = np.random.default_rng(3)
    n = 20_000
    kind = rng.choice(["complier", "always", "never"], n, p=[0.5, 0.1, 0.4])
    educ = np.select([kind == "complier", kind == "always"], [12.0, 6.0], 8.0) + rng.normal(0, 2, n)
    z = rng.integers(0, 2, n)
    d = ((kind == "always") | ((kind == "complier") & (z == 1))).astype(int)
    df = pd.DataFrame({"z": z, "d": d, "educ": educ, "wave": rng.choice(["w1", "w2"], n)})
    c = ke.compliance(df, treatment="d", instrument="z", covariates="educ", by="wave")
    # sampling error of each mean is about 0.05 at this n (sd 2 plus type mixing)
    assert c.characteristics.loc["educ", "compliers"] == pytest.approx(12.0, abs=0.15)
    assert c.characteristics.loc["educ", "always_takers"] == pytest.approx(6.0, abs=0.15)
    assert c.characteristics.loc["educ", "never_takers"] == pytest.approx(8.0, abs=0.15)
    assert c.complier_share == pytest.approx(d[z == 1].mean() - d[z == 0].mean(), rel=1e-12)
    assert not c.one_sided
    t = c.take_up
    assert t.loc[("w1", 1), "n"] == ((df["wave"] == "w1") & (df["z"] == 1)).sum()
    assert t["took_up"].sum() == d.sum()


def test_compliance_needs_binary_columns():
    df = pd.DataFrame({"z": [0, 1, 0, 1], "days": [0, 3, 0, 5]})
    with pytest.raises(KaizenError, match="needs a 0/1 column; 'days'"):
        ke.compliance(df, treatment="days", instrument="z")


def test_compliance_all_missing_covariate_is_named():
    df = pd.DataFrame({"z": [0, 1, 0, 1], "d": [0, 1, 0, 0], "educ": [np.nan] * 4})
    with pytest.raises(KaizenError, match="'educ' is missing in every row"):
        ke.compliance(df, treatment="d", instrument="z", covariates="educ")
