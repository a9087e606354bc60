"""The arithmetic of the standardized indices, arrays in and :class:`IndexCore` out.

z-scores on a reference sample, their combination (equal or inverse-covariance weights) and the
restandardization; :mod:`kaizen_eval.scores.standardize` wraps it for data frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError


@dataclass(frozen=True)
class IndexCore:
    """Result of :func:`index_core`.

    Attributes
    ----------
    index : numpy.ndarray, shape (n,)
        Restandardized index (NaN when no component is available).
    raw : numpy.ndarray, shape (n,)
        Combination of the z-scores before restandardizing.
    n_components : numpy.ndarray, shape (n,)
        Number of non-missing components.
    mean, sd : numpy.ndarray, shape (k,)
        Reference mean and standard deviation of each (signed) component.
    n_reference : numpy.ndarray, shape (k,)
        Non-missing reference observations of each component.
    weights : numpy.ndarray, shape (k,)
        Weight of each z-score (equal for Kling, inverse-covariance row sums for Anderson).
    scale : tuple of float
        Reference mean and standard deviation of ``raw``.
    """

    index: np.ndarray
    raw: np.ndarray
    n_components: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    n_reference: np.ndarray
    weights: np.ndarray
    scale: tuple[float, float]


def _zscores(y: np.ndarray, ref: np.ndarray, ddof: int, names: list[str]) -> tuple[np.ndarray, ...]:
    n_ref = (~np.isnan(y[ref])).sum(axis=0)
    short = [names[j] for j in np.flatnonzero(n_ref <= ddof)]
    if short:
        raise KaizenError(
            f"component(s) {short!r} have fewer than {ddof + 1} non-missing values in the "
            "reference sample (controls at baseline)"
        )
    mean = np.nanmean(y[ref], axis=0)
    sd = np.nanstd(y[ref], axis=0, ddof=ddof)
    flat = [names[j] for j in np.flatnonzero(~(sd > 0))]
    if flat:
        raise KaizenError(
            f"component(s) {flat!r} do not vary in the reference sample (controls at baseline), "
            "so they cannot be standardized"
        )
    return (y - mean) / sd, mean, sd, n_ref


def _restandardize(raw: np.ndarray, ref: np.ndarray, ddof: int) -> tuple[np.ndarray, float, float]:
    r = raw[ref & ~np.isnan(raw)]
    if r.size <= ddof:
        raise KaizenError("too few reference firms with an index value to restandardize it")
    m, s = float(r.mean()), float(r.std(ddof=ddof))
    if not s > 0:
        raise KaizenError("the index does not vary in the reference sample (controls at baseline)")
    return (raw - m) / s, m, s


def index_core(
    y: np.ndarray,
    ref: np.ndarray,
    *,
    method: Literal["kling", "icw"] = "kling",
    groups: np.ndarray | None = None,
    ddof: int = 1,
    names: list[str] | None = None,
) -> IndexCore:
    r"""Standardize, combine and restandardize the columns of ``y``.

    Parameters
    ----------
    y : numpy.ndarray, shape (n, k)
        Components (already signed so that higher is better), NaN where missing.
    ref : numpy.ndarray of bool, shape (n,)
        Reference sample (controls at baseline).
    method : {"kling", "icw"}
        Equal weights (Kling–Liebman–Katz) or inverse-covariance weights (Anderson).
    groups : numpy.ndarray, shape (n,), optional
        Kling only: impute a missing z-score at the mean z-score of the firm's group (firms with
        at least one component); ``None`` averages the available z-scores.
    ddof : int, default 1
        Delta degrees of freedom of the standard deviations (1: the sample sd, as Stata's
        ``summarize``).
    names : list of str, optional
        Component names for error messages.

    Returns
    -------
    IndexCore

    Examples
    --------
    >>> y = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, np.nan]])
    >>> r = index_core(y, np.array([True, True, True]))
    >>> r.n_components.tolist(), np.round(r.raw, 4).tolist()
    ([2, 2, 1], [-0.8536, 0.3536, 1.0])
    """
    n, k = y.shape
    names = names or [f"component {j}" for j in range(k)]
    z, mean, sd, n_ref = _zscores(y, ref, ddof, names)
    seen = ~np.isnan(z)
    count = seen.sum(axis=1)
    has = count > 0
    if method == "kling":
        weights = np.full(k, 1.0 / k)
        if groups is not None:
            filled = z.copy()
            for g in pd.unique(groups[has]):
                rows = has & (groups == g)
                block, block_seen = z[rows], seen[rows]
                empty = [names[j] for j in np.flatnonzero(~block_seen.any(axis=0))]
                if empty:
                    raise KaizenError(
                        f"cannot impute group means: component(s) {empty!r} are missing for "
                        f"every firm of group {g!r}"
                    )
                gm = np.nanmean(block, axis=0)
                filled[rows] = np.where(block_seen, block, gm[None, :])
            z_use, w_seen = filled, np.where(has[:, None], 1.0, 0.0) * np.ones((1, k))
        else:
            z_use, w_seen = z, seen.astype(float)
    else:
        zr = pd.DataFrame(z[ref])
        cov = zr.cov(ddof=ddof).to_numpy()
        if np.isnan(cov).any():
            raise KaizenError(
                "the covariance of the components cannot be estimated in the reference sample "
                "(some pairs are never observed together)"
            )
        try:
            weights = np.linalg.solve(cov, np.ones(k))
        except np.linalg.LinAlgError as exc:
            raise KaizenError(
                "the covariance matrix of the standardized components is singular in the reference "
                "sample (a component is a linear combination of others): drop one"
            ) from exc
        z_use, w_seen = z, seen.astype(float)
    wmat = w_seen * weights[None, :]
    denom = wmat.sum(axis=1)
    raw = np.full(n, np.nan)
    ok = has & (denom != 0)
    raw[ok] = (np.where(w_seen > 0, z_use, 0.0) * wmat)[ok].sum(axis=1) / denom[ok]
    index, m, s = _restandardize(raw, ref, ddof)
    return IndexCore(
        index=index,
        raw=raw,
        n_components=count,
        mean=mean,
        sd=sd,
        n_reference=n_ref,
        weights=weights,
        scale=(m, s),
    )
