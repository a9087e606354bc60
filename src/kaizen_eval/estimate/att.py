"""``ke.att``: the effect on participants, for randomized invitations."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    require_columns,
)
from kaizen_eval.estimate._build import check_assignment
from kaizen_eval.estimate._docs_regression import DOCS
from kaizen_eval.estimate.itt import itt
from kaizen_eval.estimate.iv import late
from kaizen_eval.estimate.result import Estimate


@fill_doc(DOCS)
def att(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str | Sequence[str],
    instrument: str | Sequence[str] | None = None,
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    cluster: str | None = None,
    se: str | None = None,
    baseline: str | Sequence[str] | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    by: str | Sequence[str] | None = None,
    by_kind: str | Mapping[str, str] | None = None,
    by_quantiles: Sequence[float] = (0.25, 0.5, 0.75),
) -> Estimate:
    """Estimate the average effect on the treated (participants) in a randomized invitation design.

    Under one-sided non-compliance (no firm with every assignment at 0 takes up the treatment)
    the LATE of :func:`~kaizen_eval.estimate.iv.late` *is* the ATT; with full compliance (take-up
    equals assignment) the ITT of :func:`~kaizen_eval.estimate.itt.itt` is. Otherwise the ATT is
    not identified by the randomization alone and this function raises.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
    treatment : str or sequence of str
        Take-up column(s) (participation).
    instrument : str or sequence of str
        The random assignment column(s), in the same order as ``treatment`` (required).
    %(params_linear)s
    by, by_kind, by_quantiles
        Pre-specified moderators, as in :func:`~kaizen_eval.estimate.itt.itt` (terms named
        after the take-up column).

    Returns
    -------
    Estimate
        ``estimand="ATT"``; ``method`` is ``"2SLS"`` (one-sided non-compliance) or ``"OLS"``
        (full compliance, where the terms are named after the treatment columns); a note says
        which identification argument was used.

    Raises
    ------
    KaizenError
        Take-up among units with every assignment at 0 (two-sided non-compliance); take-up
        or assignment coded other than 0/1 (the ATT reading needs participation and
        assignment indicators: for intensities use ``late(..., dose=True)``); and the
        errors of ``itt`` and ``late``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, 300)
    >>> df = pd.DataFrame({"invited": z, "attended": z, "y": 2.0 * z + rng.normal(size=300)})
    >>> r = ke.att(df, outcome="y", treatment="attended", instrument="invited")
    >>> r.estimand, r.method
    ('ATT', 'OLS')
    """
    treatments = as_list(treatment)
    instruments = as_list(instrument)
    if not instruments:
        raise KaizenError(
            "att needs `instrument`: the random assignment column(s) behind the take-up "
            f"{', '.join(map(repr, treatments))}; for a non-randomized site use `att_did` "
            "(difference-in-differences with propensity-score weights)"
        )
    require_columns(df, [*treatments, *instruments], where="the data passed to att")
    complete = df[[*treatments, *instruments]].notna().all(axis=1)
    sub = df.loc[complete]
    alpha = check_alpha(alpha)
    for role, cols in (("take-up", treatments), ("instrument", instruments)):
        # the ATT reading needs participation and assignment coded 0/1, whatever the dose
        check_assignment(sub, cols, role, where="att", dose=False, declared="")
    control = (sub[instruments] == 0).all(axis=1)
    for t in treatments:
        takers = int((sub.loc[control, t] != 0).sum())
        if takers:
            raise KaizenError(
                f"{takers} units with {' and '.join(f'{c} = 0' for c in instruments)} have "
                f"{t!r} > 0 (two-sided non-compliance): the ATT is not identified by the "
                f"randomization; use `late` (the effect on compliers)"
            )
    common = dict(
        outcome=outcome,
        covariates=covariates,
        fixed_effects=fixed_effects,
        cluster=cluster,
        se=se,
        baseline=baseline,
        weights=weights,
        alpha=alpha,
        by=by,
        by_kind=by_kind,
        by_quantiles=by_quantiles,
    )
    full = len(treatments) == len(instruments) and all(
        np.array_equal(sub[t].to_numpy(dtype=float), sub[z].to_numpy(dtype=float))
        for t, z in zip(treatments, instruments, strict=True)
    )
    if full:
        est = itt(df, treatment=treatments, **common)
        renamed = dict(zip(instruments, treatments, strict=True))
        note = "full compliance (take-up equals assignment for every unit): the ITT equals the ATT"
        return dataclasses.replace(
            est,
            terms=tuple(_rename(t, renamed) for t in est.terms),
            estimand="ATT",
            notes=(*est.notes, note),
        )
    est = late(df, treatment=treatments, instrument=instruments, **common)
    note = (
        "one-sided non-compliance (nobody with every assignment at 0 took up the treatment): "
        "the LATE estimated by 2SLS equals the ATT"
    )
    kept = tuple(n for n in est.notes if not n.startswith("non-compliance is one-sided"))
    return dataclasses.replace(est, estimand="ATT", notes=(*kept, note))


def _rename(term: str, renamed: Mapping[str, str]) -> str:
    """``invited[female=0]`` → ``attended[female=0]``: the assignment's name to take-up's."""
    for old, new in renamed.items():
        for sep in ("", "[", ":"):
            if term == old or (sep and term.startswith(old + sep)):
                return new + term[len(old) :]
    return term
