"""Wild cluster restricted bootstrap (WCR) for few clusters.

Cameron, Gelbach and Miller (2008); the vectorized algebra follows Roodman, MacKinnon, Nielsen and
Webb (2019): after partialling the covariates and fixed effects out once, every bootstrap
coefficient and cluster score is a matrix product with the draws of cluster weights.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._core.absorb import Absorber, factorize
from kaizen_eval._core.engine import ResamplingEngine
from kaizen_eval._core.linear import check_full_rank
from kaizen_eval._progress import counter
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_clusters,
    check_count,
    check_finite_number,
    check_option,
    check_seed,
)
from kaizen_eval.estimate._build import check_assignment, check_fixed_effects, check_outcome
from kaizen_eval.estimate._frame import design_columns, estimation_sample, fe_codes

WildWeights = Literal["rademacher", "webb"]
WILD_WEIGHTS: tuple[str, ...] = get_args(WildWeights)
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_CHUNK = 1000


@dataclass(frozen=True, eq=False)
class WildBootstrap(_render.Rendered):
    """Result of a wild cluster restricted bootstrap test of ``H0: β = null``.

    Attributes
    ----------
    pvalue : float
        Share of bootstrap ``|t*|`` at least the observed ``|t|`` (symmetric test). With every
        Rademacher sign pattern enumerated (``exact``), the share over all ``2^G`` patterns.
    statistic : float
        Observed CR1 t statistic of ``β̂ − null``.
    estimate : float
        ``β̂``.
    draws : numpy.ndarray
        Bootstrap t statistics (read-only).
    exact : bool
    weights : str
    n_clusters : int
    null : float
    ci_low, ci_high : float
        With ``ci=True``, the ``1 − alpha`` interval obtained by inverting the test (the same
        cluster weights for every hypothesized value); ``nan`` otherwise, ``±inf`` if the test
        never rejects within 50 standard errors on that side.
    """

    pvalue: float
    statistic: float
    estimate: float
    draws: np.ndarray
    exact: bool
    weights: str
    n_clusters: int
    null: float
    ci_low: float = float("nan")
    ci_high: float = float("nan")

    def __post_init__(self) -> None:
        d = np.array(self.draws, dtype=float, copy=True)
        d.flags.writeable = False
        object.__setattr__(self, "draws", d)

    def _table(self) -> _render.Table:
        """Build the display table (printing only): estimate, t, p-value and the interval."""
        has_ci = bool(np.isfinite(self.ci_low) or np.isfinite(self.ci_high))
        ends = [self.estimate, *(e for e in (self.ci_low, self.ci_high) if np.isfinite(e))]
        d = F.column_decimals(ends)
        header = ["", "Estimate", "t", "p-value"] + (["CI low", "CI high"] if has_ci else [])
        row = [
            "Estimate",
            F.number(self.estimate, d),
            F.number(self.statistic, 2),
            F.pvalue(self.pvalue),
        ]
        if has_ci:
            row += [F.number(e, d) if np.isfinite(e) else "unbounded"
                    for e in (self.ci_low, self.ci_high)]  # fmt: skip
        how = "every sign pattern enumerated" if self.exact else f"{F.count(len(self.draws))} draws"
        caption = (
            f"Wild cluster restricted bootstrap, H0: effect = {F.number(self.null)} "
            f"({self.weights} weights, {F.count(self.n_clusters)} clusters, {how})"
        )
        notes = ["t: CR1 statistic of the estimate minus the null."]
        if has_ci:
            notes.append(
                "Interval: the test inverted with the same cluster weights (unbounded: never "
                "rejected within 50 standard errors)."
            )
        return _render.Table(header=[header], body=[row], notes=notes, caption=caption,
                             align="l" + "r" * (len(header) - 1))  # fmt: skip

    def summary(self) -> str:
        """Return the test as plain text."""
        return str(self)


class _Partialled:
    """y, t and the cluster structure after absorbing fixed effects and covariates.

    The CR1 statistics come from :class:`~kaizen_eval._core.engine.ResamplingEngine`, which
    partials the covariates and fixed effects out once.
    """

    def __init__(self, y, t, x, clusters, fixed_effects):
        self.engine = ResamplingEngine(
            y, covariates=x, fixed_effects=fixed_effects, clusters=clusters, se_type="CR1"
        )
        self.t_raw = np.asarray(t, dtype=float)
        self.t = self.engine.partial_columns(self.t_raw)
        self.y = self.engine.y[:, 0]
        self.ss = float(self.t @ self.t)
        self.codes = factorize(np.asarray(clusters))
        self.g = self.engine.n_clusters

    def residualize(self, m: np.ndarray) -> np.ndarray:
        return self.engine.partial_columns(m)

    def tstat(self, ycols: np.ndarray, null: float) -> np.ndarray:
        """CR1 t statistics of ``β − null`` for partialled outcomes (columns of ``ycols``)."""
        st = self.engine.outcome_statistics(self.t_raw, ycols)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (st.coef[0] - null) / st.std_error[0]


def wcr_tstats(
    y: np.ndarray,
    t: np.ndarray,
    x: np.ndarray,
    clusters: np.ndarray,
    v: np.ndarray,
    *,
    null: float = 0.0,
    fixed_effects: np.ndarray | None = None,
    on_block: Callable[[int], object] | None = None,
) -> tuple[float, np.ndarray]:
    """Observed and bootstrap CR1 t statistics of the WCR bootstrap for given cluster weights.

    Parameters
    ----------
    y, t : numpy.ndarray, shape (n,)
        Outcome and the tested regressor.
    x : numpy.ndarray, shape (n, k)
        Other regressors (with a constant unless fixed effects are absorbed).
    clusters : numpy.ndarray, shape (n,)
    v : numpy.ndarray, shape (B, G)
        Cluster weights of each draw (clusters in order of first appearance).
    null : float
        The value of the coefficient imposed by the restricted model.
    fixed_effects : numpy.ndarray, optional
        Codes of fixed effects to absorb.
    on_block : callable, optional
        Called with the number of draws of each block once it is done (progress bars).

    Returns
    -------
    (float, numpy.ndarray of shape (B,))
    """
    p = _Partialled(y, t, x, clusters, fixed_effects)
    observed = float(p.tstat(p.y[:, None], null)[0])
    restricted = p.residualize(y - null * t)  # ũ: residuals of y − null·t on the covariates
    out = []
    for start in range(0, v.shape[0], _CHUNK):
        vb = v[start : start + _CHUNK]
        ystar = p.residualize(restricted[:, None] * vb.T[p.codes]) + null * p.t[:, None]
        out.append(p.tstat(ystar, null))
        if on_block is not None:
            on_block(vb.shape[0])
    return observed, np.concatenate(out) if out else np.empty(0)


def wild_cluster_bootstrap(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    cluster: str,
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    null: float = 0.0,
    draws: int = 9_999,
    weights: str = "rademacher",
    seed: int | np.random.Generator = 0,
    ci: bool = False,
    alpha: float = 0.05,
    progress: bool = False,
    dose: bool = False,
) -> WildBootstrap:
    """Test ``H0: β_treatment = null`` by the wild cluster restricted bootstrap.

    For few clusters (say fewer than 30–40, or very unequal sizes) the CR1 t-test over-rejects;
    the WCR bootstrap imposes the null, re-signs the restricted residuals cluster by cluster and
    compares the observed CR1 t statistic with its bootstrap distribution.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome, treatment : str
    cluster : str
        Cluster column (required).
    covariates, fixed_effects
        As in :func:`~kaizen_eval.estimate.itt.itt`.
    null : float
        Hypothesized value of the coefficient.
    draws : int
        Bootstrap draws; with Rademacher weights and ``2^G <= draws`` every sign pattern is
        enumerated instead.
    weights : str
        ``"rademacher"`` (±1) or ``"webb"`` (six-point, better with fewer than about 12 clusters).
    seed : int or numpy.random.Generator
    ci : bool
        Also invert the test into a ``1 − alpha`` confidence interval (bisection on each end).
    alpha : float
    progress : bool
        Show a progress bar of the bootstrap draws on standard error (with ``ci``, of the draws
        of every test of the inversion, whose number is not known in advance).
    dose : bool
        Declare a treatment coded other than 0/1 (doses); by default that is an error.

    Returns
    -------
    WildBootstrap

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(10), 20)
    >>> df = pd.DataFrame({"g": g, "t": (g % 2 == 0).astype(int)})
    >>> df["y"] = 0.5 * df["t"] + rng.normal(size=10)[g] + rng.normal(size=200)
    >>> wb = ke.wild_cluster_bootstrap(df, outcome="y", treatment="t", cluster="g")
    >>> wb.exact, len(wb.draws)
    (True, 1024)
    """
    check_option("weights", weights, WILD_WEIGHTS)
    check_count("draws", draws)
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    check_finite_number("null", null)
    covs, fes = as_list(covariates), as_list(fixed_effects)
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("covariate", covs),
            ("fixed effect", fes),
            ("cluster", [cluster]),
        ],
        where="wild_cluster_bootstrap",
    )
    data = sample.data
    where = "wild_cluster_bootstrap"
    check_fixed_effects(data, fes, where)
    y = check_outcome(data, outcome, where=where)
    t = check_assignment(data, [treatment], "treatment", where=where, dose=dose)[:, 0]
    if np.unique(t).size < 2:
        raise KaizenError(f"treatment {treatment!r} does not vary; there is nothing to test")
    x, names = design_columns(data, covs)
    if not fes:
        x, names = np.hstack([np.ones((len(y), 1)), x]), ["(Intercept)", *names]
    codes = fe_codes(data, fes)
    tx = np.column_stack([t, x])
    check_full_rank(
        tx if codes is None else Absorber(codes).residualize(tx), [treatment, *names], reference=tx
    )
    # the wild bootstrap is the remedy for few clusters: no warning, but at least 2
    g = check_clusters(data[cluster].to_numpy(), cluster, where=where, warn_below=2)
    exact = weights == "rademacher" and 2**g <= draws
    if exact:
        v = np.array(list(itertools.product((-1.0, 1.0), repeat=g)))
    elif weights == "rademacher":
        v = rng.choice(np.array([-1.0, 1.0]), size=(draws, g))
    else:
        v = rng.choice(_WEBB, size=(draws, g))
    clusters = data[cluster].to_numpy()

    bar = counter(
        total=None if ci else v.shape[0], show=progress, desc="wild bootstrap", unit="draw"
    )

    def test(value: float) -> tuple[float, float, np.ndarray]:
        obs, bt = wcr_tstats(
            y, t, x, clusters, v, null=value, fixed_effects=codes, on_block=bar.update
        )
        tol = 1e-9 * max(abs(obs), 1e-300)
        return float(np.mean(np.abs(bt) >= abs(obs) - tol)), obs, bt

    pvalue, observed, boot = test(null)
    p = _Partialled(y, t, x, clusters, codes)
    estimate = float(p.t @ p.y / p.ss)
    lo = hi = float("nan")
    if ci:
        se = abs((estimate - null) / observed) if observed != 0 else float(np.std(boot))
        lo, hi = (_invert(lambda b: test(b)[0], estimate, d * se, alpha) for d in (-1.0, 1.0))
    bar.close()
    return WildBootstrap(
        pvalue=pvalue,
        statistic=observed,
        estimate=estimate,
        draws=boot,
        exact=bool(exact),
        weights=weights,
        n_clusters=g,
        null=float(null),
        ci_low=lo,
        ci_high=hi,
    )


def _invert(pvalue, start: float, step: float, alpha: float, max_steps: int = 50) -> float:
    """Walk from ``start`` by ``step`` until the test rejects, then bisect to the boundary."""
    inside = start
    for k in range(1, max_steps + 1):
        value = start + k * step
        if pvalue(value) <= alpha:
            outside = value
            break
        inside = value
    else:
        return float(np.sign(step) * np.inf)
    for _ in range(50):
        mid = (inside + outside) / 2
        if pvalue(mid) > alpha:
            inside = mid
        else:
            outside = mid
    return float(inside)
