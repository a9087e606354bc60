"""Estimators (ITT, LATE, ATT) and their inference."""

from kaizen_eval.estimate.covariance import SE_TYPES, SEType
from kaizen_eval.estimate.linear import LinearFit, WaldTest, fit_2sls, fit_ols, wald_test
from kaizen_eval.estimate.result import Estimate

__all__ = [
    "SE_TYPES",
    "Estimate",
    "LinearFit",
    "SEType",
    "WaldTest",
    "fit_2sls",
    "fit_ols",
    "wald_test",
]
