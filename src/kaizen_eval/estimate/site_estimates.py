"""The same specification fitted in every site: :func:`site_estimates`, the input of pooling.

Pooling across sites (:func:`~kaizen_eval.estimate.pooling.pool_sites`) is only as honest as the
site estimates are comparable: same outcome, same controls, same SE type, fixed effects within
site. :func:`site_estimates` fits one estimator with one specification on each site's rows of a
stacked frame and returns the mapping ``site -> Estimate`` that ``pool_sites`` takes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal, get_args

import pandas as pd

from kaizen_eval._validation import KaizenError, check_option, require_columns
from kaizen_eval.estimate.att import att
from kaizen_eval.estimate.itt import itt
from kaizen_eval.estimate.iv import late
from kaizen_eval.estimate.result import Estimate

__all__ = ["SITE_ESTIMATORS", "site_estimates"]

SiteEstimator = Literal["itt", "late", "att"]
SITE_ESTIMATORS: tuple[str, ...] = get_args(SiteEstimator)
_ESTIMATORS: dict[str, Callable[..., Estimate]] = {"itt": itt, "late": late, "att": att}


def site_estimates(
    df: pd.DataFrame,
    *,
    site: str = "site",
    estimator: SiteEstimator | Callable[..., Estimate] = "itt",
    unit: str | Mapping[str, str] | None = None,
    **spec: Any,
) -> Mapping[str, Estimate]:
    """Fit one specification in every site; the result goes straight to ``pool_sites``.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of all sites stacked, with a ``site`` column.
    site : str, default "site"
        Column naming each row's site. No row may lack it.
    estimator : {"itt", "late", "att"} or callable, default "itt"
        :func:`~kaizen_eval.itt`, :func:`~kaizen_eval.late`, :func:`~kaizen_eval.att`, or any
        function ``f(df, **spec) -> Estimate``.
    unit : str or mapping of site to str, optional
        The outcome's unit in every site (``"USD"``), or per site (``{"ghana": "GHS", ...}``,
        every site named): recorded as ``Estimate.unit``, so that ``pool_sites`` refuses to
        pool sites whose units differ.
    **spec
        The specification, the same in every site (``outcome=``, ``treatment=``,
        ``instrument=``, ``covariates=``, ``fixed_effects=`` — absorbed within each site —,
        ``cluster=``, ``se=``, ``baseline=``, ...).

    Returns
    -------
    Mapping of str to Estimate
        Read-only, in the order the sites first appear in ``df``.

    Raises
    ------
    KaizenError
        ``site`` missing or with missing values, fewer than 2 sites, or a site whose fit fails
        (the message names the site and repeats the estimator's error).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"site": np.repeat(["a", "b", "c"], 60),
    ...                    "invited": np.tile([0, 1], 90)})
    >>> df["y"] = 2.0 * df["invited"] + rng.normal(size=180)
    >>> est = ke.site_estimates(df, site="site", outcome="y", treatment="invited")
    >>> list(est)
    ['a', 'b', 'c']
    >>> round(ke.pool_sites(est, method="FE").mu, 3)
    2.174
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame; got {type(df).__name__}.")
    if not isinstance(site, str):
        raise TypeError(f"`site` must be a column name; got {type(site).__name__}.")
    require_columns(df, [site], where="`df`")
    if isinstance(estimator, str):
        check_option("estimator", estimator, SITE_ESTIMATORS)
        fit = _ESTIMATORS[estimator]
    elif callable(estimator):
        fit = estimator
    else:
        raise TypeError(
            f"`estimator` must be one of {', '.join(map(repr, SITE_ESTIMATORS))} or a function "
            f"returning an Estimate; got {type(estimator).__name__}."
        )
    if "df" in spec:
        raise TypeError("pass the stacked frame once, as `df`; `**spec` must not repeat it.")
    fe = spec.get("fixed_effects")
    if site in ([fe] if isinstance(fe, str) else list(fe or [])):
        raise KaizenError(
            f"the site column {site!r} is in `fixed_effects`: each site is fitted on its own "
            "rows, where it is constant; absorb the strata within site instead."
        )
    missing = df[site].isna()
    if missing.any():
        rows = ", ".join(map(str, df.index[missing][:5]))
        raise KaizenError(
            f"column {site!r} is missing for {int(missing.sum())} rows (index {rows}"
            f"{', ...' if missing.sum() > 5 else ''}); every row must belong to a site."
        )
    names = pd.unique(df[site])
    if len(names) < 2:
        raise KaizenError(f"column {site!r} holds {len(names)} site(s); pooling needs at least 2.")
    if isinstance(unit, Mapping):
        unnamed = [str(n) for n in names if str(n) not in unit]
        if unnamed:
            raise KaizenError(f"`unit` names no unit for site(s) {', '.join(unnamed)}.")
    elif unit is not None and not isinstance(unit, str):
        raise TypeError(
            f"`unit` must be a string or a mapping of site to string; got {type(unit).__name__}."
        )
    out: dict[str, Estimate] = {}
    for name in names:
        rows = df.loc[df[site] == name]
        try:
            est = fit(rows, **spec)
        except (KaizenError, ValueError) as err:
            raise KaizenError(f"site {name!r} ({len(rows)} rows): {err}") from err
        if not isinstance(est, Estimate):
            raise TypeError(
                f"`estimator` returned {type(est).__name__} for site {name!r}; it must return "
                f"an Estimate."
            )
        key = str(name)
        if key in out:
            raise KaizenError(
                f"sites {name!r} and another value of {site!r} print alike ({key!r}); rename "
                "them so each site has one name."
            )
        if unit is not None:
            est = est.with_unit(unit[key] if isinstance(unit, Mapping) else unit)
        out[key] = est
    return MappingProxyType(out)
