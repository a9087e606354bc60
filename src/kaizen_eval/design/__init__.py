"""Design stage: reproducible assignment (with its manifest), balance, attrition and power.

Whole-trial power studies, which need the estimators, are in :mod:`kaizen_eval.studies`.
"""

from kaizen_eval.design.assignment import Assignment, Rerandomize, Stage, assign
from kaizen_eval.design.attrition import AttritionTable, differential_attrition
from kaizen_eval.design.balance import BalanceTable, balance
from kaizen_eval.design.power import mde, sample_size
from kaizen_eval.design.power_grid import PowerGrid, power_grid
from kaizen_eval.design.saturation_power import saturation_power
from kaizen_eval.design.simulate import SimulatedPower, simulate_power

__all__ = [
    "Assignment",
    "AttritionTable",
    "BalanceTable",
    "PowerGrid",
    "Rerandomize",
    "SimulatedPower",
    "Stage",
    "assign",
    "balance",
    "differential_attrition",
    "mde",
    "power_grid",
    "sample_size",
    "saturation_power",
    "simulate_power",
]
