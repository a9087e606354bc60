"""The result of :func:`~kaizen_eval.estimate.wild.wild_cluster_bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class WildBootstrap:
    """Result of a wild cluster bootstrap test of ``H0: β = null``.

    Attributes
    ----------
    pvalue : float
        Share of bootstrap ``|t*|`` at least the observed ``|t|`` (symmetric test). With every
        Rademacher sign pattern enumerated (``exact``), the share over all ``2^G`` patterns.
    statistic : float
        Observed CR1 t statistic of ``β̂ − null`` (with ``bootstrap="AR"``: of the reduced-form
        coefficient of the instrument in the regression of ``y − null·d``).
    estimate : float
        ``β̂`` (OLS, or 2SLS with an instrument).
    draws : numpy.ndarray
        Bootstrap t statistics (read-only).
    exact : bool
        Whether every Rademacher pattern was enumerated.
    weights : str
    n_clusters : int
        CR1 clusters.
    null : float
    ci_low, ci_high : float
        With ``ci=True``, the ``1 − alpha`` interval obtained by inverting the test (the same
        cluster weights for every hypothesized value); ``nan`` otherwise, ``±inf`` if the test
        never rejects within 50 standard errors on that side.
    bootstrap : str
        ``"WCR"``, ``"WCU"``, ``"WRE"`` or ``"AR"``.
    n_boot_clusters : int
        Clusters whose residuals share a weight (``n_clusters`` unless ``bootstrap_cluster``).
    std_error : float
        CR1 standard error of ``β̂``.
    """

    pvalue: float
    statistic: float
    estimate: float
    draws: np.ndarray
    exact: bool
    weights: str
    n_clusters: int
    null: float
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    bootstrap: str = "WCR"
    n_boot_clusters: int = 0
    std_error: float = float("nan")

    def __post_init__(self) -> None:
        d = np.array(self.draws, dtype=float, copy=True)
        d.flags.writeable = False
        object.__setattr__(self, "draws", d)
        if not self.n_boot_clusters:
            object.__setattr__(self, "n_boot_clusters", self.n_clusters)

    def tidy(self) -> pd.DataFrame:
        """Return one row, indexed ``"estimate"``.

        Columns: estimate, std_error, statistic, pvalue, ci_low, ci_high, null, draws (their
        number), exact, bootstrap, weights, n_clusters, n_boot_clusters.
        """
        row = {
            "estimate": self.estimate,
            "std_error": self.std_error,
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "null": self.null,
            "draws": len(self.draws),
            "exact": self.exact,
            "bootstrap": self.bootstrap,
            "weights": self.weights,
            "n_clusters": self.n_clusters,
            "n_boot_clusters": self.n_boot_clusters,
        }
        return pd.DataFrame([row], index=pd.Index(["estimate"], name="term"))

    def summary(self) -> str:
        """Describe in a few lines the test, the estimate, the p-value and the interval."""
        kind = "all sign patterns" if self.exact else f"{len(self.draws):,} draws"
        clusters = f"{self.n_clusters} clusters"
        if self.n_boot_clusters != self.n_clusters:
            clusters += f", bootstrap on {self.n_boot_clusters}"
        lines = [
            f"Wild cluster bootstrap ({self.bootstrap}, {self.weights} weights, {kind}; "
            f"{clusters})",
            f"  estimate {self.estimate:,.4f}  (CR1 s.e. {self.std_error:,.4f})",
            f"  H0: beta = {self.null:g}   t = {self.statistic:.3f}   p = {self.pvalue:.4f}",
        ]
        if not np.isnan(self.ci_low):
            lines.append(f"  interval by test inversion: [{self.ci_low:,.4f}, {self.ci_high:,.4f}]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
