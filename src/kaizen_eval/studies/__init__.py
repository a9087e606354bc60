"""Simulation studies of the estimators on whole synthetic trials, and trials that need a design.

This layer stands above :mod:`kaizen_eval.estimate` and :mod:`kaizen_eval.synthetic` (it draws
trials and analyses them as an analyst would) and below :mod:`kaizen_eval.pipeline`; the
design-stage power tools with stylized outcome models (:func:`~kaizen_eval.simulate_power`,
:func:`~kaizen_eval.power_grid`) stay in :mod:`kaizen_eval.design`, which imports no estimator.
The bundled saturation trial (:func:`saturation_site`, :func:`write_saturation_site`) is put
together here because it draws its assignment with :func:`kaizen_eval.assign`, which the
synthetic floor may not import.
"""

from kaizen_eval.studies.saturation_site import (
    SaturationSite,
    saturation_site,
    write_saturation_site,
)
from kaizen_eval.studies.trial_power import TrialPower, simulate_trial_power

__all__ = [
    "SaturationSite",
    "TrialPower",
    "saturation_site",
    "simulate_trial_power",
    "write_saturation_site",
]
