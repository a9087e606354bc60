"""Every option list is derived from one ``Literal``: the CLI, the plan validator and the
estimators agree, so an option added in one place is accepted everywhere."""

import argparse
from dataclasses import fields
from typing import get_args

import pytest

from kaizen_eval._core.covariance import SE_TYPES, SEType
from kaizen_eval.cli import _parser
from kaizen_eval.costbenefit.costs import Basis
from kaizen_eval.pipeline import plan as plan_mod
from kaizen_eval.pipeline.plan import PlanError, parse_plan
from kaizen_eval.synthetic.sites import SITES, Site

PLAN = """
[data]
waves = {{ baseline = "b.csv", followup = "f.csv" }}
[design]
assignment = "invited"
takeup = "attended"
[[families]]
name = "scores"
outcomes = ["score"]
wave = "followup"
[estimate]
estimands = ["{estimand}"]
se = "{se}"
[cost_benefit]
outcome = "score"
cost = 10
cost_basis = "{basis}"
"""


def _choices(command: str, dest: str) -> tuple[str, ...]:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if a.dest == dest)
    return tuple(action.choices)


def test_cli_choices_are_the_literals():
    assert _choices("estimate", "estimand") == get_args(plan_mod.EstimandName)
    assert _choices("simulate", "site") == tuple(SITES) == get_args(Site)


@pytest.mark.parametrize("se", SE_TYPES)
def test_plan_accepts_every_se_type_of_the_estimators(se):
    """CR0 used to be missing from the plan's list: every type of ``SEType`` is accepted."""
    plan = parse_plan(PLAN.format(estimand="itt", se=se, basis="participant"))
    assert plan.estimate.se == se
    assert get_args(plan_mod.SeName) == get_args(SEType)


@pytest.mark.parametrize("estimand", get_args(plan_mod.EstimandName))
@pytest.mark.parametrize("basis", get_args(Basis))
def test_plan_accepts_every_estimand_and_cost_basis(estimand, basis):
    plan = parse_plan(PLAN.format(estimand=estimand, se="HC1", basis=basis))
    assert plan.estimate.estimands == (estimand,)
    assert plan.cost_benefit[0].cost_basis == basis


def test_plan_refuses_an_option_outside_the_literal_naming_the_valid_ones():
    with pytest.raises(PlanError, match=r"'estimate.se' must be one of .*'CR0'.*it is 'CR3'"):
        parse_plan(PLAN.format(estimand="itt", se="CR3", basis="participant"))
    with pytest.raises(PlanError, match=r"cost_basis' must be one of 'participant', 'invited'"):
        parse_plan(PLAN.format(estimand="itt", se="HC1", basis="firm"))


@pytest.mark.parametrize(
    "keys, spec, skip",
    [
        (plan_mod._TOP, plan_mod.Plan, {"sha256", "path"}),
        (plan_mod._DATA, plan_mod.DataSpec, set()),
        (plan_mod._DESIGN, plan_mod.DesignSpec, set()),
        (plan_mod._FAMILY, plan_mod.Family, set()),
        (plan_mod._ESTIMATE, plan_mod.EstimateSpec, set()),
        (plan_mod._CB, plan_mod.CostBenefitSpec, set()),
        (plan_mod._STRUCTURE, plan_mod.CostStructureSpec, set()),
    ],
)
def test_plan_keys_are_the_dataclass_fields(keys, spec, skip):
    assert set(keys) == {f.name for f in fields(spec)} - skip


def test_unknown_key_lists_the_fields():
    text = PLAN.format(estimand="itt", se="HC1", basis="participant").replace(
        "cost = 10", "cost = 10\nyaers = 2"
    )
    with pytest.raises(PlanError, match=r"unknown key 'cost_benefit.yaers'.*Did you mean 'years'"):
        parse_plan(text)
