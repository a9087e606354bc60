"""``ke.pool_sites(method="bayes")`` against an MCMC peer: R rstan (NUTS), stored numbers.

``reference/make_bayes_stan_reference.R`` samples the same model (flat ``mu``, uniform prior on
``tau``, non-centred) on the eight schools and metafor's 13 BCG trials, 200,000 kept draws each,
and stores each posterior summary with its Monte Carlo standard error; ``stan_bayes_run.csv``
records the versions, seeds, chains and iterations. R is not needed to run this test.
"""

import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import kaizen_eval as ke

REF = pathlib.Path(__file__).parent / "reference"
STATS = ("mean", "sd", "q2.5", "q50", "q97.5")


def _stan():
    return pd.read_csv(REF / "stan_bayes_reference.csv")


def _run():
    return pd.read_csv(REF / "stan_bayes_run.csv", index_col="key")["value"]


def _sites(dataset):
    data = pd.read_csv(REF / "pool_data.csv", skipinitialspace=True)
    d = data[data.dataset == dataset]
    return pd.DataFrame(
        {"estimate": d.yi.to_numpy(), "std_error": np.sqrt(d.vi.to_numpy())},
        index=d.site.to_numpy(),
    )


def test_the_reference_run_is_a_converged_sampler():
    ref, run = _stan(), _run()
    assert int(run["kept_draws"]) >= 100_000
    for ds in ("eight_schools", "bcg"):
        assert int(run[f"{ds}:divergences"]) == 0, ds
    assert ref["rhat"].max() < 1.01
    # every MC SE is computed from at least 10,000 effective draws
    assert ref["ess"].min() > 10_000


def _sd_by_quadrature(y, s):
    """Posterior sd of mu, theta_new and each theta_j by direct quadrature over tau (BDA3 5.21)."""
    v = s**2

    def parts(t):
        w = 1.0 / (v + t**2)
        vm = 1.0 / w.sum()
        mh = vm * (w * y).sum()
        dens = np.sqrt(vm) * np.prod(np.sqrt(w)) * np.exp(-0.5 * (w * (y - mh) ** 2).sum())
        b = v * w
        th_m, th_v = (1 - b) * y + b * mh, (1 - b) * v + b**2 * vm
        m = np.array([mh, mh, *th_m])
        return dens, m, np.array([vm, vm + t**2, *th_v]) + m**2

    def quad(f):
        return integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-11, limit=500)[0]

    z = quad(lambda t: parts(t)[0])
    out = []
    for i in range(len(y) + 2):
        m1 = quad(lambda t, i=i: parts(t)[0] * parts(t)[1][i]) / z
        m2 = quad(lambda t, i=i: parts(t)[0] * parts(t)[2][i]) / z
        out.append(np.sqrt(m2 - m1**2))
    return np.array(out)  # mu, theta_new, theta_1..theta_J


# The sd's MC SE (Vehtari et al.'s mcse_sd) is itself estimated from the draws' fourth moments;
# under the uniform prior p(tau | y) falls like tau**(1 - J), so E[tau**p] is finite only for
# p < J - 2. With the eight schools (J = 8) the eighth moments are infinite and the estimated
# MC SE of an sd is not reliable: Stan's sds there are 0.3-0.9 % above the exact ones, 2-4.5
# estimated MC SEs, all of the same sign (one excursion into the tail of tau moves them all),
# while ke's sd of mu equals direct quadrature to 1e-8 (test_bayes.py). So the eight schools'
# sds are checked against direct quadrature here, and only the BCG trials' (J = 13, eighth
# moments finite) against Stan.
SD_AGAINST_STAN = {"eight_schools": False, "bcg": True}


@pytest.mark.parametrize("dataset", ["eight_schools", "bcg"])
def test_exact_posterior_within_4_mc_se_of_stan(dataset):
    ref = _stan()
    ref = ref[ref.dataset == dataset]
    post = ke.pool_sites(_sites(dataset), method="bayes").posterior
    assert set(ref["quantity"]) == set(post.index)
    assert set(ref["statistic"]) == set(STATS)
    if not SD_AGAINST_STAN[dataset]:
        ref = ref[ref.statistic != "sd"]
    exact = np.array([post.loc[q, s] for q, s in zip(ref.quantity, ref.statistic, strict=True)])
    z = np.abs(exact - ref["value"].to_numpy()) / ref["mcse"].to_numpy()
    worst = ref.iloc[int(np.argmax(z))]
    assert z.max() < 4.0, (worst.quantity, worst.statistic, z.max())
    # and the MC SEs are small, so the check has teeth: under 2.5 % of each quantity's sd (the
    # largest, 2.1 %, is the 97.5 % quantile of tau; most are under 0.5 %)
    sd = np.array([post.loc[q, "sd"] for q in ref.quantity])
    assert (ref["mcse"].to_numpy() < 0.025 * sd).all()


def test_eight_schools_sds_by_quadrature():
    sites = _sites("eight_schools")
    post = ke.pool_sites(sites, method="bayes").posterior
    exact = _sd_by_quadrature(sites.estimate.to_numpy(), sites.std_error.to_numpy())
    names = ["mu", "theta_new", *(f"theta[{k}]" for k in sites.index)]
    np.testing.assert_allclose(post.loc[names, "sd"].to_numpy(), exact, rtol=1e-7)
