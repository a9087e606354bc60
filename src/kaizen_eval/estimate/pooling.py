"""Pooling effects across sites: :func:`pool_sites`.

The same programme evaluated in several sites gives one estimate ``y_j`` with standard error
``s_j`` per site. :func:`pool_sites` fits the random-effects model ``y_j ~ N(theta_j, s_j**2)``,
``theta_j ~ N(mu, tau**2)`` by one of ``metafor::rma``'s estimators of ``tau**2``
(:mod:`~kaizen_eval.estimate.pooling_core`) or as a Bayesian hierarchical model integrated
exactly over ``tau`` (:mod:`~kaizen_eval.estimate.pooling_bayes`), and answers two questions:
what is the average effect ``mu``, and what should a new site expect (the prediction interval
and :meth:`~kaizen_eval.estimate.pooling_result.PooledEstimate.draws`). The result and its
``sites`` table are documented in :mod:`~kaizen_eval.estimate.pooling_result`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval._validation import KaizenError, KaizenWarning, check_alpha, check_option
from kaizen_eval.estimate import pooling_bayes as pb
from kaizen_eval.estimate.pooling_core import FreqFit, fit_freq
from kaizen_eval.estimate.pooling_input import SiteTable, site_table
from kaizen_eval.estimate.pooling_result import PooledEstimate, _crit, _two_sided
from kaizen_eval.estimate.result import Estimate

__all__ = ["POOL_METHODS", "POOL_TESTS", "PooledEstimate", "leave_one_site_out", "pool_sites"]

PoolMethod = Literal["FE", "DL", "PM", "ML", "REML", "bayes"]
PoolTest = Literal["z", "knha"]
TauPrior = Literal["uniform", "half_cauchy", "half_normal"]
POOL_METHODS: tuple[str, ...] = get_args(PoolMethod)
POOL_TESTS: tuple[str, ...] = get_args(PoolTest)


def pool_sites(
    estimates: Mapping[str, Estimate] | pd.DataFrame,
    *,
    method: PoolMethod = "REML",
    test: PoolTest = "z",
    alpha: float = 0.05,
    term: str | None = None,
    allow_mixed: bool = False,
    prior: TauPrior = "uniform",
    prior_scale: float | None = None,
    mu_prior: tuple[float, float] | None = None,
    nonexperimental: bool = False,
) -> PooledEstimate:
    """Pool one effect across sites: the average effect and what a new site should expect.

    Parameters
    ----------
    estimates : mapping of site to Estimate, or pandas.DataFrame
        One estimate per site (``term=`` picks the term of multi-term estimates), or a
        DataFrame indexed by site with columns ``estimate`` and ``std_error``.
    method : {"FE", "DL", "PM", "ML", "REML", "bayes"}, default "REML"
        Estimator of the between-site variance as in ``metafor::rma`` (``"FE"``: none, the
        inverse-variance fixed effect), or the Bayesian hierarchical model.
    test : {"z", "knha"}, default "z"
        Normal reference, or Hartung–Knapp–Sidik–Jonkman (variance of ``mu`` rescaled, t on
        ``k - 1`` df), which keeps its level with few sites. Frequentist methods only.
    alpha : float, default 0.05
        Level of the intervals.
    term : str, optional
        The term to pool when the estimates have several.
    allow_mixed : bool, default False
        Pool estimates of different outcomes or estimands (only if on a common scale).
    prior : {"uniform", "half_cauchy", "half_normal"}, default "uniform"
        ``"bayes"``: prior on ``tau`` (uniform on (0, ∞) as in BDA3 §5.4; the others need
        ``prior_scale``).
    prior_scale : float, optional
        Scale of the half-Cauchy or half-normal prior, in the units of the effect.
    mu_prior : (float, float), optional
        ``"bayes"``: mean and sd of a normal prior on ``mu`` (default flat).
    nonexperimental : bool, default False
        Pool estimates of non-randomized sites (``ke.att_did``; or a DataFrame's
        ``experimental`` column set to False) with the randomized ones. Refused unless asked;
        when asked, the notes say how far they move ``mu`` (the fit without them), and the
        forest plot marks them apart. Their estimand (ATT) differs from a LATE: pass
        ``allow_mixed=True`` as well when pooling both.

    Returns
    -------
    PooledEstimate

    Raises
    ------
    KaizenError
        Fewer than 2 sites, a missing or non-positive standard error, duplicate site names,
        different outcomes (unless ``allow_mixed``), or a prior that leaves the posterior
        improper (uniform ``tau`` with 2 sites).

    Warns
    -----
    UserWarning
        With 2 sites ``tau`` is barely identified (the message gives the prior's influence);
        under the uniform prior some posterior moments are infinite with 3 or 4 sites.

    Notes
    -----
    Frequentist: ``mu = sum w_j y_j / sum w_j``, ``w_j = 1 / (s_j**2 + tau2)``,
    ``Var(mu) = 1 / sum w_j`` (times ``sum w_j (y_j - mu)**2 / (k - 1)`` with ``knha``); the
    prediction interval is ``mu ± q sqrt(Var(mu) + tau2)`` (``metafor::predict``).
    DerSimonian–Laird with the z test under-covers with few sites; prefer ``test="knha"``
    or ``"bayes"`` (see ``docs/pooling.md``).

    Examples
    --------
    >>> import pandas as pd
    >>> import kaizen_eval as ke
    >>> schools = pd.DataFrame(
    ...     {"estimate": [28, 8, -3, 7, -1, 1, 18, 12],
    ...      "std_error": [15, 10, 16, 11, 9, 11, 10, 18]}, index=list("ABCDEFGH"))
    >>> p = ke.pool_sites(schools, method="DL")
    >>> round(p.mu, 2), round(p.tau2, 2), round(p.q, 3)
    (7.69, 0.0, 4.707)
    >>> b = ke.pool_sites(schools, method="bayes")
    >>> round(float(b.posterior.loc["tau", "q50"]), 2), round(b.mu, 2)
    (5.24, 7.93)
    """
    check_option("method", method, POOL_METHODS)
    check_option("test", test, POOL_TESTS)
    check_option("prior", prior, get_args(TauPrior))
    alpha = check_alpha(alpha)
    table = site_table(estimates, term, allow_mixed)
    names, y, se = table.names, table.y, table.se
    names_nx = [n for n, e in zip(table.names, table.experimental, strict=True) if not e]
    if names_nx and not nonexperimental:
        raise KaizenError(
            f"site(s) {', '.join(map(repr, names_nx))} are not randomized (difference-in-"
            "differences or matching estimates): pooling them with randomized sites mixes "
            "identifying assumptions. Pass `nonexperimental=True` to pool them (the notes "
            "then report how far they move mu)."
        )
    options = {
        "nonexperimental": nonexperimental,
        "allow_mixed": allow_mixed,
        "method": method,
        "test": test,
        "alpha": alpha,
        "prior": prior,
        "prior_scale": prior_scale,
        "mu_prior": mu_prior,
    }
    v = se**2
    k = len(names)
    notes: list[str] = []
    if method != "bayes":
        if prior != "uniform" or prior_scale is not None or mu_prior is not None:
            raise KaizenError(
                "`prior`, `prior_scale` and `mu_prior` apply to method='bayes' only; "
                f"you passed method={method!r}."
            )
        if method == "FE" and test == "knha":
            _warn(
                "test='knha' rescales the variance of mu by the residual heterogeneity, which a "
                "fixed-effect model assumes away (metafor warns likewise); use method='REML' "
                "with test='knha', or test='z' with method='FE'."
            )
        freq = fit_freq(y, v, method, test)
        if k == 2:
            _warn(
                f"only 2 sites: tau is barely identified and the {method} estimate of tau2 "
                f"({freq.tau2:.4g}) rests on one contrast; report it beside method='FE', or "
                "use method='bayes' with a proper prior and compare priors."
            )
        return _with_nonexperimental(
            _frequentist(table, freq, method, test, alpha, options), table, names_nx
        )
    if test != "z":
        raise KaizenError(
            "`test` applies to the frequentist methods; method='bayes' reports the posterior. "
            f"You passed test={test!r}."
        )
    scale = _check_prior(prior, prior_scale, mu_prior, k)
    fit = pb.fit_bayes(y, v, prior=prior, scale=scale, mu_prior=mu_prior)
    summ = pb.summarize(fit, alpha)
    if k == 2:
        if scale is None:  # uniform on tau, made proper by the normal prior on mu
            against = "a uniform prior on tau (no median)"
        else:
            med = scale * (1.0 if prior == "half_cauchy" else stats.halfnorm.ppf(0.5))
            against = f"the {prior} prior's median {med:.4g}"
        _warn(
            f"only 2 sites: tau is barely identified, the posterior leans on the prior: "
            f"posterior median of tau {summ['q'][1, 1]:.4g} against {against}; compare other "
            "priors or scales before relying on it."
        )
    heavy = [
        n
        for n, m in zip(("mu", "tau", "theta_new"), summ["sd"][:3], strict=True)
        if not np.isfinite(m)
    ]
    if heavy:
        remedy = "prior='half_normal'" if prior == "half_cauchy" else "a half-Cauchy or half-normal"
        _warn(
            f"with {k} sites and the {prior} prior on tau the posterior sd of "
            f"{', '.join(heavy)} is infinite (the density of tau falls like tau^-{fit.tail:g}); "
            f"the quantiles are finite. Pass {remedy} prior (with `prior_scale`) for finite "
            "moments."
        )
        notes.append(f"posterior sd infinite for {', '.join(heavy)} ({prior} prior on tau)")
    return _with_nonexperimental(
        _bayesian(table, fit, summ, prior, tuple(notes), options), table, names_nx
    )


def _with_nonexperimental(
    pooled: PooledEstimate, table: SiteTable, names_nx: list[str]
) -> PooledEstimate:
    """Record which sites are randomized; with non-randomized ones, note how far they move mu."""
    flags = tuple(bool(e) for e in table.experimental)
    notes = list(pooled.notes)
    if names_nx:
        randomized = pooled.sites[list(flags)][["estimate", "std_error"]]
        listed = ", ".join(names_nx)
        if len(randomized) >= 2:
            opts = {k: v for k, v in pooled._options.items() if k != "nonexperimental"}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", KaizenWarning)
                alone = pool_sites(randomized, **opts)
            notes.append(
                f"non-randomized site(s) pooled: {listed}; without them mu = {alone.mu:,.4g} "
                f"({alone.ci_low:,.4g} to {alone.ci_high:,.4g}), so they move mu by "
                f"{pooled.mu - alone.mu:+,.4g}"
            )
        else:
            notes.append(
                f"non-randomized site(s) pooled: {listed}; fewer than 2 randomized sites, so mu "
                "without them cannot be computed"
            )
    return dataclasses.replace(pooled, notes=tuple(notes), _experimental=flags)


def _warn(message: str) -> None:
    warnings.warn(message, KaizenWarning, stacklevel=3)


def _check_prior(prior: str, scale: Any, mu_prior: Any, k: int) -> float | None:
    if prior == "uniform":
        if scale is not None:
            raise KaizenError("`prior_scale` is for prior='half_cauchy' or 'half_normal'.")
        if k == 2 and mu_prior is None:
            raise KaizenError(
                "with 2 sites the posterior under the uniform prior on tau is improper; pass "
                "prior='half_cauchy' or 'half_normal' with a `prior_scale`."
            )
    elif isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < np.inf:
        raise KaizenError(
            f"prior={prior!r} needs a positive `prior_scale` (in the units of the effect). "
            f"You passed: {scale!r}."
        )
    if mu_prior is not None:
        ok = isinstance(mu_prior, tuple | list) and len(mu_prior) == 2
        ok = ok and all(isinstance(m, int | float) and not isinstance(m, bool) for m in mu_prior)
        if not ok or not np.isfinite(mu_prior[0]) or not 0 < mu_prior[1] < np.inf:
            raise KaizenError(
                "`mu_prior` must be (mean, sd) with a positive, finite sd. "
                f"You passed: {mu_prior!r}."
            )
    return None if scale is None else float(scale)


def _frequentist(table: SiteTable, f: FreqFit, method, test, alpha, options) -> PooledEstimate:
    crit = _crit(alpha, f.df)
    stat = f.mu / f.std_error
    half_pi = crit * np.sqrt(f.std_error**2 + f.tau2)
    b = table.se**2 / (table.se**2 + f.tau2)
    return _result(
        table,
        options,
        weight=f.weight,
        shrunk=f.shrunk,
        shrunk_se=f.shrunk_se,
        pooling=np.column_stack([b] * 4),
        mu=f.mu,
        std_error=f.std_error,
        ci_low=f.mu - crit * f.std_error,
        ci_high=f.mu + crit * f.std_error,
        pvalue=float(_two_sided(stat, f.df)),
        tau2=f.tau2,
        tau=float(np.sqrt(f.tau2)),
        i2=f.i2,
        q=f.q,
        q_pvalue=f.q_pvalue,
        prediction_interval=(float(f.mu - half_pi), float(f.mu + half_pi)),
        df=f.df,
        method=method,
        test=test,
        prior=None,
        notes=(),
        _posterior=None,
        _site_ci=None,
        _fit=f,
    )


def _bayesian(table: SiteTable, fit, summ, prior, notes, options) -> PooledEstimate:
    names, y, se = table.names, table.y, table.se
    q = summ["q"]
    post = pd.DataFrame(
        {"mean": summ["mean"], "sd": summ["sd"], "q2.5": q[0], "q50": q[1], "q97.5": q[2]},
        index=pd.Index(
            ["mu", "tau", "theta_new", *(f"theta[{n}]" for n in names)], name="quantity"
        ),
    )
    w0 = 1.0 / se**2
    mu0 = float(w0 @ y / w0.sum())
    qstat = float(w0 @ (y - mu0) ** 2)
    p_below = summ["p_mu_below_0"]
    tau_mean = summ["mean"][1]
    return _result(
        table,
        options,
        weight=summ["weight"],
        shrunk=summ["mean"][3:],
        shrunk_se=summ["sd"][3:],
        pooling=summ["pooling"].T,
        mu=float(summ["mean"][0]),
        std_error=float(summ["sd"][0]),
        ci_low=float(q[3, 0]),
        ci_high=float(q[4, 0]),
        pvalue=float(2 * min(p_below, 1 - p_below)),
        tau2=float(summ["tau2_mean"]),
        tau=float(tau_mean),
        i2=float(summ["i2_mean"]),
        q=qstat,
        q_pvalue=float(stats.chi2.sf(qstat, len(y) - 1)),
        prediction_interval=(float(q[3, 2]), float(q[4, 2])),
        df=np.inf,
        method="bayes",
        test="z",
        prior=prior,
        notes=notes,
        _posterior=post,
        _site_ci=q[3:5, 3:],
        _fit=fit,
    )


def _result(
    table: SiteTable,
    options: Mapping[str, Any],
    *,
    weight: Any,
    shrunk: Any,
    shrunk_se: Any,
    pooling: Any,
    **pooled: Any,
) -> PooledEstimate:
    """Build the result with what every method records alike: sites, pooling, level, options.

    ``pooling`` holds the ``(k, 4)`` pooling factors; ``pooled``, the method's own fields.
    """
    index = pd.Index(table.names, name="site")
    sites = pd.DataFrame(
        {
            "estimate": table.y,
            "std_error": table.se,
            "weight": weight,
            "shrunk": shrunk,
            "shrunk_se": shrunk_se,
        },
        index=index,
    )
    return PooledEstimate(
        **pooled,
        alpha=options["alpha"],
        outcome=table.outcome,
        estimand=table.estimand,
        _sites=sites,
        _pooling=pd.DataFrame(pooling, index=index, columns=["mean", "q2.5", "q50", "q97.5"]),
        _options=options,
    )


def leave_one_site_out(pooled: PooledEstimate) -> pd.DataFrame:
    """Pool again without each site in turn, to see how much one site moves the answer.

    Parameters
    ----------
    pooled : PooledEstimate
        A result of :func:`pool_sites` with at least 3 sites; each refit uses its method, test,
        level and prior.

    Returns
    -------
    pandas.DataFrame
        Indexed by the omitted site: ``mu``, ``std_error``, ``ci_low``, ``ci_high``,
        ``pvalue``, ``tau2``, ``i2``, ``pi_low``, ``pi_high`` (the prediction interval) and
        ``shift`` (``mu`` without the site minus ``mu`` with all sites). Frequentist methods
        agree with ``metafor::leave1out``.

    Raises
    ------
    KaizenError
        Fewer than 3 sites (a leave-one-out fit needs 2).

    Examples
    --------
    >>> import pandas as pd
    >>> import kaizen_eval as ke
    >>> t = pd.DataFrame({"estimate": [1.0, 2.0, 4.0, 2.5], "std_error": [1.0, 1.0, 1.0, 0.5]},
    ...                  index=["a", "b", "c", "d"])
    >>> loo = ke.leave_one_site_out(ke.pool_sites(t, method="FE"))
    >>> round(float(loo.loc["c", "mu"]), 4)
    2.1667
    """
    if not isinstance(pooled, PooledEstimate):
        raise TypeError(
            f"`pooled` must be a PooledEstimate from ke.pool_sites; got {type(pooled).__name__}."
        )
    sites = pooled.sites
    if len(sites) < 3:
        raise KaizenError(
            f"leave-one-site-out needs at least 3 sites (each refit pools 2 or more); "
            f"`pooled` has {len(sites)}."
        )
    rows = {}
    with warnings.catch_warnings():
        # A refit may have 2 sites or heavy tails; the warning belongs to the full fit.
        warnings.simplefilter("ignore", KaizenWarning)
        for site in sites.index:
            rest = sites.drop(index=site)[["estimate", "std_error"]]
            flags = pooled.experimental.drop(index=site)
            p = pool_sites(rest.assign(experimental=flags.to_numpy()), **pooled._options)
            rows[site] = {
                "mu": p.mu,
                "std_error": p.std_error,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "pvalue": p.pvalue,
                "tau2": p.tau2,
                "i2": p.i2,
                "pi_low": p.prediction_interval[0],
                "pi_high": p.prediction_interval[1],
                "shift": p.mu - pooled.mu,
            }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "omitted"
    return out
