"""Cost-benefit stage of kaizen_eval: costs, benefit paths, metrics, uncertainty, WTP.

Is the value-added gain worth the training's cost? :func:`cost_benefit` compares an annual gain
per firm (a number or an ``Estimate``) with a cost (:class:`Cost` with its basis, or a fixed +
variable :class:`CostStructure`) over a :class:`BenefitPath` and returns a :class:`CostBenefit`.
:func:`one_way_sensitivity` / :func:`two_way_sensitivity` vary its parameters, and the ``wtp_*``
functions analyse willingness to pay for training.
"""

from kaizen_eval.costbenefit.analysis import CostBenefit, cost_benefit
from kaizen_eval.costbenefit.benefits import BenefitPath, time_profile
from kaizen_eval.costbenefit.by_site import cost_benefit_by_site
from kaizen_eval.costbenefit.costs import Cost, CostStructure, convert_cost
from kaizen_eval.costbenefit.sensitivity import (
    one_way_sensitivity,
    plot_bcr_distribution,
    plot_tornado,
    plot_two_way,
    two_way_sensitivity,
)
from kaizen_eval.costbenefit.targeting import Targeting, targeting
from kaizen_eval.costbenefit.uncertainty import bootstrap_gain
from kaizen_eval.costbenefit.wtp import WTPChange, wtp_change, wtp_compare, wtp_demand, wtp_share

__all__: list[str] = [
    "BenefitPath",
    "Cost",
    "CostBenefit",
    "CostStructure",
    "Targeting",
    "WTPChange",
    "bootstrap_gain",
    "convert_cost",
    "cost_benefit",
    "cost_benefit_by_site",
    "one_way_sensitivity",
    "plot_bcr_distribution",
    "plot_tornado",
    "plot_two_way",
    "targeting",
    "time_profile",
    "two_way_sensitivity",
    "wtp_change",
    "wtp_compare",
    "wtp_demand",
    "wtp_share",
]
