"""Estimators (ITT, LATE, ATT) and their inference."""

from kaizen_eval.estimate.result import Estimate

__all__ = ["Estimate"]
