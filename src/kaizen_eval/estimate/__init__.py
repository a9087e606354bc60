"""Estimators (ITT, LATE, ATT) and their inference."""

from kaizen_eval.estimate.att import att
from kaizen_eval.estimate.covariance import SE_TYPES, SEType
from kaizen_eval.estimate.itt import itt
from kaizen_eval.estimate.iv import FirstStage, late
from kaizen_eval.estimate.linear import LinearFit, WaldTest, fit_2sls, fit_ols, wald_test
from kaizen_eval.estimate.result import Estimate

__all__ = [
    "SE_TYPES",
    "Estimate",
    "FirstStage",
    "LinearFit",
    "SEType",
    "WaldTest",
    "att",
    "fit_2sls",
    "fit_ols",
    "itt",
    "late",
    "wald_test",
]
