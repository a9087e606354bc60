"""The replication tables match R's estimatr cell by cell.

References: ``reference/site_tables.json``, produced by ``reference/site_tables.R``
(``estimatr::lm_robust`` / ``iv_robust`` with strata fixed effects and HC1) from the analysis
frames in ``reference/frames/``, which ``reference/write_frames.py`` writes from the
replication script's own loader. The first test checks that those frames are still what the
loader produces, so the R numbers stay tied to the pipeline. Tolerance 1e-10 (relative): the
algebra is exact, and jsonlite stores 15 significant digits.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
REF = HERE / "reference"
SITES = ["ghana", "tanzania", "vietnam", "ethiopia"]


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


frames = _load(REF / "write_frames.py", "_replication_write_frames")
rep = frames.load_script()
R = json.loads((REF / "site_tables.json").read_text())


# (site, wave): the last wave of every site, and survey 2 where there is one
ANALYSES = [(s, None) for s in SITES] + [("vietnam", "survey2"), ("ethiopia", "survey2")]


def _name(site, wave):
    return site if wave is None else f"{site}_{wave}"


@pytest.mark.parametrize(("site", "wave"), ANALYSES, ids=lambda v: str(v))
def test_reference_frames_are_what_the_loader_produces(site, wave):
    stored = pd.read_csv(REF / "frames" / f"{_name(site, wave)}.csv").reset_index(drop=True)
    now = frames.frame(site, wave).reset_index(drop=True)
    assert list(stored.columns) == list(now.columns)
    pd.testing.assert_frame_equal(stored, now, check_dtype=False, rtol=1e-13)


@pytest.mark.parametrize(("site", "wave"), ANALYSES, ids=lambda v: str(v))
def test_estimates_match_estimatr(site, wave):
    frame, _ = rep.load_site(site, wave=wave)
    if wave is None:
        design, outcomes = rep.SITES[site], tuple(rep.OUTCOMES)
    else:
        design, outcomes = rep.SURVEY2, rep.ANCOVA
    estimates = rep.estimate_site(frame, design, outcomes)
    iv_name = design.estimand
    reference = R[_name(site, wave)]
    assert len(reference) == len(estimates)
    for (estimand, outcome), est in estimates.items():
        ref = reference[f"{'itt' if estimand == 'itt' else 'iv'}:{outcome}"]
        assert estimand in ("itt", iv_name)
        assert list(est.terms) == list(np.atleast_1d(ref["terms"]))
        tidy = est.tidy()
        np.testing.assert_allclose(tidy["estimate"], np.atleast_1d(ref["estimate"]), rtol=1e-10)
        np.testing.assert_allclose(tidy["std_error"], np.atleast_1d(ref["std_error"]), rtol=1e-10)
        assert (tidy["df"] == ref["df"]).all()
        assert est.nobs == ref["nobs"]
