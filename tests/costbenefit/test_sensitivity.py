import io

import numpy as np
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.costbenefit.sensitivity import default_ranges


def annuity(g, r, T):
    return g * T if r == 0 else g * (1 - (1 + r) ** -T) / r


def test_two_way_grid_is_the_annuity_table():
    g, c = 4_038.0, 2_043.0
    cb = ke.cost_benefit(gain=g, cost=c)
    grid = ke.two_way_sensitivity(cb, row_values=[1, 3, 5], column_values=[0.0, 0.05, 0.1])
    expected = [[annuity(g, r, T) / c for r in (0.0, 0.05, 0.1)] for T in (1, 3, 5)]
    np.testing.assert_allclose(grid.to_numpy(), expected, rtol=1e-13)
    assert grid.index.name == "years" and grid.columns.name == "discount_rate"


def test_one_way_ranges_and_order():
    g, c = 13_890.0, 740.0
    cb = ke.cost_benefit(gain=g, cost=c, years=3, discount_rate=0.05)
    t = ke.one_way_sensitivity(cb, ranges={"cost": (500.0, 1_500.0)})
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    row = t.set_index("parameter").loc["cost"]
    assert row["metric_low"] == pytest.approx(annuity(g, 0.05, 3) / 500, rel=1e-13)
    assert row["metric_high"] == pytest.approx(annuity(g, 0.05, 3) / 1_500, rel=1e-13)
    gain = t.set_index("parameter").loc["gain"]
    assert gain["metric_high"] == pytest.approx(1.5 * g * annuity(1, 0.05, 3) / c, rel=1e-13)
    assert (t["base_metric"] == cb.bcr).all()
    assert "takeup" not in set(t["parameter"])  # no conversion, nothing to vary


def test_takeup_is_a_parameter_when_it_converts_the_cost():
    cb = ke.cost_benefit(gain=4_181, cost=ke.Cost(2_905, per="invited"), takeup=0.9)
    t = ke.one_way_sensitivity(cb, parameters=["takeup"], ranges={"takeup": (0.8, 1.0)})
    assert t["metric_low"].iloc[0] == pytest.approx(4_181 / (2_905 / 0.8), rel=1e-14)
    assert t["metric_high"].iloc[0] == pytest.approx(4_181 / 2_905, rel=1e-14)


def test_gain_range_defaults_to_the_interval_of_its_draws():
    from kaizen_eval import Estimate

    e = Estimate(
        terms=("attended",),
        coef=[1_000.0],
        vcov=[[250_000.0]],
        dof=np.inf,
        se_type="HC1",
        method="2SLS",
        estimand="LATE",
        outcome="va",
        nobs=300,
    )
    cb = ke.cost_benefit(gain=e, cost=800, draws=4_000, seed=0)
    lo, hi = default_ranges(cb)["gain"]
    assert (lo, hi) == pytest.approx(cb.table().loc["gain", ["ci_low", "ci_high"]].tolist())


def test_bad_parameter_names():
    cb = ke.cost_benefit(gain=1.0, cost=1.0)
    with pytest.raises(KaizenError, match="`parameter` must be one of"):
        ke.one_way_sensitivity(cb, parameters=["persistence"])
    with pytest.raises(KaizenError, match="`metric` must be one of"):
        ke.one_way_sensitivity(cb, metric="roi")
    with pytest.raises(KaizenError, match="must differ"):
        ke.two_way_sensitivity(cb, rows="years", columns="years")
    with pytest.raises(KaizenError, match="whole number of years"):
        ke.two_way_sensitivity(cb, row_values=[1.5])


def test_plots_draw_without_pyplot():
    cb = ke.cost_benefit(gain=4_181.0, cost=2_905.0, years=3)
    fig = ke.plot_tornado(ke.one_way_sensitivity(cb))
    assert len(fig.axes[0].patches) == 2 * 9
    fig.savefig(io.BytesIO(), format="png")
    fig2 = ke.plot_two_way(ke.two_way_sensitivity(cb))
    assert fig2.axes[0].get_xlabel() == "Discount rate"  # labelled, not snake_case (issue 14)
    fig2.savefig(io.BytesIO(), format="png")


def test_scale_is_a_parameter_with_a_cost_structure():
    cs = ke.CostStructure(
        fixed={"curriculum": 4_000.0, "consultant": 16_000.0},
        per_participant={"trainer_days": 300.0},
        participants=40,
    )
    cb = ke.cost_benefit(gain=1_200.0, cost=cs, years=2)
    t = ke.one_way_sensitivity(cb, parameters=["scale"]).iloc[0]
    assert (t["low_value"], t["high_value"]) == (20.0, 80.0)
    assert t["metric_high"] == pytest.approx(2 * 1_200 / (20_000 / 80 + 300), rel=1e-14)
    grid = ke.two_way_sensitivity(
        cb, rows="scale", row_values=[40, 400], columns="years", column_values=[1, 3]
    )
    assert grid.loc[400, 3] == pytest.approx(3 * 1_200 / (20_000 / 400 + 300), rel=1e-14)
    with pytest.raises(KaizenError, match="`scale` needs a cost given as a CostStructure"):
        ke.one_way_sensitivity(ke.cost_benefit(gain=1.0, cost=1.0), parameters=["scale"])


def test_a_range_for_a_parameter_that_does_not_apply_is_refused():
    cb = ke.cost_benefit(gain=4_038.0, cost=2_043.0)
    with pytest.raises(KaizenError, match="`takeup` changes nothing here"):
        ke.one_way_sensitivity(cb, ranges={"takeup": (0.5, 1.0)})
