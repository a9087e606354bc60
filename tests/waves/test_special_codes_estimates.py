"""No special code (−888, −999, −777) ever reaches an estimator or a score.

A platform export of 160 firms is generated with known answers, and field codes are planted in
about one answer in eight of every outcome and practice item. Loading it with its form must give
exactly the frame in which those cells are missing (built here directly from the known answers),
so every estimator and score computed on the panel equals the one computed on that frame, and
differs from what the codes would have given had they been read as numbers.
"""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke

N = 160
CODES = (-888, -999, -777)
ITEMS = ["mp_records", "mp_stock", "mp_costing", "mp_targets"]
OUTCOMES = ["sales", "costs", "employees"]


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    path = tmp_path_factory.mktemp("form") / "form.xlsx"
    survey = pd.DataFrame(
        {
            "type": ["text", "select_one yes_no", "select_one yes_no"]
            + ["select_one yes_no"] * len(ITEMS)
            + ["begin group", "integer", "decimal", "integer", "end group"],
            "name": ["firm_id", "invited", "attended", *ITEMS, "grp_sales", *OUTCOMES, ""],
            "label": ["Firm", "Invited", "Attended", *ITEMS, "Sales", *OUTCOMES, ""],
            "constraint": [""] * (3 + len(ITEMS) + 1) + [". >= 0"] * 3 + [""],
        }
    )
    choices = pd.DataFrame({"list_name": ["yes_no"] * 2, "name": ["1", "0"],
                            "label": ["Yes", "No"]})  # fmt: skip
    with pd.ExcelWriter(path) as xl:
        survey.to_excel(xl, sheet_name="survey", index=False)
        choices.to_excel(xl, sheet_name="choices", index=False)
    return ke.read_xlsform(path)


def _wave(rng, invited, attended, wave):
    lift = 0.0 if wave == "baseline" else 1.0
    true = pd.DataFrame(
        {
            "firm_id": [f"F{i:03d}" for i in range(N)],
            "invited": invited.astype(float),
            "attended": attended.astype(float),
            **{
                item: (rng.random(N) < 0.35 + 0.25 * lift * attended).astype(float)
                for item in ITEMS
            },
            "sales": np.round(rng.lognormal(13 + 0.15 * lift * attended, 0.6, N)),
            "costs": np.round(rng.lognormal(12.5, 0.5, N), 2),
            "employees": rng.poisson(3 + lift * attended, N).astype(float),
        }
    )
    planted = pd.DataFrame(False, index=true.index, columns=true.columns)
    export = true.astype(object).copy()
    for column in [*ITEMS, *OUTCOMES]:
        hit = rng.random(N) < 0.125
        planted[column] = hit
        export.loc[hit, column] = rng.choice(CODES, hit.sum())
    export = export.rename(columns={c: f"grp_sales-{c}" for c in OUTCOMES})
    export["KEY"] = [f"uuid:{wave}-{i}" for i in range(N)]
    return true.mask(planted), export


@pytest.fixture(scope="module")
def data(form):
    rng = np.random.default_rng(20260101)
    invited = rng.random(N) < 0.5
    attended = invited & (rng.random(N) < 0.7)
    base_true, base_export = _wave(rng, invited, attended, "baseline")
    follow_true, follow_export = _wave(rng, invited, attended, "followup")
    panel = ke.load_waves(
        {"baseline": base_export, "followup": follow_export}, form=form, platform="surveycto"
    )
    return panel, {"baseline": base_true, "followup": follow_true}, follow_export


def test_loaded_waves_are_the_known_answers_with_codes_missing(data):
    panel, truth, _ = data
    for wave, expected in truth.items():
        got = panel.wave(wave)[list(expected.columns)]
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        numbers = got.select_dtypes("number")
        assert not numbers.isin(CODES).any().any()


def test_every_code_is_a_counted_missing(data):
    panel, truth, _ = data
    coded = panel.issues[panel.issues["reason"].str.startswith("special code")]
    planted = sum(int(t[[*ITEMS, *OUTCOMES]].isna().sum().sum()) for t in truth.values())
    assert len(coded) == planted > 100
    assert set(coded["action"]) == {"coerced"}
    # no code was read as a constraint violation either: codes go before the constraint
    assert not panel.issues["reason"].str.startswith("violates").any()


def _frame(follow, base):
    df = follow.merge(base[["firm_id", "sales"]], on="firm_id", suffixes=("", "_baseline"))
    return df


def _estimates(df):
    out = {
        "itt": ke.itt(df, outcome="sales", treatment="invited", covariates=["sales_baseline"]),
        "late": ke.late(df, outcome="sales", treatment="attended", instrument="invited"),
        "att": ke.att(df, outcome="costs", treatment="attended", instrument="invited"),
        "itt_employees": ke.itt(df, outcome="employees", treatment="invited", se="HC2"),
        "itt_item": ke.itt(df, outcome="mp_records", treatment="invited"),
    }
    values = {k: (r.estimate, r.std_error, r.nobs) for k, r in out.items()}
    ri = ke.randomization_inference(df, outcome="sales", treatment="invited", draws=200, seed=1)
    values["ri"] = (ri.observed, ri.pvalue)
    score = ke.management_score(df, dict.fromkeys(ITEMS, "records"))
    values["score"] = tuple(score.table["score_overall"].round(12).fillna(-1))
    kling = ke.kling_index(df, OUTCOMES, treatment="invited")
    values["kling"] = tuple(kling.table["index"].round(12).fillna(-99))
    return values


def test_no_estimator_or_score_sees_a_code(data):
    panel, truth, _ = data
    wide = panel.wide
    from_panel = pd.DataFrame(
        {
            "firm_id": wide["firm_id"],
            "invited": wide["invited_baseline"],
            "attended": wide["attended_baseline"],
            **{c: wide[f"{c}_followup"] for c in [*ITEMS, *OUTCOMES]},
            "sales_baseline": wide["sales_baseline"],
        }
    )
    expected = _frame(truth["followup"], truth["baseline"])
    expected = expected[from_panel.columns]
    got, want = _estimates(from_panel), _estimates(expected)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(
            np.asarray(got[key], dtype=float), np.asarray(want[key], dtype=float),
            rtol=1e-12, err_msg=key,
        )  # fmt: skip


def test_the_codes_would_have_moved_the_estimates(data):
    """The test above can fail: codes read as numbers give other estimates."""
    _, truth, export = data
    naive = export.rename(columns=lambda c: c.removeprefix("grp_sales-")).astype(
        {c: float for c in [*ITEMS, *OUTCOMES]}
    )
    naive = naive.merge(truth["baseline"][["firm_id", "sales"]], on="firm_id",
                        suffixes=("", "_baseline"))  # fmt: skip
    naive["invited"] = naive["invited"].astype(float)
    naive_itt = ke.itt(naive, outcome="sales", treatment="invited")
    true_itt = ke.itt(_frame(truth["followup"], truth["baseline"]), outcome="sales",
                      treatment="invited")  # fmt: skip
    assert naive_itt.nobs > true_itt.nobs
    assert abs(naive_itt.estimate - true_itt.estimate) > 1.0
