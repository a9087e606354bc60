"""The report's attrition section: Lee bounds (basic and tightened) and the weights' diagnostics.

The plan's ``[attrition]`` table is checked like the others (unknown keys and wrong types name
the key); the section's numbers are those of ``ke.lee_bounds`` and ``ke.attrition_weights``
called directly on a frame built here from the data (every firm assigned, closed firms and
firms without a row as non-respondents); a cell or an arm without respondents gives a note or a
clear error; the demo report shows the section.
"""

import re

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval.pipeline._attrition_frame import attrition_frame
from kaizen_eval.pipeline._attrition_section import attrition_section, attrition_tables
from kaizen_eval.pipeline.demo import write_demo_inputs
from kaizen_eval.pipeline.plan import PlanError, load_plan, parse_plan
from kaizen_eval.pipeline.run import _prepare
from kaizen_eval.report import Report

BASE = """
[data]
waves = { baseline = "b.csv", midline = "m.csv", followup = "f.csv" }
[design]
assignment = "invited"
baseline_wave = "baseline"
balance = ["employees"]
[[families]]
name = "late"
outcomes = ["score"]
wave = "followup"
[[families]]
name = "early"
outcomes = ["score"]
wave = "midline"
"""


# --- the plan's [attrition] table ---------------------------------------------------------------


def test_no_attrition_table_turns_the_section_off():
    spec = parse_plan(BASE).attrition
    assert spec.outcomes == () and spec.draws == 500 and spec.weights_covariates is None
    assert attrition_section(parse_plan(BASE), pd.DataFrame(), Report("r"), "", "") == {}


def test_defaults_the_last_family_wave_in_survey_order():
    spec = parse_plan(BASE + '[attrition]\noutcomes = ["score"]\n').attrition
    assert spec.wave == "followup"  # the families list midline last; the survey ends later
    spec = parse_plan(BASE + '[attrition]\noutcomes = "score"\nwave = "midline"\n').attrition
    assert (spec.wave, spec.outcomes) == ("midline", ("score",))


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('outcomes = ["score"]\ndraw = 50', "'attrition.draw'"),
        ('outcomes = ["score"]\ndraws = "many"', "'attrition.draws'"),
        ('outcomes = ["score"]\ndraws = 2.5', "'attrition.draws'"),
        ('outcomes = ["score"]\ndraws = 1', "'attrition.draws'"),
        ("outcomes = 3", "'attrition.outcomes'"),
        ('outcomes = ["score", "score"]', "'attrition.outcomes'"),
        ('outcomes = ["score"]\ntighten = [1]', "'attrition.tighten'"),
        ('outcomes = ["score"]\ntrim = 0.3', "'attrition.trim'"),
        ('outcomes = ["score"]\ntrim = "high"', "'attrition.trim'"),
        ('outcomes = ["score"]\nweights_covariates = 5', "'attrition.weights_covariates'"),
        ('outcomes = ["score"]\nwave = "endline"', "'attrition.wave'"),
        ("draws = 50", "'attrition.outcomes'"),
    ],
)
def test_bad_attrition_keys_name_the_key(extra, key):
    with pytest.raises(PlanError, match=re.escape(key)):
        parse_plan(BASE + "[attrition]\n" + extra + "\n")


def test_attrition_must_be_a_table():
    with pytest.raises(PlanError, match="'attrition'"):
        parse_plan('attrition = "yes"\n' + BASE)


# --- the section's numbers are the public functions' ----------------------------------------

DRAWS = 60


@pytest.fixture(scope="module")
def ghana(tmp_path_factory):
    """The bundled Ghana plan (with its [attrition] table, fewer draws) and its long frame."""
    path = write_demo_inputs(tmp_path_factory.mktemp("inputs"))["ghana"]
    text = path.read_text().replace("\ndraws = 200", f"\ndraws = {DRAWS}\ntrim = 0.95")
    path.write_text(text)
    plan = load_plan(path)
    _, long, _ = _prepare(plan)
    return plan, long


def _direct_frame(long: pd.DataFrame) -> pd.DataFrame:
    """Every firm of the baseline, its follow-up outcomes (missing when not observed)."""
    base = long[long["wave"] == "baseline"].set_index("firm_id")
    follow = long[long["wave"] == "followup"].set_index("firm_id")
    covs = ["stratum", "educ_years", "female", "firm_age", "employees", "value_added",
            "score_overall"]  # fmt: skip
    frame = pd.DataFrame(
        {
            "invited": base["invited"],
            "value_added": follow["value_added"].reindex(base.index),
            "score_overall": follow["score_overall"].reindex(base.index),
            **{f"{c}_baseline": base[c] for c in covs},
        }
    ).sort_index()
    return frame


def test_bounds_equal_lee_bounds_called_directly(ghana):
    plan, long = ghana
    assert plan.attrition.outcomes == ("value_added", "score_overall")
    t = attrition_tables(plan, long, "invited")
    direct = _direct_frame(long)
    for outcome in plan.attrition.outcomes:
        kw = {"outcome": outcome, "treatment": "invited", "draws": DRAWS, "seed": 0}
        basic = ke.lee_bounds(direct, **kw)
        tight = ke.lee_bounds(direct, tighten="stratum_baseline", **kw)
        for name, want in (("Lee", basic), ("Tightened on stratum", tight)):
            row = t.bounds.loc[(outcome, name)]
            got = [row["lower"], row["upper"], row["ci_low"], row["ci_high"], row["trim_share"]]
            assert got == [want.lower, want.upper, want.ci_low, want.ci_high, want.trim_share]
        assert basic.trim_share > 0 and tight.lower < basic.lower  # tightening moved the bounds
        assert t.bounds.loc[(outcome, "Lee"), "trimmed_arm"] == "treated"
        k = int((tight.cells["trimmed_arm"] == 1).sum())
        assert t.bounds.loc[(outcome, "Tightened on stratum"), "trimmed_arm"] == (
            f"treated in {k} of {len(tight.cells)} cells"
        )
        assert 0 < k < len(tight.cells)  # the direction differs between the strata


def test_weights_equal_attrition_weights_called_directly(ghana):
    plan, long = ghana
    t = attrition_tables(plan, long, "invited")
    direct = _direct_frame(long)
    covs = [f"{c}_baseline" for c in plan.design.balance]
    for outcome in plan.attrition.outcomes:
        direct["responded"] = direct[outcome].notna().astype(int)
        w = ke.attrition_weights(
            direct, response="responded", treatment="invited", covariates=covs, trim=0.95
        )
        d = w.attrs["diagnostics"]
        pd.testing.assert_frame_equal(t.diagnostics[outcome], d, check_exact=True)
        shown = t.weights.loc[outcome]
        assert shown["firms"].tolist() == d["nobs"].tolist() == [89, 91]
        assert shown["response_rate"].tolist() == d["response_rate"].tolist()
        assert shown["max_weight"].tolist() == d["max_weight"].tolist()
        assert shown["share_trimmed"].tolist() == (d["trimmed"] / d["respondents"]).tolist()
        assert shown["share_trimmed"].gt(0).all()  # trim = 0.95 capped some weights


def test_frame_counts_closed_firms_as_nonresponse(ghana):
    plan, long = ghana
    frame, notes = attrition_frame(plan, long, "value_added", "invited")
    follow = long[long["wave"] == "followup"]
    assert len(frame) == long["firm_id"].nunique() == 180
    assert frame["responded"].sum() == (follow["status"] == "interviewed").sum() == 159
    closed = frame["status"] == "closed"
    assert closed.sum() == 17 and (frame.loc[closed, "responded"] == 0).all()
    assert notes[0] == (
        "Value added (USD) is not observed for 21 of 180 firms in followup: 17 closed, 4 not found."
    )
    # survival has a value for a closed firm (0): those firms respond
    frame, notes = attrition_frame(plan, long, "operating", "invited")
    assert frame.loc[frame["status"] == "closed", "responded"].eq(1).all()
    assert "the 17 closed firm(s) have a value and count as respondents" in notes[0]


def test_firm_without_a_row_or_a_covariate_is_counted(ghana):
    plan, long = ghana
    ids = long["firm_id"].drop_duplicates()
    gone, blank = ids.iloc[0], ids.iloc[1]
    cut = long[~((long["firm_id"] == gone) & (long["wave"] == "followup"))].copy()
    cut.loc[(cut["firm_id"] == blank) & (cut["wave"] == "baseline"), "employees"] = np.nan
    frame, notes = attrition_frame(plan, cut, "value_added", "invited")
    assert gone in frame.index and frame.loc[gone, "status"] == "no_record"
    assert frame.loc[gone, "responded"] == 0 and blank not in frame.index
    assert "1 without a row" in notes[0]
    assert notes[1] == (
        "1 firm(s) left out of the bounds and weights of Value added (USD) "
        "(1 without employees; baseline values from baseline)."
    )


# --- cells and arms without respondents -----------------------------------------------------


def _no_responders(long: pd.DataFrame, where: pd.Series) -> pd.DataFrame:
    out = long.copy()
    rows = where & (out["wave"] == "followup")
    out.loc[rows, ["value_added", "score_overall"]] = np.nan
    return out


def test_a_cell_without_respondents_in_one_arm_is_a_note(ghana):
    plan, long = ghana
    stratum = long["stratum"].iloc[0]
    cut = _no_responders(long, (long["stratum"] == stratum) & (long["invited"] == 0))
    t = attrition_tables(plan, cut, "invited")
    assert t.bounds.index.get_level_values("bounds").unique().tolist() == ["Lee"]
    said = [n for n in t.notes_bounds if "no bounds tightened on stratum" in n]
    assert len(said) == 2 and f"stratum = {stratum!r}" in said[0] and "_baseline" not in said[0]
    assert len(t.weights) == 4  # the weights do not need cells


def test_an_arm_without_respondents_is_a_clear_error(ghana):
    plan, long = ghana
    cut = _no_responders(long, long["invited"] == 1)
    with pytest.raises(ke.KaizenError, match=r"plan table 'attrition': no Lee bounds of "
                       r"'value_added' by 'invited' in wave 'followup' \(no observed"):  # fmt: skip
        attrition_tables(plan, cut, "invited")


def test_a_column_the_data_lack_names_the_plan_key(ghana):
    plan, long = ghana
    with pytest.raises(ke.KaizenError, match=r"'attrition\.outcomes'.*'sales_eur'"):
        attrition_frame(plan, long, "sales_eur", "invited")
    with pytest.raises(ke.KaizenError, match=r"'attrition\.tighten'"):
        attrition_frame(plan, long.drop(columns="stratum"), "value_added", "invited")


# --- in the report --------------------------------------------------------------------------


def test_section_adds_two_tables_per_arm(ghana):
    plan, long = ghana
    report = Report("r")
    out = attrition_section(plan, long, report, "gh_", "Ghana: ")
    assert list(out) == ["invited"]
    names = [b.name for b in report._blocks]
    assert names == ["gh_attrition_lee_invited", "gh_attrition_weights_invited"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kaizen_eval.pipeline.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "report"
    run_demo(out, progress=False)
    return out


def test_demo_report_shows_the_section(demo):
    md = (demo / "report.md").read_text(encoding="utf-8")
    assert "## Ghana: Attrition: bounds on the effect of Invited (classroom)" in md
    assert "| Value added (USD) | Lee" in md and "Tightened on stratum" in md
    assert "Response weights by Invited (classroom)" in md
    assert "17 closed, 4 not found" in md
    csv = pd.read_csv(demo / "tables" / "ghana_attrition_lee_invited.csv")
    assert len(csv) == 4 and csv[["lower", "upper"]].notna().all(axis=None)
    assert (csv["lower"] <= csv["upper"]).all()
    assert "Tanzania: Attrition: bounds" not in md  # the section is on where the plan asks
