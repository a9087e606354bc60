"""Estimators (ITT, LATE, ATT) and their inference.

Effects: :func:`itt` (OLS on assignment; arms, factorial, Lin, ANCOVA with McKenzie's dummy,
fixed effects, effects by subgroup), :func:`late` (2SLS, first stage, effective F,
Anderson–Rubin set), :func:`att` (randomized sites), :func:`att_did`, :func:`match_att` and
:func:`event_study` (non-randomized sites), :func:`compliance`, :func:`lee_bounds`.

Inference: every covariance type in :mod:`~kaizen_eval._core.covariance` (classical, HC0–HC3,
CR0, CR1, CR2 with Pustejovsky–Tipton df) through :func:`fit_ols`/:func:`fit_2sls` and
:func:`wald_test`; :func:`randomization_inference` and :func:`randomization_ci`;
:func:`wild_cluster_bootstrap`; :func:`romano_wolf` and :func:`sharpened_qvalues` across families.
"""

from kaizen_eval._core.covariance import SE_TYPES, SEType
from kaizen_eval._core.linear import LinearFit, fit_2sls, fit_ols
from kaizen_eval._core.wald import WaldTest, wald_test
from kaizen_eval.estimate.att import att
from kaizen_eval.estimate.attrition_ipw import ipw_itt
from kaizen_eval.estimate.attrition_weights import attrition_weights
from kaizen_eval.estimate.bounds import LeeBounds, lee_bounds
from kaizen_eval.estimate.compliance import Compliance, compliance
from kaizen_eval.estimate.did import att_did
from kaizen_eval.estimate.event_study import EventStudy, event_study
from kaizen_eval.estimate.exposure import ExposureProbabilities, exposure, exposure_probabilities
from kaizen_eval.estimate.exposure_ht import exposure_effects
from kaizen_eval.estimate.heterogeneity import heterogeneity
from kaizen_eval.estimate.heterogeneity_result import Heterogeneity
from kaizen_eval.estimate.itt import itt
from kaizen_eval.estimate.iv import FirstStage, late
from kaizen_eval.estimate.matching import match_att
from kaizen_eval.estimate.multiple import (
    bonferroni,
    holm,
    romano_wolf,
    sharpened_qvalues,
    westfall_young,
)
from kaizen_eval.estimate.pooling import PooledEstimate, leave_one_site_out, pool_sites
from kaizen_eval.estimate.quantile import QuantileEffects, quantile_effects
from kaizen_eval.estimate.result import Estimate
from kaizen_eval.estimate.ri import RandomizationInference, randomization_inference
from kaizen_eval.estimate.ri_arms import RandomizationArms
from kaizen_eval.estimate.ri_ci import RandomizationCI, RandomizationCIs, randomization_ci
from kaizen_eval.estimate.site_estimates import site_estimates
from kaizen_eval.estimate.spillover import spillover
from kaizen_eval.estimate.spillover_ri import SpilloverRI, spillover_ri
from kaizen_eval.estimate.weakiv import AndersonRubinSet, anderson_rubin
from kaizen_eval.estimate.wild import WildBootstrap, wild_cluster_bootstrap

__all__ = [
    "SE_TYPES",
    "AndersonRubinSet",
    "Compliance",
    "Estimate",
    "EventStudy",
    "ExposureProbabilities",
    "FirstStage",
    "Heterogeneity",
    "LeeBounds",
    "LinearFit",
    "PooledEstimate",
    "QuantileEffects",
    "RandomizationArms",
    "RandomizationCI",
    "RandomizationCIs",
    "RandomizationInference",
    "SEType",
    "SpilloverRI",
    "WaldTest",
    "WildBootstrap",
    "anderson_rubin",
    "att",
    "att_did",
    "attrition_weights",
    "bonferroni",
    "compliance",
    "event_study",  # issue 15
    "exposure",
    "exposure_effects",
    "exposure_probabilities",
    "fit_2sls",
    "fit_ols",
    "heterogeneity",
    "holm",
    "ipw_itt",
    "itt",
    "late",
    "leave_one_site_out",
    "lee_bounds",
    "match_att",
    "pool_sites",
    "quantile_effects",
    "randomization_ci",
    "randomization_inference",
    "romano_wolf",
    "sharpened_qvalues",
    "site_estimates",
    "spillover",  # issue 17
    "spillover_ri",
    "wald_test",
    "westfall_young",
    "wild_cluster_bootstrap",
]
