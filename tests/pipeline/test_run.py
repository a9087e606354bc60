"""The plan runner, in process, on the bundled Ghana trial with non-default options."""

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval import _format as F
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline.demo import write_demo_inputs
from kaizen_eval.pipeline.run import run_plan


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_demo_inputs(tmp_path_factory.mktemp("inputs"))


def test_romano_wolf_and_cost_structure(inputs, tmp_path):
    text = inputs["ghana"].read_text()
    text = text.replace('multiple_testing = "sharpened-q"', 'multiple_testing = "romano-wolf"')
    text = text.replace("ri_draws = 2000", "ri_draws = 199")
    text = text.replace(
        "cost = 740\n",
        "structure = { participants = 60, invited = 90, fixed = { curriculum = 20000 }, "
        "per_participant = { trainers = 400 } }\n",
    )
    plan = inputs["ghana"].with_name("plan_rw.toml")
    plan.write_text(text)
    res = run_plan(plan, tmp_path / "r")
    mt = pd.read_csv(tmp_path / "r" / "tables" / "management_multiple_testing.csv")
    assert {"pvalue", "pvalue_romano_wolf"} <= set(mt.columns)
    assert (mt["pvalue_romano_wolf"] >= mt["pvalue"] - 1e-12).all()  # step-down never lowers p
    # the RW statistic is the family's ANCOVA ITT t-statistic
    itt = res.estimate("management", "itt", "score_overall")
    stat = mt.set_index("outcome").loc["score_overall", "statistic"]
    assert stat == pytest.approx(itt.statistic, rel=1e-10)
    cb = res.cost_benefit["classroom"]
    late = res.estimate("performance", "late", "value_added")
    # 20000 / 60 + 400 per participant, compared with the LATE
    assert cb.bcr == pytest.approx(late.estimate / (20000 / 60 + 400), rel=1e-12)
    for name in ["compliance_attended.csv", "compliers_attended.csv", "classroom_grid.csv"]:
        assert (tmp_path / "r" / "tables" / name).exists(), name
    assert (tmp_path / "r" / "figures" / "classroom_bcr.png").exists()


def test_sharpened_q_and_compliance_in_default_plan(inputs, tmp_path):
    res = run_plan(inputs["ghana"], tmp_path / "r")
    mt = pd.read_csv(tmp_path / "r" / "tables" / "management_multiple_testing.csv")
    expected = ke.sharpened_qvalues(mt["pvalue"].to_numpy())
    assert mt["qvalue_sharpened"].to_numpy() == pytest.approx(expected)
    p = [res.estimate("management", "itt", o).pvalue for o in mt["outcome"]]
    assert mt["pvalue"].to_numpy() == pytest.approx(p, rel=1e-12)
    take_up = pd.read_csv(tmp_path / "r" / "tables" / "compliance_attended.csv")
    assert len(take_up) >= 2


def test_design_summary_counts_every_cell(inputs, tmp_path):
    run_plan(inputs["tanzania"], tmp_path / "r")
    cells = pd.read_csv(tmp_path / "r" / "tables" / "design.csv", index_col="cell")
    base = pd.read_parquet(inputs["tanzania"].parent / "baseline.parquet")
    expected = base.groupby(["invited", "onsite"]).size()
    assert cells.loc["invited=1, onsite=0", "firms"] == expected.loc[(1, 0)]
    assert cells["firms"].sum() == len(base)
    assert cells["share"].sum() == pytest.approx(1.0)


def test_plan_results_are_frozen_typed_records(inputs, tmp_path):
    import dataclasses
    import typing

    from kaizen_eval.pipeline.run import PlanEstimate, PlanResults

    hints = typing.get_type_hints(PlanResults)
    assert typing.Any not in hints.values()
    res = run_plan(inputs["ghana"], tmp_path / "r")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimates = ()
    with pytest.raises(TypeError):
        res.cost_benefit["other"] = None
    assert all(isinstance(e, PlanEstimate) for e in res.estimates)
    by = [e for e in res.estimates if e.by == "female"]
    assert by and all(e.estimand == "itt" for e in by)
    va = next(e for e in by if (e.family, e.outcome) == ("performance", "value_added"))
    assert res.estimate("performance", "itt", "value_added", by="female") is va.result
    assert "performance:late:value_added [attended]" in res.headline()
    assert "female" not in res.headline()
    with pytest.raises(
        KaizenError, match=r"no estimate 'performance:att:value_added'; it estimated .*performance"
    ):
        res.estimate("performance", "att", "value_added")


def test_a_continuous_moderator_gets_its_slope_and_its_test(inputs, tmp_path):
    text = inputs["ghana"].read_text()
    text = text.replace('heterogeneity = ["female"]', 'heterogeneity = ["female", "educ_years"]')
    text = text.replace("ri_draws = 2000", "ri_draws = 199")
    plan = inputs["ghana"].with_name("plan_by_educ.toml")
    plan.write_text(text)
    res = run_plan(plan, tmp_path / "r")
    tables = tmp_path / "r" / "tables"
    by = pd.read_csv(tables / "management_by_educ_years.csv")
    assert {"invited", "invited:educ_years", "invited[educ_years=p25]"} <= set(by["term"])
    test = pd.read_csv(tables / "management_by_educ_years_equality.csv")
    fit = next(
        e.result
        for e in res.estimates
        if e.family == "management" and e.by == "educ_years" and e.outcome == test["outcome"][0]
    )
    row = fit.extra["moderation"].iloc[0]
    assert test["F"][0] == pytest.approx(row["fstat"], rel=1e-10)
    assert test["df1"][0] == 1
    page = (tmp_path / "r" / "report.md").read_text()
    assert "does not vary with" in page and "its slope in" in page
    # the discrete moderator keeps its per-level caption and equality test
    assert "one row per level" in page
    assert (tables / "management_by_female_equality.csv").exists()


def test_fractional_degrees_of_freedom_are_not_rounded_to_counts(inputs, tmp_path):
    # With CR2 the moderation test is HTZ, whose denominator df is fractional (as clubSandwich's):
    # the report must show it with its decimal, not rounded to a whole count.
    text = inputs["ghana"].read_text()
    text = text.replace('strata = "stratum"', 'strata = "stratum"\ncluster = "firm_id"')
    text = text.replace('se = "HC1"', 'se = "CR2"').replace("ri_draws = 2000", "ri_draws = 99")
    plan = inputs["ghana"].with_name("plan_cr2.toml")
    plan.write_text(text)
    run_plan(plan, tmp_path / "r")
    test = pd.read_csv(tmp_path / "r" / "tables" / "management_by_female_equality.csv")
    df2 = float(test["df2"][0])
    assert df2 != round(df2)
    page = (tmp_path / "r" / "report.md").read_text()
    assert F.dof(df2) in page and F.dof(df2) == f"{df2:.1f}"
