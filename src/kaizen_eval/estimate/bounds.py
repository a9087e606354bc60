"""Lee (2009) bounds on a treatment effect when attrition (or firm exit) may depend on treatment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._core.absorb import factorize
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_count,
    check_seed,
    check_variation,
)
from kaizen_eval.estimate._frame import estimation_sample, numeric_column


@dataclass(frozen=True)
class LeeBounds(_render.Rendered):
    """Sharp bounds on the effect for units observed whatever their assignment.

    Attributes
    ----------
    lower, upper : float
        The bounds.
    se_lower, se_upper : float
        Bootstrap standard errors of the bounds.
    ci_low, ci_high : float
        Imbens–Manski (2004) ``1 − alpha`` interval for the effect.
    trim_share : float
        Share of the observed outcomes trimmed in ``trimmed_arm`` (tightened: the cells' trim
        shares averaged with the cell weights).
    trimmed_arm : int
        The arm (1 treated, 0 control) with the higher response rate, whose outcomes are trimmed
        (tightened: ``-1`` when the direction differs between cells; see ``cells``).
    response : tuple of float
        Response rates ``(control, treated)``.
    nobs : int
        Rows used (observed or not).
    alpha : float
    tighten : tuple of str
        The covariates whose cells the bounds were tightened on (empty: Lee's basic bounds).
    cells : pandas.DataFrame or None
        Tightened bounds only: one row per cell (indexed by the covariates' values) with
        ``nobs``, ``response_control``, ``response_treated``, ``trimmed_arm`` (the direction
        of monotonicity detected in the cell: the arm that responds more), ``trim_share``,
        ``lower``, ``upper`` and ``weight`` (the cell's share of the always-observed units).
    skipped_draws : int
        Bootstrap draws left out because a resampled arm (or cell) had no respondents.
    """

    lower: float
    upper: float
    se_lower: float
    se_upper: float
    ci_low: float
    ci_high: float
    trim_share: float
    trimmed_arm: int
    response: tuple[float, float]
    nobs: int
    alpha: float
    tighten: tuple[str, ...] = ()
    cells: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    skipped_draws: int = 0

    def _table(self) -> _render.Table:
        """Build the display table (printing only): the bounds, their SEs and the interval."""
        d = F.column_decimals([self.lower, self.upper, self.se_lower, self.se_upper])
        level = F.number(100 * (1 - self.alpha), 0)
        body = [
            ["Lower bound", F.number(self.lower, d), f"({F.number(self.se_lower, d)})"],
            ["Upper bound", F.number(self.upper, d), f"({F.number(self.se_upper, d)})"],
        ]
        arm = {1: "the treated arm", 0: "the control arm"}.get(
            self.trimmed_arm, "each cell's more responsive arm (see cells)"
        )
        notes = [
            f"{level} % Imbens-Manski interval for the effect: "
            f"[{F.number(self.ci_low, d)}, {F.number(self.ci_high, d)}].",
            f"Trimmed {F.percent(self.trim_share)} of the observed outcomes in {arm}; "
            f"response rates {F.share(self.response[0])} (control) and "
            f"{F.share(self.response[1])} (treated); N = {F.count(self.nobs)}.",
            "Bootstrap standard errors in parentheses.",
        ]
        caption = "Lee (2009) bounds"
        if self.tighten:
            caption += f", tightened within cells of {', '.join(map(F.label, self.tighten))}"
        return _render.Table(header=[["", "Bound", "SE"]], body=body, notes=notes,
                             caption=caption, align="lrr")  # fmt: skip

    def summary(self) -> str:
        """Return the bounds as plain text."""
        return str(self)


class _EmptyCell(KaizenError):
    """A cell (or the whole sample) without respondents in one arm."""


def _trimmed_mean(values: np.ndarray, keep: float, top: bool) -> float:
    """Mean of the lowest (``top=False``) or highest share ``keep`` of ``values``.

    The boundary observation is weighted fractionally so that exactly ``keep·n`` count.
    """
    v = np.sort(values)
    if top:
        v = v[::-1]
    k = keep * len(v)
    whole = int(np.floor(k + 1e-12))
    frac = k - whole
    total = v[:whole].sum() + (frac * v[whole] if frac > 1e-12 and whole < len(v) else 0.0)
    return float(total / k)


def _bounds(y: np.ndarray, s: np.ndarray, z: np.ndarray) -> tuple[float, float, float, int]:
    q1, q0 = s[z == 1].mean(), s[z == 0].mean()
    y1, y0 = y[(z == 1) & s], y[(z == 0) & s]
    if q1 >= q0:
        p = (q1 - q0) / q1
        lo = _trimmed_mean(y1, 1 - p, top=False) - y0.mean()
        hi = _trimmed_mean(y1, 1 - p, top=True) - y0.mean()
        return lo, hi, p, 1
    p = (q0 - q1) / q0
    lo = y1.mean() - _trimmed_mean(y0, 1 - p, top=True)
    hi = y1.mean() - _trimmed_mean(y0, 1 - p, top=False)
    return lo, hi, p, 0


def _cell_bounds(
    y: np.ndarray, s: np.ndarray, z: np.ndarray, cell: np.ndarray, n_cells: int
) -> tuple[float, float, np.ndarray]:
    """Lee (2009, §4) bounds tightened on discrete cells, combined with the cell weights.

    In each cell the arm that responds more is trimmed (the direction is detected per cell);
    the cell bounds are averaged with weights ``π_x ∝ P(X = x) · min(q0_x, q1_x)``, the cell's
    share of the always-observed units under monotonicity within the cell. Returns the lower
    and upper bound and a ``(cells, 9)`` table: nobs, q0, q1, trimmed arm, trim share,
    lower, upper, weight and the number of the cell's respondents.
    """
    table = np.empty((n_cells, 8))
    for x in range(n_cells):
        m = cell == x
        zx, sx = z[m], s[m]
        for arm in (0, 1):
            if not sx[zx == arm].any():
                raise _EmptyCell(str(x), arm)
        lo, hi, p, arm = _bounds(y[m], sx, zx)
        q0, q1 = sx[zx == 0].mean(), sx[zx == 1].mean()
        table[x] = (m.sum(), q0, q1, arm, p, lo, hi, m.mean() * min(q0, q1))
    table[:, 7] /= table[:, 7].sum()
    if n_cells == 1:  # Lee's basic bounds, to the last digit
        return float(table[0, 5]), float(table[0, 6]), table
    return float(table[:, 7] @ table[:, 5]), float(table[:, 7] @ table[:, 6]), table


def lee_bounds(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    observed: str | None = None,
    draws: int = 500,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    progress: bool = False,
    tighten: str | Sequence[str] | None = None,
) -> LeeBounds:
    """Lee (2009) trimming bounds on the effect of a random assignment under attrition.

    Assumes assignment is random and affects response in one direction only (monotonicity).
    The observed outcomes of the arm that responds more are trimmed by the share
    ``(q_high − q_low)/q_high`` from above (lower bound) or below (upper bound).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit that was assigned, whether or not its outcome is observed.
    outcome : str
        Outcome (missing where not observed).
    treatment : str
        Binary random assignment.
    observed : str, optional
        0/1 column saying whether the outcome is observed (default: the outcome is not missing).
    draws : int
        Bootstrap draws for the standard errors of the bounds.
    seed : int or numpy.random.Generator
    alpha : float
    progress : bool
        Show a progress bar of the bootstrap draws on standard error.
    tighten : str or sequence of str, optional
        Discrete baseline covariates (or the strata) to tighten the bounds on (Lee 2009 §4;
        Stata ``leebounds ..., tight()``): the bounds are computed within each cell of their
        values, the direction of monotonicity detected in each cell (as in Semenova's
        generalized Lee bounds), and combined with the cells' shares of the always-observed
        units. The bootstrap resamples rows as for the basic bounds.

    Returns
    -------
    LeeBounds

    Raises
    ------
    KaizenError
        When an arm (or, tightened, an arm within a cell) has no observed outcome.

    Notes
    -----
    Tightened, with cells ``x``, response rates ``q_dx`` and cell bounds ``[L_x, U_x]``:
    ``L = Σ_x π_x L_x``, ``U = Σ_x π_x U_x``,
    ``π_x = P̂(X = x) min(q̂_0x, q̂_1x) / Σ_x' P̂(X = x') min(q̂_0x', q̂_1x')``.
    With one direction of monotonicity in every cell, ``π_x`` estimates Lee's
    ``P(X = x | always observed)``; with a single cell the bounds are the basic ones.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"z": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "y": [1.0, 2, 3, 4, 1, 2, None, None]})
    >>> b = lee_bounds(df, outcome="y", treatment="z", draws=50)
    >>> b.trim_share, b.lower, b.upper
    (0.5, 0.0, 2.0)
    >>> df["stratum"] = [0, 1, 0, 1, 0, 1, 0, 1]
    >>> t = lee_bounds(df.assign(y=[1.0, 2, 3, 4, 1, 2, None, 4]), outcome="y",
    ...                treatment="z", tighten="stratum", draws=50)
    >>> t.cells[["trimmed_arm", "trim_share", "lower", "upper", "weight"]]
             trimmed_arm  trim_share  lower  upper  weight
    stratum
    0                  1         0.5    0.0    2.0  0.333333
    1                  1         0.0    0.0    0.0  0.666667
    """
    check_count("draws", draws, least=2)
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    cell_cols = as_list(tighten)
    roles = [("treatment", [treatment])] + ([("observed", [observed])] if observed else [])
    roles += [("tighten", cell_cols)] if cell_cols else []
    sample = estimation_sample(df, roles, where="lee_bounds", keep=[outcome])
    data = sample.data
    z = numeric_column(data, treatment, "treatment")
    if not np.isin(z, (0.0, 1.0)).all() or z.min() == z.max():
        raise KaizenError(f"treatment {treatment!r} must be a 0/1 assignment with both arms")
    y_raw = data[outcome]
    s = data[observed].to_numpy(dtype=float) == 1 if observed else y_raw.notna().to_numpy()
    y = y_raw.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(y[s]).any():
        raise KaizenError(f"{outcome!r} is missing for rows that {observed!r} marks as observed")
    if np.isinf(y[s]).any():
        raise KaizenError(
            f"outcome {outcome!r} has infinite values in lee_bounds "
            f"({int(np.isinf(y[s]).sum())} rows); fix or drop those rows first."
        )
    check_variation(y[s], outcome, "outcome", where="lee_bounds")
    for arm in (0, 1):
        if not s[z == arm].any():
            raise KaizenError(f"no observed {outcome!r} in the arm {treatment} = {arm}")
    cells = None
    if cell_cols:
        keys = data[cell_cols].astype(str).agg("\x1f".join, axis=1).to_numpy()
        cell = factorize(keys)
        n_cells = int(cell.max()) + 1
        try:
            lo, hi, table = _cell_bounds(y, s, z, cell, n_cells)
        except _EmptyCell as e:
            x, arm = int(e.args[0]), e.args[1]
            first = np.flatnonzero(cell == x)[0]
            where = ", ".join(f"{c} = {data[c].iloc[[first]].tolist()[0]!r}" for c in cell_cols)
            raise KaizenError(
                f"the cell {where} has no observed {outcome!r} in the arm {treatment} = {arm}: "
                "its bounds are undefined; tighten on coarser cells (merge it with a neighbour)"
            ) from None
        cells = _cell_table(data, cell, cell_cols, table)
        p = float(table[:, 7] @ table[:, 4])
        arms = np.unique(table[:, 3])
        arm = int(arms[0]) if arms.size == 1 else -1
    else:
        lo, hi, p, arm = _bounds(y, s, z)
    n = len(z)
    boot, skipped = [], 0
    for _ in progress_bar(
        range(draws), total=draws, show=progress, desc="Lee bounds bootstrap", unit="draw"
    ):
        idx = rng.integers(0, n, n)
        zb, sb = z[idx], s[idx]
        if zb.min() == zb.max() or not sb[zb == 0].any() or not sb[zb == 1].any():
            skipped += 1
            continue
        if not cell_cols:
            boot.append(_bounds(y[idx], sb, zb)[:2])
            continue
        try:
            boot.append(_cell_bounds(y[idx], sb, zb, cell[idx], n_cells)[:2])
        except _EmptyCell:
            skipped += 1
    if len(boot) < 2:
        raise KaizenError(
            f"lee_bounds: {skipped} of {draws} bootstrap draws had an arm (or cell) without "
            "respondents; there are too few respondents for standard errors"
        )
    boot = np.array(boot)
    se_lo, se_hi = np.std(boot, axis=0, ddof=1)
    ci_low, ci_high = _imbens_manski(lo, hi, se_lo, se_hi, alpha)
    return LeeBounds(
        lower=float(lo),
        upper=float(hi),
        se_lower=float(se_lo),
        se_upper=float(se_hi),
        ci_low=ci_low,
        ci_high=ci_high,
        trim_share=float(p),
        trimmed_arm=arm,
        response=(float(s[z == 0].mean()), float(s[z == 1].mean())),
        nobs=n,
        alpha=alpha,
        tighten=tuple(cell_cols),
        cells=cells,
        skipped_draws=skipped,
    )


def _cell_table(
    data: pd.DataFrame, cell: np.ndarray, cols: list[str], table: np.ndarray
) -> pd.DataFrame:
    first = [np.flatnonzero(cell == x)[0] for x in range(table.shape[0])]
    values = data[cols].iloc[first]
    index = (
        pd.Index(values[cols[0]].to_numpy(), name=cols[0])
        if len(cols) == 1
        else pd.MultiIndex.from_frame(values.reset_index(drop=True))
    )
    out = pd.DataFrame(
        table,
        index=index,
        columns=[
            "nobs",
            "response_control",
            "response_treated",
            "trimmed_arm",
            "trim_share",
            "lower",
            "upper",
            "weight",
        ],
    )
    out[["nobs", "trimmed_arm"]] = out[["nobs", "trimmed_arm"]].astype(int)
    return out.sort_index()


def _imbens_manski(lo: float, hi: float, se_lo: float, se_hi: float, alpha: float):
    """Imbens and Manski (2004) interval ``[lo − c σ_lo, hi + c σ_hi]``.

    ``c`` solves ``Φ(c + Δ/max σ) − Φ(−c) = 1 − α`` with ``Δ = hi − lo``.
    """
    width = max(hi - lo, 0.0)
    sigma = max(se_lo, se_hi)
    if sigma <= 0:
        return lo, hi
    c = optimize.brentq(
        lambda c: stats.norm.cdf(c + width / sigma) - stats.norm.cdf(-c) - (1 - alpha),
        0.0,
        10.0,
    )
    return float(lo - c * se_lo), float(hi + c * se_hi)
