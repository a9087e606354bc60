"""Generate a synthetic Kaizen trial whose true effects are known: :func:`simulate_trial`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy.special import expit

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.synthetic.items import BDS_DOMAINS, DOMAINS, item_difficulty, item_table
from kaizen_eval.synthetic.people import fake_identifiers
from kaizen_eval.synthetic.sites import SITES, SiteSpec
from kaizen_eval.synthetic.trial import Trial

#: Prices (USD) of the willingness-to-pay price list; ``wtp`` is the highest accepted.
WTP_PRICES = np.array([0.0, 25.0, 50.0, 100.0, 200.0, 300.0, 400.0, 600.0, 800.0])
#: Rise (USD) of a participant's latent willingness to pay after the training.
WTP_PARTICIPANT_GAIN = 100.0
#: Delivered name of ``sales`` in the last wave (the survey instrument changed).
LAST_WAVE_SALES_NAME = "total_sales"
#: Share of the classroom effect on value added already realized at survey 2.
SURVEY2_SHARE = 0.5
#: Share of the eventual exits that have happened by survey 2.
SURVEY2_EXIT_SHARE = 0.4
#: Probability that an interview-sourced management item is unanswered by an interviewed firm.
ITEM_NONRESPONSE = 0.03
#: Classroom days.
CLASSROOM_DAYS = 15
_MIN_FIRMS = 40


def _within_strata(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Complete randomization of half of each stratum (odd strata: the extra unit by coin flip).

    ``codes`` has shape (n,); returns an int array (n,) of 0/1.
    """
    n = codes.size
    keys = rng.random(n)
    coins = rng.random(codes.max() + 1) < 0.5
    order = np.lexsort((keys, codes))
    sizes = np.bincount(codes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[codes[order]]
    n_treat = sizes // 2 + ((sizes % 2 == 1) & coins).astype(np.int64)
    return (rank < n_treat[codes]).astype(np.int64)


def _price_list(latent: np.ndarray) -> np.ndarray:
    """Highest price of :data:`WTP_PRICES` not above the latent willingness to pay."""
    idx = np.searchsorted(WTP_PRICES, latent, side="right") - 1
    return WTP_PRICES[np.clip(idx, 0, None)]


def _masked_int8(values: np.ndarray, keep: np.ndarray) -> pd.arrays.IntegerArray:
    """0/1 floats (NaN = missing) as a nullable Int8 array, missing where ``keep`` is False."""
    return pd.array(np.where(keep, values, np.nan), dtype="Int8")


def _mean(x: np.ndarray, mask: np.ndarray) -> float:
    if not mask.any():
        return float("nan")
    return float(np.mean(x[mask]))


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
    n = spec.n_default if n_firms is None else n_firms
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < _MIN_FIRMS:
        raise KaizenError(
            f"`n_firms` must be an integer of at least {_MIN_FIRMS}. You passed: {n!r}."
        )
    n = int(n)
    if not (isinstance(spillover, int | float) and 0.0 <= spillover < 1.0):
        raise KaizenError(f"`spillover` must be a number in [0, 1). You passed: {spillover!r}.")
    if isinstance(seed, np.random.Generator):
        rng, seed_value = seed, None
    elif isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        rng, seed_value = np.random.default_rng(int(seed)), int(seed)
    else:
        raise KaizenError(f"`seed` must be an int or a numpy Generator. You passed: {seed!r}.")
    return _simulate(spec, n, rng, seed_value, float(spillover))


def _simulate(
    spec: SiteSpec, n: int, rng: np.random.Generator, seed: int | None, spillover: float
) -> Trial:
    waves = spec.waves
    later = waves[1:]
    last = waves[-1]
    width = max(4, len(str(n)))
    firm_id = np.array([f"{spec.prefix}{i + 1:0{width}d}" for i in range(n)], dtype=object)

    # --- firms: characteristics and baseline value added (USD) ---------------------------------
    female = (rng.random(n) < spec.female_share).astype(np.int64)
    educ = np.clip(np.round(rng.normal(spec.educ_mean, spec.educ_sd, n)), 0, 18)
    z_educ = (educ - spec.educ_mean) / spec.educ_sd
    z_va = rng.normal(0.0, 1.0, n)
    va_base = spec.va_mean_usd * np.exp(spec.va_log_sd * z_va - spec.va_log_sd**2 / 2)
    employees = np.round(np.exp(0.8 + 0.45 * z_va + rng.normal(0.0, 0.35, n)))
    firm_age = np.round(rng.gamma(2.0, 6.0, n), 1)
    sub = rng.integers(0, len(spec.subclusters), n)
    large = (employees > np.median(employees)).astype(np.int64)
    stratum_code = sub * 2 + large
    stratum = np.array(
        [
            f"{spec.subclusters[s]}-{'large' if g else 'small'}"
            for s, g in zip(sub, large, strict=True)
        ],
        dtype=object,
    )
    ability = 0.4 * z_educ + 0.4 * z_va + rng.normal(0.0, 0.8, n)

    # --- assignment and compliance --------------------------------------------------------------
    invited = _within_strata(stratum_code, rng)
    complier_c = rng.random(n) < spec.complier_classroom
    attended = invited * complier_c
    days = np.where(attended == 1, CLASSROOM_DAYS - rng.binomial(5, 0.3, n), 0).astype(np.int64)
    if spec.factorial:
        onsite = _within_strata(stratum_code, rng)
        complier_o = rng.random(n) < spec.complier_onsite
    else:
        onsite = np.zeros(n, dtype=np.int64)
        complier_o = np.zeros(n, dtype=bool)
    onsite_received = onsite * complier_o

    # --- individual effects on value added (USD), calibrated in the realized sample ------------
    sex_factor = np.where(female == 1, 1.0, spec.male_effect_ratio)
    raw_c = (
        rng.lognormal(-0.125, 0.5, n)
        * np.clip(1.0 + spec.educ_effect_slope * z_educ, 0.2, None)
        * sex_factor
    )
    raw_o = rng.lognormal(-0.125, 0.5, n) * sex_factor
    group_c = complier_c if spec.calibration == "late" else attended == 1
    group_o = complier_o if spec.calibration == "late" else onsite_received == 1
    if not group_c.any() or (spec.factorial and not group_o.any()):
        raise KaizenError(f"no treated compliers drawn for {spec.name!r} with n_firms={n}")
    tau_c = spec.target_classroom * raw_c / raw_c[group_c].mean()
    tau_o = spec.target_onsite * raw_o / raw_o[group_o].mean() if spec.factorial else np.zeros(n)

    # --- untreated potential value added at later waves; observed value added ------------------
    va0 = {waves[0]: va_base}
    va_obs = {waves[0]: va_base}
    for w in later:
        g = rng.normal(-(spec.growth_log_sd**2) / 2, spec.growth_log_sd, n)
        va0[w] = va_base * np.exp(g)
        if w == last:
            va_obs[w] = (
                va0[w]
                + attended * tau_c
                + onsite_received * tau_o
                + spillover * (1 - attended) * tau_c
            )
        else:
            va_obs[w] = va0[w] + SURVEY2_SHARE * attended * tau_c

    # --- survival, attrition and pending receivables --------------------------------------------
    u_exit = rng.random(n)
    survives_untreated = u_exit >= spec.exit_untreated
    survives_treated = u_exit >= spec.exit_treated
    exit_p = np.where(attended == 1, spec.exit_treated, spec.exit_untreated)
    status = {waves[0]: np.full(n, "interviewed", dtype=object)}
    receivables = {}
    for w in later:
        share = 1.0 if w == last else SURVEY2_EXIT_SHARE
        u = rng.random(n)
        st = np.full(n, "interviewed", dtype=object)
        st[u < spec.not_found + spec.refused] = "refused"
        st[u < spec.not_found] = "not_found"
        st[u_exit < share * exit_p] = "closed"
        status[w] = st
        p_recv = spec.receivables_pending if (w == last and len(waves) > 2) else 0.0
        receivables[w] = (rng.random(n) < p_recv).astype(np.int64)

    # --- management items ------------------------------------------------------------------------
    items = item_table()
    difficulty = np.asarray(item_difficulty())
    is_bds = items["domain"].isin(BDS_DOMAINS).to_numpy()
    is_interview = (items["source"] == "interview").to_numpy()
    p0 = 0.65 * expit(ability[:, None] - difficulty[None, :] + 0.3)
    het = np.clip(1.0 + 0.5 * z_educ, 0.0, 1.6)
    d_c = np.where(is_bds[None, :], 0.10 * het[:, None], 0.06)
    d_o = np.where(is_bds, 0.03, 0.15)[None, :] * np.ones((n, 1))
    answers = {}
    potential: dict[tuple[int, int], np.ndarray] = {}
    survey2_items: dict[int, np.ndarray] = {}
    for w in waves:
        u = rng.random((n, len(items)))
        missing = (rng.random((n, len(items))) < ITEM_NONRESPONSE) & is_interview[None, :]
        c = attended[:, None] if w != waves[0] else 0
        o = onsite_received[:, None] if w == last else 0
        answers[w] = np.where(missing, np.nan, (u < p0 + c * d_c + o * d_o).astype(float))
        if w == last:
            potential = {
                (cc, oo): (u < p0 + cc * d_c + oo * d_o).astype(float)
                for cc in (0, 1)
                for oo in (0, 1)
            }
        if w != waves[0] and w != last:
            survey2_items = {cc: (u < p0 + cc * d_c).astype(float) for cc in (0, 1)}

    # --- willingness to pay (USD) ----------------------------------------------------------------
    wtp_latent = rng.lognormal(np.log(90.0), 0.9, n)
    wtp_drift = wtp_latent * rng.lognormal(0.0, 0.2, n)
    wtp_last = wtp_drift + WTP_PARTICIPANT_GAIN * attended + spec.wtp_hearsay * (1 - attended)

    # --- input shares (inputs / sales) -----------------------------------------------------------
    ids = fake_identifiers(spec.name, n, rng, centre=spec.centre, phone_prefix=spec.phone_prefix)
    input_share = {w: 0.25 + 0.4 * rng.beta(4.0, 4.0, n) for w in waves}

    # --- assemble the delivered waves ------------------------------------------------------------
    delivered: dict[str, pd.DataFrame] = {}
    codebook_rows: list[tuple[str, str, str, str | None]] = []
    for k, w in enumerate(waves):
        rate = spec.usd_per_unit[k]
        ok = status[w] == "interviewed"
        sales_local = np.round(va_obs[w] / (1.0 - input_share[w]) / rate)
        inputs_local = np.round(va_obs[w] / (1.0 - input_share[w]) * input_share[w] / rate)
        cols: dict[str, object] = {
            "firm_id": pd.array(firm_id, dtype="str"),
            "status": pd.array(status[w], dtype="str"),
            "stratum": pd.array(stratum, dtype="str"),
            "invited": invited,
        }
        if w != waves[0]:
            cols["attended"] = attended
            cols["days_attended"] = days
        if spec.factorial:
            cols["onsite"] = onsite
            if w == last:
                cols["onsite_received"] = onsite_received
        if w == waves[0]:
            cols["owner_name"] = pd.array(ids["owner_name"], dtype="str")
            cols["owner_phone"] = pd.array(ids["owner_phone"], dtype="str")
            cols["gps_lat"] = ids["gps_lat"]
            cols["gps_lon"] = ids["gps_lon"]
            cols["gender"] = pd.array(np.where(female == 1, "F", "M"), dtype="str")
            cols["educ_years"] = educ
            cols["firm_age"] = firm_age
            cols["employees"] = employees
            cols["sales"] = sales_local
            cols["inputs"] = inputs_local
        else:
            recv = receivables[w]
            sales_name = LAST_WAVE_SALES_NAME if w == last else "sales"
            cols[sales_name] = np.where(ok & (recv == 0), sales_local, np.nan)
            cols["inputs"] = np.where(ok, inputs_local, np.nan)
            cols["receivables_pending"] = _masked_int8(recv.astype(float), ok)
        for j, item in enumerate(items["item"]):
            cols[item] = _masked_int8(answers[w][:, j], ok)
        if w == waves[0]:
            cols["wtp"] = _price_list(wtp_latent)
        elif w == last:
            cols["wtp"] = np.where(ok, _price_list(wtp_last), np.nan)
        df = pd.DataFrame(cols)
        delivered[w] = df
        for col in df.columns:
            if col == "gender":
                codebook_rows.append((w, col, "female", json.dumps({"F": 1, "M": 0})))
            elif col == LAST_WAVE_SALES_NAME:
                codebook_rows.append((w, col, "sales", None))
            else:
                codebook_rows.append((w, col, col, None))
    codebook = pd.DataFrame(codebook_rows, columns=["wave", "source", "name", "recode"])
    exchange_rates = pd.DataFrame(
        {
            "wave": list(waves),
            "currency": [spec.currency] * len(waves),
            "usd_per_unit": list(spec.usd_per_unit),
        }
    )

    # --- latent firm table -----------------------------------------------------------------------
    score = {key: a.mean(axis=1) for key, a in potential.items()}
    firms = pd.DataFrame(
        {
            "firm_id": pd.array(firm_id, dtype="str"),
            "stratum": pd.array(stratum, dtype="str"),
            "female": female,
            "educ_years": educ,
            "invited": invited,
            "onsite": onsite,
            "complier_classroom": complier_c,
            "complier_onsite": complier_o,
            "attended": attended,
            "onsite_received": onsite_received,
            "tau_classroom_usd": tau_c,
            "tau_onsite_usd": tau_o,
            "survives_untreated": survives_untreated,
            "survives_treated": survives_treated,
            **{f"va0_{w}_usd": va0[w] for w in waves},
            **{f"va_{w}_usd": va_obs[w] for w in waves},
            **{f"status_{w}": pd.array(status[w], dtype="str") for w in later},
            **{f"mscore_{c}{o}": score[(c, o)] for c in (0, 1) for o in (0, 1)},
            "wtp_baseline_latent": wtp_latent,
            "wtp_last_latent": wtp_last,
        }
    )

    # --- truth -----------------------------------------------------------------------------------
    att_c = attended == 1
    att_o = onsite_received == 1
    cshare = float(complier_c.mean())
    dsurv = survives_treated.astype(float) - survives_untreated.astype(float)
    m_c = score[(1, 0)] - score[(0, 0)]
    m_o = score[(0, 1)] - score[(0, 0)]
    m_co = score[(1, 1)] - score[(1, 0)] - score[(0, 1)] + score[(0, 0)]
    late = spec.target_classroom if spec.calibration == "late" else _mean(tau_c, complier_c)
    att = spec.target_classroom if spec.calibration == "att" else _mean(tau_c, att_c)
    itt = float(np.mean(complier_c * tau_c))
    truth: dict[str, float] = {
        "late_value_added": late,
        "att_value_added": att,
        "itt_value_added": itt,
        "wald_value_added": (1.0 - spillover) * late,
        "itt_contrast_value_added": (1.0 - spillover) * itt,
        "spillover": spillover,
        "spillover_value_added": _mean(spillover * tau_c, ~att_c),
        "complier_share": cshare,
        "takeup_invited": _mean(attended.astype(float), invited == 1),
        "takeup_control": _mean(attended.astype(float), invited == 0),
        "late_survival": _mean(dsurv, complier_c),
        "itt_survival": float(np.mean(complier_c * dsurv)),
        "exit_rate": float(np.mean(status[last] == "closed")),
        "late_management_score": _mean(m_c, complier_c),
        "att_management_score": _mean(m_c, att_c),
        "late_wtp": _mean(
            _price_list(wtp_drift + WTP_PARTICIPANT_GAIN)
            - _price_list(wtp_drift + spec.wtp_hearsay),
            complier_c,
        ),
        "wtp_hearsay_effect": _mean(
            _price_list(wtp_drift + spec.wtp_hearsay) - _price_list(wtp_drift), ~att_c
        ),
    }
    domains = items["domain"].to_numpy()
    for dom in DOMAINS:
        cols_d = domains == dom
        eff = potential[(1, 0)][:, cols_d].mean(axis=1) - potential[(0, 0)][:, cols_d].mean(axis=1)
        truth[f"late_management_{dom}"] = _mean(eff, complier_c)
    if len(waves) > 2:
        truth["late_value_added_survey2"] = SURVEY2_SHARE * _mean(tau_c, complier_c)
        truth["late_management_score_survey2"] = _mean(
            survey2_items[1].mean(axis=1) - survey2_items[0].mean(axis=1), complier_c
        )
    if spec.factorial:
        late_o = spec.target_onsite if spec.calibration == "late" else _mean(tau_o, complier_o)
        att_o_va = spec.target_onsite if spec.calibration == "att" else _mean(tau_o, att_o)
        truth.update(
            {
                "late_classroom_value_added": late,
                "att_classroom_value_added": att,
                "late_classroom_management_score": truth["late_management_score"],
                "att_classroom_management_score": truth["att_management_score"],
                "late_onsite_value_added": late_o,
                "att_onsite_value_added": att_o_va,
                "itt_onsite_value_added": float(np.mean(complier_o * tau_o)),
                "onsite_complier_share": float(complier_o.mean()),
                "takeup_onsite_assigned": _mean(onsite_received.astype(float), onsite == 1),
                "takeup_onsite_control": _mean(onsite_received.astype(float), onsite == 0),
                "late_onsite_management_score": _mean(m_o, complier_o),
                "att_onsite_management_score": _mean(m_o, att_o),
                "att_interaction_value_added": 0.0,
                "att_interaction_management_score": _mean(m_co, att_c & att_o),
            }
        )
        for dom in DOMAINS:
            cols_d = domains == dom
            eff = potential[(0, 1)][:, cols_d].mean(axis=1) - potential[(0, 0)][:, cols_d].mean(
                axis=1
            )
            truth[f"late_onsite_management_{dom}"] = _mean(eff, complier_o)
    truth = {k: float(v) for k, v in sorted(truth.items())}
    return Trial(
        site=spec.name,
        seed=seed,
        n_firms=n,
        spillover=spillover,
        waves=delivered,
        codebook=codebook,
        exchange_rates=exchange_rates,
        items=items,
        firms=firms,
        truth=truth,
    )
