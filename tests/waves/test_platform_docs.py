"""docs/data_schema.md, "From SurveyCTO/ODK/Kobo": every python block runs and shows the text."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "data_schema.md"


def test_platform_walkthrough_runs(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    section = DOC.read_text().split("## From SurveyCTO/ODK/Kobo", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 5
    ns: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[platform block {i}]", "exec"), ns)
    out = capsys.readouterr().out
    assert "XLSForm kaizen_baseline version 2026010101" in out
    assert "('grp_sales',) . >= 0" in out and "Je, biashara inafanya kazi?" in out
    panel = ns["panel"]
    # "its management and sales modules were skipped ... still counts as observed"
    closed = set(panel.not_asked.query("firm_id == 'KZ003'")["column"])
    assert {"mp_records", "sales_month", "costs_month", "practices_none"} <= closed
    assert bool(panel.attrition().observed.loc["KZ003", "followup"])
    assert "probably renamed: 'costs_month' in wave 'baseline'; check" in out
    assert "Sales last month (TZS)" in out and "'long.dta'" in out
    assert panel.wave("baseline").loc[1, "sales_month_missing"] == "don't know"
