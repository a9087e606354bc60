"""docs/pooling.md: every python block runs, in order, and shows what the text says."""

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[2] / "docs" / "pooling.md"


def test_pooling_walkthrough_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 6
    ns: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[block {i}]", "exec"), ns)
    out = capsys.readouterr().out
    assert "random effects (REML), knha test" in out and "P(effect > 0 in a new school)" in out
    assert "DerSimonian–Laird with the z test under-covers with few sites" in DOC.read_text()
    reml, bayes = ns["reml"], ns["bayes"]
    assert reml.tau2 == 0.0
    np.testing.assert_allclose(reml.sites["shrunk"], reml.mu)  # "the BLUPs all equal mu"
    assert round(bayes.posterior.loc["theta[A]", "q50"]) == 10  # "shrink to a median of 10"
    assert list(ns["four"].tidy().index[:2]) == ["mu", "theta_new"]
    assert ns["new_site"].shape == (10_000,)
    assert ns["fig"].axes[0].get_xlabel() == "SAT points"
    assert "P(BCR > 1 in a new cluster)" in out
    assert list(ns["table"].index[-2:]) == ["average site", "new site"]
    assert list(ns["lates"]) == ["ghana", "tanzania", "vietnam", "ethiopia"]
    # the same probability from independent draws: equal within Monte Carlo error (10,000 draws)
    p_new = ns["table"].loc["new site", "prob_bcr_above_1"]
    assert abs(ns["rollout"].prob_bcr_above_1 - p_new) < 5 * np.sqrt(p_new * (1 - p_new) / 5_000)
