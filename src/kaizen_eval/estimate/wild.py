"""Wild cluster bootstrap for few clusters: WCR/WCU for OLS, WRE and Anderson–Rubin for 2SLS.

Cameron, Gelbach and Miller (2008); Davidson and MacKinnon (2010) for IV; MacKinnon and Webb
(2018) for the subcluster bootstrap. The algebra (:mod:`kaizen_eval._core.wild`,
:mod:`kaizen_eval._core.wild_iv`) follows Roodman, MacKinnon, Nielsen and Webb (2019): one pass
over the data forms cluster sums, after which every draw costs ``O(G²)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.linear import check_full_rank
from kaizen_eval._core.wild import (
    WILD_BOOTSTRAPS,
    WILD_WEIGHTS,
    WildWeights,
    draw_weights,
    invert,
)
from kaizen_eval._core.wild_iv import wild_test
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
    check_variation,
)
from kaizen_eval.estimate._build import check_assignment, check_fixed_effects, check_outcome
from kaizen_eval.estimate._frame import design_columns, estimation_sample, fe_codes
from kaizen_eval.estimate.wild_result import WildBootstrap

__all__ = [
    "WILD_BOOTSTRAPS",
    "WILD_WEIGHTS",
    "WildBootstrap",
    "WildWeights",
    "wild_cluster_bootstrap",
]

_WHERE = "wild_cluster_bootstrap"


def wild_cluster_bootstrap(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    cluster: str,
    instrument: str | Sequence[str] | None = None,
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    null: float = 0.0,
    draws: int = 9_999,
    weights: str = "rademacher",
    seed: int | np.random.Generator = 0,
    bootstrap: str | None = None,
    bootstrap_cluster: str | None = None,
    ci: bool = False,
    alpha: float = 0.05,
    progress: bool = False,
    dose: bool = False,
) -> WildBootstrap:
    """Test ``H0: β_treatment = null`` by the wild cluster bootstrap.

    For few clusters (say fewer than 30–40, or very unequal sizes, or few treated clusters)
    the CR1 t-test over-rejects; the wild cluster bootstrap re-weights the residuals cluster by
    cluster and compares the observed CR1 t statistic with its bootstrap distribution.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome, treatment : str
        With ``instrument``, ``treatment`` is the endogenous regressor (take-up).
    cluster : str
        Cluster column of the CR1 standard errors (required).
    instrument : str or list of str, optional
        Excluded instruments: the 2SLS coefficient on ``treatment`` is tested (WRE or AR).
    covariates, fixed_effects
        As in :func:`~kaizen_eval.estimate.itt.itt`.
    null : float
        Hypothesized value of the coefficient.
    draws : int
        Bootstrap draws; with Rademacher weights and ``2^G <= draws`` every sign pattern is
        enumerated instead (``G``: bootstrap clusters).
    weights : str
        ``"rademacher"`` (±1), ``"webb"`` (six-point, better with fewer than about 12
        clusters), ``"mammen"`` (two-point, skewed) or ``"normal"``.
    seed : int or numpy.random.Generator
    bootstrap : str, optional
        ``"WCR"`` (restricted, the default for OLS) or ``"WCU"`` (unrestricted); with an
        instrument ``"WRE"`` (wild restricted efficient, the default) or ``"AR"`` (the WCR
        bootstrap of the Anderson–Rubin regression of ``y − null·d`` on the instrument; one
        instrument).
    bootstrap_cluster : str, optional
        Draw one weight per value of this column rather than per ``cluster`` (the subcluster
        bootstrap of MacKinnon and Webb (2018) when it is finer, e.g. firms or streets within
        the clusters, which helps when only a few clusters are treated).
    ci : bool
        Also invert the test into a ``1 − alpha`` confidence interval (bisection on each end;
        the draws are reused, and for WCR/WCU nothing is refitted).
    alpha : float
    progress : bool
        Show a progress bar of the bootstrap draws on standard error (with ``ci``, of the draws
        of every test of the inversion, whose number is not known in advance).
    dose : bool
        Declare a treatment (or instrument) coded other than 0/1; by default that is an error.

    Returns
    -------
    WildBootstrap

    Notes
    -----
    WCR draws ``y* = ŷ_r + v_g ü_g`` from the model that imposes ``β = null`` and studentizes
    ``β* − null``; WCU re-weights the unrestricted residuals and studentizes ``β* − β̂``. Both
    use the CR1 factor ``G/(G − 1)·(N − 1)/(N − K)``; the p-value is the share of ``|t*| ≥ |t|``.

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
    >>> wb.bootstrap, wb.n_clusters
    ('WCR', 10)
    """
    check_option("weights", weights, WILD_WEIGHTS)
    check_count("draws", draws)
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    check_finite_number("null", null)
    instruments = as_list(instrument)
    kind = bootstrap if bootstrap is not None else ("WRE" if instruments else "WCR")
    check_option("bootstrap", kind, WILD_BOOTSTRAPS)
    if instruments and kind in ("WCR", "WCU"):
        raise KaizenError(f"`bootstrap={kind!r}` is for OLS; with an instrument use 'WRE' or 'AR'")
    if not instruments and kind in ("WRE", "AR"):
        raise KaizenError(f"`bootstrap={kind!r}` needs an `instrument`; for OLS use 'WCR' or 'WCU'")
    if kind == "AR" and len(instruments) != 1:
        raise KaizenError("`bootstrap='AR'` takes one instrument")
    covs, fes = as_list(covariates), as_list(fixed_effects)
    boot_cols = [bootstrap_cluster] if bootstrap_cluster not in (None, cluster) else []
    data = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("instrument", instruments),
            ("covariate", covs),
            ("fixed effect", fes),
            ("cluster", [cluster, *boot_cols]),
        ],
        where=_WHERE,
    ).data
    check_fixed_effects(data, fes, _WHERE)
    y = check_outcome(data, outcome, where=_WHERE)
    t = check_assignment(data, [treatment], "treatment", where=_WHERE, dose=dose)[:, 0]
    clusters = data[cluster].to_numpy()
    g = check_clusters(clusters, cluster, where=_WHERE, warn_below=2)
    _check_treated_clusters(t, clusters, treatment, g)
    z = None
    if instruments:
        z = check_assignment(data, instruments, "instrument", where=_WHERE, dose=dose)
        for j, name in enumerate(instruments):
            check_variation(z[:, j], name, "instrument", where=_WHERE)
    x, names = design_columns(data, covs)
    if not fes:
        x, names = np.hstack([np.ones((len(y), 1)), x]), ["(Intercept)", *names]
    codes = fe_codes(data, fes)
    absorber = None if codes is None else Absorber(codes)
    full = np.column_stack([t, x] if z is None else [t, z, x])
    check_full_rank(
        full if absorber is None else absorber.residualize(full),
        [treatment, *instruments, *names],
        reference=full,
    )
    boot = data[boot_cols[0]].to_numpy() if boot_cols else None
    g_boot = g if boot is None else check_clusters(boot, boot_cols[0], where=_WHERE, warn_below=2)
    v, exact = draw_weights(weights, draws, g_boot, rng)

    bar = counter(
        total=None if ci else v.shape[0], show=progress, desc="wild bootstrap", unit="draw"
    )
    common = {"fixed_effects": absorber, "boot_clusters": boot, "on_block": bar.update}
    test = wild_test(kind, y, t, z, x, clusters, v, null, **common)
    res = test.result()  # estimate, std_error, statistic, draws, pvalue
    lo = hi = float("nan")
    if ci:
        se = res.std_error
        step = se if np.isfinite(se) and se > 0 else 1.0
        lo, hi = (invert(test.pvalue, res.estimate, d * step, alpha) for d in (-1.0, 1.0))
    bar.close()
    return WildBootstrap(
        **{f.name: getattr(res, f.name) for f in fields(res)},
        exact=bool(exact),
        weights=weights,
        n_clusters=g,
        null=float(null),
        ci_low=lo,
        ci_high=hi,
        bootstrap=kind,
        n_boot_clusters=g_boot,
    )


def _check_treated_clusters(t: np.ndarray, clusters: np.ndarray, treatment: str, g: int) -> None:
    """Refuse a treatment that does not vary (every cluster treated, or none)."""
    if np.unique(t).size >= 2:
        return
    state = "treated" if t[0] != 0 else "untreated"
    raise KaizenError(
        f"treatment {treatment!r} does not vary (all {g} clusters are {state}); there is "
        "nothing to test"
    )
