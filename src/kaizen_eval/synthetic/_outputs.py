"""What a simulated trial delivers: the survey waves, the latent firm table and the truth."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd

from kaizen_eval.synthetic._model import (
    LAST_WAVE_SALES_NAME,
    SURVEY2_SHARE,
    WTP_PARTICIPANT_GAIN,
    _masked_int8,
    _mean,
    _price_list,
)
from kaizen_eval.synthetic.items import DOMAINS
from kaizen_eval.synthetic.sites import SiteSpec


def _deliver(
    spec: SiteSpec, d: SimpleNamespace
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Return the delivered waves (survey names, local currency), the codebook and the rates."""
    # --- assemble the delivered waves ------------------------------------------------------------
    delivered: dict[str, pd.DataFrame] = {}
    codebook_rows: list[tuple[str, str, str, str | None]] = []
    for k, w in enumerate(d.waves):
        rate = spec.usd_per_unit[k]
        ok = d.status[w] == "interviewed"
        sales_local = np.round(d.va_obs[w] / (1.0 - d.input_share[w]) / rate)
        inputs_local = np.round(d.va_obs[w] / (1.0 - d.input_share[w]) * d.input_share[w] / rate)
        cols: dict[str, object] = {
            "firm_id": pd.array(d.firm_id, dtype="str"),
            "status": pd.array(d.status[w], dtype="str"),
            "stratum": pd.array(d.stratum, dtype="str"),
            "invited": d.invited,
        }
        if w != d.waves[0]:
            cols["attended"] = d.attended
            cols["days_attended"] = d.days
        if spec.factorial:
            cols["onsite"] = d.onsite
            if w == d.last:
                cols["onsite_received"] = d.onsite_received
        if w == d.waves[0]:
            cols["owner_name"] = pd.array(d.ids["owner_name"], dtype="str")
            cols["owner_phone"] = pd.array(d.ids["owner_phone"], dtype="str")
            cols["gps_lat"] = d.ids["gps_lat"]
            cols["gps_lon"] = d.ids["gps_lon"]
            cols["gender"] = pd.array(np.where(d.female == 1, "F", "M"), dtype="str")
            cols["educ_years"] = d.educ
            cols["firm_age"] = d.firm_age
            cols["employees"] = d.employees
            cols["sales"] = sales_local
            cols["inputs"] = inputs_local
        else:
            recv = d.receivables[w]
            sales_name = LAST_WAVE_SALES_NAME if w == d.last else "sales"
            cols[sales_name] = np.where(ok & (recv == 0), sales_local, np.nan)
            cols["inputs"] = np.where(ok, inputs_local, np.nan)
            cols["receivables_pending"] = _masked_int8(recv.astype(float), ok)
        for j, item in enumerate(d.items["item"]):
            cols[item] = _masked_int8(d.answers[w][:, j], ok)
        if w == d.waves[0]:
            cols["wtp"] = _price_list(d.wtp_latent)
        elif w == d.last:
            cols["wtp"] = np.where(ok, _price_list(d.wtp_last), np.nan)
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
            "wave": list(d.waves),
            "currency": [spec.currency] * len(d.waves),
            "usd_per_unit": list(spec.usd_per_unit),
        }
    )
    return delivered, codebook, exchange_rates


def _firm_table(d: SimpleNamespace) -> pd.DataFrame:
    """Return the latent firm table (potential outcomes, compliance types, effects)."""
    # --- latent firm table -----------------------------------------------------------------------
    return pd.DataFrame(
        {
            "firm_id": pd.array(d.firm_id, dtype="str"),
            "stratum": pd.array(d.stratum, dtype="str"),
            "female": d.female,
            "educ_years": d.educ,
            "invited": d.invited,
            "onsite": d.onsite,
            "complier_classroom": d.complier_c,
            "complier_onsite": d.complier_o,
            "attended": d.attended,
            "onsite_received": d.onsite_received,
            "tau_classroom_usd": d.tau_c,
            "tau_onsite_usd": d.tau_o,
            "survives_untreated": d.survives_untreated,
            "survives_treated": d.survives_treated,
            **{f"va0_{w}_usd": d.va0[w] for w in d.waves},
            **{f"va_{w}_usd": d.va_obs[w] for w in d.waves},
            **{f"status_{w}": pd.array(d.status[w], dtype="str") for w in d.later},
            **{f"mscore_{c}{o}": d.score[(c, o)] for c in (0, 1) for o in (0, 1)},
            "wtp_baseline_latent": d.wtp_latent,
            "wtp_last_latent": d.wtp_last,
        }
    )


def _truth(spec: SiteSpec, d: SimpleNamespace, spillover: float) -> dict[str, float]:
    """Return the true effects of the realized sample (see :func:`simulate_trial`)."""
    # --- truth -----------------------------------------------------------------------------------
    att_c = d.attended == 1
    att_o = d.onsite_received == 1
    cshare = float(d.complier_c.mean())
    dsurv = d.survives_treated.astype(float) - d.survives_untreated.astype(float)
    m_c = d.score[(1, 0)] - d.score[(0, 0)]
    m_o = d.score[(0, 1)] - d.score[(0, 0)]
    m_co = d.score[(1, 1)] - d.score[(1, 0)] - d.score[(0, 1)] + d.score[(0, 0)]
    late = spec.target_classroom if spec.calibration == "late" else _mean(d.tau_c, d.complier_c)
    att = spec.target_classroom if spec.calibration == "att" else _mean(d.tau_c, att_c)
    itt = float(np.mean(d.complier_c * d.tau_c))
    truth: dict[str, float] = {
        "late_value_added": late,
        "att_value_added": att,
        "itt_value_added": itt,
        "wald_value_added": (1.0 - spillover) * late,
        "itt_contrast_value_added": (1.0 - spillover) * itt,
        "spillover": spillover,
        "spillover_value_added": _mean(spillover * d.tau_c, ~att_c),
        "complier_share": cshare,
        "takeup_invited": _mean(d.attended.astype(float), d.invited == 1),
        "takeup_control": _mean(d.attended.astype(float), d.invited == 0),
        "late_survival": _mean(dsurv, d.complier_c),
        "itt_survival": float(np.mean(d.complier_c * dsurv)),
        "exit_rate": float(np.mean(d.status[d.last] == "closed")),
        "late_management_score": _mean(m_c, d.complier_c),
        "att_management_score": _mean(m_c, att_c),
        "late_wtp": _mean(
            _price_list(d.wtp_drift + WTP_PARTICIPANT_GAIN)
            - _price_list(d.wtp_drift + spec.wtp_hearsay),
            d.complier_c,
        ),
        "wtp_hearsay_effect": _mean(
            _price_list(d.wtp_drift + spec.wtp_hearsay) - _price_list(d.wtp_drift), ~att_c
        ),
    }
    domains = d.items["domain"].to_numpy()
    for dom in DOMAINS:
        cols_d = domains == dom
        eff = d.potential[(1, 0)][:, cols_d].mean(axis=1) - d.potential[(0, 0)][:, cols_d].mean(
            axis=1
        )
        truth[f"late_management_{dom}"] = _mean(eff, d.complier_c)
    if len(d.waves) > 2:
        truth["late_value_added_survey2"] = SURVEY2_SHARE * _mean(d.tau_c, d.complier_c)
        truth["late_management_score_survey2"] = _mean(
            d.survey2_items[1].mean(axis=1) - d.survey2_items[0].mean(axis=1), d.complier_c
        )
    if spec.factorial:
        late_o = spec.target_onsite if spec.calibration == "late" else _mean(d.tau_o, d.complier_o)
        att_o_va = spec.target_onsite if spec.calibration == "att" else _mean(d.tau_o, att_o)
        truth.update(
            {
                "late_classroom_value_added": late,
                "att_classroom_value_added": att,
                "late_classroom_management_score": truth["late_management_score"],
                "att_classroom_management_score": truth["att_management_score"],
                "late_onsite_value_added": late_o,
                "att_onsite_value_added": att_o_va,
                "itt_onsite_value_added": float(np.mean(d.complier_o * d.tau_o)),
                "onsite_complier_share": float(d.complier_o.mean()),
                "takeup_onsite_assigned": _mean(d.onsite_received.astype(float), d.onsite == 1),
                "takeup_onsite_control": _mean(d.onsite_received.astype(float), d.onsite == 0),
                "late_onsite_management_score": _mean(m_o, d.complier_o),
                "att_onsite_management_score": _mean(m_o, att_o),
                "att_interaction_value_added": 0.0,
                "att_interaction_management_score": _mean(m_co, att_c & att_o),
            }
        )
        for dom in DOMAINS:
            cols_d = domains == dom
            eff = d.potential[(0, 1)][:, cols_d].mean(axis=1) - d.potential[(0, 0)][:, cols_d].mean(
                axis=1
            )
            truth[f"late_onsite_management_{dom}"] = _mean(eff, d.complier_o)
    return {k: float(v) for k, v in sorted(truth.items())}
