"""The report's cross-site section and its pool plan.

The pool plan's ``[pool]`` table is checked like a site plan's tables (unknown keys and wrong
types name the key). The section's numbers, read back from the written tables at full precision,
are those of ``ke.pool_sites``, ``ke.leave_one_site_out`` (or pooling the other sites directly)
and ``ke.cost_benefit`` called here on the same site estimates; with two sites the warning that
tau is barely identified becomes a note while other warnings still reach the caller; the demo
report shows the section.
"""

import re
import warnings

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError, KaizenWarning
from kaizen_eval.pipeline._cross_site import cross_site_section
from kaizen_eval.pipeline.plan import PlanError, parse_plan
from kaizen_eval.pipeline.pool_plan import PoolSpec, RolloutSpec, load_pool, parse_pool
from kaizen_eval.pipeline.results import PlanEstimate, PlanResults
from kaizen_eval.report import Report

POOL = """
[pool]
family = "performance"
outcome = "value_added"
"""

ROLLOUT = """
[pool.rollout]
cost = 2905
cost_basis = "invited"
years = 3
discount_rate = 0.1
"""


# --- the pool plan --------------------------------------------------------------------------


def test_a_pool_plan_has_defaults_and_reads_the_rollout():
    assert parse_pool(POOL) == PoolSpec("performance", "value_added")
    spec = parse_pool(POOL + 'estimand = "late"\nterm = "attended"\nmethod = "DL"\nalpha = 0.1\n'
                      '[pool.rollout]\ncost = 740\nyears = 2.0\n')  # fmt: skip
    assert (spec.estimand, spec.term, spec.method, spec.test, spec.alpha) == (
        "late", "attended", "DL", "knha", 0.1
    )  # fmt: skip
    assert spec.rollout == RolloutSpec(cost=740.0, cost_basis="participant", years=2)
    assert isinstance(spec.rollout.years, int)
    full = parse_pool(POOL + ROLLOUT)
    assert full.rollout == RolloutSpec(2905.0, "invited", 3, 0.1)
    fe = parse_pool(POOL + 'method = "FE"')
    assert fe.test == "z"  # FE has no spread to rescale by
    bayes = parse_pool(POOL + 'method = "bayes"\nprior = "half_normal"\nprior_scale = 2000')
    assert (bayes.test, bayes.prior, bayes.prior_scale) == ("z", "half_normal", 2000.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (POOL + 'metod = "DL"', r"unknown key 'pool\.metod'.*Did you mean 'method'"),
        (POOL + ROLLOUT + "costs = 1", r"unknown key 'pool\.rollout\.costs'"),
        ("[pools]\nfamily = 'performance'", r"unknown key 'pools'"),
        ("title = 'x'", r"unknown key 'title'"),
        ("[other]\n", r"unknown key 'other'"),
        ('[pool]\noutcome = "value_added"', r"missing the required key 'pool\.family'"),
        ('[pool]\nfamily = "performance"\noutcome = 3', r"'pool\.outcome' must be a str"),
        ('[pool]\nfamily = ""\noutcome = "y"', r"'pool\.family' must not be empty"),
        (POOL + 'term = ""', r"'pool\.term' must not be empty"),
        (POOL + 'alpha = "0.05"', r"'pool\.alpha' must be a float; it is str"),
        (POOL + "alpha = 1.5", r"'pool\.alpha' must be a finite number > 0 and < 1"),
        (POOL + "alpha = true", r"'pool\.alpha' must be a float; it is bool"),
        (POOL + 'estimand = "ITT"', r"'pool\.estimand' must be one of 'itt', 'late', 'att'"),
        (POOL + 'method = "reml"', r"'pool\.method' must be one of .*'REML'"),
        (POOL + 'test = "t"', r"'pool\.test' must be one of 'z', 'knha'"),
        (POOL + 'method = "bayes"\ntest = "knha"', r"'pool\.test' is 'knha'.*'bayes'"),
        (POOL + 'prior = "half_cauchy"', r"'pool\.prior'.*apply to method 'bayes' only"),
        (POOL + 'method = "bayes"\nprior = "half_cauchy"', r"'pool\.prior_scale' goes with"),
        (POOL + 'method = "bayes"\nprior_scale = 1.0', r"'pool\.prior_scale' goes with"),
        (POOL + "rollout = 5", r"'pool\.rollout' must be a dict; it is int"),
        (POOL + "[pool.rollout]\nyears = 2", r"missing the required key 'pool\.rollout\.cost'"),
        (POOL + "[pool.rollout]\ncost = -1", r"'pool\.rollout\.cost' must be a finite number > 0"),
        (POOL + "[pool.rollout]\ncost = 'a'", r"'pool\.rollout\.cost' must be a float"),
        (POOL + "[pool.rollout]\ncost = 1\nyears = 2.5", r"'pool\.rollout\.years' must be a whole"),
        (POOL + "[pool.rollout]\ncost = 1\ncost_basis = 'firm'", r"'pool\.rollout\.cost_basis'"),
        (POOL + "[pool.rollout]\ncost = 1\ndecay = 2", r"'pool\.rollout\.decay' must be"),
        (POOL + "[pool.rollout]\ncost = 1\ntakeup = 0", r"'pool\.rollout\.takeup' must be"),
        (POOL + "[pool.rollout]\ncost = 1\ntakeup = 1.5", r"'pool\.rollout\.takeup' must be"),
        (
            POOL + "[pool.rollout]\ncost = 740",
            r"'pool\.rollout\.cost_basis' is 'participant'.*"
            r"per invited firm: set 'pool\.rollout\.takeup'",
        ),
        (POOL + 'estimand = "late"\n' + ROLLOUT, r"LATE is a gain per participant firm"),
        ("[pool", r"the pool plan is not valid TOML"),
    ],
)
def test_a_pool_plan_names_the_key_at_fault(text, message):
    with pytest.raises(PlanError, match=message):
        parse_pool(text)


def test_a_rollout_cost_per_participant_of_an_itt_needs_the_takeup():
    spec = parse_pool(POOL + "[pool.rollout]\ncost = 740\ntakeup = 0.6")
    assert spec.rollout is not None and spec.rollout.takeup == 0.6


def test_load_pool_reads_a_file(tmp_path):
    path = tmp_path / "pool.toml"
    path.write_text(POOL + ROLLOUT, encoding="utf-8")
    assert load_pool(path) == parse_pool(POOL + ROLLOUT)
    with pytest.raises(FileNotFoundError, match="pool plan not found"):
        load_pool(tmp_path / "none.toml")
    with pytest.raises(TypeError, match="TOML text"):
        parse_pool(b"[pool]")  # type: ignore[arg-type]


# --- the section ----------------------------------------------------------------------------

PLAN = parse_plan(
    """
[data]
waves = { baseline = "b.csv", followup = "f.csv" }
[design]
assignment = "invited"
[[families]]
name = "performance"
outcomes = ["value_added"]
wave = "followup"
"""
)

#: (estimate, SE, dof) of the ITT of four made-up sites.
SITES = {
    "Ghana": (7_193.0, 2_233.0, 150.0),
    "Tanzania": (3_471.0, 550.0, 280.0),
    "Kenya": (1_200.0, 900.0, 200.0),
    "Vietnam": (5_100.0, 1_400.0, 120.0),
}


def _estimate(coef: float, se: float, dof: float, estimand: str = "ITT") -> ke.Estimate:
    return ke.Estimate(
        terms=("invited",),
        coef=[coef],
        vcov=[[se**2]],
        dof=dof,
        se_type="HC1",
        method="OLS",
        estimand=estimand,
        outcome="value_added",
        nobs=int(dof) + 2,
    )


def _results(names: list[str]) -> dict[str, PlanResults]:
    """Plan runs holding only their estimates (the section reads nothing else)."""
    out = {}
    for name in names:
        est = PlanEstimate("performance", "itt", "value_added", _estimate(*SITES[name]))
        out[name] = PlanResults(PLAN, None, pd.DataFrame(), (est,))  # type: ignore[arg-type]
    return out


def _tables(report: Report, tmp_path) -> dict[str, pd.DataFrame]:
    folder = report.write(tmp_path / "report")
    return {
        p.stem: pd.read_csv(p, index_col=0) for p in (folder / "tables").glob("cross_site_*.csv")
    }


def _section(names, spec, tmp_path):
    report = Report("Pooled")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning escapes the section
        cs = cross_site_section(_results(names), spec, report)
    return cs, report, _tables(report, tmp_path)


def test_the_section_shows_the_numbers_of_pool_sites(tmp_path):
    names = ["Ghana", "Tanzania", "Kenya", "Vietnam"]
    spec = parse_pool(POOL + ROLLOUT)
    cs, _, tables = _section(names, spec, tmp_path)
    direct = ke.pool_sites({n: _estimate(*SITES[n]) for n in names}, method="REML", test="knha")
    value = tables["cross_site_pooled"]["value"].to_numpy()
    lo, hi = direct.prediction_interval
    expected = [direct.mu, direct.std_error, direct.ci_low, direct.ci_high, direct.pvalue,
                direct.tau, direct.i2 / 100, direct.q, direct.q_pvalue, lo, hi]  # fmt: skip
    assert list(value) == expected
    sites = tables["cross_site_sites"]
    assert list(sites.index) == names
    assert list(sites["estimate"]) == list(direct.sites["estimate"])
    assert list(sites["std_error"]) == list(direct.sites["std_error"])
    assert list(sites["weight"]) == list(direct.sites["weight"] / 100)
    assert list(sites["shrunk_estimate"]) == list(direct.sites["shrunk"])
    assert cs.pooled.mu == direct.mu and cs.notes == ()


def test_leave_one_out_pools_the_other_sites(tmp_path):
    names = ["Ghana", "Tanzania", "Kenya", "Vietnam"]
    _, _, tables = _section(names, parse_pool(POOL), tmp_path)
    loo = tables["cross_site_leave_one_out"]
    assert list(loo.index) == names
    for name in names:
        rest = [n for n in names if n != name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KaizenWarning)
            p = ke.pool_sites({n: _estimate(*SITES[n]) for n in rest}, method="REML", test="knha")
        row = loo.loc[name]
        assert (row["estimate"], row["ci_low"], row["ci_high"]) == (p.mu, p.ci_low, p.ci_high)
        assert row["remaining_sites"] == ", ".join(rest)


def test_the_rollout_is_cost_benefit_of_the_pooled_gain(tmp_path):
    names = ["Ghana", "Tanzania", "Kenya"]
    spec = parse_pool(POOL + ROLLOUT)
    cs, _, tables = _section(names, spec, tmp_path)
    pooled = ke.pool_sites({n: _estimate(*SITES[n]) for n in names}, method="REML", test="knha")
    got = tables["cross_site_rollout"]
    for row, where in (("A new cluster", "new"), ("The average site", "average")):
        cb = ke.cost_benefit(gain=pooled, cost=ke.Cost(2905, per="invited"), years=3,
                             discount_rate=0.1, for_site=where)  # fmt: skip
        r = got.loc[row]
        assert (r["annual_gain"], r["cost_per_firm"], r["bcr"]) == (cb.gain, cb.cost, cb.bcr)
        assert (r["bcr_low"], r["bcr_high"]) == cb.bcr_interval
        assert r["prob_bcr_above_1"] == cb.prob_bcr_above_1
        assert cs.rollout[where].prob_bcr_above_1 == cb.prob_bcr_above_1
    # a new cluster carries the spread between sites: it is less certain than the average
    assert got.loc["A new cluster", "bcr_high"] > got.loc["The average site", "bcr_high"]


def test_no_rollout_table_without_a_rollout_cost(tmp_path):
    cs, _, tables = _section(["Ghana", "Tanzania", "Kenya"], parse_pool(POOL), tmp_path)
    assert "cross_site_rollout" not in tables and dict(cs.rollout) == {}
    assert {"cross_site_pooled", "cross_site_sites", "cross_site_leave_one_out"} <= set(tables)


def test_two_sites_the_warning_becomes_a_note_and_one_site_is_not_pooled(tmp_path):
    names = ["Ghana", "Tanzania"]
    cs, _, tables = _section(names, parse_pool(POOL + ROLLOUT), tmp_path)
    with pytest.warns(KaizenWarning, match="only 2 sites: tau is barely identified"):
        direct = ke.pool_sites({n: _estimate(*SITES[n]) for n in names}, method="REML", test="knha")
    assert tables["cross_site_pooled"].iloc[0]["value"] == direct.mu
    md = (tmp_path / "report" / "tables" / "cross_site_pooled.md").read_text(encoding="utf-8")
    assert "Only two sites: the spread of the effect between sites (τ) is barely identified" in md
    assert "only 2 sites" not in md and "method=" not in md
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KaizenWarning)
        fe = ke.pool_sites({n: _estimate(*SITES[n]) for n in names}, method="FE")
    assert f"The fixed-effect estimate, which assumes no spread, is {fe.mu:,.0f}" in md
    assert cs.notes and cs.notes[0].startswith("Only two sites")
    loo = tables["cross_site_leave_one_out"]
    for left, other in (("Ghana", "Tanzania"), ("Tanzania", "Ghana")):
        own = _estimate(*SITES[other]).tidy().loc["invited"]
        assert loo.loc[left, "remaining_sites"] == other
        assert (loo.loc[left, "estimate"], loo.loc[left, "ci_low"], loo.loc[left, "ci_high"]) == (
            own["estimate"], own["ci_low"], own["ci_high"]
        )  # fmt: skip
    md = (tmp_path / "report" / "tables" / "cross_site_leave_one_out.md").read_text("utf-8")
    assert "leaving one out leaves a single site" in md


def test_other_warnings_reach_the_caller(tmp_path):
    spec = parse_pool(POOL + 'method = "FE"\ntest = "knha"')
    report = Report("Pooled")
    with pytest.warns(KaizenWarning) as caught:
        cross_site_section(_results(["Ghana", "Tanzania"]), spec, report)
    messages = [str(w.message) for w in caught]
    assert any("rescales the variance of mu" in m for m in messages)
    assert not any(m.startswith("only 2 sites") for m in messages)


def test_a_site_without_the_estimate_is_named():
    results = _results(["Ghana", "Tanzania"])
    late = PlanEstimate("performance", "late", "value_added", _estimate(9_000.0, 3_000.0, 150.0))
    ghana = results["Ghana"]
    results["Ghana"] = PlanResults(PLAN, None, pd.DataFrame(), (*ghana.estimates, late))  # type: ignore[arg-type]
    with pytest.raises(KaizenError, match=r"site 'Tanzania' of the pool: the plan has no "
                       r"estimate 'performance:late:value_added'"):  # fmt: skip
        cross_site_section(results, parse_pool(POOL + 'estimand = "late"'), Report("x"))
    with pytest.raises(KaizenError, match="not a term"):
        cross_site_section(results, parse_pool(POOL + 'term = "attended"'), Report("x"))


# --- the demo report ------------------------------------------------------------------------


def test_the_demo_report_has_the_section(demo_report):
    out, _ = demo_report
    md = (out / "report.md").read_text(encoding="utf-8")
    heads = re.findall(r"^## (.+)$", md, re.M)
    at = heads.index("Across sites")
    assert heads[at - 1] == "Published cost-benefit comparisons"
    assert heads[at + 1] == "Spillovers (saturation trial)"  # then the sites' sections
    section = md.split("## Across sites")[1].split("## Spillovers (saturation trial)")[0]
    for text in ("Average effect (μ)", "A new cluster: 95 % prediction interval, low",
                 "Shrunk estimate", "Only two sites", "leaving one out leaves a single site",
                 "P(BCR > 1)", "figures/cross_site_forest.png"):  # fmt: skip
        assert text in section, text
    assert (out / "data" / "pool.toml").is_file()
    tables = out / "tables"
    sites = pd.read_csv(tables / "cross_site_sites.csv", index_col=0)
    assert list(sites.index) == ["Ghana", "Tanzania"]
    with pytest.warns(KaizenWarning, match="only 2 sites"):
        direct = ke.pool_sites(sites[["estimate", "std_error"]], method="REML", test="knha")
    pooled = pd.read_csv(tables / "cross_site_pooled.csv", index_col=0)
    assert pooled.loc["Average effect (μ)", "value"] == direct.mu
    assert pooled.loc["Spread between sites (τ)", "value"] == direct.tau
