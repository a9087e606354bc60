"""docs/estimate.md: every python block runs, in order, and its intervals contain the truth."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "estimate.md"


def test_estimate_walkthrough_runs_and_recovers_the_truth(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 8
    ns: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[block {i}]", "exec"), ns)
    out = capsys.readouterr().out
    assert "equals the ATT" in out
    truth = ns["trial"].truth
    assert ns["itt"].ci_low <= truth["itt_value_added"] <= ns["itt"].ci_high
    assert ns["late"].ci_low <= truth["late_value_added"] <= ns["late"].ci_high
    assert truth["late_value_added"] in ns["late"].extra["anderson_rubin"]
    assert ns["comp"].complier_share == pytest.approx(
        truth["takeup_invited"] - truth["takeup_control"], abs=0.1
    )
    tz, t = ns["tz"].truth, ns["att"].tidy()
    for term, key in [
        ("attended", "att_classroom_value_added"),
        ("onsite_received", "att_onsite_value_added"),
    ]:
        assert t.loc[term, "ci_low"] <= tz[key] <= t.loc[term, "ci_high"]
    assert ns["ri"].pvalue < 0.1
    assert (ns["rw"]["pvalue_romano_wolf"] >= ns["rw"]["pvalue"] - 1e-12).all()
    es = ns["es"].tidy()  # §15: no pre-trend is found, and every lag covers the effect 0.8
    assert ns["es"].pretrend.pvalue > 0.05 and ns["es"].pretrend.df2 == 89
    assert (
        (es.loc[["e0", "e1", "e2"], "ci_low"] <= 0.8)
        & (es.loc[["e0", "e1", "e2"], "ci_high"] >= 0.8)
    ).all()
