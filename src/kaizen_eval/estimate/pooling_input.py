"""Input of :func:`~kaizen_eval.estimate.pooling.pool_sites`: one estimate per site, checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns
from kaizen_eval.estimate.result import Estimate

#: ``Estimate.method`` of the estimators for non-randomized sites.
NON_EXPERIMENTAL_METHODS = frozenset(
    {"DiD-IPW", "DiD-DR", "Matching-NN", "Matching-PS", "TWFE event study"}
)


class SiteTable(NamedTuple):
    """The checked input of :func:`~kaizen_eval.estimate.pooling.pool_sites`."""

    names: list[str]
    y: np.ndarray
    se: np.ndarray
    outcome: str | None
    estimand: str | None
    experimental: np.ndarray  # bool, shape (k,): randomized site or not


def site_table(estimates: Any, term: str | None, allow_mixed: bool) -> SiteTable:
    """Validate ``estimates`` and return site names, estimates, standard errors and outcome.

    Parameters
    ----------
    estimates : mapping of site to Estimate, or pandas.DataFrame
        As :func:`~kaizen_eval.estimate.pooling.pool_sites` takes them. An ``Estimate`` from
        a non-randomized site (``method`` in :data:`NON_EXPERIMENTAL_METHODS`) is marked
        non-experimental; a DataFrame may say so in a boolean column ``experimental``.
    term : str or None
        The term to take from multi-term estimates.
    allow_mixed : bool
        Accept estimates of different outcomes, estimands or units (``Estimate.unit``, or a
        DataFrame column ``unit``; sites that do not say their unit are not compared).

    Returns
    -------
    SiteTable
        ``names`` (list of str), ``y`` and ``se`` (arrays of shape ``(k,)``), ``outcome`` and
        ``estimand``: those common to the estimates (``None`` for a DataFrame or mixed ones),
        and ``experimental`` (boolean array of shape ``(k,)``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"estimate": [1.0, 2.0], "std_error": [0.5, 1.0]}, index=["a", "b"])
    >>> site_table(t, None, False).names
    ['a', 'b']
    >>> site_table(t.assign(std_error=[0.5, 0.0]), None, False)
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: site 'b' has standard error 0.0; every site needs a positive, finite standard error (drop the site or fix its estimate).
    """  # noqa: E501
    outcome: str | None = None
    estimand: str | None = None
    if isinstance(estimates, pd.DataFrame):
        require_columns(estimates, ["estimate", "std_error"], where="`estimates`")
        names = [str(s) for s in estimates.index]
        cols = {}
        for col in ("estimate", "std_error"):
            values = pd.to_numeric(estimates[col], errors="coerce")
            bad = values.isna() & estimates[col].notna()
            if bad.any():
                first = int(np.argmax(bad.to_numpy()))
                raise KaizenError(
                    f"column {col!r} of `estimates` must be numeric; site {names[first]!r} "
                    f"has {estimates[col].iloc[first]!r}."
                )
            cols[col] = values.to_numpy(dtype=float)
        y, se = cols["estimate"], cols["std_error"]
        units = (
            [None if pd.isna(u) else str(u) for u in estimates["unit"]]
            if "unit" in estimates.columns
            else [None] * len(names)
        )
        experimental = np.ones(len(names), dtype=bool)
        if "experimental" in estimates.columns:
            flags = estimates["experimental"]
            if flags.isna().any() or not all(isinstance(f, bool | np.bool_) for f in flags):
                raise KaizenError(
                    "column 'experimental' of `estimates` must hold True (randomized site) or "
                    "False for every site."
                )
            experimental = flags.to_numpy(dtype=bool)
    elif isinstance(estimates, Mapping):
        names, y_list, se_list, outcomes, flags_list, units = [], [], [], {}, [], []
        for site, est in estimates.items():
            if not isinstance(est, Estimate):
                raise TypeError(
                    f"`estimates[{site!r}]` must be an Estimate (from ke.itt, ke.late, ...); "
                    f"got {type(est).__name__}. Pass a DataFrame with columns 'estimate' and "
                    f"'std_error' for numbers."
                )
            if term is None and len(est.terms) != 1:
                raise KaizenError(
                    f"the estimate of site {site!r} has {len(est.terms)} terms "
                    f"({', '.join(est.terms)}); pass `term=` to choose the one to pool."
                )
            name = est.terms[0] if term is None else term
            if name not in est.terms:
                raise KaizenError(
                    f"`term` {name!r} is not a term of site {site!r}'s estimate; its terms: "
                    f"{', '.join(est.terms)}."
                )
            row = est.tidy().loc[name]
            names.append(str(site))
            y_list.append(float(row["estimate"]))
            se_list.append(float(row["std_error"]))
            outcomes.setdefault((est.outcome, est.estimand), []).append(str(site))
            flags_list.append(est.method not in NON_EXPERIMENTAL_METHODS)
            units.append(est.unit)
        y, se = np.array(y_list, dtype=float), np.array(se_list, dtype=float)
        experimental = np.array(flags_list, dtype=bool)
        if len(outcomes) > 1 and not allow_mixed:
            listed = "; ".join(f"{o} {e}: {', '.join(s)}" for (o, e), s in outcomes.items())
            raise KaizenError(
                f"the sites estimate different outcomes or estimands ({listed}); pooling them "
                f"mixes scales. Pool one outcome at a time, or pass `allow_mixed=True` if they "
                f"are on a common scale (e.g. standardized)."
            )
        if len(outcomes) == 1:
            outcome, estimand = next(iter(outcomes))
    else:
        raise TypeError(
            "`estimates` must be a mapping of site name to Estimate, or a DataFrame indexed by "
            f"site with columns 'estimate' and 'std_error'; got {type(estimates).__name__}."
        )
    by_unit: dict[str, list[str]] = {}
    for name, unit in zip(names, units, strict=True):
        if unit is not None:
            by_unit.setdefault(unit, []).append(name)
    if len(by_unit) > 1 and not allow_mixed:
        listed = "; ".join(f"{u}: {', '.join(s)}" for u, s in by_unit.items())
        raise KaizenError(
            f"the sites' estimates are in different units ({listed}); convert them to one "
            f"unit first (e.g. ke.to_usd before estimating), or pass `allow_mixed=True` if "
            f"they are on a common scale."
        )
    dup = pd.Index(names)[pd.Index(names).duplicated()].unique()
    if len(dup):
        raise KaizenError(
            f"duplicate site names in `estimates`: {', '.join(map(repr, dup))}; each site must "
            f"appear once (rename or combine them)."
        )
    for name, est, s in zip(names, y.tolist(), se.tolist(), strict=True):
        if not np.isfinite(est):
            raise KaizenError(f"site {name!r} has a missing or non-finite estimate ({est!r}).")
        if not np.isfinite(s) or s <= 0:
            raise KaizenError(
                f"site {name!r} has standard error {s!r}; every site needs a positive, finite "
                f"standard error (drop the site or fix its estimate)."
            )
    if len(names) < 2:
        raise KaizenError(
            f"pooling needs at least 2 sites; `estimates` has {len(names)}"
            + (f" ({names[0]!r})" if names else "")
            + "."
        )
    return SiteTable(names, y, se, outcome, estimand, experimental)
