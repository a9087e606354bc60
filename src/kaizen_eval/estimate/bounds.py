"""Lee (2009) bounds on a treatment effect when attrition (or firm exit) may depend on treatment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import (
    KaizenError,
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
        Share of the observed outcomes trimmed in ``trimmed_arm``.
    trimmed_arm : int
        The arm (1 treated, 0 control) with the higher response rate, whose outcomes are trimmed.
    response : tuple of float
        Response rates ``(control, treated)``.
    nobs : int
        Rows used (observed or not).
    alpha : float
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

    def _table(self) -> _render.Table:
        """Build the display table (printing only): the bounds, their SEs and the interval."""
        d = F.column_decimals([self.lower, self.upper, self.se_lower, self.se_upper])
        level = F.number(100 * (1 - self.alpha), 0)
        body = [
            ["Lower bound", F.number(self.lower, d), f"({F.number(self.se_lower, d)})"],
            ["Upper bound", F.number(self.upper, d), f"({F.number(self.se_upper, d)})"],
        ]
        arm = "treated" if self.trimmed_arm == 1 else "control"
        notes = [
            f"{level} % Imbens-Manski interval for the effect: "
            f"[{F.number(self.ci_low, d)}, {F.number(self.ci_high, d)}].",
            f"Trimmed {F.percent(self.trim_share)} of the observed outcomes in the {arm} arm; "
            f"response rates {F.share(self.response[0])} (control) and "
            f"{F.share(self.response[1])} (treated); N = {F.count(self.nobs)}.",
            "Bootstrap standard errors in parentheses.",
        ]
        return _render.Table(header=[["", "Bound", "SE"]], body=body, notes=notes,
                             caption="Lee (2009) bounds", align="lrr")  # fmt: skip

    def summary(self) -> str:
        """Return the bounds as plain text."""
        return str(self)


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

    Returns
    -------
    LeeBounds

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"z": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "y": [1.0, 2, 3, 4, 1, 2, None, None]})
    >>> b = lee_bounds(df, outcome="y", treatment="z", draws=50)
    >>> b.trim_share, b.lower, b.upper
    (0.5, 0.0, 2.0)
    """
    check_count("draws", draws, least=2)
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    roles = [("treatment", [treatment])] + ([("observed", [observed])] if observed else [])
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
    lo, hi, p, arm = _bounds(y, s, z)
    n = len(z)
    boot = []
    for _ in progress_bar(
        range(draws), total=draws, show=progress, desc="Lee bounds bootstrap", unit="draw"
    ):
        idx = rng.integers(0, n, n)
        zb, sb = z[idx], s[idx]
        if zb.min() == zb.max() or not sb[zb == 0].any() or not sb[zb == 1].any():
            continue
        boot.append(_bounds(y[idx], sb, zb)[:2])
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
    )


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
