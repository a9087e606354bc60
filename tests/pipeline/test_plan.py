from pathlib import Path

import pytest

from kaizen_eval.pipeline import PlanError, load_plan, parse_plan

GOOD = """
title = "Ghana"
[data]
id = "firm_id"
waves = { baseline = "baseline.parquet", followup = "followup.parquet" }
codebook = "codebook.csv"
[design]
assignment = ["invited"]
takeup = ["attended"]
strata = "stratum"
baseline_wave = "baseline"
balance = ["educ_years", "female"]
[[families]]
name = "performance"
outcomes = ["value_added", "sales_usd"]
wave = "followup"
ancova = true
[estimate]
estimands = ["itt", "late"]
se = "HC2"
ri_draws = 1000
[cost_benefit]
outcome = "value_added"
cost = 740
years = 3
"""


def test_good_plan_parses_with_paths_relative_to_base(tmp_path):
    plan = parse_plan(GOOD, base=tmp_path)
    assert list(plan.data.waves) == ["baseline", "followup"]
    assert plan.data.waves["followup"] == tmp_path / "followup.parquet"
    assert plan.design.takeup == ("attended",)
    assert plan.families[0].ancova is True
    assert plan.estimate.estimands == ("itt", "late") and plan.estimate.se == "HC2"
    assert plan.cost_benefit[0].cost == 740.0 and plan.cost_benefit[0].years == 3.0
    assert len(plan.sha256) == 64


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("[estimate]", "[estimates]", r"unknown key 'estimates'.*Did you mean 'estimate'"),
        ('se = "HC2"', 'se = "HC9"', r"'estimate.se' must be one of"),
        ('estimands = ["itt", "late"]', 'estimands = ["itt", "lat"]', r"Did you mean 'late'"),
        ("strata =", "stratum =", r"unknown key 'design.stratum'.*Did you mean 'strata'"),
        ('wave = "followup"', 'wave = "endline"', r"'families\[0\].wave' is 'endline'"),
        ("cost = 740", 'cost = "740"', r"'cost_benefit.cost' must be a float"),
        ("cost = 740", "cost = 740\nbasis = 1", r"unknown key 'cost_benefit.basis'"),
        ('outcome = "value_added"\ncost', 'outcome = "profit"\ncost', r"no family estimates"),
        ('takeup = ["attended"]', 'takeup = ["attended", "days"]', r"pair one take-up column"),
        ("ri_draws = 1000", "ri_draws = -5", r"ri_draws"),
        ("ancova = true", "ancova = 1", r"'families\[0\].ancova' must be a bool"),
    ],
)
def test_bad_plans_name_the_key(old, new, match):
    assert old in GOOD
    with pytest.raises(PlanError, match=match):
        parse_plan(GOOD.replace(old, new, 1))


def test_late_without_takeup_is_refused():
    text = GOOD.replace('takeup = ["attended"]\n', "")
    with pytest.raises(PlanError, match="no take-up column"):
        parse_plan(text)


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(PlanError, match="not valid TOML"):
        parse_plan("[data\n")
    with pytest.raises(FileNotFoundError, match="analysis plan not found"):
        load_plan(tmp_path / "nope.toml")


def test_load_plan_resolves_relative_to_file(tmp_path):
    p = tmp_path / "sub" / "plan.toml"
    p.parent.mkdir()
    p.write_text(GOOD)
    plan = load_plan(p)
    assert plan.data.waves["baseline"] == Path(p.parent.resolve(), "baseline.parquet")
    assert plan.path == p


def test_several_cost_benefit_comparisons():
    text = GOOD.replace("[cost_benefit]", "[[cost_benefit]]") + (
        '[[cost_benefit]]\noutcome = "value_added"\ncost = 2043\nterm = "onsite"\n'
        'label = "onsite"\ncost_basis = "invited"\n'
    )
    plan = parse_plan(text)
    assert [c.label for c in plan.cost_benefit] == ["cost_benefit", "onsite"]
    assert plan.cost_benefit[1].term == "onsite" and plan.cost_benefit[1].cost_basis == "invited"
    with pytest.raises(PlanError, match=r"'cost_benefit\[1\].cost_basis' must be one of"):
        parse_plan(text.replace('cost_basis = "invited"', 'cost_basis = "firm"'))


def test_cost_structure_and_exactly_one_cost():
    structure = (
        "[cost_benefit.structure]\nparticipants = 50\ninvited = 60\n"
        "fixed = { curriculum = 6000, venue = 4000 }\nper_participant = { trainer_days = 300 }\n"
    )
    plan = parse_plan(GOOD.replace("cost = 740\n", "") + structure)
    st = plan.cost_benefit[0].structure
    assert plan.cost_benefit[0].cost is None
    assert st.participants == 50 and st.fixed == {"curriculum": 6000.0, "venue": 4000.0}
    with pytest.raises(PlanError, match="exactly one of 'cost'"):
        parse_plan(GOOD + structure)
    with pytest.raises(PlanError, match="exactly one of 'cost'"):
        parse_plan(GOOD.replace("cost = 740\n", ""))
    with pytest.raises(PlanError, match=r"'cost_benefit.structure.fixed.venue' must be a float"):
        parse_plan(GOOD.replace("cost = 740\n", "") + structure.replace("4000", '"4k"'))


def test_romano_wolf_needs_draws():
    rw = GOOD.replace("ri_draws = 1000", 'ri_draws = 1000\nmultiple_testing = "romano-wolf"')
    assert parse_plan(rw).estimate.multiple_testing == "romano-wolf"
    with pytest.raises(PlanError, match=r"set 'estimate\.ri_draws'"):
        parse_plan(rw.replace("ri_draws = 1000", "ri_draws = 0"))


def test_the_documented_plan_is_valid():
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "plans.md").read_text()
    text = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    plan = parse_plan(text)
    assert plan.estimate.multiple_testing == "romano-wolf"
    assert plan.cost_benefit[1].structure.fixed == {"consultant": 120000.0}
    assert plan.attrition.tighten == ("stratum",) and plan.attrition.trim == 0.99


def test_the_documented_pool_plan_is_valid():
    import re

    from kaizen_eval.pipeline.pool_plan import parse_pool

    doc = (Path(__file__).resolve().parents[2] / "docs" / "plans.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", doc, re.S)
    spec = parse_pool(next(b for b in blocks if b.startswith("[pool]")))
    assert (spec.family, spec.method, spec.test, spec.rollout.cost) == (
        "performance",
        "REML",
        "knha",
        2905.0,
    )
