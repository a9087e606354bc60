"""A family's extra baselines (``baselines = [...]``): several ANCOVA controls, each flagged."""

import re

import numpy as np
import pytest

import kaizen_eval as ke
from kaizen_eval.pipeline.demo import write_demo_inputs
from kaizen_eval.pipeline.plan import PlanError, parse_plan
from kaizen_eval.pipeline.run import run_plan

BASE = """
[data]
waves = { baseline = "b.csv", followup = "f.csv" }
[design]
assignment = "invited"
{wave}
[[families]]
name = "perf"
outcomes = ["value_added"]
wave = "followup"
{family}
"""


def _plan(family: str, wave: str = 'baseline_wave = "baseline"'):
    return parse_plan(BASE.replace("{wave}", wave).replace("{family}", family))


def test_the_key_parses():
    assert _plan('baselines = ["employees", "sales_usd"]').families[0].baselines == (
        "employees",
        "sales_usd",
    )
    assert _plan("").families[0].baselines == ()


@pytest.mark.parametrize(
    ("family", "wave", "message"),
    [
        ('baselines = ["employees"]', "", "'families[0].baselines' needs baseline values"),
        ("ancova = true", "", "'families[0].ancova' needs baseline values"),
        ('baselines = ["employees", "employees"]', None, "lists a column twice"),
        ('ancova = true\nbaselines = ["value_added"]', None, "lists the family's own outcome"),
        ("baselines = 3", None, "'families[0].baselines'"),
    ],
)
def test_bad_baselines_name_the_key(family, wave, message):
    with pytest.raises(PlanError, match=re.escape(message)):
        _plan(family, 'baseline_wave = "baseline"' if wave is None else wave)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    inputs = write_demo_inputs(tmp_path_factory.mktemp("inputs"))
    text = inputs["ghana"].read_text()
    marker = 'name = "performance"\noutcomes = ["value_added"]\nwave = "followup"\nancova = true\n'
    assert marker in text
    text = text.replace(marker, marker + 'baselines = ["employees"]\n')
    plan = inputs["ghana"].with_name("plan_baselines.toml")
    plan.write_text(text)
    out = tmp_path_factory.mktemp("out") / "r"
    return run_plan(plan, out), out


def test_the_estimates_use_both_baselines_with_their_dummies(run):
    res, _ = run
    late = res.estimate("performance", "late", "value_added")
    frame = res.data[res.data["wave"] == "followup"].copy()
    for c in ("value_added", "employees"):
        base = res.data[res.data["wave"] == "baseline"].set_index("firm_id")[c]
        frame[f"{c}_baseline"] = frame["firm_id"].map(base).astype(float)
    direct = ke.late(
        frame, outcome="value_added", treatment="attended", instrument="invited",
        fixed_effects="stratum", baseline=["value_added_baseline", "employees_baseline"],
    )  # fmt: skip
    assert late.estimate == pytest.approx(direct.estimate, rel=1e-12)
    assert late.std_error == pytest.approx(direct.std_error, rel=1e-12)
    names = late.extra["fit"].names
    assert "employees_baseline" in names and "value_added_baseline" in names
    # the extra control moves the estimate: it is really in the regression
    own_only = res.estimate("performance", "itt", "value_added")
    assert not np.isclose(
        own_only.estimate,
        ke.itt(frame, outcome="value_added", treatment="invited", fixed_effects="stratum",
               baseline="value_added_baseline").estimate,
        rtol=1e-9,
    )  # fmt: skip


def test_the_caption_says_so(run):
    _, out = run
    md = (out / "report.md").read_text()
    assert "ANCOVA, baseline employees as control(s)" in md
