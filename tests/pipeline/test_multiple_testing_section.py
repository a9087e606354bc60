"""The report's multiple-testing table: Romano–Wolf, Westfall–Young and sharpened q side by side.

Its numbers equal direct calls of the public functions with the plan's seed (to 1e-12); with
``family_across_arms`` the classroom and on-site arms of the 2×2 are one family; a family of one
hypothesis shows the unadjusted randomization p-value with a note and no warning.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval.pipeline.demo import write_demo_inputs
from kaizen_eval.pipeline.plan import PlanError, load_plan
from kaizen_eval.pipeline.run import run_plan

DRAWS = 99


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_demo_inputs(tmp_path_factory.mktemp("inputs"))


def _plan(inputs, site: str, extra: str = "") -> object:
    text = inputs[site].read_text()
    text = text.replace('multiple_testing = "sharpened-q"', 'multiple_testing = "romano-wolf"')
    text = text.replace("ri_draws = 2000", f"ri_draws = {DRAWS}{extra}")
    path = inputs[site].with_name(f"plan_mt_{site}_{abs(hash(extra))}.toml")
    path.write_text(text)
    return path


def _frame(res, fam_name):
    """The analysis frame the runner estimated the family on (baselines attached)."""
    from kaizen_eval.pipeline._sections import _baseline_columns
    from kaizen_eval.scores.frame import attach_baselines, baseline_column

    plan = res.plan
    fam = next(f for f in plan.families if f.name == fam_name)
    frame = _baseline_columns(plan, res.data, fam.wave, list(fam.controls))
    baseline = {}
    if fam.ancova:
        frame = attach_baselines(
            res.data,
            frame,
            list(fam.outcomes),
            id_col=plan.data.id,
            baseline_wave=plan.design.baseline_wave,
        )
        for o in fam.outcomes:
            frame[baseline_column(o)] = frame[baseline_column(o)].astype(float)
            baseline[o] = baseline_column(o)
    return fam, frame, baseline


def _expected(res, fam_name, arms, others):
    plan = res.plan
    fam, frame, baseline = _frame(res, fam_name)
    kw = dict(
        outcomes=list(fam.outcomes),
        treatment=arms,
        covariates=[*fam.controls, *others],
        strata=plan.design.strata,
        cluster=plan.design.cluster,
        fixed_effects=plan.design.strata,
        draws=DRAWS,
        seed=plan.estimate.seed,
        baseline=baseline,
    )
    rw = ke.romano_wolf(frame, **kw)
    wy = ke.westfall_young(frame, **kw)
    q = ke.sharpened_qvalues(rw["pvalue"].to_numpy())
    return rw, wy, q


def test_family_across_arms_equals_direct_calls(inputs, tmp_path):
    path = _plan(inputs, "tanzania", "\nfamily_across_arms = true")
    assert load_plan(path).estimate.family_across_arms is True
    res = run_plan(path, tmp_path / "r")
    mt = pd.read_csv(tmp_path / "r" / "tables" / "management_multiple_testing.csv")
    mt = mt.set_index(["outcome", "treatment"])
    rw, wy, q = _expected(res, "management", ["invited", "onsite"], [])
    rw = rw.reorder_levels(["outcome", "treatment"])
    wy = wy.reorder_levels(["outcome", "treatment"])
    assert set(mt.index) == set(rw.index) and len(mt) == 8  # 2 arms x 4 outcomes, one family
    got = mt.loc[rw.index]
    for col in ["statistic", "pvalue", "pvalue_romano_wolf"]:
        np.testing.assert_allclose(got[col], rw[col], rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        got["pvalue_westfall_young"], wy.loc[rw.index, "pvalue_westfall_young"], atol=1e-12
    )
    np.testing.assert_allclose(got["qvalue_sharpened"], q, atol=1e-12)
    # one family of eight hypotheses adjusts more than two families of four would
    assert (got["pvalue_romano_wolf"] >= got["pvalue"] - 1e-12).all()


def test_one_family_per_arm_by_default(inputs, tmp_path):
    res = run_plan(_plan(inputs, "tanzania"), tmp_path / "r")
    mt = pd.read_csv(tmp_path / "r" / "tables" / "management_multiple_testing.csv")
    mt = mt.set_index(["outcome", "treatment"])
    for arm, other in [("invited", "onsite"), ("onsite", "invited")]:
        rw, wy, q = _expected(res, "management", arm, [other])
        got = mt.xs(arm, level="treatment").loc[rw.index]
        np.testing.assert_allclose(got["pvalue_romano_wolf"], rw["pvalue_romano_wolf"], atol=1e-12)
        np.testing.assert_allclose(
            got["pvalue_westfall_young"], wy["pvalue_westfall_young"], atol=1e-12
        )
        np.testing.assert_allclose(got["qvalue_sharpened"], q, atol=1e-12)


def test_one_hypothesis_family_shows_unadjusted_p_without_warning(inputs, tmp_path):
    path = _plan(inputs, "ghana")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ke.KaizenWarning)
        res = run_plan(path, tmp_path / "r")
    mt = pd.read_csv(tmp_path / "r" / "tables" / "performance_multiple_testing.csv")
    assert list(mt["outcome"]) == ["value_added"]
    assert "pvalue_romano_wolf" not in mt.columns  # nothing adjusted, nothing pretended
    fam, frame, baseline = _frame(res, "performance")
    ri = ke.randomization_inference(
        frame,
        outcome="value_added",
        treatment="invited",
        covariates=list(fam.controls),
        baseline=baseline.get("value_added"),
        strata=res.plan.design.strata,
        fixed_effects=res.plan.design.strata,
        draws=DRAWS,
        seed=res.plan.estimate.seed,
        statistic="t",
    )
    assert mt.loc[0, "pvalue"] == pytest.approx(ri.pvalue, abs=1e-12)
    md = (tmp_path / "r" / "report.md").read_text()
    assert "nothing to adjust" in md


def test_family_across_arms_must_be_boolean(inputs):
    path = _plan(inputs, "tanzania", '\nfamily_across_arms = "yes"')
    with pytest.raises(PlanError, match=r"estimate\.family_across_arms' must be a bool"):
        load_plan(path)
