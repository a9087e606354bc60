"""The statistic of randomization inference for many assignments at once (an engine adapter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.engine import ResamplingEngine
from kaizen_eval._core.linear import check_full_rank
from kaizen_eval._validation import KaizenError, as_list
from kaizen_eval.estimate._build import check_outcome
from kaizen_eval.estimate._covariates import covariate_block
from kaizen_eval.estimate._frame import Sample, design_columns, estimation_sample, fe_codes

RIStatistic = Literal["coef", "t"]
RI_STATISTICS: tuple[str, ...] = get_args(RIStatistic)


def baseline_columns(
    data: pd.DataFrame, baseline: str | Sequence[str] | None
) -> tuple[np.ndarray, list[str]] | None:
    """Return the baseline column(s) (each with McKenzie's missing dummy) as covariates."""
    if baseline is None:
        return None
    x, names, _ = covariate_block(data, [], baseline)
    return x, names


def design_roles(
    treatments: Sequence[str],
    instruments: Sequence[str],
    covariates: Sequence[str],
    strata: str | None,
    cluster: str | None,
    fixed_effects: Sequence[str],
) -> list[tuple[str, list[str]]]:
    """Return a randomization design's ``(role, columns)``, in the order dropped rows name them."""
    return [
        ("treatment", list(treatments)),
        ("instrument", list(instruments)),
        ("covariate", list(covariates)),
        ("stratum", as_list(strata)),
        ("cluster", as_list(cluster)),
        ("fixed effect", list(fixed_effects)),
    ]


def ri_sample(
    df: pd.DataFrame,
    outcome: str,
    roles: list[tuple[str, list[str]]],
    assignment: Any,
    strata: str | None,
    baseline: str | Sequence[str] | None,
    where: str,
) -> tuple[Sample, np.ndarray]:
    """Return a randomization test's rows (design ``roles``, assignment id observed), outcome."""
    if assignment is not None and strata is not None:
        raise KaizenError("give either `assignment` or `strata`: the assignment knows its strata")
    id_col = [assignment.id_col] if assignment is not None else []
    roles = [("outcome", [outcome]), *roles, ("id", id_col)]
    sample = estimation_sample(df, roles, where=where, keep=as_list(baseline))
    return sample, check_outcome(sample.data, outcome, where=where)


class StatisticAdapter:
    """Coefficient (or t) of the treatment for many assignments at once (columns of ``T``).

    A thin adapter of :class:`~kaizen_eval._core.engine.ResamplingEngine` (the studentized
    statistic is HC1, or CR1 with ``cluster_codes``); ``y`` may hold several outcomes (columns).
    """

    def __init__(self, data, y, covs, fes, statistic, cluster_codes, extra=None):
        n = len(y)
        x, names = design_columns(data, covs)
        if extra is not None and extra[0].shape[1]:
            x, names = np.hstack([x, extra[0]]), [*names, *extra[1]]
        codes = fe_codes(data, fes)
        absorber = Absorber(codes) if codes is not None else None
        if absorber is None:
            x = np.hstack([np.ones((n, 1)), x])
            names = ["(Intercept)", *names]
        if x.shape[1]:
            absorbed = absorber.residualize(x) if absorber is not None else x
            check_full_rank(absorbed, names, what="covariates", reference=x)
        self.statistic = statistic
        self.several = np.ndim(y) == 2
        self.engine = ResamplingEngine(
            y,
            covariates=x,
            fixed_effects=absorber,
            clusters=cluster_codes,
            se_type="CR1" if cluster_codes is not None else "HC1",
        )

    def partial(self, m: np.ndarray) -> np.ndarray:
        """Residualize columns on the fixed effects and covariates."""
        return self.engine.partial(np.asarray(m, dtype=float).T).T

    def coef_and_slope(self, tmat: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients on ``y`` and on ``d`` of the assignments in ``tmat`` (columns).

        The coefficient on ``y − τ d`` is then ``a − τ c``, linear in ``τ``.
        """
        tt = self.engine.partial(np.asarray(tmat, dtype=float).T)
        ssq = np.einsum("bn,bn->b", tt, tt)
        dd = self.engine.partial_columns(np.asarray(d, dtype=float)[:, None])[:, 0]
        y = self.engine.y[:, 0]
        return np.einsum("bn,n->b", tt, y) / ssq, np.einsum("bn,n->b", tt, dd) / ssq

    def __call__(self, tmat: np.ndarray) -> np.ndarray:
        """Return the statistic of each assignment (columns of ``tmat``, shape ``(n, B)``)."""
        draws = np.asarray(tmat, dtype=float).T  # (B, n): a view of the (B, n) draws
        if self.statistic == "coef":
            out = self.engine.coefficients(draws)
        else:
            out = self.engine.statistics(draws).t
        return out if self.several else out[:, 0]
