import pytest

from kaizen_eval import Cost, CostStructure
from kaizen_eval._validation import KaizenError


def make(**kw):
    return CostStructure(
        fixed={"curriculum": 5000.0, "consultant": 20000.0, "venue": 5000.0},
        per_participant={"trainer_days": 400.0, "onsite_visits": 250.0, "own_time": 50.0},
        participants=50,
        **kw,
    )


def test_per_participant_spreads_fixed_costs_over_scale():
    cs = make()
    assert cs.fixed_total == 30000.0 and cs.variable_total == 700.0
    assert cs.per_participant() == 30000 / 50 + 700
    assert cs.per_participant(scale=300) == 30000 / 300 + 700
    assert cs.total() == 30000 + 50 * 700
    assert cs.fixed_share == pytest.approx(30000 / 65000)
    curve = cs.scale_curve([50, 100, 1000])
    assert curve["cost_per_participant"].tolist() == [1300.0, 1000.0, 730.0]
    tab = cs.table()
    assert tab["total"].iloc[-1] == 65000.0
    assert tab["total"].iloc[:-1].sum() == 65000.0


def test_per_invited_goes_through_takeup():
    cs = make(invited=80)
    assert cs.takeup == 50 / 80
    # per invited = total / invited = takeup * per participant
    assert cs.per_invited() == pytest.approx(cs.total() / 80, rel=1e-15)
    assert cs.per_invited(takeup=0.5) == 0.5 * 1300.0
    assert cs.to_cost("invited").per == "invited"


def test_cost_conversion_round_trip():
    c = Cost(2905.0, per="invited")
    assert c.per_participant(takeup=0.9) == pytest.approx(2905 / 0.9, rel=1e-15)
    assert c.to("participant", 0.9).to("invited", 0.9).amount == pytest.approx(2905.0, rel=1e-15)
    assert c.per_invited() == 2905.0


def test_errors():
    with pytest.raises(KaizenError, match="needs the take-up rate"):
        Cost(740, per="participant").per_invited()
    with pytest.raises(TypeError):
        Cost(740)  # the basis is required
    with pytest.raises(KaizenError, match="`per` must be one of 'participant', 'invited'"):
        Cost(740, per="firm")
    with pytest.raises(KaizenError, match="non-negative"):
        Cost(-1, per="participant")
    with pytest.raises(KaizenError, match="smaller than `participants`"):
        make(invited=10)
    with pytest.raises(KaizenError, match="needs the take-up rate"):
        make().per_invited()
    with pytest.raises(KaizenError, match=r"`takeup` must be in \(0, 1\]"):
        make().per_invited(takeup=1.5)
    with pytest.raises(KaizenError, match=r"fixed\['venue'\] is negative"):
        CostStructure(fixed={"venue": -5}, participants=3)
    with pytest.raises(KaizenError, match="`basis='invited'` needs `invited`"):
        make(basis="invited")
