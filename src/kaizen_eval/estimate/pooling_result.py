"""The result of :func:`~kaizen_eval.estimate.pooling.pool_sites`: :class:`PooledEstimate`.

The ``sites`` table, one row per site:

``estimate``, ``std_error``
    The site's own estimate and standard error, as passed.
``weight``
    Its weight in ``mu``, percent (``metafor``'s ``weights()``); for ``"bayes"`` the posterior
    mean of its share ``w_j(tau) / sum w(tau)``, so that the posterior mean of ``mu`` is
    ``sum weight_j y_j / 100``.
``shrunk``, ``shrunk_se``
    The site's effect borrowing strength from the others: the BLUP and its standard error
    (``metafor::blup``), or for ``"bayes"`` the posterior mean and sd of ``theta_j``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import check_count, check_seed
from kaizen_eval.estimate import pooling_bayes as pb
from kaizen_eval.estimate._docs_pooling import DOCS
from kaizen_eval.estimate.result import TIDY_COLUMNS

SITE_COLUMNS = ("estimate", "std_error", "weight", "shrunk", "shrunk_se")
POSTERIOR_COLUMNS = ("mean", "sd", "q2.5", "q50", "q97.5")


@dataclass(frozen=True, repr=False, eq=False)
class PooledEstimate(_render.Rendered):
    """The pooled effect across sites, its heterogeneity and a new site's prediction; immutable.

    Attributes
    ----------
    mu, std_error, ci_low, ci_high, pvalue : float
        The average effect, its standard error and ``1 - alpha`` interval (for ``"bayes"``: the
        posterior mean, sd and equal-tailed credible interval; ``pvalue`` is then
        ``2 min(P(mu < 0 | y), P(mu > 0 | y))``).
    tau2, tau : float
        Between-site variance and standard deviation (``tau = sqrt(tau2)``; for ``"bayes"`` the
        posterior means of ``tau**2`` and of ``tau``).
    i2 : float
        Percent of the total variability due to heterogeneity (``metafor``'s ``I^2``; for
        ``"bayes"`` its posterior mean).
    q, q_pvalue : float
        Cochran's Q and its chi-square p-value on ``k - 1`` df (the same for every method).
    prediction_interval : (float, float)
        Where a new site's effect should lie with probability ``1 - alpha``
        (``metafor::predict``; for ``"bayes"`` the quantiles of ``theta_new``).
    df : float
        Degrees of freedom of the t reference (``k - 1`` with ``test="knha"``, else ``inf``).
    method, test, prior, outcome, estimand, alpha, notes
        How the result was obtained (``outcome`` and ``estimand``: those common to the pooled
        estimates, ``None`` when they were given as numbers).
    """

    mu: float
    std_error: float
    ci_low: float
    ci_high: float
    pvalue: float
    tau2: float
    tau: float
    i2: float
    q: float
    q_pvalue: float
    prediction_interval: tuple[float, float]
    df: float
    method: str
    test: str
    alpha: float
    outcome: str | None
    prior: str | None
    notes: tuple[str, ...]
    _sites: pd.DataFrame
    _pooling: pd.DataFrame
    _posterior: pd.DataFrame | None
    _site_ci: np.ndarray | None
    _fit: Any
    estimand: str | None = None
    _options: Mapping[str, Any] = field(default_factory=dict)
    _experimental: tuple[bool, ...] = ()
    _CSS_CLASS: ClassVar[str] = "pooled"

    sites = _render.copied(
        "_sites", "One row per site: ``estimate, std_error, weight, shrunk, shrunk_se`` (a copy)."
    )
    pooling = _render.copied(
        "_pooling",
        """Pooling factor ``s_j**2 / (s_j**2 + tau**2)`` by site (1: fully pooled), a copy.

        Columns ``mean, q2.5, q50, q97.5`` (posterior for ``"bayes"``, as ``baggr`` reports it;
        the plug-in value at the estimated ``tau2``, in every column, otherwise).
        """,
    )
    posterior = _render.copied(
        "_posterior",
        """Posterior summaries for ``"bayes"`` (``None`` for the frequentist methods), a copy.

        Indexed ``mu``, ``tau``, ``theta_new``, ``theta[<site>]``; columns ``mean, sd, q2.5,
        q50, q97.5``.
        """,
    )

    @property
    def experimental(self) -> pd.Series:
        """Whether each site was randomized (``False``: e.g. a DiD estimate), by site."""
        flags = self._experimental or (True,) * len(self._sites)
        return pd.Series(flags, index=self._sites.index, name="experimental", dtype=bool)

    @property
    def n_sites(self) -> int:
        """Number of pooled sites."""
        return len(self._sites)

    @fill_doc(DOCS)
    def draws(self, n: int = 10_000, seed: Any = 0) -> np.ndarray:
        """Draw a new site's effect from its predictive distribution.

        Frequentist methods: ``mu + sqrt(std_error**2 + tau2) * e`` with ``e`` standard normal
        (t on ``df`` degrees of freedom with ``test="knha"``), the distribution whose quantiles
        are the prediction interval. ``"bayes"``: exact draws of ``theta_new`` (``tau`` from its
        grid posterior by inverse CDF, then ``mu`` and ``theta_new`` given ``tau``).

        %(params_draws)s

        %(returns_draws)s

        Examples
        --------
        %(example_three_sites)s
        >>> ke.pool_sites(t, method="DL").draws(5, seed=1).shape
        (5,)
        """
        return self._draw(n, seed, new_site=True)

    @fill_doc(DOCS)
    def mu_draws(self, n: int = 10_000, seed: Any = 0) -> np.ndarray:
        """Draw the average effect ``mu`` from its sampling (or posterior) distribution.

        Frequentist methods: ``mu + std_error * e`` (``e`` normal, or t on ``df`` with
        ``test="knha"``), whose quantiles are the confidence interval; ``"bayes"``: exact
        posterior draws of ``mu``. :meth:`draws` adds the between-site spread of a new site.

        %(params_draws)s

        %(returns_draws)s

        Examples
        --------
        %(example_three_sites)s
        >>> p = ke.pool_sites(t, method="DL")
        >>> bool(p.mu_draws(20_000).std() < p.draws(20_000).std())
        True
        """
        return self._draw(n, seed, new_site=False)

    def _draw(self, n: int, seed: Any, *, new_site: bool) -> np.ndarray:
        n = check_count("n", n)
        rng = np.random.default_rng(check_seed("seed", seed))
        if isinstance(self._fit, pb.BayesFit):
            return pb.predictive_draws(self._fit, n, rng, new_site=new_site)
        e = rng.standard_normal(n) if not np.isfinite(self.df) else rng.standard_t(self.df, n)
        spread = self.std_error**2 + (self.tau2 if new_site else 0.0)
        return self.mu + np.sqrt(spread) * e

    @fill_doc(DOCS)
    def tidy(self) -> pd.DataFrame:
        """Rows ``mu``, ``theta_new`` (a new site) and ``theta[<site>]`` (shrunk), tidy columns.

        Columns as :class:`~kaizen_eval.estimate.result.Estimate`'s ``tidy()``: ``estimate,
        std_error, statistic, pvalue, ci_low, ci_high, df``. ``theta_new``'s interval is the
        prediction interval (no test); a site's interval is its BLUP ± the critical value times
        ``shrunk_se`` (for ``"bayes"``: posterior quantiles, no test).

        Examples
        --------
        %(example_three_sites)s
        >>> list(ke.pool_sites(t, method="DL").tidy().index)
        ['mu', 'theta_new', 'theta[a]', 'theta[b]', 'theta[c]']
        """
        s = self._sites
        bayes = self._posterior is not None
        if bayes:
            p = self._posterior
            lo, hi = self._site_ci
            site_stat = np.full(len(s), np.nan)
            site_p = np.full(len(s), np.nan)
        else:
            crit = _crit(self.alpha, self.df)
            lo = s["shrunk"] - crit * s["shrunk_se"]
            hi = s["shrunk"] + crit * s["shrunk_se"]
            site_stat = (s["shrunk"] / s["shrunk_se"]).to_numpy()
            site_p = _two_sided(site_stat, self.df)
        new_mean = float(p.loc["theta_new", "mean"]) if bayes else self.mu
        new_se = (
            float(p.loc["theta_new", "sd"]) if bayes else np.sqrt(self.std_error**2 + self.tau2)
        )
        rows = {
            "estimate": [self.mu, new_mean, *s["shrunk"]],
            "std_error": [self.std_error, new_se, *s["shrunk_se"]],
            "statistic": [np.nan if bayes else self.mu / self.std_error, np.nan, *site_stat],
            "pvalue": [self.pvalue, np.nan, *site_p],
            "ci_low": [self.ci_low, self.prediction_interval[0], *lo],
            "ci_high": [self.ci_high, self.prediction_interval[1], *hi],
            "df": [self.df, self.df, *([self.df] * len(s))],
        }
        index = ["mu", "theta_new", *(f"theta[{site}]" for site in s.index)]
        return pd.DataFrame(rows, index=pd.Index(index, name="term"))[list(TIDY_COLUMNS)]

    @fill_doc(DOCS)
    def summary(self) -> str:
        """Return a plain-text summary: sites, the pooled effect, heterogeneity, prediction.

        Examples
        --------
        %(example_three_sites)s
        >>> print(ke.pool_sites(t, method="DL").summary().splitlines()[0])
        Pooled across 3 sites: random effects (DL), z test
        """
        return str(self)

    def _table(self) -> _render.Table:
        """Build the display table: sites raw and shrunk, then the pooled effect and a new site."""
        level = F.number(100 * (1 - self.alpha), 0)
        if self.method == "bayes":
            head = f"Pooled across {self.n_sites} sites: Bayesian hierarchical ({self.prior} tau)"
        elif self.method == "FE":
            head = f"Pooled across {self.n_sites} sites: fixed effect (FE), {self.test} test"
        else:
            head = (
                f"Pooled across {self.n_sites} sites: random effects ({self.method}), "
                f"{self.test} test"
            )
        head += f", outcome {F.label(self.outcome)}" if self.outcome else ""
        s = self._sites
        finite = [*s["estimate"], *s["std_error"], self.mu, self.std_error]
        d = F.column_decimals(finite)
        body = [
            [
                F.label(site),
                F.number(r["estimate"], d),
                F.number(r["std_error"], d),
                F.number(r["weight"], 1) + " %",
                F.number(r["shrunk"], d),
                F.number(r["shrunk_se"], d),
            ]
            for site, r in s.iterrows()
        ]

        def val(x: float, digits: int | None = d) -> str:
            if np.isinf(x):
                return "infinite" if x > 0 else "-infinite"
            return F.number(x, digits) if np.isfinite(x) else "not defined"

        lo, hi = self.prediction_interval
        kind = "credible" if self.method == "bayes" else "CI"
        notes = [
            f"Pooled effect mu = {val(self.mu)} (SE {val(self.std_error)}), "
            f"{level} % {kind} [{val(self.ci_low)}, {val(self.ci_high)}]"
            + ("" if self.method == "bayes" else f", {F.p_clause(self.pvalue)}")
            + ".",
            f"Heterogeneity: tau² = {val(self.tau2, None)}, tau = {val(self.tau, None)}, "
            f"I² = {val(self.i2, 1)} %, Q = {val(self.q, 2)} "
            f"(df = {self.n_sites - 1}, {F.p_clause(self.q_pvalue)}).",
            f"A new site: {level} % prediction interval [{val(lo)}, {val(hi)}].",
        ]
        if self._posterior is not None:
            post = F.frame(self._posterior)
            notes.append(
                "Posterior: "
                + "; ".join(
                    f"{name}: " + ", ".join(f"{c} {v}" for c, v in row.items() if v)
                    for name, row in post.iterrows()
                )
                + "."
            )
        notes.extend(F.sentence(n) for n in self.notes)
        header = ["Site", "Estimate", "SE", "Weight", "Shrunk", "Shrunk SE"]
        return _render.Table(header=[header], body=body, notes=notes, caption=head,
                             align="l" + "r" * 5)  # fmt: skip

    def __repr__(self) -> str:
        return f"<PooledEstimate {self.summary()}>"

    @fill_doc(DOCS)
    def plot(self, *, title: str | None = None, xlabel: str = "Effect") -> Any:
        """Forest plot: each site raw and shrunk, the pooled diamond, the prediction interval.

        %(returns_figure)s

        Examples
        --------
        %(example_three_sites)s
        >>> len(ke.pool_sites(t).plot().axes)
        1
        """
        from kaizen_eval.estimate.pooling_plot import forest_plot

        return forest_plot(self, title=title, xlabel=xlabel)


def _crit(alpha: float, df: float) -> float:
    """Return the ``1 - alpha / 2`` quantile of the normal (``df`` infinite) or of the t."""
    p = 1 - alpha / 2
    return float(special.ndtri(p) if not np.isfinite(df) else special.stdtrit(df, p))


def _two_sided(stat: Any, df: float) -> Any:
    """Return the two-sided p-value of ``stat``: normal (``df`` infinite) or t."""
    a = -np.abs(stat)
    return 2 * (special.ndtr(a) if not np.isfinite(df) else special.stdtr(df, a))
