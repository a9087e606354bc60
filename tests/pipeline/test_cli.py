"""The command line, run as a subprocess the way scripts use it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import kaizen_eval as ke


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kaizen_eval", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def assert_user_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = cli("demo", "--out", out, "--quiet", "--json")
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(proc.stdout)


def test_help_lists_every_command():
    proc = cli("--help")
    assert proc.returncode == 0
    for cmd in [
        "demo",
        "simulate",
        "assign",
        "verify",
        "balance",
        "estimate",
        "cost-benefit",
        "report",
        "run",
        "pool",
    ]:
        assert cmd in proc.stdout
    assert cli().returncode == 2


def test_demo_writes_a_report_whose_estimates_cover_the_truth(demo):
    out, summary = demo
    page = (out / "index.html").read_text()
    assert page.count("<table") >= 20 and page.count("data:image/png;base64,") >= 6
    for f in [
        "report.md",
        "provenance.json",
        "tables/truth.csv",
        "tables/published.tex",
        "figures/ghana_performance_late_coefplot.svg",
    ]:
        assert (out / f).exists(), f
    truth = pd.DataFrame(summary["truth"])
    assert set(truth["site"]) == {"ghana", "tanzania"}
    assert truth["covered"].all(), truth
    published = pd.read_csv(out / "tables" / "published.csv", index_col=0)
    assert published["one-year BCR"].round(4).tolist() == [18.7703, 1.4392, 1.9765]
    prov = json.loads((out / "provenance.json").read_text())
    assert len(prov["data_hashes"]) == 4  # two waves per site


def test_demo_report_has_no_personal_data(demo):
    out, _ = demo
    text = (out / "index.html").read_text() + (out / "report.md").read_text()
    waves = ke.synthetic.simulate_trial("ghana", seed=21).waves
    names = waves["baseline"]["owner_name"].dropna().head(20)
    assert not any(name in text for name in names)
    assert "owner_phone" not in text


def test_run_a_plan_and_bad_plans(demo, tmp_path):
    out, _ = demo
    plan = out / "data" / "ghana" / "plan.toml"
    proc = cli("run", plan, "--out", tmp_path / "r", "--json")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert "performance:late:value_added" in res["estimates"]
    assert res["cost_benefit"]["classroom"]["bcr"] > 0

    text = plan.read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[estimate]", "[estimates]"))
    assert_user_error(cli("run", bad, "--out", tmp_path / "x"), "estimates", "Did you mean")
    bad.write_text(text.replace('outcomes = ["value_added"]', 'outcomes = ["valu_added"]'))
    assert_user_error(cli("run", bad, "--out", tmp_path / "x"), "valu_added")
    assert_user_error(
        cli("run", tmp_path / "missing.toml", "--out", tmp_path / "x"), "analysis plan not found"
    )


def test_pool_runs_the_sites_plans_and_pools_them_as_the_demo_does(demo, tmp_path):
    out, _ = demo
    data = out / "data"
    sites = [f"ghana={data / 'ghana' / 'plan.toml'}", f"tanzania={data / 'tanzania' / 'plan.toml'}"]
    proc = cli("pool", "--site", *sites, "--pool", data / "pool.toml", "--out", tmp_path / "p",
               "--quiet", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["sites"] == ["Ghana", "Tanzania"]
    # the same plans and pool plan: the same cross-site tables as the demo report's
    tables = sorted(p.name for p in (out / "tables").glob("cross_site*.csv"))
    assert tables
    for name in tables:
        mine = pd.read_csv(tmp_path / "p" / "tables" / name)
        pd.testing.assert_frame_equal(mine, pd.read_csv(out / "tables" / name))
    assert (tmp_path / "p" / "tables" / "ghana_management_itt.csv").exists()
    mu = next(r for r in payload["pooled"] if r["term"] == "mu")
    demo_mu = pd.read_csv(out / "tables" / "cross_site_pooled.csv", index_col="quantity")
    assert mu["estimate"] == pytest.approx(demo_mu.loc["Average effect (μ)", "value"], rel=1e-12)
    # bad input: named, exit code 2, nothing written
    assert_user_error(
        cli("pool", "--site", sites[0], "--pool", data / "pool.toml", "--out", tmp_path / "q"),
        "at least two sites",
    )
    assert_user_error(
        cli("pool", "--site", "ghana", sites[1], "--pool", data / "pool.toml", "--out",
            tmp_path / "q"),
        "NAME=PLAN",
    )  # fmt: skip
    assert_user_error(
        cli("pool", "--site", sites[0], sites[0].replace("ghana=", "Ghana="), "--pool",
            data / "pool.toml", "--out", tmp_path / "q"),
        "print alike",
    )  # fmt: skip
    assert not (tmp_path / "q").exists()


def test_simulate_assign_verify(tmp_path):
    proc = cli("simulate", "tanzania", "--out", tmp_path / "tz", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "tz" / "truth.json").exists()
    frame = pd.read_parquet(tmp_path / "tz" / "baseline.parquet")[["firm_id", "stratum"]]
    frame.to_csv(tmp_path / "frame.csv", index=False)
    asg = tmp_path / "asg.parquet"
    args = ["assign", tmp_path / "frame.csv", "--out", asg, "--strata", "stratum", "--seed", "7"]
    proc = cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    per_stratum = frame.groupby("stratum").size()
    invited = json.loads(proc.stdout)["assigned"]["invited"]
    # exact halves per stratum; a stratum of odd size gives its leftover firm to a random arm
    assert (per_stratum // 2).sum() <= invited <= (per_stratum - per_stratum // 2).sum()
    assert_user_error(cli(*args), "exists")  # no overwrite without --force
    assert cli(*args, "--force").returncode == 0
    assert cli("verify", asg, tmp_path / "frame.csv").returncode == 0
    frame.iloc[:-1].to_csv(tmp_path / "changed.csv", index=False)
    assert_user_error(cli("verify", asg, tmp_path / "changed.csv"))


def test_estimate_balance_and_cost_benefit(tmp_path):
    trial = ke.synthetic.simulate_trial("ghana", seed=1)
    fu = trial.waves["followup"].copy()
    fu["y"] = fu["total_sales"] if "total_sales" in fu else fu["sales"]
    fu[["firm_id", "y", "invited", "attended", "stratum"]].to_csv(tmp_path / "d.csv", index=False)
    proc = cli(
        "estimate",
        "late",
        tmp_path / "d.csv",
        "--outcome",
        "y",
        "--treatment",
        "attended",
        "--instrument",
        "invited",
        "--fixed-effects",
        "stratum",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    df = pd.read_csv(tmp_path / "d.csv")
    ref = ke.late(
        df, outcome="y", treatment="attended", instrument="invited", fixed_effects="stratum"
    )
    assert got["terms"][0]["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert_user_error(
        cli("estimate", "itt", tmp_path / "d.csv", "--outcome", "nope", "--treatment", "invited"),
        "nope",
    )
    proc = cli("balance", tmp_path / "d.csv", "--treatment", "invited", "--covariates", "y")
    assert proc.returncode == 0 and "|" in proc.stdout
    proc = cli("cost-benefit", "--gain", "13890", "--cost", "740", "--json")
    assert json.loads(proc.stdout)["bcr"] == pytest.approx(13890 / 740, rel=1e-12)


def chromium_screenshot(page, png, height=6000):
    import os
    import shutil

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install it")
        pytest.skip("headless chromium not installed (Debian package `chromium`)")
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={png.parent / 'chromium-profile'}",
            f"--window-size=1100,{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert png.exists(), "chromium wrote no screenshot"


def test_report_renders_with_tables_and_figures_in_chromium(demo, tmp_path):
    import numpy as np
    from PIL import Image

    out, _ = demo
    png = tmp_path / "report.png"
    chromium_screenshot(out / "index.html", png)
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert img.shape[0] >= 6000 and img.shape[1] >= 1000
    ink = (img < 200).any(axis=2)
    assert ink.mean() > 0.02, "the rendered report is (almost) blank"
    # table rules and text are dark; figure markers and headings use the report blue #1f4e79
    blue = (
        (abs(img[..., 0] - 0x1F) < 30)
        & (abs(img[..., 1] - 0x4E) < 30)
        & (abs(img[..., 2] - 0x79) < 30)
    )
    assert blue.sum() > 2000, "no headings or plotted estimates visible"
    # ink is spread down the page (many tables and figures), not one block at the top
    rows_with_ink = ink.any(axis=1)
    assert rows_with_ink[: img.shape[0] // 2].mean() > 0.3
    assert rows_with_ink[img.shape[0] // 2 :].mean() > 0.3
