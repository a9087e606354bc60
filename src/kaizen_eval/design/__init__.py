"""Design stage: reproducible assignment (with its manifest), balance, attrition and power."""

from kaizen_eval.design.assignment import Assignment, Rerandomize, Stage, assign

__all__ = ["Assignment", "Rerandomize", "Stage", "assign"]
