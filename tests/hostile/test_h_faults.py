"""Fault tests: `kaizen-eval run` killed at random points, and two processes racing for one
report folder or one assignment path (issue 11). Every check reads the folder afterwards: it is
absent or a complete report (``verify_report``), never a mix."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval.pipeline import load_plan
from kaizen_eval.pipeline.run import run_plan
from kaizen_eval.report import verify_report

SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}

PLAN = """
title = "{title}"
[data]
waves = {{ baseline = "baseline.csv", followup = "followup.csv" }}
[design]
assignment = ["invited"]
strata = "stratum"
baseline_wave = "baseline"
[[families]]
name = "{family}"
outcomes = ["sales"]
wave = "followup"
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    d = tmp_path_factory.mktemp("project")
    rng = np.random.default_rng(7)
    n = 40
    base = {
        "firm_id": [f"F{i:03d}" for i in range(n)],
        "invited": np.tile([0, 1], n // 2),
        "stratum": np.repeat(["a", "b"], n // 2),
        "status": "interviewed",
    }
    for w in ("baseline", "followup"):
        pd.DataFrame({**base, "sales": rng.normal(100, 10, n)}).to_csv(d / f"{w}.csv")
    for name in ("A", "B"):
        (d / f"plan_{name}.toml").write_text(PLAN.format(title=f"Plan {name}", family=f"fam{name}"))
    pd.DataFrame({"firm_id": base["firm_id"], "stratum": base["stratum"]}).to_csv(
        d / "frame.csv", index=False
    )
    return d


def cli(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "kaizen_eval", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def hidden(folder):
    return [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


def assert_absent_or_complete(out, titles):
    if not out.exists():
        return None
    verify_report(out)  # raises IncompleteReportError on any mix
    page = (out / "index.html").read_text()
    found = [t for t in titles if f"<h1>{t}</h1>" in page]
    assert len(found) == 1, found
    return found[0]


def test_killed_runs_leave_the_old_report_or_a_complete_new_one(project, tmp_path):
    rng = np.random.default_rng(20261202)
    out = tmp_path / "report"
    fresh = tmp_path / "fresh"
    run_plan(project / "plan_A.toml", out)  # the old, complete report
    mid_write = 0
    for i, (target, force) in enumerate([(out, True), (out, True), (fresh, False)]):
        proc = cli("run", project / "plan_B.toml", "--out", target, *(["--force"] * force))
        if i == 1:
            time.sleep(rng.uniform(0.2, 3.0))  # anywhere in start-up or the analysis
        else:  # while the report is being written: its first table file is in the temp folder
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if any(target.parent.glob(f".{target.name}.tmp-*/tables/*")):
                    time.sleep(rng.uniform(0.0, 0.05))
                    break
                time.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            mid_write += i != 1
        proc.wait(timeout=60)
        got = assert_absent_or_complete(target, ["Plan A", "Plan B"])
        if target == out:
            assert got in ("Plan A", "Plan B")  # the old report is never lost
    assert mid_write >= 1  # at least one kill landed while files were being written
    # the next write sweeps what the killed processes left behind
    run_plan(load_plan(project / "plan_B.toml"), out, overwrite=True)
    assert assert_absent_or_complete(out, ["Plan A", "Plan B"]) == "Plan B"
    assert hidden(out) == []


def test_two_runs_racing_for_one_folder_one_wins_and_nothing_mixes(project, tmp_path):
    out = tmp_path / "report"
    procs = {p: cli("run", project / f"plan_{p}.toml", "--out", out, "--quiet") for p in "AB"}
    results = {p: (proc.wait(timeout=120), proc.stderr.read()) for p, proc in procs.items()}
    winners = [p for p, (rc, _) in results.items() if rc == 0]
    assert len(winners) == 1, results
    loser = next(p for p in "AB" if p not in winners)
    rc, err = results[loser]
    assert rc == 2 and "already exists; pass --force" in err and "Traceback" not in err
    assert assert_absent_or_complete(out, ["Plan A", "Plan B"]) == f"Plan {winners[0]}"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["plan_sha256"] == load_plan(project / f"plan_{winners[0]}.toml").sha256
    assert sorted(p.name for p in (out / "tables").iterdir() if p.suffix == ".csv") == sorted(
        f"fam{winners[0]}_itt.csv design.csv attrition.csv".split()
    )
    assert hidden(out) == []


def test_two_processes_racing_for_one_assignment(project, tmp_path):
    path = tmp_path / "asg.parquet"
    frame = project / "frame.csv"
    procs = {
        s: cli("assign", frame, "--out", path, "--strata", "stratum", "--seed", s) for s in (1, 2)
    }
    done = {s: (p.wait(timeout=120), " ".join(p.stderr.read().split())) for s, p in procs.items()}
    winners = [s for s, (rc, _) in done.items() if rc == 0]
    assert len(winners) == 1, done
    rc, err = done[3 - winners[0]]
    assert rc == 2 and "already exists; an assignment is never overwritten" in err
    assert "pass --force to replace it" in err.lower() and "Traceback" not in err
    back = ke.Assignment.read(path)
    assert back.manifest["seed"] == winners[0]
    back.verify(ke.read_wave(frame))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asg.manifest.json", "asg.parquet"]
