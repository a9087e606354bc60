"""Simulation studies of the estimators on whole synthetic trials.

This layer stands above :mod:`kaizen_eval.estimate` and :mod:`kaizen_eval.synthetic` (it draws
trials and analyses them as an analyst would) and below :mod:`kaizen_eval.pipeline`; the
design-stage power tools with stylized outcome models (:func:`~kaizen_eval.simulate_power`,
:func:`~kaizen_eval.power_grid`) stay in :mod:`kaizen_eval.design`, which imports no estimator.
"""

from kaizen_eval.studies.trial_power import TrialPower, simulate_trial_power

__all__ = ["TrialPower", "simulate_trial_power"]
