"""docs/design.md: every python block runs, in order, in one namespace."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def test_design_walkthrough_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[block {i}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert "Joint F test (invited vs control)" in out
    assert namespace["asg"].manifest["n_draws"] >= 1
    assert namespace["mde_late"] > namespace["mde_itt"]
