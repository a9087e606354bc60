"""docs/spillovers.md: every python block runs, in order, and the estimates are sensible."""

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[2] / "docs" / "spillovers.md"


def test_spillover_walkthrough_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 6
    ns: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[block {i}]", "exec"), ns)
    capsys.readouterr()
    sp, truth = ns["sp"], ns["truth"]
    assert set(truth.terms) <= set(sp.terms)
    assert ns["probs"].draws == 2_000
    assert ns["ht"].terms[0] == "indirect vs none"
    # the baseline predicts y: adjusting for it shrinks every standard error
    assert (np.diag(ns["ra"].vcov) < np.diag(ns["ht"].vcov)).all()
    assert list(ns["asg"].frame.columns) == ["firm_id", "invited", "saturation"]
