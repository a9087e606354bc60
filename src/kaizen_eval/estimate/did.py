"""ATT for non-randomized sites: difference-in-differences with propensity-score weighting."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from kaizen_eval._core.absorb import factorize
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import (
    KaizenError,
    KaizenWarning,
    as_list,
    check_alpha,
    check_clusters,
    check_count,
    check_seed,
    check_variation,
)
from kaizen_eval.estimate._frame import design_columns, estimation_sample, numeric_column
from kaizen_eval.estimate.result import Estimate

_EXTREME_PS = 0.99


@dataclass(frozen=True)
class IPWDiD:
    """The numerical result of :func:`ipw_did` (arrays in, this out)."""

    att: float
    propensity: np.ndarray


def ipw_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> IPWDiD:
    """Estimate the ATT by normalized IPW difference-in-differences (Abadie 2005).

    ``ATT = Σ D·ΔY / Σ D − Σ w·ΔY / Σ w`` with ``w = (1 − D) p(X) / (1 − p(X))`` and ``p(X)`` a
    logit of ``D`` on ``X`` (the "std_ipw" estimator of Sant'Anna and Zhao 2020).

    Parameters
    ----------
    dy : numpy.ndarray, shape (n,)
        Change in the outcome (follow-up − baseline).
    d : numpy.ndarray, shape (n,)
        Participation (0/1).
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
    w = (1 - d) * p / (1 - p)
    att = float(np.sum(d * dy) / np.sum(d) - np.sum(w * dy) / np.sum(w))
    return IPWDiD(att=att, propensity=p)


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
) -> Estimate:
    """ATT of participation at a non-randomized site: DiD with propensity-score weights.

    Compares the change in the outcome of participants with that of non-participants weighted
    by ``p(X)/(1 − p(X))`` (so that they resemble participants on the baseline covariates);
    identification rests on parallel trends conditional on ``X`` and on overlap, not on
    randomization. Standard errors come from a bootstrap over firms (over clusters with
    ``cluster``) that re-estimates the propensity score in each draw.

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

    Returns
    -------
    Estimate
        ``estimand="ATT"``, ``method="DiD-IPW"``, ``se_type="bootstrap"`` with normal intervals
        (``df = inf``); ``extra["bootstrap"]`` holds the draws, ``extra["percentile_ci"]`` the
        percentile interval, ``extra["propensity"]`` the fitted scores.

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
    point = ipw_did(dy, d, x)
    notes = [
        "ATT by difference-in-differences with propensity-score weights (not randomized: "
        "assumes parallel trends given the covariates, and overlap)"
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
            boot.append(ipw_did(dy[idx], db, x[idx]).att)
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
        terms=(treatment,),
        coef=[point.att],
        vcov=[[se**2]],
        dof=np.inf,
        se_type="bootstrap",
        method="DiD-IPW",
        estimand="ATT",
        outcome=outcome,
        nobs=len(d),
        n_clusters=n_units if cluster else None,
        alpha=alpha,
        control_mean=float(y1[d == 0].mean()),
        dropped=sample.dropped,
        notes=tuple(notes),
        extra={
            "bootstrap": boot,
            "percentile_ci": (float(lo), float(hi)),
            "propensity": pd.Series(point.propensity, index=data.index, name="propensity"),
        },
    )
