"""ATT for non-randomized sites: difference-in-differences with propensity-score weighting.

Two estimators of the ATT under parallel trends given baseline covariates, both on the change
``ΔY`` of the outcome of each firm: the normalized IPW DiD of Abadie (2005) (:func:`ipw_did`)
and the doubly robust DiD of Sant'Anna and Zhao (2020, eq. 3.1; :func:`dr_did`), consistent if
either the propensity score or the outcome regression of the non-participants is right, with
its influence function for the standard error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from kaizen_eval._core.absorb import factorize
from kaizen_eval._docs import fill_doc
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import (
    KaizenError,
    KaizenWarning,
    as_list,
    check_alpha,
    check_clusters,
    check_count,
    check_option,
    check_seed,
    check_variation,
)
from kaizen_eval.estimate._docs_regression import DOCS
from kaizen_eval.estimate._frame import design_columns, estimation_sample, numeric_column
from kaizen_eval.estimate.result import Estimate

_EXTREME_PS = 0.99

DidMethod = Literal["ipw", "dr"]
DID_METHODS: tuple[str, ...] = get_args(DidMethod)
DidInference = Literal["bootstrap", "influence"]
DID_INFERENCE: tuple[str, ...] = get_args(DidInference)
_METHOD_NAME = {"ipw": "DiD-IPW", "dr": "DiD-DR"}


@dataclass(frozen=True)
class IPWDiD:
    """The numerical result of :func:`ipw_did` (arrays in, this out)."""

    att: float
    propensity: np.ndarray


@fill_doc(DOCS)
def ipw_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> IPWDiD:
    """Estimate the ATT by normalized IPW difference-in-differences (Abadie 2005).

    ``ATT = Σ D·ΔY / Σ D − Σ w·ΔY / Σ w`` with ``w = (1 − D) p(X) / (1 − p(X))`` and ``p(X)`` a
    logit of ``D`` on ``X`` (the "std_ipw" estimator of Sant'Anna and Zhao 2020).

    Parameters
    ----------
    %(params_did_change)s
    x : numpy.ndarray, shape (n, k)
        Propensity-score covariates including a constant.

    Returns
    -------
    IPWDiD

    Examples
    --------
    >>> d = np.array([1.0, 1, 0, 0, 0])
    >>> round(ipw_did(np.array([3.0, 5, 1, 2, 3]), d, np.ones((5, 1))).att, 6)
    2.0
    """
    p = propensity(d, x)
    w = (1 - d) * p / (1 - p)
    att = float(np.sum(d * dy) / np.sum(d) - np.sum(w * dy) / np.sum(w))
    return IPWDiD(att=att, propensity=p)


def propensity(d: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Fit the logit propensity score of participation ``d`` on ``x`` (with a constant).

    With ``x`` a constant only, the share of participants. Raises a ``KaizenError`` on perfect
    separation or a score of 1 for a non-participant (no overlap).
    """
    if x.shape[1] == 1:
        p = np.full(len(d), d.mean())
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = sm.Logit(d, x).fit(disp=0, method="newton", maxiter=100)
            except PerfectSeparationError:
                caught.append(warnings.WarningMessage("", PerfectSeparationWarning, "", 0))
        if any(issubclass(c.category, PerfectSeparationWarning) for c in caught):
            raise KaizenError(
                "the covariates predict participation perfectly (no overlap between "
                "participants and non-participants); drop or coarsen the covariates that "
                "separate the groups"
            )
        p = np.asarray(res.predict(x), dtype=float)
    if np.any(p[d == 0] >= 1 - 1e-12):
        raise KaizenError(
            "propensity score of 1 for some non-participants (perfect prediction): there is "
            "no overlap; drop or coarsen the covariates that separate the groups"
        )
    return p


@dataclass(frozen=True)
class DRDiD:
    """The numerical result of :func:`dr_did` (arrays in, this out)."""

    att: float
    influence: np.ndarray
    propensity: np.ndarray


@fill_doc(DOCS)
def dr_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> DRDiD:
    """Estimate the ATT by doubly robust DiD (Sant'Anna and Zhao 2020, eq. 3.1), with its IF.

    ``ATT = E_n[(w1 − w0)(ΔY − X'β)]`` with ``w1 = D / E_n[D]``, ``w0`` the normalized
    ``(1 − D) p(X) / (1 − p(X))``, ``p`` a logit of ``D`` on ``X`` and ``β`` the OLS of ``ΔY``
    on ``X`` among non-participants. The influence function adds to each firm's contribution
    the first-order effect of estimating ``β`` and ``p`` (the delta method on the stacked
    moments); ``sqrt(Σ IF²) / n`` is the standard error (as ``DRDID`` and ``moderndid``).

    Parameters
    ----------
    %(params_did_change)s
    x : numpy.ndarray, shape (n, k)
        Covariates of both nuisance models, including a constant.

    Returns
    -------
    DRDiD
        ``att``, ``influence`` (shape ``(n,)``, mean zero) and ``propensity``.

    Examples
    --------
    >>> d = np.array([1.0, 1, 0, 0, 0])
    >>> round(dr_did(np.array([3.0, 5, 1, 2, 3]), d, np.ones((5, 1))).att, 6)
    2.0
    """
    n = len(d)
    p = propensity(d, x)
    control = d == 0
    x0 = x[control]
    gram0 = x0.T @ x0
    if np.linalg.matrix_rank(gram0) < x.shape[1]:
        raise KaizenError(
            "the covariates are collinear among non-participants: the outcome regression of "
            "the doubly robust DiD is not identified; drop the redundant covariates"
        )
    beta = np.linalg.solve(gram0, x0.T @ dy[control])
    r = dy - x @ beta
    w_t = d
    w_c = (1 - d) * p / (1 - p)
    eta_t = np.mean(w_t * r) / np.mean(w_t)
    eta_c = np.mean(w_c * r) / np.mean(w_c)
    # first-order effect of the nuisance estimates: OLS on controls and the logit
    lin_ols = ((1 - d) * r)[:, None] * x @ np.linalg.inv(gram0 / n)
    info = (x * (p * (1 - p))[:, None]).T @ x / n
    lin_ps = ((d - p)[:, None] * x) @ np.linalg.inv(info)
    m1 = np.mean(w_t[:, None] * x, axis=0)
    m2 = np.mean((w_c * (r - eta_c))[:, None] * x, axis=0)
    m3 = np.mean(w_c[:, None] * x, axis=0)
    inf_t = (w_t * r - w_t * eta_t - lin_ols @ m1) / np.mean(w_t)
    inf_c = (w_c * r - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / np.mean(w_c)
    return DRDiD(att=float(eta_t - eta_c), influence=inf_t - inf_c, propensity=p)


def att_did(
    df: pd.DataFrame,
    *,
    outcome: str,
    baseline: str,
    treatment: str,
    covariates: str | Sequence[str] = (),
    cluster: str | None = None,
    draws: int = 999,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    progress: bool = False,
    method: DidMethod = "ipw",
    inference: DidInference | None = None,
) -> Estimate:
    """ATT of participation at a non-randomized site: DiD with propensity-score weights.

    Compares the change in the outcome of participants with that of non-participants weighted
    by ``p(X)/(1 − p(X))`` (so that they resemble participants on the baseline covariates);
    identification rests on parallel trends conditional on ``X`` and on overlap, not on
    randomization. ``method="dr"`` also subtracts the change predicted for each firm by an
    outcome regression on the non-participants (Sant'Anna and Zhao 2020): consistent if either
    model is right. Standard errors: a bootstrap over firms (over clusters with ``cluster``)
    that re-estimates the nuisance models in each draw, or (``method="dr"``'s default) the
    influence function.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm (wide): outcome at follow-up and at baseline.
    outcome : str
        Follow-up outcome.
    baseline : str
        The same outcome at baseline.
    treatment : str
        Participation (0/1).
    covariates : str or sequence of str
        Baseline covariates of the propensity score (none: the plain DiD).
    cluster : str, optional
        Resample whole clusters.
    draws : int
        Bootstrap replications.
    seed : int or numpy.random.Generator
    alpha : float
    progress : bool
        Show a progress bar of the bootstrap draws on standard error.
    method : {"ipw", "dr"}, default "ipw"
        Normalized IPW DiD (Abadie 2005; ``DRDID``'s ``std_ipw_did_panel``) or the doubly
        robust DiD (``DRDID``'s ``drdid_panel``, Stata ``drdid, dripw``).
    inference : {"bootstrap", "influence"}, optional
        Default ``"bootstrap"`` for ``"ipw"`` and ``"influence"`` for ``"dr"``: the standard
        error ``sqrt(Σ IF²) / n`` as ``DRDID::drdid_panel``, or with ``cluster``
        ``sqrt(G / (G − 1) Σ_g (Σ_{i∈g} IF_i)²) / n`` (the small-sample factor of a CR1
        covariance); ``draws`` and ``seed`` are then unused. Unlike ``DRDID``, no
        propensity score is trimmed: scores above 0.99 among non-participants are warned of.

    Returns
    -------
    Estimate
        ``estimand="ATT"``, ``method="DiD-IPW"`` or ``"DiD-DR"``, ``se_type="bootstrap"`` or
        ``"influence"`` with normal intervals (``df = inf``); ``extra["propensity"]`` holds the
        fitted scores, and with the bootstrap ``extra["bootstrap"]`` the draws and
        ``extra["percentile_ci"]`` the percentile interval; with the influence function
        ``extra["influence"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> d = (rng.random(400) < 1 / (1 + np.exp(-x))).astype(int)
    >>> y0 = x + rng.normal(size=400)
    >>> df = pd.DataFrame({"d": d, "x": x, "y0": y0, "y1": y0 + x + 2 * d + rng.normal(size=400)})
    >>> r = ke.att_did(df, outcome="y1", baseline="y0", treatment="d", covariates="x", draws=99)
    >>> r.method, abs(r.estimate - 2) < 0.5
    ('DiD-IPW', True)
    """
    covs = as_list(covariates)
    check_option("method", method, DID_METHODS)
    if inference is None:
        inference = "influence" if method == "dr" else "bootstrap"
    check_option("inference", inference, DID_INFERENCE)
    if method == "ipw" and inference == "influence":
        raise KaizenError(
            "inference='influence' is available for method='dr'; the IPW DiD uses the "
            "bootstrap (inference='bootstrap')."
        )
    check_count("draws", draws, least=2)
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("baseline", [baseline]),
            ("treatment", [treatment]),
            ("covariate", covs),
            ("cluster", as_list(cluster)),
        ],
        where="att_did",
    )
    data = sample.data
    d = numeric_column(data, treatment, "treatment")
    if not np.isin(d, (0.0, 1.0)).all():
        raise KaizenError(f"treatment {treatment!r} must be 0/1 participation")
    if d.min() == d.max():
        raise KaizenError(f"treatment {treatment!r} does not vary in the estimation sample")
    y1 = numeric_column(data, outcome, "outcome")
    dy = y1 - numeric_column(data, baseline, "baseline")
    check_variation(dy, f"{outcome} - {baseline}", "change in the outcome", where="att_did")
    if cluster is not None:  # the bootstrap resamples whole clusters: at least 2
        check_clusters(data[cluster].to_numpy(), cluster, where="att_did", warn_below=2)
    xc, _ = design_columns(data, covs)
    x = np.hstack([np.ones((len(d), 1)), xc])
    fit: Callable[[np.ndarray, np.ndarray, np.ndarray], IPWDiD | DRDiD] = (
        dr_did if method == "dr" else ipw_did
    )
    point = fit(dy, d, x)
    notes = [
        "ATT by difference-in-differences with propensity-score weights"
        + (" and an outcome regression (doubly robust)" if method == "dr" else "")
        + " (not randomized: assumes parallel trends given the covariates, and overlap)"
    ]
    extreme = int(np.sum(point.propensity[d == 0] > _EXTREME_PS))
    if extreme:
        msg = (
            f"{extreme} non-participants have a propensity score above {_EXTREME_PS}: their "
            "weights dominate (weak overlap); coarsen or drop the covariates that separate the "
            "groups"
        )
        warnings.warn(msg, KaizenWarning, stacklevel=2)
        notes.append(msg)
    units = factorize(data[cluster].to_numpy()) if cluster else np.arange(len(d))
    n_units = int(units.max()) + 1
    common = {
        "terms": (treatment,),
        "coef": [point.att],
        "dof": np.inf,
        "method": _METHOD_NAME[method],
        "estimand": "ATT",
        "outcome": outcome,
        "nobs": len(d),
        "n_clusters": n_units if cluster else None,
        "alpha": alpha,
        "control_mean": float(y1[d == 0].mean()),
        "dropped": sample.dropped,
    }
    propensity_scores = pd.Series(point.propensity, index=data.index, name="propensity")
    if inference == "influence":
        assert isinstance(point, DRDiD)
        sums = np.bincount(units, weights=point.influence, minlength=n_units)
        factor = n_units / (n_units - 1) if cluster else 1.0
        se = float(np.sqrt(factor * np.sum(sums**2)) / len(d))
        return Estimate(
            vcov=[[se**2]],
            se_type="influence",
            notes=tuple(notes),
            extra={
                "influence": pd.Series(point.influence, index=data.index, name="influence"),
                "propensity": propensity_scores,
            },
            **common,
        )
    members = [np.flatnonzero(units == u) for u in range(n_units)] if cluster else None
    boot = []
    failed = 0
    for _ in progress_bar(
        range(draws), total=draws, show=progress, desc="DiD bootstrap", unit="draw"
    ):
        pick = rng.integers(0, n_units, n_units)
        idx = np.concatenate([members[u] for u in pick]) if members is not None else pick
        db = d[idx]
        if db.min() == db.max():
            failed += 1
            continue
        try:
            boot.append(fit(dy[idx], db, x[idx]).att)
        except (KaizenError, np.linalg.LinAlgError):
            failed += 1
    boot = np.array(boot)
    if len(boot) < 2:
        raise KaizenError("the bootstrap failed in almost every draw (too few participants)")
    if failed:
        notes.append(f"{failed} of {draws} bootstrap draws could not be estimated and were skipped")
    se = float(np.std(boot, ddof=1))
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return Estimate(
        vcov=[[se**2]],
        se_type="bootstrap",
        notes=tuple(notes),
        extra={
            "bootstrap": boot,
            "percentile_ci": (float(lo), float(hi)),
            "propensity": propensity_scores,
        },
        **common,
    )
