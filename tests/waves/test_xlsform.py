"""ke.read_xlsform: the Kaizen fixture instrument read field by field, and bad workbooks."""

from pathlib import Path

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval.waves.errors import FormError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"


@pytest.fixture(scope="module")
def form():
    return ke.read_xlsform(FIXTURES / "kaizen_baseline.xlsx")


def test_settings_and_languages(form):
    assert form.version == "2026010101"
    assert form.form_id == "kaizen_baseline"
    assert form.title == "Kaizen firm survey, baseline"
    assert form.languages == ("English (en)", "Swahili (sw)")
    assert form.default_language == "English (en)"


def test_every_variable_in_form_order(form):
    assert form.names == (
        "starttime", "endtime", "interview_date", "firm_id", "operating", "sector", "founded",
        "mp_records", "mp_stock", "practices", "practices_oth", "sales_month", "costs_month",
        "employees", "uses_credit", "loan_amount", "instanceID",
    )  # fmt: skip
    kinds = {v.name: v.kind for v in form.variables}
    assert kinds == {
        "starttime": "metadata", "endtime": "metadata", "interview_date": "date",
        "firm_id": "string", "operating": "select_one", "sector": "select_one",
        "founded": "date", "mp_records": "select_one", "mp_stock": "select_one",
        "practices": "select_multiple", "practices_oth": "string", "sales_month": "numeric",
        "costs_month": "numeric", "employees": "numeric", "uses_credit": "select_one",
        "loan_amount": "numeric", "instanceID": "metadata",
    }  # fmt: skip
    assert form["sales_month"].type == "integer" and form["costs_month"].type == "decimal"


def test_groups_relevance_and_constraints(form):
    assert form["sales_month"].group == ("grp_sales",)
    assert form["sales_month"].relevant == ("${operating} = 1",)
    assert form["sales_month"].constraint == ". >= 0"
    assert form["employees"].constraint == ". >= 0 and . < 500"
    assert form["practices_oth"].relevant == (
        "${operating} = 1",
        "selected(${practices}, 'other')",
    )
    assert form["loan_amount"].group == ("grp_credit",)
    assert form["loan_amount"].relevant == ("${uses_credit} = 1 and not(${sector} = 3)",)
    assert form["firm_id"].relevant == () and form["firm_id"].group == ()


def test_choices_and_labels_in_both_languages(form):
    practices = form["practices"]
    assert practices.list_name == "practices"
    assert practices.codes == ("records", "stock", "marketing", "none", "other")
    assert practices.choices[0].label() == "Written records"
    assert practices.choices[0].label("Swahili") == "Kumbukumbu za maandishi"
    assert form["sector"].codes == ("1", "2", "3")
    assert form["operating"].label() == "Is the firm operating?"
    assert form["operating"].label("Swahili (sw)") == "Je, biashara inafanya kazi?"
    assert form["operating"].label("French") == "operating"  # no such language: the name


def test_followup_form_renames_and_drops_a_module():
    follow = ke.read_xlsform(FIXTURES / "kaizen_followup.xlsx")
    assert follow.version == "2026070101"
    assert "costs_last_month" in follow and "costs_month" not in follow
    assert "loan_amount" not in follow and "uses_credit" not in follow


def test_tidy_summary_and_str(form):
    tidy = form.tidy()
    assert list(tidy.columns) == [
        "name", "type", "kind", "group", "label", "list_name", "choices", "relevant",
        "constraint",
    ]  # fmt: skip
    row = tidy.set_index("name").loc["practices"]
    assert row["choices"] == "records stock marketing none other"
    assert row["group"] == "grp_practices"
    assert "17 variables" in str(form) and "2026010101" in form.summary()
    with pytest.raises(KeyError, match="no variable 'nope'"):
        form["nope"]


def _workbook(path, sheets):
    with pd.ExcelWriter(path) as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
    return path


SURVEY = pd.DataFrame(
    {"type": ["text", "select_one yes_no"], "name": ["firm_id", "operating"],
     "label": ["Firm", "Operating?"]}
)  # fmt: skip
CHOICES = pd.DataFrame({"list_name": ["yes_no"] * 2, "name": ["1", "0"], "label": ["Yes", "No"]})


def test_no_survey_sheet(tmp_path):
    path = _workbook(tmp_path / "f.xlsx", {"questions": SURVEY, "choices": CHOICES})
    with pytest.raises(FormError, match="no 'survey' sheet"):
        ke.read_xlsform(path)


def test_select_questions_without_choices_sheet(tmp_path):
    path = _workbook(tmp_path / "f.xlsx", {"survey": SURVEY})
    with pytest.raises(FormError, match="no 'choices' sheet"):
        ke.read_xlsform(path)


def test_choice_list_missing(tmp_path):
    survey = SURVEY.assign(type=["text", "select_one yesno"])
    path = _workbook(tmp_path / "f.xlsx", {"survey": survey, "choices": CHOICES})
    with pytest.raises(FormError, match=r"choice list.*yesno"):
        ke.read_xlsform(path)


def test_not_a_workbook_and_no_file(tmp_path):
    with pytest.raises(FormError, match="no such file"):
        ke.read_xlsform(tmp_path / "absent.xlsx")
    (tmp_path / "form.csv").write_text("type,name\n")
    with pytest.raises(FormError, match="workbook"):
        ke.read_xlsform(tmp_path / "form.csv")
    (tmp_path / "broken.xlsx").write_text("not a zip")
    with pytest.raises(FormError, match="cannot read the XLSForm"):
        ke.read_xlsform(tmp_path / "broken.xlsx")


def test_pyxform_errors_are_form_errors(tmp_path):
    survey = pd.DataFrame({"type": ["text", "text"], "name": ["a", "a"], "label": ["A", "B"]})
    path = _workbook(tmp_path / "f.xlsx", {"survey": survey, "choices": CHOICES})
    with pytest.raises(FormError, match="not valid"):
        ke.read_xlsform(path)


def test_fixtures_are_what_the_script_writes(tmp_path):
    """The stored workbooks and exports are reproduced by make_fixtures.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.baseline_export().to_csv(tmp_path / "b.csv", index=False)
    module.followup_export().to_csv(tmp_path / "f.csv", index=False)
    assert (tmp_path / "b.csv").read_text() == (FIXTURES / "baseline_surveycto.csv").read_text()
    assert (tmp_path / "f.csv").read_text() == (FIXTURES / "followup_odk.csv").read_text()
    module.write_form(tmp_path / "form.xlsx", followup=False)
    for sheet in ("survey", "choices", "settings"):
        pd.testing.assert_frame_equal(
            pd.read_excel(tmp_path / "form.xlsx", sheet_name=sheet),
            pd.read_excel(FIXTURES / "kaizen_baseline.xlsx", sheet_name=sheet),
        )
