"""Shared test fixtures: RNG hygiene (no test may touch NumPy's global random state), the demo."""

import numpy as np
import pytest


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
