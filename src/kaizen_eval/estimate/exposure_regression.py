r"""Regression-adjusted exposure means (Aronow & Samii 2017, §6; Gao & Ding 2023).

The Hájek mean of condition ``k`` is the coefficient of a weighted least-squares fit of ``Y`` on
the condition indicators with weights ``1/π_i(k_i)`` (each firm weighted by the inverse
probability of the condition it is observed in). Covariate adjustment adds pre-treatment
covariates ``X`` centred at their mean over the firms of the estimand, ``X̄`` (known for every
firm, whatever its condition):

- ``interact=True`` (default): one slope per condition, ``Y ~ Σ_k I(k) [α_k + (X − X̄)'β_k]``.
  ``α_k`` is the survey-sampling *regression estimator* of the mean of ``Y(k)`` at ``X̄`` (Lin
  2013 under interference: Gao & Ding 2023, who show it is never less efficient than the Hájek
  estimator asymptotically);
- ``interact=False``: common slopes, ``Y ~ Σ_k α_k I(k) + (X − X̄)'β`` (the covariance
  adjustment of Aronow & Samii 2017).

The contrast ``α_k − α_l`` is the adjusted effect. Its variance is linearized as the paper
suggests: the conservative Aronow–Samii variance of the WLS residuals ``e_i = Y_i − Ŷ_i``
(without covariates the residuals are ``Y_i − Ŷ_H(k_i)``, and the estimator *is* Hájek's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, finite_column, require_columns


def check_covariates(covariates: list[str], estimator: str, interact: object) -> list[str]:
    """Return ``covariates`` if they fit ``estimator`` (only "regression" takes them)."""
    if estimator == "regression" and not covariates:
        raise KaizenError(
            "estimator='regression' adjusts for `covariates`: name at least one (without "
            "covariates it is the Hájek estimator: estimator='Hajek')."
        )
    if covariates and estimator != "regression":
        raise KaizenError(
            f"`covariates` {covariates} are used only by estimator='regression' (the {estimator} "
            "estimator would ignore them)."
        )
    if not isinstance(interact, bool):
        raise KaizenError(f"`interact` must be True or False; got {interact!r}.")
    return covariates


def covariate_matrix(
    df: pd.DataFrame, covariates: list[str], *, outcome: str, treatment: str, id_col: str
) -> np.ndarray:
    """Return the covariates as an (N, p) array; raise naming a missing or unfit column."""
    require_columns(df, covariates, where="exposure_effects")
    clash = sorted({outcome, treatment} & set(covariates))
    if clash:
        raise KaizenError(
            f"covariate(s) {clash} are the outcome or the treatment; covariates must be "
            "measured before assignment."
        )
    x = np.empty((len(df), len(covariates)))
    for j, col in enumerate(covariates):
        x[:, j] = finite_column(df, col, "covariate", where="exposure_effects", ids=id_col)
    return x


def _condition_design(ind: np.ndarray, xc: np.ndarray, interact: bool) -> np.ndarray:
    """Design of the WLS fit: the condition indicators, then the centred covariates."""
    if xc.shape[1] == 0:
        return ind
    if interact:
        return np.hstack([ind, (ind[:, :, None] * xc[:, None, :]).reshape(len(ind), -1)])
    return np.hstack([ind, xc])


def _check_identified(
    ind: np.ndarray,
    xc: np.ndarray,
    sw: np.ndarray,
    covariates: list[str],
    conditions: tuple[str, ...],
    interact: bool,
) -> None:
    """Raise naming the condition (or covariates) whose regression is not identified."""
    if interact:
        for k, name in enumerate(conditions):
            inside = ind[:, k] > 0
            block = np.column_stack([np.ones(int(inside.sum())), xc[inside]]) * sw[inside, None]
            if np.linalg.matrix_rank(block) < block.shape[1]:
                raise KaizenError(
                    f"in exposure condition {name!r} the covariates {covariates} are constant "
                    f"or collinear among its {int(inside.sum())} firm(s): its own regression "
                    "is not identified; use fewer covariates, or interact=False (common slopes)."
                )
        return
    design = _condition_design(ind, xc, False) * sw[:, None]
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise KaizenError(
            f"the covariates {covariates} are constant or collinear (with each other or with "
            "the exposure conditions) among the firms of the estimand; drop the redundant ones."
        )


def adjusted_means(
    y: np.ndarray,
    ind: np.ndarray,
    pi: np.ndarray,
    x: np.ndarray,
    *,
    interact: bool,
    covariates: list[str],
    conditions: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Return the regression-adjusted mean of each condition and every firm's WLS residual.

    ``y`` (n,) outcomes, ``ind`` (n, K) 0/1 observed-condition indicators (one per row, every
    condition observed), ``pi`` (n, K) positive probabilities, ``x`` (n, p) covariates.
    """
    w = (ind / pi).sum(axis=1)  # 1 / π_i(k_i)
    xc = x - x.mean(axis=0)
    sw = np.sqrt(w)
    _check_identified(ind, xc, sw, covariates, conditions, interact)
    design = _condition_design(ind, xc, interact)
    coef = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0]
    return coef[: ind.shape[1]], y - design @ coef
