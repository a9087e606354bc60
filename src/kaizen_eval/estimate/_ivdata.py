"""The estimation arrays of an IV model, validated once for ``late`` and ``anderson_rubin``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._validation import KaizenError, as_list
from kaizen_eval.estimate._build import (
    check_assignment,
    check_cluster_column,
    check_varies,
    regression_outcome,
    weight_column,
)
from kaizen_eval.estimate._covariates import covariate_block
from kaizen_eval.estimate._frame import estimation_sample, fe_codes, numeric_column


@dataclass(frozen=True)
class IVData:
    """Arrays of the estimation sample (rows with every column needed, as ``sample`` reports).

    ``x`` holds the covariates (and the baseline with McKenzie's dummy), with an intercept
    first when there are no fixed effects; ``codes`` are the absorbed fixed effects.
    """

    sample: object
    data: pd.DataFrame
    y: np.ndarray
    d: np.ndarray
    z: np.ndarray
    x: np.ndarray
    x_names: list[str]
    weights: np.ndarray | None
    clusters: np.ndarray | None
    codes: np.ndarray | None
    se_type: str
    notes: list[str]

    @property
    def inference(self) -> dict[str, Any]:
        """Keywords of every fit on these arrays: ``se``, ``clusters``, fixed effects, weights."""
        return {
            "se": self.se_type,
            "clusters": self.clusters,
            "fixed_effects": self.codes,
            "weights": self.weights,
        }


def iv_data(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatments: Sequence[str],
    instruments: Sequence[str],
    covariates: Sequence[str],
    fixed_effects: Sequence[str],
    cluster: str | None,
    se: str | None,
    baseline: str | None,
    weights: str | None,
    where: str,
    dose: bool = True,
    by: Sequence[str] = (),
) -> IVData:
    """Validate an IV specification and build its arrays (errors name the column at fault).

    With ``dose=False`` the instruments must be coded 0/1 (``late``'s default); the
    Anderson–Rubin test is valid for any instrument and keeps ``dose=True``.
    """
    treatments, instruments = list(treatments), list(instruments)
    if not treatments or not instruments:
        raise KaizenError("`treatment` and `instrument` must each name at least one column")
    overlap = set(treatments) & set(instruments)
    if overlap:
        raise KaizenError(f"{sorted(overlap)} cannot be both treatment and instrument")
    if len(instruments) < len(treatments):
        raise KaizenError(
            f"{len(treatments)} treatments ({', '.join(treatments)}) need at least as many "
            f"instruments; got {len(instruments)} ({', '.join(instruments)})"
        )
    se_type = check_se_type(se, cluster is not None)
    fes = list(fixed_effects)
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", treatments),
            ("instrument", instruments),
            ("subgroup", list(by)),
            ("covariate", list(covariates)),
            ("fixed effect", fes),
            ("cluster", as_list(cluster)),
            ("weight", as_list(weights)),
        ],
        where=where,
        keep=as_list(baseline),
    )
    data = sample.data
    y = regression_outcome(data, outcome, fes, where=where)
    d = np.column_stack([numeric_column(data, c, "treatment") for c in treatments])
    z = check_assignment(data, instruments, "instrument", where=where, dose=dose)
    notes = check_varies(data, instruments, fes, "instrument")
    clusters = check_cluster_column(data, cluster, where=where, warn=se_type != "CR2", stacklevel=5)
    x, x_names, bnotes = covariate_block(data, list(covariates), baseline)
    notes.extend(bnotes)
    if not fes:
        x = np.hstack([np.ones((len(y), 1)), x])
        x_names = ["(Intercept)", *x_names]
    return IVData(
        sample=sample,
        data=data,
        y=y,
        d=d,
        z=z,
        x=x,
        x_names=x_names,
        weights=weight_column(data, weights, where=where),
        clusters=clusters,
        codes=fe_codes(data, fes),
        se_type=se_type,
        notes=notes,
    )
