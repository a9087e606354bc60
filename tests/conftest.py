"""Shared test fixtures: RNG hygiene (no test may touch NumPy's global random state), the demo.

Tests marked ``slow`` (Monte Carlo size and coverage over thousands of replications) are
skipped unless ``--runslow`` is given (or selected with ``-m slow``): ``python -m pytest -q`` is
the fast subset CI runs; ``python -m pytest -q --runslow`` runs the full set. Every slow test
has a fast sibling that checks the same property with fewer replications and a wider band.
"""

import os

import numpy as np
import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--runslow",
        action="store_true",
        default=False,
        help="also run the Monte Carlo tests marked slow (the full set; see README)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow") or os.environ.get("KAIZEN_RUNSLOW") == "1":
        return
    if "slow" in (config.getoption("-m") or ""):  # an explicit selection decides
        return
    skip = pytest.mark.skip(reason="slow Monte Carlo test: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _global_rng_untouched():
    before = np.random.get_state()  # noqa: NPY002 - the point is to watch it
    yield
    after = np.random.get_state()  # noqa: NPY002 - the point is to watch it
    changed = (
        before[0] != after[0] or not np.array_equal(before[1], after[1]) or before[2:] != after[2:]
    )
    if changed:
        np.random.set_state(before)  # noqa: NPY002
        pytest.fail("test changed NumPy's global random state; pass a seed or Generator instead")


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """Return (folder, summary) of ``run_demo`` on the bundled trials (run once per session)."""
    from kaizen_eval.pipeline.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "report"
    return out, run_demo(out, progress=False)
