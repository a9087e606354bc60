"""Estimators (ITT, LATE, ATT) and their inference."""

from kaizen_eval.estimate.att import att
from kaizen_eval.estimate.bounds import LeeBounds, lee_bounds
from kaizen_eval.estimate.compliance import Compliance, compliance
from kaizen_eval.estimate.covariance import SE_TYPES, SEType
from kaizen_eval.estimate.did import att_did
from kaizen_eval.estimate.itt import itt
from kaizen_eval.estimate.iv import FirstStage, late
from kaizen_eval.estimate.linear import LinearFit, WaldTest, fit_2sls, fit_ols, wald_test
from kaizen_eval.estimate.multiple import romano_wolf, sharpened_qvalues
from kaizen_eval.estimate.result import Estimate
from kaizen_eval.estimate.ri import RandomizationInference, randomization_inference
from kaizen_eval.estimate.ri_ci import RandomizationCI, randomization_ci
from kaizen_eval.estimate.weakiv import AndersonRubinSet
from kaizen_eval.estimate.wild import WildBootstrap, wild_cluster_bootstrap

__all__ = [
    "SE_TYPES",
    "AndersonRubinSet",
    "Compliance",
    "Estimate",
    "FirstStage",
    "LeeBounds",
    "LinearFit",
    "RandomizationCI",
    "RandomizationInference",
    "SEType",
    "WaldTest",
    "WildBootstrap",
    "att",
    "att_did",
    "compliance",
    "fit_2sls",
    "fit_ols",
    "itt",
    "late",
    "lee_bounds",
    "randomization_ci",
    "randomization_inference",
    "romano_wolf",
    "sharpened_qvalues",
    "wald_test",
    "wild_cluster_bootstrap",
]
