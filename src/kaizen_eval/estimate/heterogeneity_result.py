"""The result of :func:`~kaizen_eval.estimate.heterogeneity.heterogeneity`: BLP, GATES, CLAN."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval import _format as F
from kaizen_eval._render import copied
from kaizen_eval._validation import check_probability
from kaizen_eval.estimate.heterogeneity_core import Arrays, Split, share_effect

INFERENCE_COLUMNS = ("estimate", "ci_low", "ci_high", "pvalue")


def median_inference(est, se, dof, alpha: float, index) -> pd.DataFrame:
    """Aggregate per-split estimates (rows: splits) as the paper does.

    Estimate: the median of the estimates; interval: the medians of the per-split ``1 − α``
    bounds (a ``1 − 2α`` interval); p-value: ``min(1, 2 · median p)``.
    """
    est, se, dof = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (est, se, dof))
    q = np.where(
        np.isfinite(dof),
        stats.t.ppf(1 - alpha / 2, np.where(np.isfinite(dof), dof, 1)),
        stats.norm.ppf(1 - alpha / 2),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(est / se)
        p = np.where(
            np.isfinite(dof),
            2 * stats.t.sf(z, np.where(np.isfinite(dof), dof, 1)),
            2 * stats.norm.sf(z),
        )

    def med(a: np.ndarray) -> np.ndarray:
        return np.nanmedian(a, axis=0) if np.isnan(a).any() else np.median(a, axis=0)

    return pd.DataFrame(
        {
            "estimate": med(est),
            "ci_low": med(est - q * se),
            "ci_high": med(est + q * se),
            "pvalue": np.minimum(1.0, 2 * med(p)),
        },
        index=index,
    )


@dataclass(frozen=True, repr=False, eq=False)
class Heterogeneity:
    """Generic ML inference on heterogeneous effects (BLP, GATES, CLAN); immutable.

    The tables are returned as copies. Intervals are the medians over splits of the
    per-split ``1 − α`` intervals, so their confidence level is ``1 − 2α`` (90 % by default);
    p-values are twice the median p-value (capped at 1).

    Attributes
    ----------
    splits, groups : int
        Number of sample splits and of GATES groups.
    learner : str
        The learner used.
    alpha : float
        Per-split level (the reported intervals have level ``1 − 2α``).
    nobs : int
        Rows in the estimation sample.
    n_clusters : int or None
        Clusters, when the split and the covariance are clustered.
    notes : tuple of str
        Remarks (how the propensity was obtained, the covariance type).
    """

    _blp: pd.DataFrame
    _gates: pd.DataFrame
    _gates_difference: pd.DataFrame
    _clan: pd.DataFrame
    splits: int
    groups: int
    learner: str
    alpha: float
    nobs: int
    n_clusters: int | None
    notes: tuple[str, ...]
    _arrays: Arrays = field(repr=False)
    _splits: tuple[Split, ...] = field(repr=False)

    blp = copied(
        "_blp",
        "BLP: rows ``ate`` (β₁) and ``heterogeneity`` (β₂); estimate, ci_low, ci_high, pvalue.",
    )
    gates = copied(
        "_gates", "GATES: rows ``1 … groups`` (least to most affected), as ``blp``'s columns."
    )
    gates_difference = copied(
        "_gates_difference",
        'The most-minus-least-affected GATES test (one row, ``"most - least"``).',
    )
    clan = copied(
        "_clan", "CLAN: rows by covariate; most, least, difference, ci_low, ci_high, pvalue."
    )

    def tidy(self) -> pd.DataFrame:
        """BLP, GATES and the GATES difference in one table (indexed by ``blp:…``, ``gates:…``)."""
        parts = [
            self._blp.rename(index=lambda i: f"blp:{i}"),
            self._gates.rename(index=lambda i: f"gates:{i}"),
            self._gates_difference.rename(index=lambda i: f"gates:{i}"),
        ]
        out = pd.concat(parts)
        out.index.name = "term"
        return out

    def top_effects(self, shares, *, per_split: bool = False) -> pd.DataFrame:
        """Average effect among the top ``share`` by predicted effect, for each share.

        Each split ranks its main half by the predicted effect learnt on the other half, so
        the ranking is independent of the outcomes it is evaluated on; the per-split
        estimates are aggregated like GATES.

        Parameters
        ----------
        shares : sequence of float
            Shares in ``(0, 1]`` (``1`` is everyone: the ATE).
        per_split : bool
            Return the per-split rows (``split, share, estimate, std_error, df``) instead.

        Returns
        -------
        pandas.DataFrame
            Indexed by share: estimate, ci_low, ci_high, pvalue.
        """
        shares = [check_probability("shares", s, zero=False) for s in np.atleast_1d(shares)]
        rows = [
            (i, s, *share_effect(self._arrays, sp, s))
            for i, sp in enumerate(self._splits)
            for s in shares
        ]
        long = pd.DataFrame(rows, columns=["split", "share", "estimate", "std_error", "df"])
        if per_split:
            return long
        wide = {
            c: long.pivot(index="split", columns="share", values=c)
            for c in ("estimate", "std_error", "df")
        }
        idx = pd.Index(shares, name="share")
        return median_inference(
            wide["estimate"][shares].to_numpy(),
            wide["std_error"][shares].to_numpy(),
            wide["df"][shares].to_numpy(),
            self.alpha,
            idx,
        )

    def summary(self) -> str:
        """Return a plain-text summary: BLP, GATES and the most-affected minus least test, CLAN."""
        level = round(100 * (1 - 2 * self.alpha))
        fmt = lambda v: f"{v:.4g}"  # noqa: E731
        lines = [
            f"Generic ML heterogeneity ({self.learner}, {self.splits} splits, {self.groups} "
            f"groups): N = {self.nobs}"
            + (f", {self.n_clusters} clusters" if self.n_clusters else "")
            + f"; medians over splits, {level}% intervals, p-values 2 x median",
            "BLP",
            self._blp.to_string(float_format=fmt),
            "GATES (1 = least affected)",
            pd.concat([self._gates, self._gates_difference]).to_string(float_format=fmt),
            "CLAN",
            self._clan.to_string(float_format=fmt),
        ]
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<Heterogeneity {self.summary()}>"

    def plot(self, ax: Any = None, *, clan: bool = True):
        """Plot GATES with their intervals and the ATE band, and the CLAN table beside them.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw the GATES (the CLAN table is then left out).
        clan : bool
            Draw the CLAN table (most, least, difference, p-value) on a second panel.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        table_ax = None
        if ax is None:
            if clan:
                fig, (ax, table_ax) = plt.subplots(
                    1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]}
                )
            else:
                fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        g = self._gates
        x = np.arange(1, len(g) + 1)
        ax.errorbar(
            x,
            g["estimate"],
            yerr=[g["estimate"] - g["ci_low"], g["ci_high"] - g["estimate"]],
            fmt="o",
            capsize=4,
            label="GATES",
        )
        ate = self._blp.loc["ate"]
        ax.axhline(ate["estimate"], color="grey", linestyle="--", label="ATE")
        ax.axhspan(ate["ci_low"], ate["ci_high"], color="grey", alpha=0.15)
        ax.set_xticks(x)
        ax.set_xlabel("group by predicted effect (1 = least affected)")
        ax.set_ylabel("effect")
        level = round(100 * (1 - 2 * self.alpha))
        ax.set_title(f"GATES with {level}% intervals ({self.splits} splits)")
        ax.legend()
        if table_ax is not None:
            c = self._clan
            cells = [  # one row's numbers share their decimals; never an exponent
                [*F.column([r.most, r.least, r.difference]), F.pvalue(r.pvalue)]
                for r in c.itertuples()
            ]
            table_ax.axis("off")
            table_ax.table(
                cellText=cells,
                rowLabels=[F.label(i) for i in c.index],
                colLabels=["Most affected", "Least affected", "Difference", "p-value"],
                loc="center",
            )
            table_ax.set_title("CLAN: most vs least affected")
        return fig
