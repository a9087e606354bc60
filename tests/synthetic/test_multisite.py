"""``ke.synthetic.simulate_sites``: site effects from N(mu, tau^2), each the exact site LATE."""

import numpy as np
import pytest

import kaizen_eval as ke
from kaizen_eval.synthetic import MultiSiteTrial, simulate_sites


@pytest.fixture(scope="module")
def four():
    return simulate_sites(mu=5_000.0, tau=2_000.0, seed=11, n_firms=60)


def test_theta_is_each_sites_exact_late(four):
    assert isinstance(four, MultiSiteTrial)
    assert list(four.trials) == ["ghana", "tanzania", "vietnam", "ethiopia"]
    for site, trial in four.trials.items():
        assert trial.truth["late_value_added"] == pytest.approx(four.theta[site], rel=1e-12)
        assert trial.n_firms == 60
    # Tanzania is calibrated on its LATE here (its own calibration is on the ATT)
    assert four.trials["tanzania"].truth["att_value_added"] != four.theta["tanzania"]


def test_theta_are_the_documented_draws(four):
    first = np.random.SeedSequence(11).spawn(5)[0]
    expected = 5_000.0 + 2_000.0 * np.random.default_rng(first).standard_normal(4)
    np.testing.assert_allclose(list(four.theta.values()), expected, rtol=1e-12)


def test_reproducible_and_independent_of_sizes():
    a = simulate_sites(["ghana", "ethiopia"], mu=1_000.0, tau=300.0, seed=2, n_firms=50)
    b = simulate_sites(["ghana", "ethiopia"], mu=1_000.0, tau=300.0, seed=2, n_firms=50)
    c = simulate_sites(["ghana", "ethiopia"], mu=1_000.0, tau=300.0, seed=2, n_firms={"ghana": 80})
    assert dict(a.theta) == dict(b.theta) == dict(c.theta)
    for s in a.trials:
        for w in a.trials[s].waves:
            assert a.trials[s].waves[w].equals(b.trials[s].waves[w])
    assert c.trials["ghana"].n_firms == 80 and c.trials["ethiopia"].n_firms == 150


def test_tau_zero_and_numbered_sites():
    m = simulate_sites(3, mu=2_500.0, tau=0.0, seed=0, n_firms=45, calibration="ethiopia")
    assert list(m.theta) == ["site01", "site02", "site03"]
    assert set(m.theta.values()) == {2_500.0}
    assert {t.site for t in m.trials.values()} == {"ethiopia"}


def test_stacked_frame_feeds_site_estimates(four):
    df = four.analysis_frame()
    assert df.columns[0] == "site"
    assert df.groupby("site", sort=False).size().to_dict() == {s: 60 for s in four.trials}
    est = ke.site_estimates(
        df, estimator="late", outcome="value_added", treatment="attended", instrument="invited"
    )
    assert list(est) == list(four.trials)
    assert {e.estimand for e in est.values()} == {"LATE"}


def test_bad_input():
    with pytest.raises(ke.KaizenError, match="`sites` must be one of"):
        simulate_sites(["ghana", "kenya"], mu=1.0, tau=1.0)
    with pytest.raises(ke.KaizenError, match="more than once"):
        simulate_sites(["ghana", "ghana"], mu=1.0, tau=1.0)
    with pytest.raises(ke.KaizenError, match="`tau`"):
        simulate_sites(2, mu=1.0, tau=-1.0)
    with pytest.raises(ke.KaizenError, match="`mu`"):
        simulate_sites(2, mu=float("nan"), tau=1.0)
    with pytest.raises(ke.KaizenError, match="at least 40"):
        simulate_sites(2, mu=1.0, tau=1.0, n_firms=10)
    with pytest.raises(ke.KaizenError, match="not simulated: peru"):
        simulate_sites(["ghana"], mu=1.0, tau=1.0, n_firms={"peru": 50})
    with pytest.raises(ke.KaizenError, match="at least 1"):
        simulate_sites(0, mu=1.0, tau=1.0)
