import json

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.report.builder import Report


def test_report_folder_has_every_format(tmp_path):
    e = ke.Estimate(
        terms=("invited",),
        coef=[2.0],
        vcov=[[0.25]],
        dof=98,
        se_type="HC1",
        method="OLS",
        estimand="ITT",
        outcome="score",
        nobs=100,
    )
    rep = Report("Trial", plan_hash="abc", data_hashes={"baseline": "123"})
    rep.add_text("Design", "Invitation randomized within strata.")
    rep.add_table("itt", ke.results_table([e]), "ITT", heading="Effects")
    rep.add_figure("coef", ke.coef_plot([e]), "Coefficient plot")
    out = rep.write(tmp_path / "r")
    for rel in [
        "index.html",
        "report.md",
        "provenance.json",
        "tables/itt.csv",
        "tables/itt.tex",
        "tables/itt.md",
        "figures/coef.png",
        "figures/coef.svg",
    ]:
        assert (out / rel).stat().st_size > 0, rel
    page = (out / "index.html").read_text()
    assert "data:image/png;base64," in page and "<table" in page
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["plan_sha256"] == "abc" and prov["data_hashes"] == {"baseline": "123"}
    assert prov["kaizen_eval_version"] == ke.__version__


def test_report_refuses_personal_data_and_duplicate_names(tmp_path):
    rep = Report("x")
    rep.add_table("firms", pd.DataFrame({"owner_name": ["A"], "sales": [1.0]}))
    with pytest.raises(KaizenError, match="owner_name"):
        rep.write(tmp_path)
    with pytest.raises(KaizenError, match="already has"):
        rep.add_table("firms", pd.DataFrame({"a": [1]}))


def test_extend_and_table_of_contents(tmp_path):
    a, b = Report("A"), Report("B", data_hashes={"w": "h"})
    for i in range(4):
        b.add_table(f"t{i}", pd.DataFrame({"x": [i]}), heading=f"Section {i}")
    a.add_text("Summary", "first")
    a.extend(b)
    assert a.data_hashes == {"w": "h"}
    page = (a.write(tmp_path) / "index.html").read_text()
    assert page.index("Contents") < page.index("id='s0'>Summary")
    assert "<a href='#s4'>Section 3</a>" in page
    with pytest.raises(KaizenError, match="already has"):
        a.extend(b)
