"""The replication scripts run and recover the synthetic truth.

Tolerance: every estimate that has a known truth must have the truth inside its 95% confidence
interval. The bundled trials are fixed data (seeded, checked bit for bit by
``tests/synthetic/test_bundled.py``), so coverage is a deterministic fact about them, not a
1-in-20 gamble; each truth is an average over the realized sample, for which HC1 intervals are
conservative (``simulate_trial`` documents 97.8% coverage over 400 Ghana samples). Coverage is
looser than |estimate − truth| < 3 SE would be only in name (the interval is ±t·SE with t ≈ 1.97),
and it is what a reader checks in a paper. To catch smaller breakages that leave the truth
covered (a dropped firm, a wrong control group), N and the control mean are also recomputed
independently from the frame with pandas, and the written CSV must equal the printed estimates.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "replication" / "sites" / "replicate_site.py"
PUBLISHED = ROOT / "replication" / "published_cost_benefit.py"


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_replication_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


rep = _load(SCRIPT)
SITES = ["ghana", "tanzania", "vietnam", "ethiopia"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("replication")
    return out, {site: rep.replicate(site, out / site) for site in SITES}


@pytest.mark.parametrize("site", SITES)
def test_writes_markdown_latex_and_csv(results, site):
    out, res = results
    folder = out / site
    md = (folder / f"{site}_results.md").read_text()
    tex = (folder / f"{site}_results.tex").read_text()
    assert "Control mean" in md and "| N " in md
    assert "\\begin{tabular}" in tex and "Control mean" in tex
    numbers = pd.read_csv(folder / f"{site}_results.csv")
    ests = res[site]["estimates"]
    assert len(numbers) == sum(len(e.terms) for e in ests.values())
    for (estimand, outcome), est in ests.items():
        label = f"{rep.OUTCOMES[outcome]}: {estimand.upper()}"
        got = numbers[numbers["column"] == label].set_index("term")
        np.testing.assert_allclose(got.loc[list(est.terms), "estimate"], est.params, rtol=1e-12)
        assert (got["nobs"] == est.nobs).all()


def _analyses(res, site):
    """(results, design) of the last wave and, where the site has it, of survey 2."""
    yield res[site], rep.SITES[site]
    if res[site]["survey2"] is not None:
        yield res[site]["survey2"], rep.SURVEY2


def test_survey2_where_the_site_has_it(results):
    _, res = results
    assert [s for s in SITES if res[s]["survey2"] is not None] == ["vietnam", "ethiopia"]


@pytest.mark.parametrize("site", SITES)
def test_truth_inside_every_confidence_interval(results, site):
    _, res = results
    for analysis, design in _analyses(res, site):
        _check_truth(site, analysis["truth"], design)


def _check_truth(site, table, design):
    # every truth key of the design is in the table (nothing silently skipped)
    assert len(table) == len(design.truth)
    assert table["truth"].notna().all()
    bad = table[~table["covered"]]
    assert bad.empty, f"{site}: truth outside the 95% CI:\n{bad.to_string()}"
    # the coverage flag agrees with the numbers
    inside = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    assert inside.all()
    assert ((table["ci_high"] - table["ci_low"]) > 0).all()


@pytest.mark.parametrize("site", SITES)
def test_n_and_control_mean_recomputed_independently(results, site):
    _, res = results
    for analysis, design in _analyses(res, site):
        frame = analysis["frame"]
        control = (frame[list(design.assignment)] == 0).all(axis=1)
        for (_, outcome), est in analysis["estimates"].items():
            observed = frame[outcome].notna()
            assert est.nobs == observed.sum()
            mean = frame.loc[control & observed, outcome].mean()
            assert est.control_mean == pytest.approx(mean, rel=1e-12)


def test_ghana_published_scale_late():
    # The bundled Ghana trial is calibrated to the published LATE of 13,890 USD.
    table = rep.replicate("ghana")["truth"].set_index(["estimand", "outcome"])
    assert table.loc[("LATE", "value_added"), "truth"] == 13_890.0


def test_command_line_writes_every_site(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "all", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for site in SITES:
        assert (tmp_path / site / f"{site}_truth.csv").is_file()
        survey2 = (tmp_path / site / f"{site}_survey2_results.tex").is_file()
        assert survey2 == (site in ("vietnam", "ethiopia"))
        assert f"## {site.capitalize()}" in proc.stdout
    assert "False" not in proc.stdout  # no estimate misses its truth


def test_command_line_rejects_unknown_site(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "kenya"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "invalid choice: 'kenya'" in proc.stderr


def test_published_cost_benefit_runs():
    proc = subprocess.run(
        [sys.executable, str(PUBLISHED)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    for label, ratio in [
        ("Ghana (10), classroom", 13_890 / 740),
        ("Tanzania (19), classroom", 4_181 / 2_905),
        ("Tanzania (19), on-site", 4_038 / 2_043),
    ]:
        assert label in proc.stdout and f"{ratio:.4f}" in proc.stdout
