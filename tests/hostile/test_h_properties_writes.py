"""Property tests: assignment counts, determinism and order independence; report writes that are
interrupted at any step never leave a report that looks complete (issue 11)."""

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kaizen_eval as ke
from kaizen_eval.report import IncompleteReportError, Report, verify_report

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def designs(draw):
    sizes = draw(st.lists(st.integers(1, 25), min_size=1, max_size=5))
    n_arms = draw(st.integers(1, 3))
    shares = draw(
        st.lists(
            st.sampled_from([0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5]), min_size=n_arms, max_size=n_arms
        ).filter(lambda s: sum(s) <= 1 + 1e-12)
    )
    ids = draw(st.permutations(range(sum(sizes))))
    seed = draw(st.integers(0, 2**32 - 1))
    strata = np.repeat([f"s{i}" for i in range(len(sizes))], sizes)
    f = pd.DataFrame({"firm_id": [f"ID{i:04d}" for i in ids], "stratum": strata})
    arms = {f"arm{j}": s for j, s in enumerate(shares)}
    return f, arms, seed


@SETTINGS
@given(designs())
def test_exact_counts_per_stratum_and_arm(d):
    f, arms, seed = d
    asg = ke.assign(f, arms=arms, strata="stratum", seed=seed)
    table = asg.frame.merge(f, on="firm_id")
    assert len(table) == len(f)
    assert (table[list(arms)].sum(axis=1) <= 1).all()  # at most one arm per firm
    for _, block in table.groupby("stratum"):
        m = len(block)
        for arm, p in arms.items():
            exact = Fraction(p).limit_denominator(1000) * m
            got = int(block[arm].sum())
            assert math.floor(exact) <= got <= math.ceil(exact), (arm, m, got)
        control = m - int(block[list(arms)].to_numpy().sum())
        rest = (1 - sum(Fraction(p).limit_denominator(1000) for p in arms.values())) * m
        assert math.floor(rest) <= control <= math.ceil(rest)


@SETTINGS
@given(designs(), st.randoms(use_true_random=False))
def test_same_seed_same_draw_whatever_the_row_order(d, rnd):
    f, arms, seed = d
    a = ke.assign(f, arms=arms, strata="stratum", seed=seed)
    order = list(range(len(f)))
    rnd.shuffle(order)
    b = ke.assign(f.iloc[order], arms=arms, strata="stratum", seed=seed)
    assert a.frame.equals(b.frame)
    assert a.manifest["result_sha256"] == b.manifest["result_sha256"]
    b.verify(f)


# --- interrupted report writes ----------------------------------------------------------------
class Boom(Exception):
    pass


def _report(title, n_tables):
    rep = Report(title, plan_hash="h")
    for i in range(n_tables):
        rep.add_table(f"t{i}", pd.DataFrame({"x": [float(i)]}), heading=f"T{i}")
    return rep


def _count_writes(monkeypatch, fail_at):
    """Patch the file writers the report uses; raise ``Boom`` on the ``fail_at``-th write."""
    calls = {"n": 0}

    def wrap(original):
        def writer(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == fail_at:
                raise Boom(f"write {fail_at} failed")
            return original(*args, **kwargs)

        return writer

    monkeypatch.setattr(Path, "write_text", wrap(Path.write_text))
    monkeypatch.setattr(pd.DataFrame, "to_csv", wrap(pd.DataFrame.to_csv))
    return calls


@pytest.mark.parametrize("old", [False, True], ids=["no-old-report", "old-report"])
@SETTINGS
@given(n_tables=st.integers(1, 4), data=st.data())
def test_a_write_interrupted_at_any_step_never_looks_complete(
    tmp_path_factory, old, n_tables, data
):
    out = tmp_path_factory.mktemp("w") / "report"
    if old:
        _report("old", 2).write(out)
        before = verify_report(out)
    with pytest.MonkeyPatch.context() as mp:
        total = _count_writes(mp, fail_at=0)
        _report("probe", n_tables).write(out.with_name("probe"))
    n_writes = total["n"]
    assert n_writes >= 4 * n_tables + 3  # csv, tex, md, html per table; page, md, provenance, seal
    fail_at = data.draw(st.integers(1, n_writes), label="fail_at")
    with pytest.MonkeyPatch.context() as mp:
        _count_writes(mp, fail_at)
        with pytest.raises(Boom):
            _report("new", n_tables).write(out, overwrite=True)
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".report.")]
    assert leftovers == []
    if old:
        assert verify_report(out) == before
        assert "old" in (out / "index.html").read_text()
    else:
        assert not out.exists()
        with pytest.raises(IncompleteReportError, match="no report folder"):
            verify_report(out)
