"""Generate a synthetic Kaizen trial whose true effects are known: :func:`simulate_trial`."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy.special import expit

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.synthetic._model import (
    _MIN_FIRMS,
    CLASSROOM_DAYS,
    ITEM_NONRESPONSE,
    LAST_WAVE_SALES_NAME,
    SURVEY2_EXIT_SHARE,
    SURVEY2_SHARE,
    WTP_PARTICIPANT_GAIN,
    WTP_PRICES,
    _within_strata,
)
from kaizen_eval.synthetic._outputs import _deliver, _firm_table, _truth
from kaizen_eval.synthetic.items import BDS_DOMAINS, item_difficulty, item_table
from kaizen_eval.synthetic.people import fake_identifiers
from kaizen_eval.synthetic.sites import SITES, SiteSpec
from kaizen_eval.synthetic.trial import Trial

#: The model's constants, importable from here as before (defined in ``_model``).
__all__ = [
    "CLASSROOM_DAYS",
    "ITEM_NONRESPONSE",
    "LAST_WAVE_SALES_NAME",
    "SURVEY2_EXIT_SHARE",
    "SURVEY2_SHARE",
    "WTP_PARTICIPANT_GAIN",
    "WTP_PRICES",
    "simulate_trial",
]


def simulate_trial(
    site: str,
    n_firms: int | None = None,
    seed: int | np.random.Generator = 0,
    *,
    spillover: float = 0.0,
) -> Trial:
    r"""Simulate one site's randomized Kaizen trial, with waves as delivered and the true effects.

    Parameters
    ----------
    site : {"ghana", "tanzania", "vietnam", "ethiopia"}
        Ghana: classroom training only; baseline and a one-year follow-up; take-up about 65%;
        about 9% of firms exit, fewer among participants (positive effect on survival).
        Tanzania: classroom invitation × on-site training, independently randomized (2×2);
        take-up about 96%; baseline and a follow-up three months after on-site training.
        Vietnam, Ethiopia: the same factorial with imperfect take-up, plus "survey2" between
        classroom and on-site training; sales are missing at the follow-up for firms whose
        receivables are pending (``receivables_pending = 1``).
    n_firms : int, optional
        Number of sampled firms; default the site's (Ghana 180, Tanzania 310, Vietnam 300,
        Ethiopia 150; see :mod:`kaizen_eval.synthetic.sites`). At least 40.
    seed : int or numpy.random.Generator, default 0
        The only source of randomness; the same int gives bit-identical frames.
    spillover : float, default 0.0
        Knowledge spillover in [0, 1): at the last wave every firm that did not attend the
        classroom training gains ``spillover`` times its own classroom effect ``tau_classroom``.
        The effect on participants is unchanged, but the invited-vs-control contrast (ITT, Wald)
        is then biased toward zero: it estimates ``(1 - spillover) * late_value_added``.

    Returns
    -------
    Trial
        ``waves``, ``codebook``, ``exchange_rates``, ``items``, the latent ``firms`` table and the
        ``truth`` dict.

    Notes
    -----
    **Model.** Money is in USD inside the model and delivered in local currency
    (``sales``, ``inputs``, rounded to whole units; value added in USD is
    ``(sales - inputs) * usd_per_unit`` of that wave). Baseline annual value added is lognormal.
    Untreated value added at a later wave is the baseline level times an independent lognormal
    growth factor. With classroom attendance :math:`C_i`, on-site receipt :math:`O_i` and
    spillover :math:`s`, value added at the last wave is

    .. math:: Y_i = Y_i(0) + C_i \tau^C_i + O_i \tau^O_i + s (1 - C_i) \tau^C_i ,

    (no interaction term), and at survey 2 :math:`Y_i(0) + 0.5\, C_i \tau^C_i`. Individual
    effects are skewed (lognormal factor), the classroom effect rises with schooling
    (``educ_effect_slope`` per sd) and men's effects are ``male_effect_ratio`` times women's
    (Tanzania: 1.2). They are then scaled so that the average over the calibration group equals
    the site's target **exactly in the realized sample**: over all compliers (Ghana, Vietnam,
    Ethiopia: a LATE) or over the firms actually treated (Tanzania: an ATT).

    Compliance is one-sided (nobody is treated without being assigned) and compliance types are
    drawn independently of everything else. Exit depends only on classroom attendance, through
    one uniform draw per firm (so survival types are monotone), and like "not found", "refused"
    and pending receivables it is independent of potential value added. Hence the simple Wald
    estimate on interviewed firms (difference in mean value added by invitation divided by the
    difference in attendance) is consistent for ``late_value_added`` (for
    ``wald_value_added`` when ``spillover > 0``), although exit differs by arm.
    Because each truth is an average over the realized sample (not over a superpopulation) and
    assignment is stratified on size, the usual heteroskedasticity-robust standard errors are
    conservative for it: across 400 Ghana samples of 180 firms, nominal 95% Wald intervals
    covered ``late_value_added`` 97.8% of the time.

    Management items are 0/1 with probability ``p0 + C dC + O dO`` (never above 1), with ``p0``
    rising in a latent management ability correlated with schooling and size, ``dC`` larger for
    BDS items (record keeping, marketing) and rising with schooling, ``dO`` larger for Kaizen items
    and independent of schooling. Each wave has its own uniform draws; the potential scores of the
    last wave use common draws, so individual effects are well defined. Interview items are
    unanswered with probability 3% (completely at random).

    **Truth keys** (all averages over the realized sample of ``n_firms`` firms; value added in
    USD per year at the last wave; scores are shares of the 20 items, 0–1):

    ``late_value_added`` (alias ``late_classroom_value_added``)
        mean of ``tau_classroom`` over classroom compliers (equals the target when calibrated on
        the LATE: Ghana 13,890).
    ``att_value_added`` (alias ``att_classroom_value_added``)
        mean of ``tau_classroom`` over firms that attended (Tanzania: exactly 4,181).
    ``itt_value_added``
        effect of the invitation without spillover: mean over all firms of
        ``complier * tau_classroom`` (= ``complier_share * late_value_added``).
    ``wald_value_added``, ``itt_contrast_value_added``
        what the invited-vs-control contrast estimates when the spillover is in effect:
        ``(1 - spillover)`` times ``late_value_added`` and ``itt_value_added``.
    ``spillover``, ``spillover_value_added``
        the spillover share, and the mean gain of non-participants from it.
    ``complier_share``, ``takeup_invited``, ``takeup_control``
        share of classroom compliers; attendance among invited / non-invited firms.
    ``late_survival``, ``itt_survival``, ``exit_rate``
        mean over compliers of ``survives_treated - survives_untreated`` (open at the last wave);
        the same times ``complier_share``; share of all firms closed at the last wave. Survival
        is observed for firms with status ``interviewed``, ``refused`` or ``closed``.
    ``late_management_score``, ``att_management_score`` (aliases with ``classroom``), and
    ``late_management_<domain>``
        effect of classroom training alone (on-site held at none), ``M(1,0) - M(0,0)``,
        averaged over classroom compliers / attendees; per domain for the LATE.
    ``late_wtp``
        mean over compliers of the effect of attending on the price-list answer ``wtp`` at the
        last wave, against the answer they would give as non-participants (who hear about the
        training: Tanzania and Vietnam add ``wtp_hearsay`` USD to a non-participant's latent
        willingness to pay); latent willingness to pay rises by 100 USD with attendance.
    ``wtp_hearsay_effect``
        mean over non-participants of the rise of their answer due to hearsay alone (0 in Ghana
        and Ethiopia).
    Factorial sites also have ``late_onsite_value_added``, ``att_onsite_value_added`` (Tanzania:
    exactly 4,038), ``itt_onsite_value_added``, ``takeup_onsite_assigned``,
    ``takeup_onsite_control``, ``onsite_complier_share``, ``late_onsite_management_score``,
    ``att_onsite_management_score``, ``late_onsite_management_<domain>`` (``M(0,1) - M(0,0)``),
    ``att_interaction_value_added`` (0: effects add up) and ``att_interaction_management_score``
    (mean of ``M(1,1) - M(1,0) - M(0,1) + M(0,0)`` over firms with both; zero in expectation).
    Sites with survey 2 also have ``late_value_added_survey2`` (half the classroom effect) and
    ``late_management_score_survey2``.

    Examples
    --------
    >>> from kaizen_eval.synthetic import simulate_trial
    >>> t = simulate_trial("tanzania", seed=3)
    >>> t.truth["att_classroom_value_added"], t.truth["att_onsite_value_added"]
    (4181.0, 4038.0)
    >>> sorted(t.waves["baseline"]["status"].unique())
    ['interviewed']
    """
    check_option("site", site, tuple(SITES))
    spec = SITES[site]
    n = check_n_firms(spec.n_default if n_firms is None else n_firms)
    if not (isinstance(spillover, int | float) and 0.0 <= spillover < 1.0):
        raise KaizenError(f"`spillover` must be a number in [0, 1). You passed: {spillover!r}.")
    if isinstance(seed, np.random.Generator):
        rng, seed_value = seed, None
    elif isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        rng, seed_value = np.random.default_rng(int(seed)), int(seed)
    else:
        raise KaizenError(f"`seed` must be an int or a numpy Generator. You passed: {seed!r}.")
    return _simulate(spec, n, rng, seed_value, float(spillover))


def check_n_firms(n: object, *, site: str | None = None) -> int:
    """Return a sample size as an ``int`` of at least ``_MIN_FIRMS`` firms, else raise."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < _MIN_FIRMS:
        where = "" if site is None else f" for site {site!r}"
        raise KaizenError(
            f"`n_firms`{where} must be an integer of at least {_MIN_FIRMS}. You passed: {n!r}."
        )
    return int(n)


def _simulate(
    spec: SiteSpec, n: int, rng: np.random.Generator, seed: int | None, spillover: float
) -> Trial:
    """Draw one trial: each stage draws from ``rng`` in turn (the order fixes the streams)."""
    d = SimpleNamespace(n=n, waves=spec.waves, later=spec.waves[1:], last=spec.waves[-1])
    _draw_firms(spec, d, rng)
    _draw_treatment(spec, d, rng)
    _draw_outcomes(spec, d, rng, spillover)
    _draw_items(d, rng)
    _draw_wtp_and_inputs(spec, d, rng)
    delivered, codebook, exchange_rates = _deliver(spec, d)
    return Trial(
        site=spec.name,
        seed=seed,
        n_firms=n,
        spillover=spillover,
        waves=delivered,
        codebook=codebook,
        exchange_rates=exchange_rates,
        items=d.items,
        firms=_firm_table(d),
        truth=_truth(spec, d, spillover),
    )


def _draw_firms(spec: SiteSpec, d: SimpleNamespace, rng: np.random.Generator) -> None:
    """Draw the firms: ids, owner characteristics, strata, baseline value added (USD), ability."""
    width = max(4, len(str(d.n)))
    d.firm_id = np.array([f"{spec.prefix}{i + 1:0{width}d}" for i in range(d.n)], dtype=object)

    # --- firms: characteristics and baseline value added (USD) ---------------------------------
    d.female = (rng.random(d.n) < spec.female_share).astype(np.int64)
    d.educ = np.clip(np.round(rng.normal(spec.educ_mean, spec.educ_sd, d.n)), 0, 18)
    d.z_educ = (d.educ - spec.educ_mean) / spec.educ_sd
    z_va = rng.normal(0.0, 1.0, d.n)
    d.va_base = spec.va_mean_usd * np.exp(spec.va_log_sd * z_va - spec.va_log_sd**2 / 2)
    d.employees = np.round(np.exp(0.8 + 0.45 * z_va + rng.normal(0.0, 0.35, d.n)))
    d.firm_age = np.round(rng.gamma(2.0, 6.0, d.n), 1)
    sub = rng.integers(0, len(spec.subclusters), d.n)
    large = (d.employees > np.median(d.employees)).astype(np.int64)
    d.stratum_code = sub * 2 + large
    d.stratum = np.array(
        [
            f"{spec.subclusters[s]}-{'large' if g else 'small'}"
            for s, g in zip(sub, large, strict=True)
        ],
        dtype=object,
    )
    d.ability = 0.4 * d.z_educ + 0.4 * z_va + rng.normal(0.0, 0.8, d.n)


def _draw_treatment(spec: SiteSpec, d: SimpleNamespace, rng: np.random.Generator) -> None:
    """Draw assignment, compliance and individual effects, calibrated in the realized sample."""
    # --- assignment and compliance --------------------------------------------------------------
    d.invited = _within_strata(d.stratum_code, rng)
    d.complier_c = rng.random(d.n) < spec.complier_classroom
    d.attended = d.invited * d.complier_c
    d.days = np.where(d.attended == 1, CLASSROOM_DAYS - rng.binomial(5, 0.3, d.n), 0).astype(
        np.int64
    )
    if spec.factorial:
        d.onsite = _within_strata(d.stratum_code, rng)
        d.complier_o = rng.random(d.n) < spec.complier_onsite
    else:
        d.onsite = np.zeros(d.n, dtype=np.int64)
        d.complier_o = np.zeros(d.n, dtype=bool)
    d.onsite_received = d.onsite * d.complier_o

    # --- individual effects on value added (USD), calibrated in the realized sample ------------
    sex_factor = np.where(d.female == 1, 1.0, spec.male_effect_ratio)
    raw_c = (
        rng.lognormal(-0.125, 0.5, d.n)
        * np.clip(1.0 + spec.educ_effect_slope * d.z_educ, 0.2, None)
        * sex_factor
    )
    raw_o = rng.lognormal(-0.125, 0.5, d.n) * sex_factor
    group_c = d.complier_c if spec.calibration == "late" else d.attended == 1
    group_o = d.complier_o if spec.calibration == "late" else d.onsite_received == 1
    if not group_c.any() or (spec.factorial and not group_o.any()):
        raise KaizenError(f"no treated compliers drawn for {spec.name!r} with n_firms={d.n}")
    d.tau_c = spec.target_classroom * raw_c / raw_c[group_c].mean()
    d.tau_o = (
        spec.target_onsite * raw_o / raw_o[group_o].mean() if spec.factorial else np.zeros(d.n)
    )


def _draw_outcomes(
    spec: SiteSpec, d: SimpleNamespace, rng: np.random.Generator, spillover: float
) -> None:
    """Draw value added at later waves; survival, attrition and pending receivables."""
    # --- untreated potential value added at later waves; observed value added ------------------
    d.va0 = {d.waves[0]: d.va_base}
    d.va_obs = {d.waves[0]: d.va_base}
    for w in d.later:
        g = rng.normal(-(spec.growth_log_sd**2) / 2, spec.growth_log_sd, d.n)
        d.va0[w] = d.va_base * np.exp(g)
        if w == d.last:
            d.va_obs[w] = (
                d.va0[w]
                + d.attended * d.tau_c
                + d.onsite_received * d.tau_o
                + spillover * (1 - d.attended) * d.tau_c
            )
        else:
            d.va_obs[w] = d.va0[w] + SURVEY2_SHARE * d.attended * d.tau_c

    # --- survival, attrition and pending receivables --------------------------------------------
    u_exit = rng.random(d.n)
    d.survives_untreated = u_exit >= spec.exit_untreated
    d.survives_treated = u_exit >= spec.exit_treated
    exit_p = np.where(d.attended == 1, spec.exit_treated, spec.exit_untreated)
    d.status = {d.waves[0]: np.full(d.n, "interviewed", dtype=object)}
    d.receivables = {}
    for w in d.later:
        share = 1.0 if w == d.last else SURVEY2_EXIT_SHARE
        u = rng.random(d.n)
        st = np.full(d.n, "interviewed", dtype=object)
        st[u < spec.not_found + spec.refused] = "refused"
        st[u < spec.not_found] = "not_found"
        st[u_exit < share * exit_p] = "closed"
        d.status[w] = st
        p_recv = spec.receivables_pending if (w == d.last and len(d.waves) > 2) else 0.0
        d.receivables[w] = (rng.random(d.n) < p_recv).astype(np.int64)


def _draw_items(d: SimpleNamespace, rng: np.random.Generator) -> None:
    """Draw the management items: answers by wave, potential scores at the last wave."""
    # --- management items ------------------------------------------------------------------------
    d.items = item_table()
    difficulty = np.asarray(item_difficulty())
    is_bds = d.items["domain"].isin(BDS_DOMAINS).to_numpy()
    is_interview = (d.items["source"] == "interview").to_numpy()
    p0 = 0.65 * expit(d.ability[:, None] - difficulty[None, :] + 0.3)
    het = np.clip(1.0 + 0.5 * d.z_educ, 0.0, 1.6)
    d_c = np.where(is_bds[None, :], 0.10 * het[:, None], 0.06)
    d_o = np.where(is_bds, 0.03, 0.15)[None, :] * np.ones((d.n, 1))
    d.answers = {}
    d.potential: dict[tuple[int, int], np.ndarray] = {}
    d.survey2_items: dict[int, np.ndarray] = {}
    for w in d.waves:
        u = rng.random((d.n, len(d.items)))
        missing = (rng.random((d.n, len(d.items))) < ITEM_NONRESPONSE) & is_interview[None, :]
        c = d.attended[:, None] if w != d.waves[0] else 0
        o = d.onsite_received[:, None] if w == d.last else 0
        d.answers[w] = np.where(missing, np.nan, (u < p0 + c * d_c + o * d_o).astype(float))
        if w == d.last:
            d.potential = {
                (cc, oo): (u < p0 + cc * d_c + oo * d_o).astype(float)
                for cc in (0, 1)
                for oo in (0, 1)
            }
        if w != d.waves[0] and w != d.last:
            d.survey2_items = {cc: (u < p0 + cc * d_c).astype(float) for cc in (0, 1)}

    d.score = {key: a.mean(axis=1) for key, a in d.potential.items()}


def _draw_wtp_and_inputs(spec: SiteSpec, d: SimpleNamespace, rng: np.random.Generator) -> None:
    """Draw willingness to pay, fake identifiers and input shares."""
    # --- willingness to pay (USD) ----------------------------------------------------------------
    d.wtp_latent = rng.lognormal(np.log(90.0), 0.9, d.n)
    d.wtp_drift = d.wtp_latent * rng.lognormal(0.0, 0.2, d.n)
    d.wtp_last = (
        d.wtp_drift + WTP_PARTICIPANT_GAIN * d.attended + spec.wtp_hearsay * (1 - d.attended)
    )

    # --- input shares (inputs / sales) -----------------------------------------------------------
    d.ids = fake_identifiers(
        spec.name, d.n, rng, centre=spec.centre, phone_prefix=spec.phone_prefix
    )
    d.input_share = {w: 0.25 + 0.4 * rng.beta(4.0, 4.0, d.n) for w in d.waves}
