"""Structure, determinism and input checks of ke.synthetic.simulate_trial."""

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.synthetic import SITES, Trial, simulate_trial

PII = ["owner_name", "owner_phone", "gps_lat", "gps_lon"]
STATUSES = {"interviewed", "closed", "not_found", "refused"}


@pytest.fixture(scope="module", params=sorted(SITES))
def trial(request):
    return simulate_trial(request.param, seed=5)


def test_reached_as_ke_synthetic():
    assert ke.synthetic.simulate_trial is simulate_trial
    assert set(ke.synthetic.__all__) >= {"simulate_trial", "Trial", "SITES"}


def test_same_seed_gives_identical_frames_and_truth():
    a = simulate_trial("vietnam", seed=11)
    b = simulate_trial("vietnam", seed=11)
    for wave in a.waves:
        pd.testing.assert_frame_equal(a.waves[wave], b.waves[wave], check_exact=True)
        ha = pd.util.hash_pandas_object(a.waves[wave], index=False).to_numpy()
        hb = pd.util.hash_pandas_object(b.waves[wave], index=False).to_numpy()
        np.testing.assert_array_equal(ha, hb)
    pd.testing.assert_frame_equal(a.firms, b.firms, check_exact=True)
    assert dict(a.truth) == dict(b.truth)
    c = simulate_trial("vietnam", seed=12)
    assert not a.waves["followup"]["inputs"].equals(c.waves["followup"]["inputs"])


def test_generator_seed_is_used_and_not_recorded():
    a = simulate_trial("ghana", seed=np.random.default_rng(3))
    b = simulate_trial("ghana", seed=3)
    pd.testing.assert_frame_equal(a.waves["followup"], b.waves["followup"])
    assert a.seed is None and b.seed == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"site": "kenya"}, r"`site` must be one of .*'ghana'.* You passed: 'kenya'"),
        ({"site": "ghana", "n_firms": 10}, r"`n_firms` must be an integer of at least 40"),
        ({"site": "ghana", "n_firms": 100.0}, r"`n_firms` must be an integer"),
        ({"site": "ghana", "spillover": 1.0}, r"`spillover` must be a number in \[0, 1\)"),
        ({"site": "ghana", "seed": "1"}, r"`seed` must be an int or a numpy Generator"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(KaizenError, match=match):
        simulate_trial(**kwargs)


def test_default_sizes_and_waves(trial):
    spec = SITES[trial.site]
    assert isinstance(trial, Trial)
    assert trial.n_firms == spec.n_default
    assert tuple(trial.waves) == spec.waves
    expected = {
        "ghana": ("baseline", "followup"),
        "tanzania": ("baseline", "followup"),
        "vietnam": ("baseline", "survey2", "followup"),
        "ethiopia": ("baseline", "survey2", "followup"),
    }[trial.site]
    assert tuple(trial.waves) == expected


def test_trial_is_frozen(trial):
    with pytest.raises(AttributeError):
        trial.site = "x"
    with pytest.raises(TypeError):
        trial.truth["late_value_added"] = 0.0
    with pytest.raises(TypeError):
        trial.waves["x"] = trial.waves["baseline"]


def test_every_firm_in_every_wave_with_a_status(trial):
    ids = trial.waves["baseline"]["firm_id"]
    assert ids.is_unique and len(ids) == trial.n_firms
    assert ids.str.match(r"^[A-Z]{2}\d{4}$").all()
    for wave, df in trial.waves.items():
        pd.testing.assert_series_equal(df["firm_id"], ids, check_names=True)
        assert set(df["status"]) <= STATUSES, wave
    assert (trial.waves["baseline"]["status"] == "interviewed").all()


def test_outcomes_missing_when_not_interviewed(trial):
    items = trial.items["item"].tolist()
    for wave, df in list(trial.waves.items())[1:]:
        gone = df["status"] != "interviewed"
        assert gone.any(), wave
        sales = "total_sales" if wave == list(trial.waves)[-1] else "sales"
        for col in [sales, "inputs", "receivables_pending", *items]:
            assert df.loc[gone, col].isna().all(), (wave, col)
        here = ~gone
        assert df.loc[here, "inputs"].notna().all()
        assert df.loc[here, "mp_01"].notna().all()  # visual items are always scored


def test_exit_is_absorbing(trial):
    waves = list(trial.waves)
    for earlier, later in itertools.pairwise(waves):
        closed = trial.waves[earlier]["status"] == "closed"
        assert (trial.waves[later].loc[closed, "status"] == "closed").all()


def test_pii_in_baseline_only(trial):
    base = trial.waves["baseline"]
    assert set(PII) <= set(base.columns)
    assert base["owner_phone"].str.startswith(SITES[trial.site].phone_prefix).all()
    for wave, df in list(trial.waves.items())[1:]:
        assert not set(PII) & set(df.columns), wave
        assert "gender" not in df.columns


def test_codebook_documents_rename_and_recode(trial):
    cb = trial.codebook
    assert list(cb.columns) == ["wave", "source", "name", "recode"]
    for wave, df in trial.waves.items():
        assert list(cb.loc[cb["wave"] == wave, "source"]) == list(df.columns)
    gender = cb[(cb["wave"] == "baseline") & (cb["source"] == "gender")].iloc[0]
    assert gender["name"] == "female"
    assert json.loads(gender["recode"]) == {"F": 1, "M": 0}
    assert set(trial.waves["baseline"]["gender"]) <= {"F", "M"}
    last = list(trial.waves)[-1]
    renamed = cb[(cb["wave"] == last) & (cb["source"] == "total_sales")]
    assert renamed["name"].tolist() == ["sales"]
    assert "sales" not in trial.waves[last].columns


def test_items_exchange_rates_and_item_columns(trial):
    items = trial.items
    assert set(items["domain"]) == {"kaizen_5s", "quality_control", "record_keeping", "marketing"}
    assert set(items["source"]) == {"visual", "interview"}
    assert (items["source"] == "visual").mean() > 0.5
    for df in trial.waves.values():
        assert set(items["item"]) <= set(df.columns)
        vals = df[items["item"]].stack().dropna().unique()
        assert set(vals.tolist()) <= {0, 1}
    rates = trial.exchange_rates
    assert list(rates.columns) == ["wave", "currency", "usd_per_unit"]
    assert rates["wave"].tolist() == list(trial.waves)
    assert (rates["currency"] == SITES[trial.site].currency).all()
    assert (rates["usd_per_unit"] > 0).all()


def test_local_currency_converts_back_to_latent_usd(trial):
    """Delivered amounts are latent USD value added / usd_per_unit, rounded to whole units."""
    rates = trial.exchange_rates.set_index("wave")["usd_per_unit"]
    for k, (wave, df) in enumerate(trial.waves.items()):
        sales = df["total_sales" if k == len(trial.waves) - 1 and k > 0 else "sales"]
        va_usd = ((sales - df["inputs"]) * rates[wave]).to_numpy(dtype=float)
        latent = trial.firms[f"va_{wave}_usd"].to_numpy()
        ok = ~np.isnan(va_usd)
        assert ok.sum() > 0.7 * trial.n_firms  # attrition + pending receivables ≈ 20%
        # rounding sales and inputs to whole local units moves value added by at most 1 unit
        np.testing.assert_array_less(np.abs(va_usd[ok] - latent[ok]), rates[wave] * 1.0 + 1e-9)


def test_takeup_is_one_sided_and_at_site_level(trial):
    t = trial.truth
    assert t["takeup_control"] == 0.0
    df = trial.waves[list(trial.waves)[-1]]
    assert t["takeup_invited"] == pytest.approx(df.loc[df["invited"] == 1, "attended"].mean())
    assert (df["days_attended"] > 0).eq(df["attended"] == 1).all()
    if trial.site == "tanzania":
        assert t["takeup_invited"] >= 0.9
        assert t["takeup_onsite_assigned"] >= 0.9
    if trial.site == "ghana":
        assert 0.5 <= t["takeup_invited"] <= 0.8


def test_factorial_cells_all_filled(trial):
    df = trial.waves["baseline"]
    if not SITES[trial.site].factorial:
        assert "onsite" not in df.columns
        return
    cells = pd.crosstab(df["invited"], df["onsite"])
    assert cells.shape == (2, 2)
    # each stratum is split in halves, independently for the two arms
    assert (cells.to_numpy() >= trial.n_firms / 4 - 0.15 * trial.n_firms).all()
    assert abs(df["invited"].mean() - 0.5) < 0.02
    last = trial.waves[list(trial.waves)[-1]]
    assert (last.loc[last["onsite"] == 0, "onsite_received"] == 0).all()


def test_assignment_is_balanced_within_strata(trial):
    df = trial.waves["baseline"]
    sizes = df.groupby("stratum")["invited"].agg(["sum", "size"])
    assert ((sizes["sum"] - sizes["size"] / 2).abs() <= 0.5).all()


def test_calibration_is_exact_in_the_realized_sample():
    f = simulate_trial("ghana", seed=9).firms
    tau = f["tau_classroom_usd"]
    assert tau[f["complier_classroom"]].mean() == pytest.approx(13_890, rel=1e-12)
    t = simulate_trial("tanzania", seed=9)
    f = t.firms
    assert f.loc[f["attended"] == 1, "tau_classroom_usd"].mean() == pytest.approx(4_181, rel=1e-12)
    assert f.loc[f["onsite_received"] == 1, "tau_onsite_usd"].mean() == pytest.approx(
        4_038, rel=1e-12
    )
    assert t.truth["att_classroom_value_added"] == 4_181.0
    assert t.truth["att_onsite_value_added"] == 4_038.0
    assert t.truth["att_interaction_value_added"] == 0.0


def test_truth_recomputes_from_the_firm_table(trial):
    f, t = trial.firms, trial.truth
    comp = f["complier_classroom"].to_numpy()
    tau = f["tau_classroom_usd"].to_numpy()
    assert t["late_value_added"] == pytest.approx(tau[comp].mean(), rel=1e-12)
    assert t["att_value_added"] == pytest.approx(tau[f["attended"] == 1].mean(), rel=1e-12)
    assert t["itt_value_added"] == pytest.approx(t["complier_share"] * t["late_value_added"])
    dsurv = f["survives_treated"].astype(float) - f["survives_untreated"].astype(float)
    assert t["late_survival"] == pytest.approx(dsurv[comp].mean())
    m = f["mscore_10"] - f["mscore_00"]
    assert t["late_management_score"] == pytest.approx(m[comp].mean())
    last = list(trial.waves)[-1]
    assert t["exit_rate"] == pytest.approx((f[f"status_{last}"] == "closed").mean())


def test_effects_are_positive_and_heterogeneous():
    t = simulate_trial("tanzania", n_firms=20_000, seed=4)
    f = t.firms
    assert t.truth["late_management_score"] > 0 and t.truth["late_onsite_management_score"] > 0
    assert t.truth["late_survival"] > 0
    # men gain more in Tanzania
    by_sex = f.groupby("female")["tau_classroom_usd"].mean()
    assert by_sex[0] > 1.1 * by_sex[1]
    # the classroom effect rises with schooling
    assert np.corrcoef(f["educ_years"], f["tau_classroom_usd"])[0, 1] > 0.1
    # on-site training matters for Kaizen practices, classroom training for BDS practices
    tr = t.truth
    assert tr["late_onsite_management_kaizen_5s"] > 2 * tr["late_management_kaizen_5s"]
    assert tr["late_management_record_keeping"] > 2 * tr["late_onsite_management_record_keeping"]


def test_value_added_is_skewed():
    f = simulate_trial("ghana", n_firms=5_000, seed=2).firms
    va = f["va0_followup_usd"]
    assert va.mean() > 1.2 * va.median()
    assert (va > 0).all()


def test_receivables_pending_hide_sales_at_followup():
    t = simulate_trial("vietnam", seed=2)
    fu = t.waves["followup"]
    pending = fu["receivables_pending"] == 1
    assert pending.sum() > 5
    assert fu.loc[pending.fillna(False), "total_sales"].isna().all()
    assert fu.loc[pending.fillna(False), "inputs"].notna().all()
    assert (t.waves["survey2"]["receivables_pending"].dropna() == 0).all()


def test_wtp_in_baseline_and_last_wave_only(trial):
    waves = list(trial.waves)
    assert trial.waves["baseline"]["wtp"].notna().all()
    assert "wtp" in trial.waves[waves[-1]].columns
    for w in waves[1:-1]:
        assert "wtp" not in trial.waves[w].columns


def test_write_round_trips(tmp_path):
    t = simulate_trial("ethiopia", n_firms=60, seed=1)
    files = t.write(tmp_path)
    assert sorted(files) == sorted(
        [f"{w}.parquet" for w in t.waves]
        + ["codebook.csv", "exchange_rates.csv", "items.csv", "meta.json", "truth.json"]
    )
    for wave, df in t.waves.items():
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{wave}.parquet"), df)
    assert json.loads((tmp_path / "truth.json").read_text()) == dict(t.truth)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta == {
        "site": "ethiopia",
        "seed": 1,
        "n_firms": 60,
        "spillover": 0.0,
        "waves": ["baseline", "survey2", "followup"],
    }
    cb = pd.read_csv(tmp_path / "codebook.csv")
    assert cb["recode"].notna().sum() == 1


def test_item_table_is_documented_in_the_data_schema():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data_schema.md").read_text()
    rows = re.findall(r"\| `(mp_\d\d)` \| (\w+) \| (\w+) \| (.+?) \|", doc)
    items = simulate_trial("ghana", n_firms=40).items
    assert rows == list(
        items[["item", "domain", "source", "label"]].itertuples(index=False, name=None)
    )
