import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, MissingColumnError


@pytest.fixture
def waves():
    rng = np.random.default_rng(7)
    n = 60
    ids = [f"TZ{i:04d}" for i in range(n)]
    prices = np.array([0, 25, 50, 100, 200, 400, 800], dtype=float)
    before = pd.DataFrame({"firm_id": ids, "wtp": rng.choice(prices, size=n)})
    attended = np.repeat([1, 0], n // 2)
    bump = np.where(attended == 1, rng.choice([0, 100, 200], size=n), rng.choice([0, 50], size=n))
    after = pd.DataFrame({"firm_id": ids, "wtp": before["wtp"] + bump, "attended": attended})
    return before, after


def test_demand_curve_counts(waves):
    _, after = waves
    curve = ke.wtp_demand(after, by="attended")
    for (arm, p), row in curve.set_index(["attended", "price"]).iterrows():
        w = after.loc[after["attended"] == arm, "wtp"].to_numpy()
        assert row["willing"] == np.sum(w >= p)
        assert row["share"] == pytest.approx(np.mean(w >= p))
    # non-increasing in price within each arm
    for _, part in curve.groupby("attended"):
        assert np.all(np.diff(part["share"].to_numpy()) <= 0)
    assert ke.wtp_share(after, 400) == pytest.approx(np.mean(after["wtp"] >= 400))


def test_change_by_arm_matches_paired_and_welch_tests(waves):
    before, after = waves
    res = ke.wtp_change(before, after, arm="attended")
    change = after["wtp"] - before["wtp"]
    for arm, row in res.table.set_index("attended").iterrows():
        mask = after["attended"] == arm
        ref = stats.ttest_rel(after.loc[mask, "wtp"], before.loc[mask, "wtp"])
        assert row["mean_change"] == pytest.approx(change[mask].mean())
        assert row["pvalue"] == pytest.approx(ref.pvalue, rel=1e-10)
        assert row["n_unpaired"] == 0
    x, y = change[after["attended"] == 1], change[after["attended"] == 0]
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    welch_df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    assert res.difference["estimate"] == pytest.approx(x.mean() - y.mean())
    assert res.difference["std_error"] == pytest.approx(np.sqrt(vx + vy))
    assert res.difference["df"] == pytest.approx(welch_df)


def test_missing_answers_are_not_dropped_silently(waves):
    before, after = waves
    after = after.copy()
    after.loc[3, "wtp"] = np.nan
    with pytest.raises(KaizenError, match=r"1 rows of `after` have no 'wtp' answer.*TZ0003"):
        ke.wtp_change(before, after, arm="attended")
    res = ke.wtp_change(before, after, arm="attended", dropna=True)
    assert res.table["n"].sum() == 59
    assert res.table["n_unpaired"].sum() == 1
    curve = ke.wtp_demand(after, prices=[100], dropna=True)
    assert curve["n_missing"].iloc[0] == 1 and curve["n"].iloc[0] == 59
    with pytest.raises(MissingColumnError, match="'price_max'"):
        ke.wtp_demand(after, wtp="price_max")
    bad = after.assign(wtp=-1.0)
    with pytest.raises(KaizenError, match="negative prices"):
        ke.wtp_share(bad, 400)


def test_compare_with_benefit_and_cost(waves):
    _, after = waves
    cb = ke.cost_benefit(gain=4_038, cost=2_043, years=3, discount_rate=0.1)
    table = ke.wtp_compare(after, benefit=cb, by="attended")
    assert (table["cost"] == 2_043).all()
    assert table["benefit"].iloc[0] == pytest.approx(cb.pv_gains)
    w1 = after.loc[after["attended"] == 1, "wtp"]
    row = table.set_index("attended").loc[1]
    assert row["mean_wtp"] == pytest.approx(w1.mean())
    assert row["share_wtp_ge_cost"] == pytest.approx(np.mean(w1 >= 2_043))
    assert row["mean_wtp_over_benefit"] == pytest.approx(w1.mean() / cb.pv_gains)
    itt = ke.cost_benefit(gain=1_000, cost=ke.Cost(500, per="invited"), gain_basis="invited")
    with pytest.raises(KaizenError, match="per invited firm"):
        ke.wtp_compare(after, benefit=itt)


def test_synthetic_tanzania_wtp_by_invitation():
    trial = ke.synthetic.simulate_trial("tanzania", seed=0)
    long = ke.load_waves(trial.waves, id_col="firm_id", codebook=trial.codebook).long
    before, after = long[long["wave"] == "baseline"], long[long["wave"] == "followup"]
    with pytest.raises(KaizenError, match="have no 'wtp' answer"):
        ke.wtp_change(before, after, arm="invited")
    res = ke.wtp_change(before, after, arm="invited", dropna=True)
    answered = after["wtp"].notna()
    assert res.table["n"].sum() == answered.sum()
    assert res.table["n_unpaired"].sum() == (~answered).sum()
    for arm, row in res.table.set_index("invited").iterrows():
        ids = after.loc[answered & (after["invited"] == arm), "firm_id"]
        b = before.set_index("firm_id").loc[ids, "wtp"].to_numpy()
        a = after.set_index("firm_id").loc[ids, "wtp"].to_numpy()
        assert row["mean_change"] == pytest.approx(np.mean(a - b), rel=1e-12)
    curve = ke.wtp_demand(after, by="invited", prices=[400], dropna=True)
    assert curve["n_missing"].sum() == (~answered).sum()
