"""Calibrations of the four randomized Kaizen sites (one frozen :class:`SiteSpec` each).

The numbers that matter for tests are the calibration targets (``target_classroom``,
``target_onsite``) in **USD of annual value added at the last follow-up**: Ghana's classroom LATE
(13,890) and Tanzania's classroom and on-site ATTs (4,181 and 4,038) are the published figures
(see ``replication/published_cost_benefit.py``); Vietnam's and Ethiopia's are illustrative (no
published USD figure).
Everything else (sample sizes, take-up, exit, currencies, exchange rates, level of value added)
is chosen to look like the real sites, not taken from them.

Default sample sizes (``n_default``) are of the order of the real samples: Ghana 180 (Kumasi
metalwork), Tanzania 310 (Dar es Salaam garments), Vietnam 300 (Bac Ninh steel / Hatay knitwear),
Ethiopia 150 (Addis Ababa metalwork).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Site = Literal["ghana", "tanzania", "vietnam", "ethiopia"]
Calibration = Literal["late", "att"]


@dataclass(frozen=True)
class SiteSpec:
    """How one site's synthetic trial is generated.

    Parameters
    ----------
    name : str
        Site name (``"ghana"`` …).
    prefix : str
        Two letters opening every ``firm_id`` (``GH0001``).
    currency : str
        ISO code of the local currency of ``sales`` and ``inputs``.
    n_default : int
        Default number of sampled firms.
    waves : tuple of str
        Survey waves in order; the first is the baseline, the last the follow-up at which the
        calibration targets hold.
    usd_per_unit : tuple of float
        Exchange rate (USD per unit of local currency) for each wave.
    factorial : bool
        Whether on-site training is cross-randomized with the classroom invitation (2×2).
    complier_classroom, complier_onsite : float
        Probability that a firm is a complier (attends when invited / receives on-site training
        when assigned); one-sided non-compliance: nobody unassigned is treated.
    calibration : {"late", "att"}
        Which average effect equals the target exactly in the realized sample: over all compliers
        (``"late"``) or over the firms actually treated (``"att"``).
    target_classroom, target_onsite : float
        Calibration targets, USD of annual value added at the last wave.
    va_mean_usd : float
        Mean of baseline annual value added (USD), lognormal with log-sd ``va_log_sd``.
    growth_log_sd : float
        Log-sd of the firm-specific growth of untreated value added from baseline to a later wave.
    female_share : float
        Share of women owners.
    educ_mean, educ_sd : float
        Owner's schooling (years), normal, clipped to [0, 18].
    male_effect_ratio : float
        Men's individual effects are this multiple of women's before calibration (> 1: men
        gain more).
    educ_effect_slope : float
        Relative increase of the classroom effect per standard deviation of schooling.
    exit_untreated, exit_treated : float
        Probability of closing by the last wave without / with classroom training.
    not_found, refused : float
        Per later wave, probability that a surviving firm cannot be found / refuses.
    receivables_pending : float
        At the last wave (if more than two waves), probability that sales are not reported
        because accounts receivable are pending.
    subclusters : tuple of str
        Sub-clusters of the industrial cluster (stratum = sub-cluster × size group).
    centre : tuple of float
        Latitude and longitude around which GPS points are drawn.
    phone_prefix : str
        Country calling code for the fake phone numbers.
    wtp_hearsay : float
        Rise (USD) of the controls' latent willingness to pay from hearsay alone.
    """

    name: str
    prefix: str
    currency: str
    n_default: int
    waves: tuple[str, ...]
    usd_per_unit: tuple[float, ...]
    factorial: bool
    complier_classroom: float
    complier_onsite: float
    calibration: Calibration
    target_classroom: float
    target_onsite: float
    va_mean_usd: float
    va_log_sd: float
    growth_log_sd: float
    female_share: float
    educ_mean: float
    educ_sd: float
    male_effect_ratio: float
    educ_effect_slope: float
    exit_untreated: float
    exit_treated: float
    not_found: float
    refused: float
    receivables_pending: float
    subclusters: tuple[str, ...]
    centre: tuple[float, float]
    phone_prefix: str
    wtp_hearsay: float


#: One row per field of :class:`SiteSpec`, one column per site (in the order of ``Site``):
#: the four calibrations side by side.
_TABLE: dict[str, tuple[Any, ...]] = {
    "prefix": ("GH", "TZ", "VN", "ET"),
    "currency": ("GHS", "TZS", "VND", "ETB"),
    "n_default": (180, 310, 300, 150),
    "waves": (
        ("baseline", "followup"),
        ("baseline", "followup"),
        ("baseline", "survey2", "followup"),
        ("baseline", "survey2", "followup"),
    ),
    "usd_per_unit": (
        (0.93, 0.72),
        (0.00064, 0.00061),
        (0.0000625, 0.0000595, 0.0000565),
        (0.108, 0.092, 0.085),
    ),
    "factorial": (False, True, True, True),
    "complier_classroom": (0.65, 0.96, 0.75, 0.8),
    "complier_onsite": (0.0, 0.97, 0.85, 0.9),
    "calibration": ("late", "att", "late", "late"),
    "target_classroom": (13_890.0, 4_181.0, 2_500.0, 1_500.0),
    "target_onsite": (0.0, 4_038.0, 2_000.0, 1_200.0),
    "va_mean_usd": (26_500.0, 9_000.0, 30_000.0, 8_000.0),
    "va_log_sd": (0.9, 0.85, 0.9, 0.9),
    "growth_log_sd": (0.35, 0.35, 0.3, 0.35),
    "female_share": (0.05, 0.8, 0.3, 0.1),
    "educ_mean": (9.5, 9.0, 9.0, 10.0),
    "educ_sd": (3.0, 3.0, 2.5, 3.0),
    "male_effect_ratio": (1.0, 1.2, 1.0, 1.0),
    "educ_effect_slope": (0.25, 0.15, 0.2, 0.2),
    "exit_untreated": (0.12, 0.05, 0.06, 0.07),
    "exit_treated": (0.03, 0.03, 0.04, 0.04),
    "not_found": (0.03, 0.02, 0.03, 0.03),
    "refused": (0.02, 0.01, 0.02, 0.02),
    "receivables_pending": (0.0, 0.0, 0.1, 0.12),
    "subclusters": (
        ("Suame-North", "Suame-South", "Suame-Magazine"),
        ("Kariakoo", "Ilala", "Temeke"),
        ("BacNinh-Steel", "Hatay-Knitwear"),
        ("Addis-Ketema", "Lideta", "Kirkos"),
    ),
    "centre": ((6.72, -1.63), (-6.82, 39.27), (21.18, 106.07), (9.01, 38.75)),
    "phone_prefix": ("+233", "+255", "+84", "+251"),
    "wtp_hearsay": (0.0, 30.0, 25.0, 0.0),
}

SITES: dict[str, SiteSpec] = {
    site: SiteSpec(name=site, **{key: column[i] for key, column in _TABLE.items()})
    for i, site in enumerate(get_args(Site))
}
