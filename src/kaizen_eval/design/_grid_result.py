"""The result of :func:`~kaizen_eval.design.power_grid.power_grid`: its table and power curves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kaizen_eval._render import copied
from kaizen_eval.design._montecarlo import MonteCarloResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True, repr=False, eq=False)
class PowerGrid(MonteCarloResult):
    """Simulated power over a grid of designs; immutable.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per grid point (a copy on access): ``n``, ``takeup``, ``effect``, ``icc`` (the
        grid), ``estimand`` (``"ITT"`` when take-up is 1, else ``"LATE"``), ``power`` (share of
        replications with p-value < ``alpha``), ``power_mc_se`` (its Monte Carlo standard
        error ``sqrt(p(1 - p) / sims)``), ``bias`` (mean estimate minus the true effect),
        ``coverage`` (share of ``1 - alpha`` intervals containing the true effect),
        ``mean_estimate``, ``mean_std_error``, ``sims``.
    sims : int
        Replications per grid point.
    alpha : float
        Test level.
    design : str
        ``"single"`` or ``"factorial"``.
    cluster_size : int
        Units per cluster (1: no clustering).
    strata : int
        Number of strata.
    """

    design: str
    cluster_size: int
    strata: int
    table = copied("_table", "One row per grid point (a copy).")

    def __repr__(self) -> str:
        return (
            f"<PowerGrid: {len(self._table)} grid points × {self.sims} replications, "
            f"{self.design} design>"
        )

    def plot(self, ax: Axes | None = None) -> Figure:
        """Power curves: power against sample size, one line per (effect, take-up, ICC).

        Error bars are ±2 Monte Carlo standard errors; dotted lines mark ``alpha`` and 0.8.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Draw on this axes; by default on a new :class:`matplotlib.figure.Figure` (no pyplot).

        Returns
        -------
        matplotlib.figure.Figure
        """
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(6.4, 4.2), layout="constrained")
            ax = fig.subplots()
        else:
            fig = ax.figure
        t = self._table
        keys = ["effect", "takeup", "icc"]
        varying = [k for k in keys if t[k].nunique() > 1]
        for values, part in t.groupby(keys, sort=True):
            part = part.sort_values("n")
            shown = dict(zip(keys, values, strict=True))
            label = ", ".join(f"{k}={shown[k]:g}" for k in (varying or ["effect"]))
            ax.errorbar(
                part["n"],
                part["power"],
                yerr=2 * part["power_mc_se"],
                marker="o",
                capsize=2,
                label=label,
            )
        ax.axhline(self.alpha, color="grey", linestyle=":", linewidth=0.8)
        ax.axhline(0.8, color="grey", linestyle=":", linewidth=0.8)
        ax.set_xlabel("sample size (firms)")
        ax.set_ylabel("power")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"Simulated power ({self.design} design, {self.sims} replications)")
        ax.legend(loc="best", fontsize="small", frameon=False)
        return fig
