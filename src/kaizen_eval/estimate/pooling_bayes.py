"""The normal–normal hierarchical model of site effects, integrated exactly over ``tau``.

Model (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §5.4)::

    y_j | theta_j ~ N(theta_j, s_j**2)      (s_j known)
    theta_j | mu, tau ~ N(mu, tau**2)
    mu ~ flat (default) or N(m0, s0**2);   tau ~ p(tau)

Given ``tau``, everything is normal: with ``w_j = 1 / (s_j**2 + tau**2)`` (and the prior of ``mu``
as one more "site" of variance ``s0**2``), ``mu | tau, y ~ N(mu_hat, V)``,
``mu_hat = sum w_j y_j / sum w_j``, ``V = 1 / sum w_j``; ``theta_j | tau, y`` is normal with mean
``(1 - B_j) y_j + B_j mu_hat`` and variance ``(1 - B_j) s_j**2 + B_j**2 V``, where
``B_j = s_j**2 / (s_j**2 + tau**2)`` is the pooling factor; a new site's
``theta_new | tau, y ~ N(mu_hat, V + tau**2)``. The marginal posterior of ``tau`` (BDA3 eq. 5.21)::

    p(tau | y) ∝ p(tau) V**(1/2) prod_j w_j**(1/2) exp(-sum_j w_j (y_j - mu_hat)**2 / 2)

is one-dimensional: it is integrated on a grid in ``u = asinh(tau / c)`` (``c`` the smallest
standard error or the prior's scale), linear near ``tau = 0``, where the density is even in
``tau``, and logarithmic in the tail, so that the trapezoid rule converges geometrically
(Simpson's rule for ``E[tau]``, whose integrand is odd in ``u``); the grid ends where the
density has fallen by ``e**-46`` from its peak. Posterior summaries of ``mu``, ``theta_j`` and
``theta_new`` are exact mixtures of normals over the grid; quantiles invert the mixture CDF.

Priors on ``tau`` (unnormalized): ``"uniform"`` on (0, ∞) (improper; BDA3's default),
``"half_cauchy"`` and ``"half_normal"`` with a ``scale``. Under the uniform prior and a flat
``mu`` the tail of ``p(tau | y)`` falls like ``tau**(1 - J)``: the posterior is improper for
``J = 2``, ``E[tau]`` and ``E|mu|`` are infinite for ``J = 3`` and the posterior variances of
``mu``, ``tau`` and ``theta_new`` infinite for ``J <= 4``; such moments are returned as
``nan`` (means) or ``inf`` (standard deviations), never as a truncated grid's number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.integrate import cumulative_simpson
from scipy.interpolate import PchipInterpolator

PRIORS = ("uniform", "half_cauchy", "half_normal")
_DROP = 46.0  # log-density drop at which the grid ends (e**-46 ~ 1e-20)
_NODES = 801
_QUANTILES = (0.025, 0.5, 0.975)


@dataclass(frozen=True)
class BayesFit:
    """The posterior on the ``tau`` grid (shapes: ``G`` nodes, ``k`` sites).

    ``tau`` (G,), ``mass`` (G,) posterior probability of each node (sums to 1; trapezoid
    weights, exact to rounding for functions even in ``u``), ``mass_odd`` (G,) Simpson's weights
    for the functions odd in ``u`` (``tau`` itself), ``mu_mean`` and
    ``mu_var`` (G,) the conditional moments of ``mu``, ``theta_mean`` and ``theta_var`` (G, k)
    those of the site effects, ``tail`` the exponent ``a`` of the tail ``p(tau | y) ~ tau**-a``
    (``inf`` for a half-normal prior), ``flat_mu`` whether ``mu``'s prior is flat.
    """

    tau: np.ndarray
    mass: np.ndarray
    mass_odd: np.ndarray
    u: np.ndarray
    cdf_u: np.ndarray
    c: float
    mu_mean: np.ndarray
    mu_var: np.ndarray
    theta_mean: np.ndarray
    theta_var: np.ndarray
    tail: float
    flat_mu: bool
    y: np.ndarray
    v: np.ndarray
    mu_prior: tuple[float, float] | None


def _conditionals(
    tau: np.ndarray, y: np.ndarray, v: np.ndarray, mu_prior: tuple[float, float] | None
) -> tuple[np.ndarray, ...]:
    """Conditional moments given ``tau`` (shape (G,)): mu_hat, V, w (G, k) and log p(y | tau)."""
    t2 = tau[:, None] ** 2
    w = 1.0 / (v[None, :] + t2)
    sw, swy = w.sum(axis=1), (w * y[None, :]).sum(axis=1)
    if mu_prior is not None:
        sw = sw + 1.0 / mu_prior[1] ** 2
        swy = swy + mu_prior[0] / mu_prior[1] ** 2
    mu_hat = swy / sw
    resid = (w * (y[None, :] - mu_hat[:, None]) ** 2).sum(axis=1)
    if mu_prior is not None:
        resid = resid + (mu_prior[0] - mu_hat) ** 2 / mu_prior[1] ** 2
    loglik = 0.5 * (np.log(w).sum(axis=1) - np.log(sw) - resid)
    return mu_hat, 1.0 / sw, w, loglik


def _log_prior(tau: np.ndarray, prior: str, scale: float | None) -> np.ndarray:
    if prior == "uniform":
        return np.zeros_like(tau)
    z = tau / scale
    return -np.log1p(z**2) if prior == "half_cauchy" else -0.5 * z**2


def _log_density_u(u, y, v, prior, scale, mu_prior, c):
    tau = c * np.sinh(u)
    return (
        _log_prior(tau, prior, scale)
        + _conditionals(tau, y, v, mu_prior)[3]
        + np.log(c * np.cosh(u))
    )


def fit_bayes(
    y: np.ndarray,
    v: np.ndarray,
    *,
    prior: str = "uniform",
    scale: float | None = None,
    mu_prior: tuple[float, float] | None = None,
) -> BayesFit:
    """Integrate the posterior over ``tau`` on an adaptive grid (see the module notes).

    Parameters
    ----------
    y, v : numpy.ndarray, shape (k,)
        Site estimates and sampling variances.
    prior : {"uniform", "half_cauchy", "half_normal"}
        Prior on ``tau``; the last two need ``scale``.
    scale : float, optional
        Scale of the half-Cauchy or half-normal prior.
    mu_prior : (float, float), optional
        Mean and standard deviation of a normal prior on ``mu`` (default: flat).

    Returns
    -------
    BayesFit

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    >>> s = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    >>> f = fit_bayes(y, s**2)
    >>> round(float(f.mass.sum()), 12), round(float(f.mass @ f.mu_mean), 2)
    (1.0, 7.93)
    """
    # The finest scale on which the density of tau varies: the smallest standard error, or the
    # prior's scale if smaller. Below c the grid is linear in tau, above it logarithmic.
    c = float(np.sqrt(v.min()) if scale is None else min(np.sqrt(v.min()), scale))
    tail = (
        (len(y) - 1.0)
        + (mu_prior is not None)
        + {
            "uniform": 0.0,
            "half_cauchy": 2.0,
            "half_normal": np.inf,
        }[prior]
    )
    # Coarse scan for the peak and the place where the density has fallen by e**-46.
    coarse = np.linspace(0.0, 60.0, 1201)
    lc = _log_density_u(coarse, y, v, prior, scale, mu_prior, c)
    keep = np.nonzero(lc > lc.max() - _DROP)[0]
    top = coarse[min(keep[-1] + 1, len(coarse) - 1)]
    u = np.linspace(0.0, top, _NODES)
    tau = c * np.sinh(u)
    mu_hat, var_mu, w, loglik = _conditionals(tau, y, v, mu_prior)
    logf = _log_prior(tau, prior, scale) + loglik + np.log(c * np.cosh(u))
    dens = np.exp(logf - logf.max())
    # Trapezoid weights (the half weight at u = 0 is exact for an integrand even in u).
    quad = np.full(_NODES, u[1] - u[0])
    quad[[0, -1]] *= 0.5
    mass = dens * quad
    total = mass.sum()
    mass = mass / total
    # An integrand odd in u (tau itself) has a kink when reflected at 0: Simpson, O(h**4).
    simpson = np.tile([2.0, 4.0], (_NODES + 1) // 2)[:_NODES]
    simpson[[0, -1]] = 1.0
    mass_odd = dens * simpson / (dens * simpson).sum()
    cdf = cumulative_simpson(dens, x=u, initial=0.0)
    cdf = np.maximum.accumulate(cdf / cdf[-1])
    b = v[None, :] * w  # pooling factors B_j(tau), shape (G, k)
    theta_mean = (1 - b) * y[None, :] + b * mu_hat[:, None]
    theta_var = (1 - b) * v[None, :] + b**2 * var_mu[:, None]
    return BayesFit(
        tau=tau,
        mass=mass,
        mass_odd=mass_odd,
        u=u,
        cdf_u=cdf,
        c=c,
        mu_mean=mu_hat,
        mu_var=var_mu,
        theta_mean=theta_mean,
        theta_var=theta_var,
        tail=float(tail),
        flat_mu=mu_prior is None,
        y=y,
        v=v,
        mu_prior=mu_prior,
    )


def _mixture_quantiles(mass, mean, sd, probs):
    """Quantiles of ``sum_g mass_g N(mean_g, sd_g**2)`` for each column.

    ``mean`` and ``sd`` have shape (G, m); returns shape (len(probs), m). Safeguarded Newton
    from the average of the conditional quantiles: a Newton step on the mixture CDF, replaced
    by bisection of the bracket whenever it would leave it; nodes holding less than 1e-15 of
    the peak's mass are dropped (below 1e-12 of probability in all).
    """
    keep = mass > 1e-15 * mass.max()
    mass, mean, sd = mass[keep] / mass[keep].sum(), mean[keep], sd[keep]
    probs = np.asarray(probs, dtype=float)[:, None]
    shape = (len(probs), mean.shape[1])
    lo = np.broadcast_to((mean - 10 * sd).min(axis=0), shape).copy()
    hi = np.broadcast_to((mean + 10 * sd).max(axis=0), shape).copy()
    # Start from the average of the conditional quantiles: Newton then needs a few steps.
    x = mass @ mean + special.ndtri(probs) * (mass @ sd)
    done = np.zeros(shape, dtype=bool)
    for _ in range(100):
        z = (x[:, None, :] - mean) / sd
        f = np.einsum("g,pgm->pm", mass, special.ndtr(z)) - probs
        dens = np.einsum("g,pgm->pm", mass, np.exp(-0.5 * z**2) / sd) / np.sqrt(2 * np.pi)
        lo = np.where(f < 0, x, lo)
        hi = np.where(f < 0, hi, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = x - f / dens
        now = ~done & (np.abs(step - x) <= 1e-11 * (1.0 + np.abs(x)))
        inside = np.isfinite(step) & (step > lo) & (step < hi)
        x = np.where(done, x, np.where(now | inside, step, 0.5 * (lo + hi)))
        done |= now
        if done.all():
            return x
    return x  # pragma: no cover - Newton with bisection converges long before


def tau_quantiles(fit: BayesFit, probs) -> np.ndarray:
    """Quantiles of ``p(tau | y)`` from the grid CDF (Simpson, monotone cubic inverse)."""
    return fit.c * np.sinh(_inverse_cdf(fit)(np.asarray(probs, dtype=float)))


def _inverse_cdf(fit: BayesFit) -> PchipInterpolator:
    """``u`` as a monotone cubic function of the grid CDF of ``tau`` (0 and 1 included).

    Nodes where the CDF rises by less than 1e-12 (the far tails) are skipped so that the
    interpolant's slopes stay finite.
    """
    keep = np.concatenate([[True], np.diff(fit.cdf_u) > 1e-12])
    x, y = fit.cdf_u[keep], fit.u[keep]
    x[-1] = 1.0
    return PchipInterpolator(x, y)


def summarize(fit: BayesFit, alpha: float) -> dict[str, np.ndarray]:
    """Posterior mean, sd and quantiles (2.5, 50, 97.5 % and ``alpha / 2``, ``1 - alpha / 2``).

    Returns a dict of arrays over the quantities ``mu, tau, theta_new, theta_1..theta_k`` (in
    that order), keys ``mean, sd, q`` (q of shape (5, k + 3)), and ``pooling`` (mean and the
    three quantiles of ``B_j``, shape (4, k)), ``weight`` (the posterior mean of each site's
    share of ``mu_hat``, percent), ``i2_mean`` and ``tau2_mean``.
    """
    m, t = fit.mass, fit.tau
    probs = (*_QUANTILES, alpha / 2, 1 - alpha / 2)
    heavy = fit.tail - 1.0  # E[tau**p] is finite iff p < tail - 1
    mean_tau = float(fit.mass_odd @ t) if heavy > 1 else np.nan
    tau2_mean = float(m @ t**2) if heavy > 2 else np.inf
    sd_tau = np.sqrt(max(tau2_mean - mean_tau**2, 0.0)) if heavy > 2 else np.inf
    mu_ok1, mu_ok2 = (heavy > 1, heavy > 2) if fit.flat_mu else (True, True)
    mean_mu = float(m @ fit.mu_mean) if mu_ok1 else np.nan
    sd_mu = np.sqrt(m @ (fit.mu_var + fit.mu_mean**2) - mean_mu**2) if mu_ok2 else np.inf
    new_var = fit.mu_var + t**2
    mean_new = mean_mu if heavy > 1 else np.nan
    sd_new = np.sqrt(m @ (new_var + fit.mu_mean**2) - mean_new**2) if heavy > 2 else np.inf
    th_mean = m @ fit.theta_mean
    th_sd = np.sqrt(m @ (fit.theta_var + fit.theta_mean**2) - th_mean**2)
    means = np.column_stack([fit.mu_mean, fit.mu_mean, fit.theta_mean])
    sds = np.sqrt(np.column_stack([fit.mu_var, new_var, fit.theta_var]))
    qmix = _mixture_quantiles(m, means, sds, probs)
    qtau = tau_quantiles(fit, probs)
    q = np.column_stack([qmix[:, 0], qtau, qmix[:, 1:]])
    b = fit.v[None, :] / (fit.v[None, :] + t[:, None] ** 2)
    # B_j decreases in tau: its quantiles are B_j at the opposite quantiles of tau.
    qb = fit.v[None, :] / (fit.v[None, :] + qtau[[2, 1, 0], None] ** 2)
    w = 1.0 / (fit.v[None, :] + t[:, None] ** 2)
    share = w / w.sum(axis=1, keepdims=True)
    w0 = 1.0 / fit.v
    vt = (len(fit.v) - 1) / (w0.sum() - (w0**2).sum() / w0.sum())
    return {
        "mean": np.array([mean_mu, mean_tau, mean_new, *th_mean]),
        "sd": np.array([sd_mu, sd_tau, sd_new, *th_sd]),
        "q": q,
        "pooling": np.vstack([m @ b, qb]),
        "weight": 100.0 * (m @ share),
        "i2_mean": 100.0 * float(m @ (t**2 / (t**2 + vt))),
        "tau2_mean": tau2_mean,
        "p_mu_below_0": float(m @ special.ndtr(-fit.mu_mean / np.sqrt(fit.mu_var))),
    }


def predictive_draws(
    fit: BayesFit, n: int, rng: np.random.Generator, *, new_site: bool = True
) -> np.ndarray:
    """Draw exactly from the posterior: a new site's effect, or ``mu``.

    ``tau`` by inverse CDF, then ``mu | tau, y`` and, with ``new_site=True``,
    ``theta_new | mu, tau``; with ``new_site=False`` the draws of ``mu``.
    """
    tau = fit.c * np.sinh(_inverse_cdf(fit)(rng.uniform(size=n)))
    mu_hat, var_mu, _, _ = _conditionals(tau, fit.y, fit.v, fit.mu_prior)
    z = rng.standard_normal((2, n))
    mu = mu_hat + np.sqrt(var_mu) * z[0]
    return mu + tau * z[1] if new_site else mu
