"""The result of :func:`~kaizen_eval.estimate.wild.wild_cluster_bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render


@dataclass(frozen=True, eq=False)
class WildBootstrap(_render.Rendered):
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

    def _table(self) -> _render.Table:
        """Build the display table (printing only): estimate, SE, t, p-value and the interval."""
        has_ci = bool(np.isfinite(self.ci_low) or np.isfinite(self.ci_high))
        ends = [self.estimate, *(e for e in (self.ci_low, self.ci_high) if np.isfinite(e))]
        d = F.column_decimals(ends)
        header = ["", "Estimate", "SE", "t", "p-value"]
        header += ["CI low", "CI high"] if has_ci else []
        row = [
            "Estimate",
            F.number(self.estimate, d),
            F.number(self.std_error, d) if np.isfinite(self.std_error) else "",
            F.number(self.statistic, 2),
            F.pvalue(self.pvalue),
        ]
        if has_ci:
            row += [
                F.number(e, d) if np.isfinite(e) else "unbounded"
                for e in (self.ci_low, self.ci_high)
            ]
        how = "every sign pattern enumerated" if self.exact else f"{F.count(len(self.draws))} draws"
        clusters = f"{F.count(self.n_clusters)} clusters"
        if self.n_boot_clusters != self.n_clusters:
            clusters += f", bootstrap on {F.count(self.n_boot_clusters)}"
        caption = (
            f"Wild cluster bootstrap ({self.bootstrap}), H0: effect = {F.number(self.null)} "
            f"({self.weights} weights, {clusters}, {how})"
        )
        notes = ["SE: CR1 standard error; t: CR1 statistic of the estimate minus the null."]
        if has_ci:
            notes.append(
                "Interval: the test inverted with the same cluster weights (unbounded: never "
                "rejected within 50 standard errors)."
            )
        return _render.Table(
            header=[header],
            body=[row],
            notes=notes,
            caption=caption,
            align="l" + "r" * (len(header) - 1),
        )

    def summary(self) -> str:
        """Return the test as plain text (the table of :meth:`_table`)."""
        return str(self)
