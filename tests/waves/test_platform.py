"""load_waves(form=, platform=) on the Kaizen fixture exports, checked cell by cell.

The fixtures (tests/fixtures/xlsform/, written by make_fixtures.py) are a SurveyCTO baseline and
an ODK Central follow-up of six firms; every value below is read off the script's tables, not
off the loader's output.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval.waves.errors import (
    DuplicateSubmissionError,
    FormMatchError,
    UnsupportedExpressionError,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
BASE = FIXTURES / "baseline_surveycto.csv"
FOLLOW = FIXTURES / "followup_odk.csv"
FIRST_KZ005 = "uuid:f0000005-0000-4000-8000-000000000000"
SECOND_KZ005 = "uuid:f0000006-0000-4000-8000-000000000000"
NaN = np.nan
RENAME = pd.DataFrame(
    {"wave": ["followup"], "source": ["costs_last_month"], "name": ["costs_month"]}
)
DROP_FIRST = pd.DataFrame({"key": [FIRST_KZ005], "action": ["drop"]})


@pytest.fixture(scope="module")
def forms():
    return {
        "baseline": ke.read_xlsform(FIXTURES / "kaizen_baseline.xlsx"),
        "followup": ke.read_xlsform(FIXTURES / "kaizen_followup.xlsx"),
    }


def _load(forms, **kw):
    options = {"codebook": RENAME, "duplicates": DROP_FIRST, **kw}
    return ke.load_waves({"baseline": BASE, "followup": FOLLOW}, form=forms, **options)


@pytest.fixture(scope="module")
def panel(forms):
    return _load(forms, platform=None, missing_reasons=True)


def _dates(*days):
    return pd.to_datetime(list(days)).astype("datetime64[ns]")


PRACTICES = ["records", "stock", "marketing", "none", "other"]


def _choices(rows):
    return {f"practices_{c}": [r[k] for r in rows] for k, c in enumerate(PRACTICES)}


EXPECTED_BASELINE = pd.DataFrame(
    {
        "interview_date": _dates(*(f"2026-01-{d}" for d in range(11, 17))),
        "firm_id": ["KZ001", "KZ002", "KZ003", "KZ004", "KZ005", "KZ006"],
        "operating": [1.0] * 6,
        "sector": [1.0, 2.0, 3.0, 1.0, 2.0, 1.0],
        "founded": _dates(
            "2015-03-03", "2018-06-12", "2020-01-30", "2011-11-02", "2019-02-14", "2016-08-08"
        ),
        "mp_records": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
        "mp_stock": [0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
        **_choices(
            [
                (1.0, 0.0, 1.0, 0.0, 0.0),  # records marketing
                (0.0, 0.0, 0.0, 1.0, 0.0),  # none
                (1.0, 1.0, 0.0, 0.0, 1.0),  # records stock other
                (0.0, 1.0, 0.0, 0.0, 0.0),  # stock
                (1.0, 0.0, 0.0, 0.0, 0.0),  # records
                (0.0, 0.0, 1.0, 1.0, 0.0),  # marketing none
            ]
        ),
        "practices_oth": [None, None, "book-keeping class", None, None, None],
        "sales_month": [1_200_000.0, NaN, 900_000.0, 450_000.0, 700_000.0, 300_000.0],
        "sales_month_missing": [None, "don't know", None, None, None, None],
        "costs_month": [800_000.5, 300_000.0, 650_000.0, NaN, 400_000.0, -50.0],
        "costs_month_missing": [None, None, None, "refused", None, None],
        "employees": [3.0, 1.0, 2.0, 0.0, 4.0, 1.0],
        "uses_credit": [1.0, 0.0, 0.0, 1.0, 0.0, 1.0],
        "loan_amount": [500_000.0, NaN, NaN, NaN, 250_000.0, 120_000.0],
        "loan_amount_missing": [None, None, None, "n/a", None, None],
        "enum_comment": [NaN, NaN, NaN, "shop closed early", NaN, NaN],
    }
)

EXPECTED_FOLLOWUP = pd.DataFrame(
    {
        "interview_date": _dates(*(f"2026-07-{d}" for d in (11, 12, 13, 14, 16, 17))),
        "firm_id": ["KZ001", "KZ002", "KZ003", "KZ004", "KZ005", "KZ006"],
        "operating": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
        "sector": [1.0, 2.0, 3.0, 1.0, 2.0, 1.0],
        "founded": EXPECTED_BASELINE["founded"],
        "mp_records": [1.0, 1.0, NaN, 1.0, 1.0, 1.0],
        "mp_stock": [1.0, 0.0, NaN, 1.0, 0.0, 0.0],
        **_choices(
            [
                (1.0, 1.0, 1.0, 0.0, 0.0),  # records stock marketing
                (1.0, 0.0, 0.0, 0.0, 0.0),  # records
                (NaN,) * 5,  # closed: the module was skipped
                (1.0, 1.0, 0.0, 0.0, 0.0),  # records stock
                (1.0, 0.0, 0.0, 0.0, 0.0),  # records (the second submission)
                (1.0, 0.0, 0.0, 0.0, 1.0),  # records other
            ]
        ),
        "practices_oth": [None, None, None, None, None, "stock cards"],
        "sales_month": [NaN, 350_000.0, NaN, 500_000.0, 780_000.0, 320_000.0],
        "sales_month_missing": ["refused", None, None, None, None, None],
        "costs_month": [850_000.0, 280_000.0, NaN, 310_000.25, 420_000.0, NaN],
        "costs_month_missing": [None, None, None, None, None, "don't know"],
        "employees": [4.0, 1.0, NaN, 0.0, 4.0, 2.0],
    }
)


def _same(actual, expected):
    assert list(actual.columns) == list(expected.columns)
    for column in expected.columns:
        a, e = actual[column], expected[column]
        if pd.api.types.is_datetime64_any_dtype(e):
            assert pd.api.types.is_datetime64_any_dtype(a), column
            assert a.astype("datetime64[ns]").tolist() == e.tolist(), column
        elif e.dtype == float:
            assert a.dtype == float, column
            np.testing.assert_array_equal(a.to_numpy(), e.to_numpy(), err_msg=column)
        else:
            assert [None if pd.isna(v) else v for v in a] == [
                None if pd.isna(v) else v for v in e
            ], column


def test_baseline_cell_by_cell(panel):
    _same(panel.wave("baseline"), EXPECTED_BASELINE)


def test_followup_cell_by_cell(panel):
    _same(panel.wave("followup"), EXPECTED_FOLLOWUP)


def test_issues_exactly(panel):
    got = [
        (r.wave, None if pd.isna(r.firm_id) else r.firm_id, r.column, r.reason, r.action)
        for r in panel.issues.itertuples()
    ]
    relevant = "${uses_credit} = 1 and not(${sector} = 3)"
    assert got == [
        ("baseline", None, "enum_comment",
         "column matches no variable of the form (kept as delivered)", "flagged"),
        ("baseline", "KZ002", "sales_month", "special code -888 (don't know)", "coerced"),
        ("baseline", "KZ004", "costs_month", "special code -999 (refused)", "coerced"),
        ("baseline", "KZ004", "loan_amount", "special code -777 (n/a)", "coerced"),
        ("baseline", "KZ005", "loan_amount",
         f"answered although not asked (relevant: {relevant})", "flagged"),
        ("baseline", "KZ006", "practices", "'none' selected together with other choices",
         "flagged"),
        ("baseline", "KZ006", "costs_month",
         "violates the form's constraint '. >= 0' (value -50)", "flagged"),
        ("followup", "KZ001", "sales_month", "special code -999 (refused)", "coerced"),
        ("followup", "KZ005", "firm_id",
         f"duplicate submission {FIRST_KZ005} dropped by the duplicates table", "dropped"),
        ("followup", "KZ006", "costs_month", "special code -888 (don't know)", "coerced"),
    ]  # fmt: skip


def test_special_codes_counted_by_reason(panel):
    coded = panel.issues[panel.issues["reason"].str.startswith("special code")]
    counts = coded["reason"].str.extract(r"\((.*)\)")[0].value_counts().to_dict()
    assert counts == {"refused": 2, "don't know": 2, "n/a": 1}


def test_not_asked_is_structural_missing(panel):
    got = {(r.wave, r.firm_id, r.column) for r in panel.not_asked.itertuples()}
    closed = [
        "mp_records", "mp_stock", *(f"practices_{c}" for c in PRACTICES), "practices_oth",
        "sales_month", "costs_month", "employees",
    ]  # fmt: skip
    expected = {("baseline", f, "practices_oth") for f in ("KZ001", "KZ002", "KZ004", "KZ005")}
    expected |= {("baseline", "KZ006", "practices_oth")}
    expected |= {("baseline", f, "loan_amount") for f in ("KZ002", "KZ003")}
    expected |= {("followup", "KZ003", c) for c in closed}
    expected |= {("followup", f, "practices_oth") for f in ("KZ001", "KZ002", "KZ004", "KZ005")}
    assert got == expected
    assert len(panel.not_asked) == len(expected)  # the dropped KZ005 submission is not listed
    row = panel.not_asked.query("firm_id == 'KZ003' and column == 'sales_month'").iloc[0]
    assert row["relevant"] == "${operating} = 1"
    # structural missings are not attrition: KZ003 has its follow-up row
    assert panel.attrition().observed.loc["KZ003"].tolist() == [True, True]


def test_metadata_kept_aside(panel):
    meta = panel.metadata
    base = meta[meta["wave"] == "baseline"]
    assert {"SubmissionDate", "starttime", "endtime", "deviceid", "KEY", "instanceID"} <= set(
        base.dropna(axis=1, how="all").columns
    )
    follow = meta[meta["wave"] == "followup"]
    assert follow["KEY"].tolist()[4:6] == [FIRST_KZ005, SECOND_KZ005]  # both submissions
    assert {"meta/instanceID", "SubmitterName", "FormVersion"} <= set(follow.columns)
    for wave in panel.waves:
        assert not {"KEY", "SubmissionDate", "starttime", "deviceid"} & set(
            panel.wave(wave).columns
        )


def test_labels_from_the_form(panel):
    assert dict(panel.value_labels["sector"]) == {1.0: "Retail", 2.0: "Manufacturing",
                                                  3.0: "Services"}  # fmt: skip
    assert dict(panel.value_labels["mp_records"]) == {1.0: "Yes", 0.0: "No"}
    assert panel.variable_labels["sales_month"] == "Sales last month (TZS)"
    assert panel.variable_labels["practices_none"] == (
        "Which practices does the firm use?: None of these"
    )
    assert panel.wave("baseline").attrs["variable_labels"]["mp_stock"] == (
        "Does the firm count its stock monthly?"
    )


@pytest.mark.parametrize(
    ("platform", "name", "path"), [("surveycto", "baseline", BASE), ("odk", "followup", FOLLOW)]
)
def test_each_platform_reads_its_own_export(forms, platform, name, path):
    kw = {"duplicates": DROP_FIRST} if name == "followup" else {}
    p = ke.load_waves({name: path}, form=forms[name], platform=platform, **kw)
    unmatched = p.issues.loc[p.issues["reason"].str.contains("matches no variable"), "column"]
    assert unmatched.tolist() == (["enum_comment"] if name == "baseline" else [])
    expected = EXPECTED_BASELINE if name == "baseline" else EXPECTED_FOLLOWUP
    got = p.wave(name)
    for column in ("sales_month", "practices_records", "mp_stock"):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy())


def test_a_platform_does_not_read_anothers_prefixes(forms):
    p = ke.load_waves({"followup": FOLLOW}, form=forms["followup"], platform="surveycto",
                      duplicates=DROP_FIRST)  # fmt: skip
    unmatched = p.issues.loc[p.issues["reason"].str.contains("matches no variable"), "column"]
    assert "grp_sales/sales_month" in set(unmatched)  # reported, and kept as delivered
    assert "grp_sales/sales_month" in p.wave("followup").columns


def test_reason_columns_only_when_asked(forms):
    p = _load(forms)
    assert not [c for c in p.wave("baseline").columns if c.endswith("_missing")]
    assert np.isnan(p.wave("baseline").loc[1, "sales_month"])


def test_unresolved_duplicate_names_the_differing_columns(forms):
    with pytest.raises(DuplicateSubmissionError, match=r"KZ005.*interview_date sales_month"):
        _load(forms, duplicates=None)
    p = _load(forms, duplicates=None, errors="flag")
    assert "KZ005" not in set(p.wave("followup")["firm_id"])
    flagged = p.issues[p.issues["reason"].str.startswith("duplicate submission")]
    assert flagged["reason"].tolist() == [
        f"duplicate submission {FIRST_KZ005} (differs in interview_date sales_month)",
        f"duplicate submission {SECOND_KZ005} (differs in interview_date sales_month)",
    ]


def test_resolution_table_from_a_file(forms, tmp_path):
    path = tmp_path / "duplicates.csv"
    pd.DataFrame({"key": [FIRST_KZ005, SECOND_KZ005], "action": ["keep", "drop"]}).to_csv(
        path, index=False
    )
    p = _load(forms, duplicates=path)
    kz005 = p.wave("followup").set_index("firm_id").loc["KZ005"]
    assert kz005["sales_month"] == 750_000.0


def test_bad_resolution_table(forms):
    with pytest.raises(ke.KaizenError, match="'keep' or 'drop'"):
        _load(forms, duplicates=pd.DataFrame({"key": ["x"], "action": ["maybe"]}))
    with pytest.raises(ke.KaizenError, match="key"):
        _load(forms, duplicates=pd.DataFrame({"submission": ["x"]}))


def test_missing_codes_per_variable_and_none(forms):
    p = _load(forms, missing_codes={-999: "refused", "sales_month": {-888: "no idea"}})
    base = p.wave("baseline").set_index("firm_id")
    assert np.isnan(base.loc["KZ002", "sales_month"])
    assert "special code -888 (no idea)" in set(p.issues["reason"])
    assert np.isnan(base.loc["KZ004", "costs_month"])  # -999 common
    assert base.loc["KZ004", "loan_amount"] == -777  # -777 no longer a code...
    assert "violates the form's constraint '. > 0' (value -777)" in set(p.issues["reason"])
    p = _load(forms, missing_codes=None)
    assert p.wave("baseline").set_index("firm_id").loc["KZ002", "sales_month"] == -888
    with pytest.raises(ke.KaizenError, match="'profit'"):
        _load(forms, missing_codes={"profit": {-1: "refused"}})
    with pytest.raises(ke.KaizenError, match="must be numbers"):
        _load(forms, missing_codes={None: "don't know"})
    with pytest.raises(ke.KaizenError, match="must be text"):
        _load(forms, missing_codes={-888: 5})


def test_codes_in_a_select_one_are_missing_too(forms, tmp_path):
    df = pd.read_csv(BASE)
    df.loc[0, "sector"] = -999
    p = ke.load_waves({"baseline": df}, form=forms["baseline"])
    assert np.isnan(p.wave("baseline").loc[0, "sector"])
    assert ("sector", "special code -999 (refused)") in set(
        zip(p.issues["column"], p.issues["reason"], strict=True)
    )


def test_answer_outside_the_choice_list(forms):
    df = pd.read_csv(BASE)
    df.loc[2, "sector"] = 9
    with pytest.raises(ke.KaizenError, match=r"'sector'.*choice list 'sector'.*'9'"):
        ke.load_waves({"baseline": df}, form=forms["baseline"])
    p = ke.load_waves({"baseline": df}, form=forms["baseline"], errors="flag")
    assert np.isnan(p.wave("baseline").loc[2, "sector"])
    assert "answer not in the choice list 'sector'" in set(p.issues["reason"])


def test_text_in_an_integer(forms):
    df = pd.read_csv(BASE)
    df["grp_sales-employees"] = df["grp_sales-employees"].astype(object)
    df.loc[1, "grp_sales-employees"] = "two"
    with pytest.raises(ke.KaizenError, match=r"'employees'.*'two'"):
        ke.load_waves({"baseline": df}, form=forms["baseline"])


def test_split_columns_alone_and_contradicting(forms):
    df = pd.read_csv(BASE)
    alone = df.drop(columns="grp_practices-practices")  # only the pre-split 0/1 columns
    p = ke.load_waves({"baseline": alone}, form=forms["baseline"], platform="surveycto")
    for column in (f"practices_{c}" for c in PRACTICES):
        assert p.wave("baseline")[column].tolist() == EXPECTED_BASELINE[column].tolist()
    assert "practices_oth" in p.not_asked["column"].tolist()  # selected() sees the joined text
    df.loc[0, "grp_practices-practices_stock"] = 1
    p = ke.load_waves({"baseline": df}, form=forms["baseline"], platform="surveycto")
    assert ("grp_practices-practices_stock", "KZ001") in set(
        zip(p.issues["column"], p.issues["firm_id"], strict=True)
    )


def test_two_columns_for_one_variable(forms):
    df = pd.read_csv(BASE).assign(sales_month=1.0)
    with pytest.raises(FormMatchError, match="'grp_sales-sales_month' and 'sales_month'"):
        ke.load_waves({"baseline": df}, form=forms["baseline"])


def test_form_variable_absent_from_the_export(forms):
    df = pd.read_csv(BASE).drop(columns="grp_sales-employees")
    p = ke.load_waves({"baseline": df}, form=forms["baseline"])
    assert ("employees", "form variable not in the export") in set(
        zip(p.issues["column"], p.issues["reason"], strict=True)
    )


def _form_with(tmp_path, relevant):
    path = tmp_path / "form.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(
            {"type": ["text", "integer", "integer"], "name": ["firm_id", "a", "b"],
             "label": ["Firm", "A", "B"], "relevant": ["", "", relevant]}
        ).to_excel(xl, sheet_name="survey", index=False)  # fmt: skip
        pd.DataFrame({"list_name": [], "name": [], "label": []}).to_excel(
            xl, sheet_name="choices", index=False
        )
    return ke.read_xlsform(path)


def test_unsupported_relevance_is_reported_with_the_variable(tmp_path):
    form = _form_with(tmp_path, "regex(${a}, '[0-9]+')")
    df = pd.DataFrame({"firm_id": ["A", "B"], "a": [1, 2], "b": [3, None]})
    with pytest.raises(UnsupportedExpressionError, match=r"variable 'b'.*regex"):
        ke.load_waves({"w": df}, form=form)
    p = ke.load_waves({"w": df}, form=form, errors="flag")
    assert p.issues["reason"].str.startswith("relevance not checked").tolist() == [True]
    assert p.issues["column"].tolist() == ["b"]


def test_relevance_arithmetic_and_missing(tmp_path):
    form = _form_with(tmp_path, "${a} * 2 > 5")
    df = pd.DataFrame({"firm_id": ["A", "B", "C"], "a": [1, 3, None], "b": [7, None, 4]})
    p = ke.load_waves({"w": df}, form=form)
    assert p.issues["firm_id"].tolist() == ["A", "C"]  # answered although a*2 <= 5 / a empty
    assert p.not_asked.empty  # B was asked and left it empty: not structural


def test_arguments_without_a_form():
    df = pd.DataFrame({"firm_id": ["A"], "sales": [-888.0]})
    with pytest.raises(ke.KaizenError, match="need the survey's form"):
        ke.load_waves({"w": df}, platform="odk")
    assert ke.load_waves({"w": df}).wave("w")["sales"].tolist() == [-888.0]  # no form: no codes
    with pytest.raises(ValueError, match="platform"):
        ke.load_waves({"w": df}, form=None, platform="qualtrics")
    with pytest.raises(ke.KaizenError, match="Form"):
        ke.load_waves({"w": df}, form="instrument.xlsx")
    with pytest.raises(ke.KaizenError, match="'other'"):
        ke.load_waves({"w": df}, form={"other": _dummy_form()})


def _dummy_form():
    from kaizen_eval.waves.xlsform import Form, Variable

    return Form((Variable("firm_id", "text"), Variable("sales", "integer")))


def test_deidentify_drops_metadata_and_hashes_not_asked(panel):
    out = ke.deidentify(panel, salt="s")
    assert out.metadata.empty
    assert not set(out.not_asked["firm_id"]) & {"KZ003"}
    assert len(out.not_asked) == len(panel.not_asked)


def test_a_kobo_export(forms):
    """KoboToolbox: '/' prefixes, split choices as grp/practices/<code>, '_' metadata."""
    df = pd.read_csv(BASE).drop(columns=["SubmissionDate", "deviceid", "KEY", "instanceID"])
    df = df.rename(columns=lambda c: c.replace("-", "/"))
    df = df.rename(columns={f"grp_practices/practices_{c}": f"grp_practices/practices/{c}"
                            for c in PRACTICES})  # fmt: skip
    df = df.rename(columns={"starttime": "start", "endtime": "end"})
    df["_uuid"] = [f"u{i}" for i in range(len(df))]
    df["_submission_time"] = "2026-01-20T10:00:00"
    df["__version__"] = "vAbc"
    df["_validation_status"] = ""
    p = ke.load_waves({"baseline": df}, form=forms["baseline"], platform="kobo")
    got = p.wave("baseline")
    for column in ("sales_month", "practices_records", "practices_none", "loan_amount"):
        np.testing.assert_array_equal(got[column].to_numpy(), EXPECTED_BASELINE[column].to_numpy())
    assert {"_uuid", "_submission_time", "__version__", "start", "end"} <= set(p.metadata.columns)
    unmatched = p.issues.loc[p.issues["reason"].str.contains("matches no variable"), "column"]
    assert unmatched.tolist() == ["enum_comment"]


def test_repeat_groups_are_not_expected_in_the_wave(tmp_path):
    path = tmp_path / "form.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(
            {"type": ["text", "begin repeat", "text", "end repeat"],
             "name": ["firm_id", "workers", "worker_name", ""],
             "label": ["Firm", "Workers", "Name", ""]}
        ).to_excel(xl, sheet_name="survey", index=False)  # fmt: skip
        pd.DataFrame({"list_name": [], "name": [], "label": []}).to_excel(
            xl, sheet_name="choices", index=False
        )
    form = ke.read_xlsform(path)
    assert form["worker_name"].repeat and form["worker_name"].group == ("workers",)
    p = ke.load_waves({"w": pd.DataFrame({"firm_id": ["A"]})}, form=form)
    assert p.issues.empty


def test_an_id_inside_a_group_keeps_its_leading_zeros(tmp_path):
    path = tmp_path / "form.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(
            {"type": ["begin group", "text", "end group", "integer"],
             "name": ["grp_id", "firm_id", "", "sales"], "label": ["Id", "Firm", "", "Sales"]}
        ).to_excel(xl, sheet_name="survey", index=False)  # fmt: skip
        pd.DataFrame({"list_name": [], "name": [], "label": []}).to_excel(
            xl, sheet_name="choices", index=False
        )
    csv = tmp_path / "export.csv"
    csv.write_text("grp_id-firm_id,sales,KEY\n0012,5,k1\n0340,-999,k2\n")
    p = ke.load_waves({"b": csv}, form=ke.read_xlsform(path), platform="surveycto")
    assert p.wave("b")["firm_id"].tolist() == ["0012", "0340"]
    assert p.wave("b")["sales"].tolist()[0] == 5 and np.isnan(p.wave("b")["sales"][1])


def test_text_coded_select_one_is_an_unordered_categorical(tmp_path):
    path = tmp_path / "form.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(
            {"type": ["text", "select_one sector", "decimal"],
             "name": ["firm_id", "sector", "rent"], "label": ["Firm", "Sector", "Rent"],
             "relevant": ["", "", "${sector} = 'retail'"]}
        ).to_excel(xl, sheet_name="survey", index=False)  # fmt: skip
        pd.DataFrame(
            {"list_name": ["sector"] * 2, "name": ["retail", "services"],
             "label": ["Retail", "Services"]}
        ).to_excel(xl, sheet_name="choices", index=False)  # fmt: skip
    df = pd.DataFrame(
        {"firm_id": ["A", "B", "C"], "sector": ["retail", "services", None],
         "rent": [10.0, 5.0, None]}
    )  # fmt: skip
    p = ke.load_waves({"w": df}, form=ke.read_xlsform(path))
    sector = p.wave("w")["sector"]
    assert isinstance(sector.dtype, pd.CategoricalDtype) and not sector.cat.ordered
    assert list(sector.cat.categories) == ["retail", "services"]
    assert sector.tolist()[:2] == ["retail", "services"] and pd.isna(sector[2])
    assert dict(p.value_labels["sector"]) == {"retail": "Retail", "services": "Services"}
    assert p.issues[["firm_id", "column"]].to_numpy().tolist() == [["B", "rent"]]
    assert p.not_asked[["firm_id", "column"]].to_numpy().tolist() == [["C", "rent"]]
