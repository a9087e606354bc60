"""Synthetic Kaizen trials with known truth (reached as ``ke.synthetic``).

:func:`simulate_trial` draws one site's trial (waves as delivered, codebook, exchange rates,
management items, latent firm table and the true estimands); :func:`load_bundled` returns the
trial bundled in ``data/synthetic/<site>/`` (seeds in :data:`BUNDLED_SEEDS`); :data:`SITES` holds
the site calibrations. These names are not re-exported at the top level of :mod:`kaizen_eval`.
"""

from kaizen_eval.synthetic.bundled import BUNDLED_SEEDS, load_bundled
from kaizen_eval.synthetic.heterogeneous import heterogeneous_firms
from kaizen_eval.synthetic.multisite import MultiSiteTrial, simulate_sites
from kaizen_eval.synthetic.saturation import (
    SaturationTruth,
    saturation_firms,
    saturation_outcomes,
)
from kaizen_eval.synthetic.simulate import simulate_trial
from kaizen_eval.synthetic.sites import SITES, SiteSpec
from kaizen_eval.synthetic.trial import Trial

__all__: list[str] = [
    "BUNDLED_SEEDS",
    "SITES",
    "MultiSiteTrial",
    "SaturationTruth",
    "SiteSpec",
    "Trial",
    "heterogeneous_firms",
    "load_bundled",
    "saturation_firms",
    "saturation_outcomes",
    "simulate_sites",
    "simulate_trial",
]
