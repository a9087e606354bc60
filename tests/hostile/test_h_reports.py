"""Hostile cases for report writing: never half-written, mixed or silently overwritten."""

import json
import os
import subprocess
import sys
import threading

import pandas as pd
import pytest

from kaizen_eval import _atomic
from kaizen_eval._atomic import (
    OutputExistsError,
    OutputLockedError,
    atomic_file,
    atomic_folder,
    exclusive_lock,
    sweep_leftovers,
)
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline import run as run_mod
from kaizen_eval.report import IncompleteReportError, Report, verify_report


def small_report(title="R", tables=("a", "b")):
    rep = Report(title, plan_hash="p" * 8)
    rep.add_text("Intro", f"report {title}")
    for i, name in enumerate(tables):
        rep.add_table(name, pd.DataFrame({"x": [float(i), 2.0]}), caption=name, heading=name)
    return rep


def siblings(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def test_second_write_into_a_report_folder_is_refused_and_keeps_the_first(tmp_path):
    out = small_report("first").write(tmp_path / "r")
    with pytest.raises(OutputExistsError, match=r"r' already exists; pass overwrite=True"):
        small_report("second").write(out)
    assert "first" in (out / "index.html").read_text()
    verify_report(out)


def test_overwrite_replaces_the_whole_folder_without_stale_tables(tmp_path):
    out = small_report("first", tables=("old_only", "a")).write(tmp_path / "r")
    small_report("second", tables=("a",)).write(out, overwrite=True)
    assert not (out / "tables" / "old_only.csv").exists()
    assert "second" in (out / "index.html").read_text()
    assert sorted(verify_report(out)["files"]) == sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.name != "manifest.json" and p.is_file()
    )
    assert siblings(out) == []


def test_an_existing_empty_folder_counts_as_absent(tmp_path):
    (tmp_path / "r").mkdir()
    small_report().write(tmp_path / "r")
    verify_report(tmp_path / "r")


def test_a_file_where_the_folder_should_be_is_refused(tmp_path):
    (tmp_path / "r").write_text("not a folder")
    with pytest.raises(OutputExistsError, match=r"exists and is a file, not a folder"):
        small_report().write(tmp_path / "r", overwrite=True)
    assert (tmp_path / "r").read_text() == "not a folder"


def test_a_write_that_fails_half_way_leaves_nothing(tmp_path):
    rep = small_report()
    rep.add_table("people", pd.DataFrame({"owner_name": ["Ama Mensah"], "sales": [1.0]}))
    with pytest.raises(KaizenError, match="owner_name"):
        rep.write(tmp_path / "r")
    assert not (tmp_path / "r").exists()
    assert siblings(tmp_path / "r") == []


def test_a_failed_overwrite_keeps_the_old_complete_report(tmp_path):
    out = small_report("old").write(tmp_path / "r")
    before = verify_report(out)
    rep = small_report("new")
    rep.add_table("people", pd.DataFrame({"owner_phone": ["0244123456"]}))
    with pytest.raises(KaizenError, match="owner_phone"):
        rep.write(out, overwrite=True)
    assert verify_report(out) == before
    assert "old" in (out / "index.html").read_text()


def test_verify_report_refuses_a_folder_without_manifest(tmp_path):
    out = small_report().write(tmp_path / "r")
    (out / "manifest.json").unlink()
    with pytest.raises(IncompleteReportError, match=r"not a complete report: it has no manifest"):
        verify_report(out)


def test_verify_report_names_a_stale_file_from_another_run(tmp_path):
    out = small_report().write(tmp_path / "r")
    (out / "tables" / "from_other_plan.csv").write_text("x\n1\n")
    with pytest.raises(IncompleteReportError, match=r"not listed: tables/from_other_plan.csv"):
        verify_report(out)


def test_verify_report_names_a_changed_file(tmp_path):
    out = small_report().write(tmp_path / "r")
    (out / "tables" / "a.csv").write_text("x\n99\n")
    with pytest.raises(IncompleteReportError, match=r"changed: tables/a.csv"):
        verify_report(out)


def test_verify_report_names_a_missing_file(tmp_path):
    out = small_report().write(tmp_path / "r")
    (out / "index.html").unlink()
    with pytest.raises(IncompleteReportError, match=r"missing: index.html"):
        verify_report(out)


def test_verify_report_refuses_a_damaged_manifest(tmp_path):
    out = small_report().write(tmp_path / "r")
    (out / "manifest.json").write_text('{"files": ')
    with pytest.raises(IncompleteReportError, match=r"not a report manifest"):
        verify_report(out)
    (out / "manifest.json").write_text(json.dumps({"complete": False, "files": {}}))
    with pytest.raises(IncompleteReportError, match=r"not marked complete"):
        verify_report(out)


def test_verify_report_of_no_folder(tmp_path):
    with pytest.raises(IncompleteReportError, match=r"no report folder at"):
        verify_report(tmp_path / "nothing")


def test_report_item_names_cannot_leave_the_folder(tmp_path):
    rep = Report("x")
    with pytest.raises(KaizenError, match=r"report item name '../evil' must be letters"):
        rep.add_table("../evil", pd.DataFrame({"x": [1]}))
    with pytest.raises(KaizenError, match=r"report item name 'a/b' must be letters"):
        rep.add_figure("a/b", object())


def test_leftovers_of_a_dead_writer_are_swept_but_not_a_live_ones(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(proc.stdout)
    stale = tmp_path / f".r.tmp-{dead}-deadbeef"
    stale.mkdir()
    live = tmp_path / f".r.tmp-{os.getpid()}-cafecafe"
    live.mkdir()
    assert sweep_leftovers(tmp_path / "r") == [stale]
    assert not stale.exists() and live.exists()


def test_atomic_file_failure_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_file(target, overwrite=True) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_atomic_file_keeps_the_suffix_for_format_by_suffix_writers(tmp_path):
    with atomic_file(tmp_path / "t.parquet") as tmp:
        assert tmp.suffix == ".parquet" and tmp.parent == tmp_path
        pd.DataFrame({"x": [1]}).to_parquet(tmp)
    assert pd.read_parquet(tmp_path / "t.parquet")["x"].tolist() == [1]


def test_atomic_file_loses_a_race_it_would_have_overwritten(tmp_path):
    target = tmp_path / "t.txt"
    with pytest.raises(OutputExistsError, match=r"already exists"), atomic_file(target) as tmp:
        tmp.write_text("mine")
        target.write_text("theirs")  # another process wrote it meanwhile
    assert target.read_text() == "theirs"


def test_atomic_folder_loses_a_race_without_mixing(tmp_path):
    target = tmp_path / "r"
    with pytest.raises(OutputExistsError, match=r"already exists"), atomic_folder(target) as tmp:
        (tmp / "index.html").write_text("mine")
        small_report("theirs").write(target)  # another writer finished first
    assert "theirs" in (target / "index.html").read_text()
    verify_report(target)
    assert siblings(target) == []


def test_exclusive_lock_times_out_with_a_named_error(tmp_path):
    target = tmp_path / "a.parquet"
    with exclusive_lock(target):
        with pytest.raises(OutputLockedError, match=r"another process is writing .*a.parquet"):
            with exclusive_lock(target, timeout=0.1):
                pass
    with exclusive_lock(target, timeout=0.1):  # released
        pass
    assert not (tmp_path / ".a.parquet.lock").exists()


def test_lock_serialises_threads(tmp_path):
    target, inside, overlap = tmp_path / "x", [], []

    def work():
        with exclusive_lock(target, timeout=10):
            inside.append(1)
            overlap.append(len(inside))
            threading.Event().wait(0.05)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [1, 1, 1, 1]


def test_run_plan_refuses_an_existing_report_before_any_work(tmp_path, monkeypatch):
    out = small_report().write(tmp_path / "r")

    def no_work(*a, **k):
        raise AssertionError("analysis started although the output exists")

    monkeypatch.setattr(run_mod, "analyse", no_work)
    monkeypatch.setattr(
        run_mod,
        "load_plan",
        lambda *a, **k: run_mod.Plan(title="t", data=None, design=None, families=()),
    )
    with pytest.raises(OutputExistsError, match=r"already exists; pass --force"):
        run_mod.run_plan("plan.toml", out, flag="--force")


def test_run_plan_failing_half_way_keeps_the_old_report(tmp_path, monkeypatch):
    out = small_report("old").write(tmp_path / "r")
    before = verify_report(out)

    def half(plan, report, **kw):
        report.add_table("new_table", pd.DataFrame({"x": [1.0]}))
        raise KaizenError("family 'perf' names outcome(s) ['x'] that the data do not have")

    monkeypatch.setattr(run_mod, "analyse", half)
    plan = run_mod.Plan(title="t", data=None, design=None, families=())
    with pytest.raises(KaizenError, match=r"family 'perf'"):
        run_mod.run_plan(plan, out, overwrite=True)
    assert verify_report(out) == before
    assert not (out / "tables" / "new_table.csv").exists()
    assert siblings(out) == []


def test_atomic_module_documents_its_public_api():
    assert set(_atomic.__all__) >= {"atomic_file", "atomic_folder", "exclusive_lock"}
    for name in _atomic.__all__:
        assert getattr(_atomic, name).__doc__, name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only")
def test_an_overwrite_never_leaves_the_folder_missing(tmp_path):
    out = small_report("v0").write(tmp_path / "r")
    stop, missing = threading.Event(), []

    def watch():
        while not stop.is_set():
            if not (out / "index.html").exists():
                missing.append(1)

    t = threading.Thread(target=watch)
    t.start()
    try:
        for i in range(1, 6):
            small_report(f"v{i}").write(out, overwrite=True)
    finally:
        stop.set()
        t.join()
    assert missing == []
    assert "v5" in (out / "index.html").read_text()


def test_overwrite_without_an_atomic_swap_still_replaces_cleanly(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    out = small_report("old", tables=("gone",)).write(tmp_path / "r")
    small_report("new", tables=("kept",)).write(out, overwrite=True)
    assert sorted(p.name for p in (out / "tables").iterdir())[0].startswith("kept")
    verify_report(out)
    assert siblings(out) == []


def test_a_report_folder_reached_through_a_symlink_is_replaced_behind_the_link(tmp_path):
    real = small_report("old").write(tmp_path / "real")
    link = tmp_path / "link"
    try:
        link.symlink_to(real, target_is_directory=True)
    except OSError:
        pytest.skip("no symbolic links here")
    small_report("new").write(link, overwrite=True)
    assert link.is_symlink() and "new" in (real / "index.html").read_text()
    verify_report(link)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
