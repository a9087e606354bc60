"""Differential attrition: whether being observed in a wave depends on the arm.

For each wave, the 0/1 indicator of being observed (interviewed) is regressed on the arm dummies
(+ strata fixed effects) with the chosen covariance, exactly as a covariate in
:func:`kaizen_eval.balance`; optionally, covariates are then compared across arms on the firms
retained in each wave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._core.wald import wald_test
from kaizen_eval._validation import KaizenError, as_list, require_columns
from kaizen_eval.design._balance_table import _DesignTable
from kaizen_eval.design.balance import (
    BalanceTable,
    _fit,
    _numeric,
    balance,
    difference_rows,
    prepare_arms,
)

ATTRITION_COLUMNS = (
    "n",
    "observed_control",
    "observed_arm",
    "difference",
    "std_error",
    "pvalue",
    "joint_f",
    "joint_pvalue",
)


@dataclass(frozen=True, repr=False, eq=False)
class AttritionTable(_DesignTable):
    """Differential attrition by wave and arm; immutable.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``wave`` and ``arm``: ``n`` (firms in the wave's rows), ``observed_control``
        and ``observed_arm`` (shares observed), ``difference`` (arm coefficient in the
        regression of being observed on the arms, within strata when ``strata`` is given),
        ``std_error``, ``pvalue``, and ``joint_f``/``joint_pvalue`` (Wald F test that no arm
        differs from control; equal to the single test's F with one arm). A copy on access.
    retained_balance : mapping of str to BalanceTable
        Balance of ``covariates`` on the firms observed in each wave (empty without
        ``covariates``).
    se_type : str
        Covariance type.
    strata : tuple of str
        Strata absorbed as fixed effects.
    cluster : str or None
        Cluster column of the covariance.
    """

    _table: pd.DataFrame
    se_type: str
    retained_balance: Mapping[str, BalanceTable] = field(default_factory=dict)
    strata: tuple[str, ...] = ()
    cluster: str | None = None
    _CSS_CLASS: ClassVar[str] = "attrition"

    table = _render.copied("_table", "Per wave and arm statistics (a copy).")

    def _display(self, digits: int | None = None) -> _render.Table:
        """Build the display table: response rates as shares, p-values, counts; notes."""
        t = self._table.reset_index()
        d = 3 if digits is None else digits
        body = []
        for _, r in t.iterrows():
            se = F.number(r["std_error"], d)
            body.append(
                [
                    str(r["wave"]),
                    F.label(r["arm"]),
                    F.number(r["observed_control"], d),
                    F.number(r["observed_arm"], d),
                    F.number(r["difference"], d),
                    f"({se})" if se else "",
                    F.pvalue(r["pvalue"]),
                    F.count(r["n"]),
                ]
            )
        header = ["Wave", "Arm", "Observed (control)", "Observed (arm)", "Difference", "SE",
                  "p-value", "N"]  # fmt: skip
        notes = [f"Share of firms observed by arm. {self._se_note()}"]
        if any(not c for row in body for c in row[2:]):
            notes.append(
                F.missing_note(
                    ["no variation in who was observed (or no firm of that arm) in that wave"]
                )
            )
        return _render.Table(header=[header], body=body, notes=notes,
                             caption="Differential attrition", align="ll" + "r" * 6)  # fmt: skip


def differential_attrition(
    df: pd.DataFrame,
    *,
    observed: str,
    treatment: str | Sequence[str],
    strata: str | Sequence[str] | None = None,
    by_wave: str | None = "wave",
    cluster: str | None = None,
    se: str | None = None,
    covariates: str | Sequence[str] | None = None,
    id_col: str | None = None,
) -> AttritionTable:
    """Test whether attrition differs by arm, wave by wave.

    Parameters
    ----------
    df : pandas.DataFrame
        Long panel: one row per firm and wave (e.g. ``panel.long`` with an observed indicator),
        including the firms that were not observed.
    observed : str
        0/1 (or boolean) column: the firm was observed (interviewed) in that wave.
    treatment : str or sequence of str
        0/1 arm column(s), mutually exclusive, compared with control.
    strata : str or sequence of str, optional
        Randomization strata, absorbed as fixed effects.
    by_wave : str or None
        Wave column (its categorical order, else order of appearance). ``None``: one
        cross-section.
    cluster : str, optional
        Cluster column for clustered standard errors.
    se : str, optional
        Covariance type, ``"HC2"`` by default (``"CR2"`` with ``cluster``).
    covariates : str or sequence of str, optional
        Baseline covariates to compare across arms among the firms retained in each wave
        (``retained_balance``).
    id_col : str, optional
        Firm id: used in messages, and each firm may appear only once per wave.

    Returns
    -------
    AttritionTable

    Notes
    -----
    In wave ``w``: ``observed_i = α + Σ_j δ_j d_ij (+ strata FE) + ε_i``; ``difference`` is
    ``δ_j``. A significant ``δ_j`` means the arms are observed at different rates, so estimates
    on the retained sample may be biased (consider bounds).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"wave": ["followup"] * 8, "invited": [0, 1] * 4,
    ...                    "interviewed": [1, 1, 0, 1, 1, 1, 0, 1]})
    >>> at = differential_attrition(df, observed="interviewed", treatment="invited")
    >>> round(float(at.table.loc[("followup", "invited"), "difference"]), 6)
    0.5
    """
    if not isinstance(df, pd.DataFrame):
        raise KaizenError(f"`df` must be a pandas DataFrame, not {type(df).__name__}.")
    covs = as_list(covariates)
    require_columns(df, [observed, *([by_wave] if by_wave else [])], where="the attrition data")
    obs = _numeric(df, observed, "observed indicator")
    bad = np.isnan(obs) | ~np.isin(np.nan_to_num(obs, nan=-1.0), (0.0, 1.0))
    if bad.any():
        raise KaizenError(
            f"`{observed}` must be 0/1 with no missing values; rows "
            f"{', '.join(map(str, df.index[bad][:10]))} are not."
        )
    if by_wave is None:
        groups: list[tuple[str, pd.DataFrame]] = [("all", df)]
    else:
        if df[by_wave].isna().any():
            raise KaizenError(f"`{by_wave}` is missing in some rows.")
        groups = [(str(w), g) for w, g in df.groupby(by_wave, sort=False, observed=True)]
        if isinstance(df[by_wave].dtype, pd.CategoricalDtype) and df[by_wave].cat.ordered:
            order = {str(c): i for i, c in enumerate(df[by_wave].cat.categories)}
            groups.sort(key=lambda wg: order[wg[0]])
    parts = []
    retained: dict[str, BalanceTable] = {}
    se_type = None
    for wave, g in groups:
        if id_col is not None:
            require_columns(g, [id_col], where="the attrition data")
            dup = g[id_col][g[id_col].duplicated()]
            if len(dup):
                raise KaizenError(
                    f"firm(s) {', '.join(map(str, dup.unique()[:10]))} appear more than once in "
                    f"wave {wave!r}."
                )
        where = f"the attrition data (wave {wave!r})"
        prep = prepare_arms(g, treatment, [observed], strata, cluster, se, id_col, where=where)
        se_type = prep.se_type
        y = _numeric(prep.data, observed, "observed indicator")[:, None]
        rows = difference_rows(y, [observed], prep).droplevel("covariate")
        if np.ptp(y) == 0:  # everyone (or no one) observed: nothing to test
            joint_f = joint_p = float("nan")
        else:
            fit = _fit(y[:, 0], prep.d, prep.arms, prep.se_type, prep.clusters, prep.fe)
            joint_f, joint_p = wald_test(fit, prep.arms)[:2]
        part = pd.DataFrame(
            {
                "n": rows["n"],
                "observed_control": rows["mean_control"],
                "observed_arm": rows["mean_arm"],
                "difference": rows["difference"],
                "std_error": rows["std_error"],
                "pvalue": rows["pvalue"],
                "joint_f": joint_f,
                "joint_pvalue": joint_p,
            }
        )
        part.index = pd.MultiIndex.from_product([[wave], part.index], names=["wave", "arm"])
        parts.append(part)
        if covs:
            kept = g[g[observed].astype(float) == 1]
            try:
                retained[wave] = balance(
                    kept,
                    treatment=treatment,
                    covariates=covs,
                    strata=strata,
                    cluster=cluster,
                    se=se,
                    id_col=id_col,
                )
            except KaizenError as err:
                raise KaizenError(
                    f"balance on the firms retained in wave {wave!r}: {err} (baseline "
                    "covariates must be on every wave's rows: merge them from the baseline)"
                ) from err
    table = pd.concat(parts)[list(ATTRITION_COLUMNS)]
    return AttritionTable(
        table,
        se_type=str(se_type),
        retained_balance=MappingProxyType(retained),
        strata=tuple(as_list(strata)),
        cluster=cluster,
    )
