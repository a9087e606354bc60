"""Docstring fragments of the linear estimators (``itt``, ``late``, ``att``, ``anderson_rubin``).

One wording for the parameters they share, and for the arrays of the DiD kernels; filled at
import by :func:`kaizen_eval._docs.fill_doc` (see there).
"""

from __future__ import annotations

__all__ = ["DOCS"]

DOCS: dict[str, str] = {
    "param_covariates": """\
covariates : str or sequence of str
    Baseline covariates (text or categorical ones enter as dummies).""",
    "param_fixed_effects": """\
fixed_effects : str or sequence of str, optional
    Columns absorbed as fixed effects (randomization strata, survey waves).""",
    "param_cluster": """\
cluster : str, optional
    Cluster column (e.g. ``firm_id`` for pooled waves, or the unit of randomization).""",
    "param_se": """\
se : str, optional
    ``"classical"``, ``"HC0"``, ``"HC1"`` (default), ``"HC2"``, ``"HC3"``; with ``cluster``
    ``"CR0"``, ``"CR1"`` (default) or ``"CR2"``.""",
    "param_baseline": """\
baseline : str or sequence of str, optional
    Baseline value(s) (ANCOVA): the baseline outcome, and possibly baselines of other
    variables. Missing values are set to 0 and flagged by a dummy per column
    (``<baseline>_missing``, McKenzie 2012), so no row is dropped for them.""",
    "param_weights": """\
weights : str, optional
    Column of positive regression weights.""",
    "param_alpha": """\
alpha : float
    Level of the reported confidence intervals.""",
    # the specification every linear estimator takes, in the order of their signatures
    "params_linear": """\
%(param_covariates)s
%(param_fixed_effects)s
%(param_cluster)s
%(param_se)s
%(param_baseline)s
%(param_weights)s
%(param_alpha)s""",
    # the arrays behind an IV fit, after the outcome, treatment(s) and instrument(s)
    "params_iv_exog_inference": """\
x : numpy.ndarray, shape (n, p)
    Exogenous regressors (with a constant unless fixed effects are absorbed).
se, clusters, fixed_effects, weights
    As in :func:`~kaizen_eval._core.linear.fit_ols`.""",
    "params_did_change": """\
dy : numpy.ndarray, shape (n,)
    Change in the outcome (follow-up − baseline).
d : numpy.ndarray, shape (n,)
    Participation (0/1).""",
}
