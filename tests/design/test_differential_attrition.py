"""Differential attrition, checked against statsmodels OLS with strata dummies (HC2, t)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError


def make_panel(seed=0, n=300):
    rng = np.random.default_rng(seed)
    base = pd.DataFrame(
        {
            "firm_id": [f"F{i:03d}" for i in range(n)],
            "stratum": rng.choice(["a", "b", "c"], size=n),
            "arm": rng.integers(0, 3, size=n),
            "female": rng.integers(0, 2, size=n),
            "educ_years": rng.normal(9, 3, size=n),
        }
    )
    base["classroom"] = (base["arm"] == 1).astype(int)
    base["onsite"] = (base["arm"] == 2).astype(int)
    base["invited"] = (base["arm"] > 0).astype(int)
    waves = []
    for w, p0 in (("baseline", 1.0), ("survey2", 0.85), ("followup", 0.7)):
        shift = 0.08 * base["classroom"] - 0.05 * (base["stratum"] == "c")
        p = np.clip(p0 + (shift if p0 < 1 else 0.0), 0, 1)
        waves.append(base.assign(wave=w, observed=(rng.random(n) < p).astype(int)))
    long = pd.concat(waves, ignore_index=True)
    long["wave"] = pd.Categorical(
        long["wave"], categories=["baseline", "survey2", "followup"], ordered=True
    )
    return long


def statsmodels_fit(g, arms, strata=True):
    x = g[arms].astype(float)
    if strata:
        x = pd.concat([x, pd.get_dummies(g["stratum"], dtype=float)], axis=1)
    else:
        x = sm.add_constant(x)
    return sm.OLS(g["observed"].astype(float), x).fit(cov_type="HC2", use_t=True)


@pytest.mark.parametrize("strata", [True, False])
def test_matches_statsmodels_hc2(strata):
    long = make_panel()
    arms = ["classroom", "onsite"]
    at = ke.differential_attrition(
        long,
        observed="observed",
        treatment=arms,
        strata="stratum" if strata else None,
        id_col="firm_id",
    )
    t = at.table
    assert list(t.index.get_level_values("wave").unique()) == ["baseline", "survey2", "followup"]
    for wave in ("survey2", "followup"):
        g = long[long["wave"] == wave]
        ref = statsmodels_fit(g, arms, strata)
        for a in arms:
            row = t.loc[(wave, a)]
            assert row["difference"] == pytest.approx(ref.params[a], rel=1e-10)
            assert row["std_error"] == pytest.approx(ref.bse[a], rel=1e-10)
            assert row["pvalue"] == pytest.approx(ref.pvalues[a], rel=1e-8)
            ctrl = g.loc[g["arm"] == 0, "observed"].mean()
            assert row["observed_control"] == pytest.approx(ctrl, rel=1e-14)
            assert row["observed_arm"] == pytest.approx(g.loc[g[a] == 1, "observed"].mean())
        joint = ref.f_test(np.eye(len(ref.params))[[list(ref.params.index).index(a) for a in arms]])
        assert t.loc[(wave, "classroom"), "joint_f"] == pytest.approx(
            float(np.squeeze(joint.fvalue)), rel=1e-10
        )
        assert t.loc[(wave, "onsite"), "joint_pvalue"] == pytest.approx(
            float(joint.pvalue), rel=1e-8
        )


def test_everyone_observed_gives_no_test():
    long = make_panel()
    t = ke.differential_attrition(long, observed="observed", treatment="invited").table
    base = t.loc[("baseline", "invited")]
    assert base["difference"] == 0 and base["std_error"] == 0
    assert np.isnan(base["pvalue"]) and np.isnan(base["joint_f"])


def test_retained_balance():
    long = make_panel()
    at = ke.differential_attrition(
        long, observed="observed", treatment="invited", covariates=["female", "educ_years"]
    )
    bt = at.retained_balance["followup"]
    kept = long[(long["wave"] == "followup") & (long["observed"] == 1)]
    direct = ke.balance(kept, treatment="invited", covariates=["female", "educ_years"])
    pd.testing.assert_frame_equal(bt.table, direct.table)
    assert "| followup | invited" in at.to_markdown()
    assert "<table" in at.to_html() and r"\begin{tabular}" in at.to_latex()


def test_errors():
    long = make_panel()
    bad = long.assign(observed=long["observed"].astype(float))
    bad.loc[5, "observed"] = np.nan
    with pytest.raises(KaizenError, match=r"`observed` must be 0/1 with no missing values; rows 5"):
        ke.differential_attrition(bad, observed="observed", treatment="invited")
    dup = pd.concat([long, long.iloc[[0]]])
    with pytest.raises(KaizenError, match=r"F000 appear more than once in wave 'baseline'"):
        ke.differential_attrition(dup, observed="observed", treatment="invited", id_col="firm_id")
    with pytest.raises(KaizenError, match=r"'attrited'"):
        ke.differential_attrition(long, observed="attrited", treatment="invited")


def test_cross_section_without_waves():
    long = make_panel()
    g = long[long["wave"] == "followup"].drop(columns="wave")
    t = ke.differential_attrition(g, observed="observed", treatment="invited", by_wave=None).table
    assert list(t.index) == [("all", "invited")]
