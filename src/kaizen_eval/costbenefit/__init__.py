"""Cost-benefit stage of kaizen_eval: costs, benefit paths, metrics, uncertainty, WTP.

Is the value-added gain worth the training's cost? :func:`cost_benefit` compares an annual gain
per firm (a number or an ``Estimate``) with a cost (:class:`Cost` with its basis, or a fixed +
variable :class:`CostStructure`) over a :class:`BenefitPath` and returns a :class:`CostBenefit`.
"""

from kaizen_eval.costbenefit.analysis import CostBenefit, cost_benefit
from kaizen_eval.costbenefit.benefits import BenefitPath, time_profile
from kaizen_eval.costbenefit.costs import Cost, CostStructure, convert_cost
from kaizen_eval.costbenefit.uncertainty import bootstrap_gain

__all__: list[str] = [
    "BenefitPath",
    "Cost",
    "CostBenefit",
    "CostStructure",
    "bootstrap_gain",
    "convert_cost",
    "cost_benefit",
    "time_profile",
]
