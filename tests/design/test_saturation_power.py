"""Power of saturation designs: the closed forms, and a simulation of the design itself."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

LEVELS = [0, 0.25, 0.5, 0.75]


def test_cell_formula_by_hand():
    # BBMO 2018 sec. 4: Var(T_s) = σ²[(ρ + (1-ρ)/(m s))/(C π_s) + (ρ + (1-ρ)/m)/(C π_0)]
    c, m, rho, sd = 40, 12, 0.1, 2.0
    t = ke.saturation_power(c, m, saturation=LEVELS, icc=rho, sd=sd, alpha=0.05, power=0.8)
    control = (rho + (1 - rho) / m) / 10
    for s in (0.25, 0.5, 0.75):
        d = sd * np.sqrt((rho + (1 - rho) / (m * s)) / 10 + control)
        sp = sd * np.sqrt((rho + (1 - rho) / (m * (1 - s))) / 10 + control)
        assert t.loc[f"direct:{s:g}", "std_error"] == pytest.approx(d, rel=1e-12)
        assert t.loc[f"spillover:{s:g}", "std_error"] == pytest.approx(sp, rel=1e-12)
    # pooled direct: treated firms 3, 6, 9 per cluster in 10 clusters each, weighted by firm
    k = np.array([3.0, 6.0, 9.0])
    pooled = np.sum((10 * k) ** 2 * (rho + (1 - rho) / k) / 10) / (10 * k.sum()) ** 2
    assert t.loc["direct", "std_error"] == pytest.approx(sd * np.sqrt(pooled + control))
    mult = 1.959963984540054 + 0.8416212335729143
    assert np.allclose(t["mde"], mult * t["std_error"], rtol=1e-12)
    assert t.loc["direct:0.25", "firms"] == 30 and t.loc["spillover", "clusters"] == 30


def test_no_icc_is_the_two_sample_formula():
    t = ke.saturation_power(20, 10, saturation={0: 10, 0.5: 10}, icc=0.0)
    # 50 treated and 50 untreated firms in treated clusters, 100 pure controls
    assert t.loc["direct:0.5", "std_error"] == pytest.approx(np.sqrt(1 / 50 + 1 / 100))
    assert t.loc["direct", "std_error"] == t.loc["direct:0.5", "std_error"]


def test_saturation_one_has_no_spillover_row():
    t = ke.saturation_power(30, 10, saturation=[0, 0.5, 1.0], icc=0.2)
    assert "spillover:1" not in t.index and "direct:1" in t.index


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"saturation": [0.25, 0.5]}, "no level 0"),
        ({"saturation": [0, 2]}, "outside"),
        ({"icc": 1.5}, "icc"),
        ({"power": 1.0}, "below 1"),
        ({"sd": 0}, "sd"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"saturation": LEVELS, **kwargs}
    with pytest.raises(KaizenError, match=match):
        ke.saturation_power(40, 12, **args)


def _simulate(reps, seed):
    """Estimates of every term over ``reps`` draws of the design (seeds ``seed``, ``seed + 1``)."""
    c, m, rho = 40, 12, 0.15
    f = pd.DataFrame({"firm_id": range(c * m), "cluster_id": np.repeat(np.arange(c), m)})
    asg = ke.assign(f, cluster="cluster_id", saturation=LEVELS, arms={"invited": None}, seed=1)
    draws = asg.redraw_many(reps, seed=seed)
    inv, sat = draws["invited"].astype(float), draws["saturation"]
    cl = f.set_index("firm_id").loc[asg.frame["firm_id"], "cluster_id"].to_numpy()
    rng = np.random.default_rng(seed + 1)
    y = rng.normal(0, np.sqrt(rho), (reps, c))[:, cl] + rng.normal(0, np.sqrt(1 - rho), inv.shape)
    table = ke.saturation_power(c, m, saturation=LEVELS, icc=rho)

    def mean(mask):
        return (y * mask).sum(axis=1) / mask.sum(axis=1)

    control = mean(sat == 0)
    est = {
        "direct": mean((sat > 0) & (inv == 1)) - control,
        "spillover": mean((sat > 0) & (inv == 0)) - control,
    }
    for s in LEVELS[1:]:
        est[f"direct:{s:g}"] = mean((sat == s) & (inv == 1)) - control
        est[f"spillover:{s:g}"] = mean((sat == s) & (inv == 0)) - control
    return est, table


def _check(est, table, reps, *, bias_se, sd_rel, power_abs):
    for term, e in est.items():
        se = table.loc[term, "std_error"]
        assert abs(e.mean()) < bias_se * se / np.sqrt(reps), term
        assert e.std(ddof=1) == pytest.approx(se, rel=sd_rel), term
        shifted = e + table.loc[term, "mde"]
        rejects = np.mean(np.abs(shifted / se) > 1.959963984540054)
        assert rejects == pytest.approx(0.8, abs=power_abs), term


def test_formulas_match_a_simulation_of_the_design_fast():
    # 1,000 draws, 8 terms × 3 checks; each check at 4 Monte Carlo SEs (two-sided normal
    # 6.3e-5, so all 24 pass w.p. ≥ 0.998): the mean within 4 se / sqrt(1000); the SD within
    # 4 × its relative SE 1 / sqrt(2 × 999) = 2.2 %, i.e. 9 %; the rejection rate at the MDE
    # within 4 × sqrt(0.8 × 0.2 / 1000) = 5.1 points of 80 %. Caught: the formula without the
    # clustering (icc=0) gives SEs 20-35 % too small here, far outside 9 % of the simulated SD.
    reps = 1_000
    est, table = _simulate(reps, seed=20)
    _check(est, table, reps, bias_se=4, sd_rel=0.09, power_abs=0.051)


@pytest.mark.slow
def test_formulas_match_a_simulation_of_the_design():
    # 4,000 draws of the actual two-stage assignment, random-effects outcomes: the standard
    # deviations of the difference-in-means estimators match the formula (MC SE of an SD with
    # 4,000 draws: 1.1 %; tolerance 4 %), and at the MDE the z-test rejects in 80 % ± 2.5 %.
    est, table = _simulate(4_000, seed=2)
    _check(est, table, 4_000, bias_se=4, sd_rel=0.04, power_abs=0.025)
