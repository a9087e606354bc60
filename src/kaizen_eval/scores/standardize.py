r"""Standardized indices of several outcomes: Kling–Liebman–Katz (2007) and Anderson (2008).

Both standardize each component on a **reference sample** — the control group at baseline (the
control group when there is no wave column) — combine the z-scores per firm, and restandardize
the combination on the same reference sample, so that the index has mean 0 and standard deviation
1 among baseline controls and later waves show change in those units.

Components where a higher value is worse are flipped with ``signs`` before standardizing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_count, check_option, require_columns
from kaizen_eval.scores._answers import check_keys, component_names, numeric_column
from kaizen_eval.scores._index_core import IndexCore, index_core

Missing = Literal["available", "group_mean"]
MISSING: tuple[Missing, ...] = get_args(Missing)


@dataclass(frozen=True, repr=False)
class StandardizedIndex:
    """A standardized index of several components.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per input row, in input order: the id (and wave) columns, ``index``
        (restandardized: mean 0, sd 1 among baseline controls), ``index_raw`` (the combination
        of z-scores before restandardizing) and ``n_components`` (non-missing components).
    components : pandas.DataFrame
        Indexed by component: ``sign``, reference ``mean``, ``sd``, ``n_reference`` and ``weight``
        (normalized to sum to one).
    scale : tuple of float
        Reference mean and sd of ``index_raw``.
    unscored : pandas.DataFrame
        Rows without any component (index NaN), with a ``reason``.
    method : str
        ``"kling"`` or ``"icw"``.
    missing : str
        How missing components were handled.
    """

    table: pd.DataFrame
    components: pd.DataFrame
    scale: tuple[float, float]
    unscored: pd.DataFrame
    method: str
    missing: str

    def __repr__(self) -> str:
        return (
            f"StandardizedIndex(method={self.method!r}, {len(self.components)} components, "
            f"{len(self.table)} rows, {len(self.unscored)} unscored)"
        )


def _prepare(
    df: pd.DataFrame,
    components: pd.DataFrame | Sequence[str] | str,
    treatment: str | None,
    control_mask: Sequence[bool] | np.ndarray | pd.Series | None,
    wave_col: str | None,
    baseline: Any,
    signs: Mapping[str, int] | None,
    id_col: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Validate; return signed components (n, k), reference mask, control mask, names, signs."""
    names = component_names(components)
    check_keys(df, id_col, wave_col)
    require_columns(df, names, where="the data")
    if (treatment is None) == (control_mask is None):
        raise KaizenError("give exactly one of `treatment` (a 0/1 column) and `control_mask`")
    if treatment is not None:
        require_columns(df, [treatment], where="the data")
        arm = numeric_column(df, treatment, id_col)
        bad = np.isnan(arm) | ((arm != 0) & (arm != 1))
        if bad.any():
            rows = df.loc[bad, id_col].tolist()[:5]
            raise KaizenError(
                f"treatment column {treatment!r} must be 0/1 without missing values; firms "
                f"{rows!r} are not"
            )
        control = arm == 0
    else:
        mask = control_mask.to_numpy() if isinstance(control_mask, pd.Series) else control_mask
        control = np.asarray(mask)
        if control.shape != (len(df),) or control.dtype != bool:
            raise KaizenError(
                f"`control_mask` must be a boolean array of length {len(df)} (one per row)"
            )
    if wave_col is not None:
        waves = df[wave_col]
        if baseline is None:
            if isinstance(waves.dtype, pd.CategoricalDtype) and waves.cat.ordered:
                baseline = waves.cat.categories[0]
            else:
                raise KaizenError(
                    f"say which value of {wave_col!r} is the baseline (`baseline=`); it can only "
                    "be inferred from an ordered categorical wave column"
                )
        at_base = (waves == baseline).to_numpy(dtype=bool, na_value=False)
        if not at_base.any():
            raise KaizenError(f"no rows with {wave_col!r} == {baseline!r} (the baseline)")
    elif baseline is not None:
        raise KaizenError("`baseline` needs `wave_col`")
    else:
        at_base = np.ones(len(df), dtype=bool)
    ref = control & at_base
    if not ref.any():
        raise KaizenError("the reference sample (controls at baseline) is empty")
    signs = dict(signs or {})
    unknown = sorted(set(signs) - set(names))
    if unknown:
        raise KaizenError(f"`signs` names column(s) that are not components: {unknown!r}")
    bad_sign = sorted(c for c, s in signs.items() if s not in (1, -1))
    if bad_sign:
        raise KaizenError(f"`signs` must be 1 or -1; not so for {bad_sign!r}")
    sign = np.array([float(signs.get(c, 1)) for c in names])
    y = np.column_stack([numeric_column(df, c, id_col) for c in names]) * sign[None, :]
    return y, ref, control, names, sign


def _wrap(
    df: pd.DataFrame,
    core: IndexCore,
    names: list[str],
    sign: np.ndarray,
    id_col: str,
    wave_col: str | None,
    method: str,
    missing: str,
) -> StandardizedIndex:
    keys = [id_col] + ([wave_col] if wave_col is not None else [])
    table = df[keys].reset_index(drop=True)
    table["index"] = core.index
    table["index_raw"] = core.raw
    table["n_components"] = core.n_components
    components = pd.DataFrame(
        {
            "sign": sign.astype(int),
            "mean": core.mean,
            "sd": core.sd,
            "n_reference": core.n_reference,
            "weight": core.weights / core.weights.sum(),
        },
        index=pd.Index(names, name="component"),
    )
    gone = np.isnan(core.index)
    unscored = table.loc[gone, keys].reset_index(drop=True)
    unscored["reason"] = np.where(
        core.n_components[gone] == 0, "no non-missing component", "available weights sum to zero"
    )
    return StandardizedIndex(
        table=table,
        components=components,
        scale=core.scale,
        unscored=unscored,
        method=method,
        missing=missing,
    )


def kling_index(
    df: pd.DataFrame,
    components: pd.DataFrame | Sequence[str] | str,
    *,
    treatment: str | None = None,
    control_mask: Sequence[bool] | np.ndarray | pd.Series | None = None,
    wave_col: str | None = None,
    baseline: Any = None,
    signs: Mapping[str, int] | None = None,
    missing: Missing = "available",
    id_col: str = "firm_id",
    ddof: int = 1,
) -> StandardizedIndex:
    r"""Kling–Liebman–Katz (2007) summary index: the mean of z-scores, restandardized.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm (per wave with ``wave_col``), one numeric column per component.
    components : list of str or pandas.DataFrame
        Component columns, or an item table whose ``item`` column names them (``trial.items``).
    treatment : str, optional
        A 0/1 column; the control group is ``treatment == 0``.
    control_mask : array-like of bool, optional
        Alternatively, the control rows directly (exactly one of the two is required).
    wave_col : str, optional
        Wave column of a long panel; the reference sample is then the controls at ``baseline``.
    baseline : optional
        The baseline value of ``wave_col`` (inferred from an ordered categorical).
    signs : Mapping, optional
        Component → ``-1`` for components where higher is worse (flipped before standardizing).
    missing : {"available", "group_mean"}, default "available"
        ``"available"``: average the z-scores a firm has; ``"group_mean"``: first impute each
        missing z-score at the mean z-score of the firm's assignment group (control or not, per
        wave), as in Kling, Liebman and Katz (2007). Firms with no component get NaN either way.
    id_col : str, default "firm_id"
        Firm identifier, unique within a wave.
    ddof : int, default 1
        Delta degrees of freedom of the reference standard deviations.

    Returns
    -------
    StandardizedIndex
        ``.table`` (``index``, ``index_raw``, ``n_components`` per row), ``.components``
        (reference mean and sd of each component), ``.unscored``.

    Raises
    ------
    MissingColumnError
        A component, id, wave or treatment column is absent.
    KaizenError
        A component is not numeric or does not vary among reference firms; the reference sample
        is empty; the treatment is not 0/1.

    Notes
    -----
    With reference (control, baseline) mean :math:`\mu_k` and sd :math:`\sigma_k` of component
    :math:`k`, and :math:`K_i` the components available for firm :math:`i`,

    .. math::
        z_{ik} = \frac{s_k y_{ik} - \mu_k}{\sigma_k}, \qquad
        \bar z_i = \frac{1}{|K_i|} \sum_{k \in K_i} z_{ik}, \qquad
        \text{index}_i = \frac{\bar z_i - \bar\mu}{\bar\sigma},

    where :math:`\bar\mu, \bar\sigma` are the mean and sd of :math:`\bar z` among reference firms.

    References
    ----------
    Kling, J. R., Liebman, J. B. and Katz, L. F. (2007). Experimental analysis of neighborhood
    effects. Econometrica 75(1), 83–119.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": list("ABCD"), "treat": [0, 0, 1, 1],
    ...                    "y1": [0.0, 2.0, 3.0, 1.0], "y2": [1.0, 3.0, None, 5.0]})
    >>> r = kling_index(df, ["y1", "y2"], treatment="treat")
    >>> r.table.round(4)
      firm_id   index  index_raw  n_components
    0       A -0.7071    -0.7071             2
    1       B  0.7071     0.7071             2
    2       C  1.4142     1.4142             1
    3       D  1.0607     1.0607             2
    """
    check_option("missing", missing, MISSING)
    ddof = check_count("ddof", ddof, least=0)
    y, ref, control, names, sign = _prepare(
        df, components, treatment, control_mask, wave_col, baseline, signs, id_col
    )
    groups = None
    if missing == "group_mean":
        wave_key = (
            df[wave_col].astype(str).to_numpy() if wave_col is not None else np.full(len(df), "")
        )
        groups = np.array([f"{int(c)}|{w}" for c, w in zip(control, wave_key, strict=True)])
    core = index_core(y, ref, method="kling", groups=groups, ddof=ddof, names=names)
    return _wrap(df, core, names, sign, id_col, wave_col, "kling", missing)


def icw_index(
    df: pd.DataFrame,
    components: pd.DataFrame | Sequence[str] | str,
    *,
    treatment: str | None = None,
    control_mask: Sequence[bool] | np.ndarray | pd.Series | None = None,
    wave_col: str | None = None,
    baseline: Any = None,
    signs: Mapping[str, int] | None = None,
    id_col: str = "firm_id",
    ddof: int = 1,
) -> StandardizedIndex:
    r"""Anderson (2008) inverse-covariance-weighted index of z-scores, restandardized.

    Parameters are those of :func:`kling_index` (without ``missing``: a firm's index is the
    weighted mean of the z-scores it has, with the weights of those components).

    Returns
    -------
    StandardizedIndex
        As :func:`kling_index`; ``.components["weight"]`` holds the normalized weights.

    Raises
    ------
    KaizenError
        As :func:`kling_index`, and when the covariance matrix of the z-scores is singular or
        not estimable in the reference sample.

    Notes
    -----
    With :math:`z_{ik}` as in :func:`kling_index` and :math:`\hat\Sigma` the covariance matrix of
    the z-scores among reference firms (pairwise complete observations, ``ddof``), the weights are
    the row sums of :math:`\hat\Sigma^{-1}`, :math:`w = \hat\Sigma^{-1}\mathbf 1`, and

    .. math:: \bar z_i = \frac{\sum_{k \in K_i} w_k z_{ik}}{\sum_{k \in K_i} w_k},

    restandardized on the reference firms. Highly correlated components share weight; components
    carrying new information get more.

    References
    ----------
    Anderson, M. L. (2008). Multiple inference and gender differences in the effects of early
    intervention. Journal of the American Statistical Association 103(484), 1481–1495.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": list("ABCDE"), "treat": [0, 0, 0, 1, 1],
    ...                    "y1": [0.0, 1.0, 2.0, 2.0, 3.0], "y2": [1.0, 0.0, 2.0, 1.0, 4.0]})
    >>> r = icw_index(df, ["y1", "y2"], treatment="treat")
    >>> r.components["weight"].round(4).tolist()
    [0.5, 0.5]
    """
    ddof = check_count("ddof", ddof, least=0)
    y, ref, _, names, sign = _prepare(
        df, components, treatment, control_mask, wave_col, baseline, signs, id_col
    )
    core = index_core(y, ref, method="icw", ddof=ddof, names=names)
    return _wrap(df, core, names, sign, id_col, wave_col, "icw", "available")
