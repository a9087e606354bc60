"""Inverse-probability-of-response weights for attrition: a logit of response, by arm.

:func:`attrition_weights` returns the weights as a Series on the frame's index, ready to be a
``weights=`` column of any estimator, with a diagnostics table in ``.attrs["diagnostics"]``.
:func:`fit_response_model` is the array-level model it wraps (asked for by a
:class:`ResponseSpec`), which :mod:`~kaizen_eval.estimate.attrition_ipw` also uses to account
for the estimated weights in the standard errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from kaizen_eval._core.linear import check_full_rank
from kaizen_eval._validation import (
    KaizenError,
    KaizenWarning,
    as_list,
    check_binary,
    check_probability,
    finite_column,
)
from kaizen_eval.estimate._frame import estimation_sample

EXPLODING = 10.0  # a weight above this many times its arm's mean weight is reported
SMALLEST_PROBABILITY = 1e-6  # a respondent's fitted probability below this: weights explode
SEPARATED = 25.0  # |logit| above this (p within 1e-11 of 0 or 1): covariates separate response


@dataclass(frozen=True, eq=False)
class ResponseModel:
    """A fitted response model and its weights, for the rows of an estimation sample.

    Attributes
    ----------
    observed : numpy.ndarray of bool, shape (n,)
        Whether the row responded.
    design : numpy.ndarray, shape (n, m)
        The logit's regressors: ``[1, covariates]`` by arm, ``[1, arm, covariates]`` pooled.
    group : numpy.ndarray of int, shape (n,)
        The logit each row belongs to (its arm with ``by_arm``, else 0).
    fitted : tuple of bool
        Per logit group, whether a logit was fitted (``False``: everyone responded, ``p = 1``).
    coef : tuple of numpy.ndarray
        Per logit group, its coefficients (empty when not fitted).
    prob : numpy.ndarray, shape (n,)
        Fitted response probabilities.
    stratum : numpy.ndarray of int, shape (n,)
        The stabilizing group of each row (its arm, or 0 without a treatment).
    scale : numpy.ndarray, shape (n,)
        The stabilizing numerator of each row (its group's response rate; 1 if not stabilized).
    weights : numpy.ndarray, shape (n,)
        ``scale / prob`` for respondents (trimmed), NaN for the others.
    trimmed : numpy.ndarray of bool, shape (n,)
        Respondents whose weight was capped.
    raw_max : float
        The largest weight before trimming.
    cap : float or None
        The cap of the trimming.
    """

    observed: np.ndarray
    design: np.ndarray
    group: np.ndarray
    fitted: tuple[bool, ...]
    coef: tuple[np.ndarray, ...]
    prob: np.ndarray
    stratum: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    trimmed: np.ndarray
    raw_max: float
    cap: float | None
    stabilize: bool


def _logit(s: np.ndarray, r: np.ndarray, what: str, names: list[str]) -> np.ndarray:
    check_full_rank(r, names, what=f"response covariates ({what})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation is diagnosed below, from the fit
        try:
            res = sm.Logit(s, r).fit(disp=0, method="newton", maxiter=100)
            coef = np.asarray(res.params, dtype=float)
        except Exception as exc:  # statsmodels raises on perfect separation
            raise KaizenError(
                f"the logit of response ({what}) cannot be fitted ({exc}); the response "
                f"covariates {names[1:]} predict response (almost) perfectly: coarsen them"
            ) from None
    eta = r @ coef
    p = 1.0 / (1.0 + np.exp(-eta))
    if (
        not np.isfinite(coef).all()
        or p[s == 1].min() < SMALLEST_PROBABILITY
        or np.abs(eta).max() > SEPARATED
    ):
        raise KaizenError(
            f"the logit of response ({what}) fits probabilities of response of (almost) 0 or "
            f"1: the covariates {names[1:]} separate respondents from the others, and the "
            "weights are not identified (or explode); coarsen them"
        )
    return coef


@dataclass(frozen=True)
class ResponseSpec:
    """The response model a caller asks for, built once from its arguments.

    Attributes
    ----------
    response : str
        0/1 column: whether the row responded.
    treatment : str or None
        The 0/1 arm column (required with ``by_arm``).
    covariates : sequence of str
        Regressors of the logit(s).
    by_arm, stabilize, trim
        As in :func:`attrition_weights`.
    """

    response: str
    treatment: str | None
    covariates: Sequence[str]
    by_arm: bool
    stabilize: bool
    trim: float | None


def fit_response_model(data: pd.DataFrame, spec: ResponseSpec, *, where: str) -> ResponseModel:
    """Fit the logit(s) of response and compute the weights of ``data``'s rows (all observed)."""
    response, treatment = spec.response, spec.treatment
    by_arm, stabilize = spec.by_arm, spec.stabilize
    n = len(data)
    s = check_binary(finite_column(data, response, "response", where=where), response, "response")
    obs = s == 1
    covs = list(spec.covariates)
    x = np.column_stack(
        [finite_column(data, c, "covariate", where=where) for c in covs] or [np.empty((n, 0))]
    )
    if treatment is not None:
        z = check_binary(
            finite_column(data, treatment, "treatment", where=where), treatment, "treatment"
        )
        arms = z.astype(int)
    else:
        if by_arm:
            raise KaizenError(f"{where}: `by_arm=True` needs `treatment` (the arm column)")
        arms = np.zeros(n, dtype=int)
    if obs.all():
        raise KaizenError(f"{where}: every row responded ({response!r} is 1): nothing to weight")
    for a in np.unique(arms):
        rate = obs[arms == a].mean()
        label = f"the arm {treatment} = {a}" if treatment else "the sample"
        if rate == 0:
            raise KaizenError(
                f"{where}: nobody responded in {label} ({response!r} is 0 in every row): "
                "there is nobody to weight; the effect is not identified from this arm"
            )
        if rate == 1 and (by_arm or treatment is None):
            warnings.warn(
                f"{where}: everyone responded in {label}: its weights are 1 (no logit fitted)",
                KaizenWarning,
                stacklevel=3,
            )
    if by_arm:
        design = np.column_stack([np.ones(n), x])
        names = ["(Intercept)", *covs]
        group = arms
    else:
        extra = [arms[:, None].astype(float)] if treatment is not None else []
        design = np.column_stack([np.ones(n), *extra, x])
        names = ["(Intercept)", *([treatment] if treatment else []), *covs]
        group = np.zeros(n, dtype=int)
    prob = np.ones(n)
    fitted, coefs = [], []
    for g in range(int(group.max()) + 1):
        m = group == g
        if obs[m].all():
            fitted.append(False)
            coefs.append(np.empty(0))
            continue
        what = f"{treatment} = {g}" if by_arm else "pooled"
        coef = _logit(s[m], design[m], what, names)
        prob[m] = 1.0 / (1.0 + np.exp(-(design[m] @ coef)))
        fitted.append(True)
        coefs.append(coef)
    stratum = arms
    rates = np.array([obs[stratum == a].mean() for a in range(int(stratum.max()) + 1)])
    scale = rates[stratum] if stabilize else np.ones(n)
    w = np.where(obs, scale / prob, np.nan)
    raw_max = float(np.nanmax(w))
    trimmed = np.zeros(n, dtype=bool)
    cap = None
    if spec.trim is not None:
        q = check_probability("trim", spec.trim, zero=False)
        if not 0.5 <= q < 1:
            raise KaizenError(f"`trim` is a quantile of the weights in [0.5, 1). You passed: {q}")
        cap = float(np.quantile(w[obs], q))
        trimmed = obs & (w > cap)
        w = np.where(trimmed, cap, w)
    return ResponseModel(
        observed=obs,
        design=design,
        group=group,
        fitted=tuple(fitted),
        coef=tuple(coefs),
        prob=prob,
        stratum=stratum,
        scale=scale,
        weights=w,
        trimmed=trimmed,
        raw_max=raw_max,
        cap=cap,
        stabilize=stabilize,
    )


def diagnostics(model: ResponseModel, labels: list) -> pd.DataFrame:
    """One row per arm: response, fitted probabilities, weights, trimming, effective size."""
    rows = []
    for a, label in enumerate(labels):
        m = model.stratum == a
        r = m & model.observed
        w = model.weights[r]
        raw = (model.scale / model.prob)[r]
        rows.append(
            {
                "arm": label,
                "nobs": int(m.sum()),
                "respondents": int(r.sum()),
                "response_rate": float(model.observed[m].mean()),
                "min_probability": float(model.prob[r].min()),
                "mean_weight": float(w.mean()),
                "max_weight_raw": float(raw.max()),
                "max_weight": float(w.max()),
                "max_over_mean": float(w.max() / w.mean()),
                "trimmed": int(model.trimmed[r].sum()),
                "effective_n": float(w.sum() ** 2 / (w**2).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("arm")


def warn_exploding(model: ResponseModel, table: pd.DataFrame, index: pd.Index, where: str):
    """Warn when a weight exceeds :data:`EXPLODING` times its arm's mean (with the trimming)."""
    raw = model.scale / model.prob
    ratio = np.zeros(len(raw))
    for a in range(int(model.stratum.max()) + 1):
        r = (model.stratum == a) & model.observed
        ratio[r] = raw[r] / model.weights[r].mean()
    if ratio.max() <= EXPLODING:
        return
    i = int(np.argmax(ratio))
    if model.cap is not None:
        after = f"trimming capped {int(model.trimmed.sum())} weights at {model.cap:.4g}"
    else:
        q99 = float(np.quantile(raw[model.observed], 0.99))
        after = f"no trimming (trim=0.99 would cap at {q99:.4g})"
    warnings.warn(
        f"{where}: the largest weight, {raw[i]:.4g} (row {index[i]!r}, fitted response "
        f"probability {model.prob[i]:.3g}), is {ratio[i]:.1f} times its arm's mean weight; "
        f"{after}. Estimates lean on a few firms; see the diagnostics table.",
        KaizenWarning,
        stacklevel=3,
    )


def attrition_weights(
    df: pd.DataFrame,
    *,
    response: str,
    treatment: str | None = None,
    covariates: str | Sequence[str] = (),
    by_arm: bool = True,
    stabilize: bool = True,
    trim: float | None = None,
) -> pd.Series:
    """Inverse-probability-of-response weights: a logit of response on baseline covariates.

    ``w_i = c_i / p̂_i`` for each respondent, with ``p̂_i`` the fitted probability of response
    from a logit on ``covariates`` fitted separately in each arm (``by_arm``; else one logit
    with the arm as a regressor) and ``c_i`` the response rate of the respondent's arm
    (``stabilize``; else 1). Non-respondents get NaN, so that an estimator's ``weights=`` uses
    the respondents, reweighted to stand for their arm.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm assigned, respondents or not.
    response : str
        0/1 column: whether the firm's follow-up outcome is observed.
    treatment : str, optional
        The 0/1 assignment (required with ``by_arm``).
    covariates : str or sequence of str
        Baseline covariates of the response model (observed for every firm).
    by_arm : bool
        One logit per arm (default), so response may depend on covariates differently by arm.
    stabilize : bool
        Multiply the inverse probabilities by the arm's response rate: the weights then average
        1 within an arm's respondents when the model fits (a smaller spread, the same
        estimates for a difference in means).
    trim : float, optional
        A quantile in [0.5, 1): weights above this quantile of the respondents' weights are
        set to it (e.g. ``0.99``).

    Returns
    -------
    pandas.Series
        On ``df``'s index, named ``"attrition_weight"`` (NaN for non-respondents and rows
        missing a design column). ``.attrs["diagnostics"]``: one row per arm with ``nobs``,
        ``respondents``, ``response_rate``, ``min_probability``, ``mean_weight``,
        ``max_weight_raw`` (before trimming), ``max_weight``, ``max_over_mean``, ``trimmed``
        and ``effective_n`` (Kish's ``(Σw)²/Σw²``); ``.attrs["dropped"]``: rows missing a
        design column, with a ``reason``.

    Raises
    ------
    KaizenError
        An arm with no respondent, every firm responded, or covariates that separate
        respondents from the others (weights would be infinite).

    Warns
    -----
    KaizenWarning
        An arm where everyone responded (its weights are 1); a weight more than 10 times its
        arm's mean (the message gives the largest weight and the trimming).

    See Also
    --------
    ipw_itt : the ITT with these weights and standard errors that account for their estimation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"invited": np.repeat([0, 1], 200), "size": rng.normal(size=400)})
    >>> p = 1 / (1 + np.exp(-(1.5 - df["invited"] + df["size"] * df["invited"])))
    >>> df["observed"] = (rng.uniform(size=400) < p).astype(int)
    >>> w = ke.attrition_weights(df, response="observed", treatment="invited",
    ...                          covariates=["size"])
    >>> bool(w[df["observed"] == 0].isna().all()), round(float(w.max()), 2)
    (True, 2.97)
    >>> d = w.attrs["diagnostics"]
    >>> d[["respondents", "response_rate", "max_weight"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
               respondents  response_rate  max_weight
    arm
    invited=0          169           0.84        1.10
    invited=1          124           0.62        2.97
    """
    covs = as_list(covariates)
    roles = [
        ("response", [response]),
        ("treatment", as_list(treatment)),
        ("covariate", covs),
    ]
    sample = estimation_sample(df, roles, where="attrition_weights")
    data = sample.data
    spec = ResponseSpec(response, treatment, covs, by_arm, stabilize, trim)
    model = fit_response_model(data, spec, where="attrition_weights")
    labels = [f"{treatment}={a}" for a in (0, 1)] if treatment else ["all"]
    labels = labels[: int(model.stratum.max()) + 1]
    table = diagnostics(model, labels)
    warn_exploding(model, table, data.index, "attrition_weights")
    used = df[[response, *as_list(treatment), *covs]].notna().all(axis=1).to_numpy()
    values = np.full(len(df), np.nan)
    values[used] = model.weights
    out = pd.Series(values, index=df.index, name="attrition_weight")
    out.attrs["diagnostics"] = table
    out.attrs["dropped"] = sample.dropped
    return out
