"""Hostile plans and command lines: paths stay in the plan's folder, bad values are named errors,
and the CLI answers every user mistake with a one-paragraph message, never a traceback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kaizen_eval.cli import main
from kaizen_eval.pipeline import PlanError, load_plan, parse_plan
from kaizen_eval.pipeline.plan import PlanPathError
from kaizen_eval.report import verify_report

SECRET = "Ama Mensah,0244123456"

PLAN = """
title = "Tiny"
[data]
waves = { baseline = "baseline.csv", followup = "followup.csv" }
[design]
assignment = ["invited"]
strata = "stratum"
baseline_wave = "baseline"
[[families]]
name = "perf"
outcomes = ["sales"]
wave = "followup"
"""

CB = """
[cost_benefit]
outcome = "sales"
cost = 740
"""


def tiny_waves(folder: Path, n: int = 40) -> None:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    base = {
        "firm_id": [f"F{i:03d}" for i in range(n)],
        "invited": np.tile([0, 1], n // 2),
        "stratum": np.repeat(["a", "b"], n // 2),
        "status": "interviewed",
    }
    for w in ("baseline", "followup"):
        pd.DataFrame({**base, "sales": rng.normal(100, 10, n)}).to_csv(folder / f"{w}.csv")


@pytest.fixture
def plan_dir(tmp_path):
    d = tmp_path / "project"
    tiny_waves(d)
    (d / "plan.toml").write_text(PLAN)
    return d


def with_cb(line: str) -> str:
    return PLAN + CB + line + "\n"


# --- paths ------------------------------------------------------------------------------------
def test_a_wave_outside_the_plan_folder_is_refused_without_showing_its_content(tmp_path):
    (tmp_path / "x.csv").write_text(SECRET + "\n")
    base = tmp_path / "a" / "b"
    base.mkdir(parents=True)
    text = PLAN.replace('followup = "followup.csv"', 'followup = "../../x.csv"')
    with pytest.raises(
        PlanPathError,
        match=r"'data.waves.followup' is '../../x.csv', which points "
        r"outside the plan's folder",
    ) as err:
        parse_plan(text, base=base)
    assert "Ama" not in str(err.value) and "0244" not in str(err.value)


def test_an_absolute_path_outside_is_refused(tmp_path):
    text = PLAN.replace('"baseline.csv"', '"/etc/passwd"')
    with pytest.raises(PlanPathError, match=r"'data.waves.baseline' is '/etc/passwd'"):
        parse_plan(text, base=tmp_path)


def test_a_symlink_inside_that_points_outside_is_refused(tmp_path):
    (tmp_path / "outside.csv").write_text(SECRET)
    inner = tmp_path / "plan"
    inner.mkdir()
    try:
        (inner / "baseline.csv").symlink_to(tmp_path / "outside.csv")
    except OSError:
        pytest.skip("no symbolic links here")
    with pytest.raises(PlanPathError, match=r"'data.waves.baseline' .* points outside"):
        parse_plan(PLAN, base=inner)


def test_an_explicit_data_root_allows_a_shared_folder(tmp_path):
    shared = tmp_path / "shared"
    inner = tmp_path / "plan"
    inner.mkdir()
    text = PLAN.replace('"baseline.csv"', '"../shared/baseline.csv"')
    plan = parse_plan(text, base=inner, data_root=shared)
    assert plan.data.waves["baseline"] == (shared / "baseline.csv").resolve()


def test_a_codebook_outside_is_refused_by_its_key(tmp_path):
    text = PLAN.replace("[design]", 'codebook = "../codebook.csv"\n[design]')
    with pytest.raises(PlanPathError, match=r"'data.codebook' is '../codebook.csv'"):
        parse_plan(text, base=tmp_path / "p")


def test_an_empty_path_is_refused(tmp_path):
    with pytest.raises(PlanPathError, match=r"'data.waves.baseline' must be a file path"):
        parse_plan(PLAN.replace('"baseline.csv"', '""'), base=tmp_path)


# --- values -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("years = 2.9", r"'cost_benefit.years' must be a whole number .* 2.9, which would have to"),
        ("years = 0", r"'cost_benefit.years' must be an integer >= 1; it is 0"),
        ('years = "3"', r"'cost_benefit.years' must be a int or float; it is str '3'"),
        ("years = true", r"'cost_benefit.years' must be a int or float; it is bool True"),
        ("discount_rate = 1.5", r"'cost_benefit.discount_rate' must be a finite number >= 0 and"),
        ("discount_rate = nan", r"'cost_benefit.discount_rate' must be a finite number"),
        ("decay = -0.1", r"'cost_benefit.decay' must be a finite number >= 0 and <= 1"),
        ("decay = inf", r"'cost_benefit.decay' must be a finite number"),
        ("term = 3", r"'cost_benefit.term' must be a str; it is int 3"),
    ],
)
def test_bad_cost_benefit_values_name_the_key(tmp_path, line, message):
    with pytest.raises(PlanError, match=message):
        parse_plan(with_cb(line), base=tmp_path)


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("-5", r"'cost_benefit.cost' must be a finite number > 0; it is -5.0"),
        ("0", r"'cost_benefit.cost' must be a finite number > 0; it is 0.0"),
        ("nan", r"'cost_benefit.cost' must be a finite number > 0; it is nan"),
        ("inf", r"'cost_benefit.cost' must be a finite number > 0; it is inf"),
    ],
)
def test_bad_costs_name_the_key(tmp_path, cost, message):
    with pytest.raises(PlanError, match=message):
        parse_plan(PLAN + CB.replace("740", cost), base=tmp_path)


def test_whole_years_written_as_a_float_are_kept_exactly(tmp_path):
    plan = parse_plan(with_cb("years = 3.0"), base=tmp_path)
    assert plan.cost_benefit[0].years == 3 and isinstance(plan.cost_benefit[0].years, int)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ri_draws = 10.5", r"'estimate.ri_draws' must be a whole number"),
        ("ri_draws = -1", r"'estimate.ri_draws' must be an integer >= 0; it is -1"),
        ("seed = -3", r"plan key `estimate.seed` must be a non-negative integer. You passed: -3"),
        ('seed = "abc"', r"`estimate.seed` must be a non-negative integer. You passed: 'abc'"),
        ("seed = 1.5", r"`estimate.seed` must be a non-negative integer. You passed: 1.5"),
        ('se = "HC9"', r"'estimate.se' must be one of .* it is 'HC9'"),
        ('estimands = ["itt", "tot"]', r"'estimate.estimands' must be one of .* 'tot'"),
    ],
)
def test_bad_estimate_values_name_the_key(tmp_path, line, message):
    with pytest.raises(PlanError, match=message):
        parse_plan(PLAN + "[estimate]\n" + line + "\n", base=tmp_path)


@pytest.mark.parametrize(
    ("structure", "message"),
    [
        (
            "participants = 0.5, fixed = { a = 1 }",
            r"'cost_benefit.structure.participants' must "
            r"be a whole number",
        ),
        (
            "participants = 0, fixed = { a = 1 }",
            r"'cost_benefit.structure.participants' must be "
            r"an integer >= 1",
        ),
        (
            "participants = 10, fixed = { a = -1 }",
            r"'cost_benefit.structure.fixed.a' must be a "
            r"finite number >= 0",
        ),
        (
            "participants = 10, invited = 2.5, fixed = { a = 1 }",
            r"structure.invited' must be a "
            r"whole number",
        ),
        ("participants = 10", r"'cost_benefit.structure' needs 'fixed' and/or 'per_participant'"),
    ],
)
def test_bad_cost_structures_name_the_key(tmp_path, structure, message):
    text = PLAN + CB.replace("cost = 740", "structure = { " + structure + " }")
    with pytest.raises(PlanError, match=message):
        parse_plan(text, base=tmp_path)


def test_duplicate_family_names_are_refused(tmp_path):
    text = PLAN + '[[families]]\nname = "perf"\noutcomes = ["sales"]\nwave = "baseline"\n'
    with pytest.raises(PlanError, match=r"'families\[1\].name' is 'perf', the name of an earlier"):
        parse_plan(text, base=tmp_path)


def test_duplicate_cost_benefit_labels_are_refused(tmp_path):
    table = '[[cost_benefit]]\nlabel = "x"\noutcome = "sales"\ncost = 1\n'
    with pytest.raises(PlanError, match=r"'cost_benefit\[1\].label' is 'x', the label of an"):
        parse_plan(PLAN + table + table, base=tmp_path)


def test_empty_names_are_refused(tmp_path):
    with pytest.raises(PlanError, match=r"plan key 'data.id' must not be empty"):
        parse_plan(PLAN.replace("[data]", '[data]\nid = ""'), base=tmp_path)
    with pytest.raises(PlanError, match=r"plan key 'families\[0\].name' must not be empty"):
        parse_plan(PLAN.replace('name = "perf"', 'name = ""'), base=tmp_path)


def test_missing_families_and_unknown_keys_are_named(tmp_path):
    with pytest.raises(PlanError, match=r"missing the required key 'families'"):
        parse_plan(PLAN[: PLAN.index("[[families]]")], base=tmp_path)
    with pytest.raises(PlanError, match=r"unknown key 'design.strtaa'.*Did you mean 'strata'"):
        parse_plan(PLAN.replace("strata =", "strtaa ="), base=tmp_path)


def test_a_plan_that_is_not_text_is_a_named_error(tmp_path):
    p = tmp_path / "plan.toml"
    p.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(PlanError, match=r"is not UTF-8 text"):
        load_plan(p)
    with pytest.raises(TypeError, match=r"`text` must be the plan's TOML text"):
        parse_plan(b"title = 'x'")  # type: ignore[arg-type]


# --- command line (in process; one subprocess check of the exit code and stderr) ---------------
def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert out.err.count("\n\n") == 0  # one paragraph
    return code, out.out, " ".join(out.err.split())


def test_cli_run_twice_refuses_then_force_replaces(plan_dir, tmp_path, capsys):
    out = tmp_path / "report"
    code, _, err = run_cli(capsys, "run", plan_dir / "plan.toml", "--out", out, "--quiet")
    assert code == 0, err
    first = verify_report(out)
    code, _, err = run_cli(capsys, "run", plan_dir / "plan.toml", "--out", out, "--quiet")
    assert code == 2 and "already exists; pass --force to replace it" in err
    assert "Traceback" not in err and verify_report(out) == first
    code, _, err = run_cli(
        capsys, "run", plan_dir / "plan.toml", "--out", out, "--quiet", "--force"
    )
    assert code == 0, err
    assert verify_report(out)["created"] >= first["created"]


def test_cli_run_refuses_a_path_outside_and_does_not_print_it(plan_dir, tmp_path, capsys):
    (tmp_path / "secret.csv").write_text(SECRET + "\n")
    (plan_dir / "plan.toml").write_text(PLAN.replace('"followup.csv"', '"../secret.csv"'))
    code, _, err = run_cli(capsys, "run", plan_dir / "plan.toml", "--out", tmp_path / "r")
    assert code == 2 and "points outside the plan's folder" in err
    assert "Ama" not in err and "0244" not in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_cli_data_root_allows_a_shared_folder(plan_dir, tmp_path, capsys):
    shared = tmp_path / "shared"
    tiny_waves(shared)
    (plan_dir / "plan.toml").write_text(PLAN.replace('"followup.csv"', '"../shared/followup.csv"'))
    code, _, err = run_cli(
        capsys,
        "run",
        plan_dir / "plan.toml",
        "--out",
        tmp_path / "r",
        "--quiet",
        "--data-root",
        shared,
    )
    assert code == 0, err
    verify_report(tmp_path / "r")


def test_cli_bad_plan_value_is_a_one_paragraph_message(plan_dir, tmp_path, capsys):
    (plan_dir / "plan.toml").write_text(with_cb("years = 2.9"))
    code, _, err = run_cli(capsys, "run", plan_dir / "plan.toml", "--out", tmp_path / "r")
    assert code == 2 and "cost_benefit.years" in err and "2.9" in err
    assert err.count("\n\n") == 0 and "Traceback" not in err


def test_cli_out_is_a_file(plan_dir, tmp_path, capsys):
    (tmp_path / "r").write_text("x")
    code, _, err = run_cli(
        capsys, "run", plan_dir / "plan.toml", "--out", tmp_path / "r", "--force"
    )
    assert code == 2 and "exists and is a file, not a folder" in err


def test_cli_plan_that_is_a_folder(plan_dir, tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", plan_dir, "--out", tmp_path / "r")
    assert code == 2 and "analysis plan not found" in err


def test_cli_assign_twice_and_tampered_manifest(tmp_path, capsys):
    frame = tmp_path / "frame.csv"
    pd.DataFrame({"firm_id": [f"F{i}" for i in range(10)], "s": ["a", "b"] * 5}).to_csv(
        frame, index=False
    )
    asg = tmp_path / "asg.csv"
    assert run_cli(capsys, "assign", frame, "--out", asg, "--seed", "3", "--strata", "s")[0] == 0
    code, _, err = run_cli(capsys, "assign", frame, "--out", asg, "--seed", "4")
    assert code == 2 and "already exists; an assignment is never overwritten" in err
    mpath = tmp_path / "asg.manifest.json"
    man = json.loads(mpath.read_text())
    del man["arguments"]["strata"]
    mpath.write_text(json.dumps(man))
    code, _, err = run_cli(capsys, "verify", asg, frame)
    assert code == 2 and "no key 'arguments.strata'" in err and "Traceback" not in err


def test_cli_assign_bad_arms_and_bad_shares(tmp_path, capsys):
    frame = tmp_path / "frame.csv"
    pd.DataFrame({"firm_id": range(6)}).to_csv(frame, index=False)
    code, _, err = run_cli(
        capsys, "assign", frame, "--out", tmp_path / "a.csv", "--seed", "1", "--arms", "invited=abc"
    )
    assert code == 2 and "--arms takes NAME=SHARE pairs" in err
    code, _, err = run_cli(
        capsys,
        "assign",
        frame,
        "--out",
        tmp_path / "a.csv",
        "--seed",
        "1",
        "--arms",
        "a=0.6",
        "b=0.6",
    )
    assert code == 2 and "shares sum to 1.2 > 1" in err


def test_cli_subprocess_exit_code_and_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    bad = tmp_path / "plan.toml"
    bad.write_text(with_cb("years = -1"))
    proc = subprocess.run(
        [sys.executable, "-m", "kaizen_eval", "run", str(bad), "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "'cost_benefit.years' must be an integer >= 1; it is -1" in proc.stderr
    assert "Traceback" not in proc.stderr
