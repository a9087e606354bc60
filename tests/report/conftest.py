"""The demo report, written once per test session for the report tests that read it."""

import pytest

from kaizen_eval.pipeline.demo import run_demo


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """Return (folder, summary) of ``run_demo`` on the bundled trials."""
    out = tmp_path_factory.mktemp("demo") / "report"
    return out, run_demo(out, progress=False)
