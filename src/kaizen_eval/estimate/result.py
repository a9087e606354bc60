"""The immutable result of every estimator: :class:`Estimate`.

The tidy contract (``Estimate.tidy()``), one row per term:

``estimate``
    The coefficient.
``std_error``
    Its standard error under ``se_type``.
``statistic``
    ``estimate / std_error``.
``pvalue``
    Two-sided p-value from Student's t with ``df`` degrees of freedom (normal when ``df`` is
    infinite).
``ci_low``, ``ci_high``
    The ``1 - alpha`` confidence interval, ``estimate ± q · std_error`` with ``q`` the t (or normal)
    quantile.
``df``
    Degrees of freedom used for that term.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._validation import KaizenError, check_alpha

#: The columns of :meth:`Estimate.tidy`, in order.
TIDY_COLUMNS = ("estimate", "std_error", "statistic", "pvalue", "ci_low", "ci_high", "df")


def _readonly(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=float, copy=True)
    out.flags.writeable = False
    return out


class PicklesMappings:
    """Pickling for a frozen result whose ``_mappings`` attributes are read-only mappings."""

    _mappings: ClassVar[tuple[str, ...]] = ()

    def __getstate__(self) -> dict[str, Any]:
        """Return the attributes, each mapping as a dict (a mappingproxy cannot be pickled)."""
        state = dict(self.__dict__)
        for name in self._mappings:
            state[name] = dict(state[name])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the attributes, each mapping read-only again."""
        for name in self._mappings:
            state[name] = MappingProxyType(dict(state[name]))
        for name, value in state.items():
            object.__setattr__(self, name, value)


def _single_term(column: str, doc: str) -> property:
    """Return the property giving ``column`` of the tidy row of a single-term result."""

    def get(self: Estimate) -> float:
        return self._single(column)

    get.__doc__ = doc
    return property(get)


@dataclass(frozen=True, repr=False, eq=False)
class Estimate(PicklesMappings, _render.Rendered):
    """An estimated effect with its inference; immutable.

    Parameters
    ----------
    terms : tuple of str
        Names of the reported terms.
    coef : numpy.ndarray, shape (k,)
        Coefficients of the reported terms (stored read-only; ``.params`` gives a Series).
    vcov : numpy.ndarray, shape (k, k)
        Their covariance matrix (read-only; ``.cov`` gives a DataFrame).
    dof : array-like, shape (k,) or scalar
        Degrees of freedom per term for t-based inference; ``inf`` means normal.
    se_type : str
        Covariance type (``"classical"``, ``"HC0"``…``"HC3"``, ``"CR1"``, ``"CR2"``, …).
    method : str
        ``"OLS"``, ``"2SLS"``, ``"DiD-IPW"``, … .
    estimand : str
        ``"ITT"``, ``"LATE"``, ``"ATT"``, … ; cost-benefit uses it to compare the gain with the
        right cost (per invited firm for an ITT, per participant for a LATE/ATT).
    outcome : str
        Name of the outcome column.
    nobs : int
        Number of observations used.
    n_clusters : int or None
        Number of clusters when the covariance is clustered.
    alpha : float
        Level for ``ci_low``/``ci_high`` (default 0.05, a 95% interval).
    control_mean : float or None
        Mean outcome in the control group of the estimation sample.
    dropped : pandas.DataFrame
        Rows of the input that were not used, with a ``reason`` column (empty if none).
    notes : tuple of str
        Remarks a reader must see (e.g. "under one-sided non-compliance the LATE is the ATT").
    extra : Mapping
        Estimator-specific attachments (``first_stage``, …), read-only.
    unit : str or None
        Unit of the outcome (``"USD"``, ``"GHS"``, ``"SD"``, …) when known; ``None`` (the
        default) when not said. :meth:`with_unit` sets it; :func:`kaizen_eval.pool_sites`
        refuses to pool estimates whose known units differ.

    Examples
    --------
    >>> import pandas as pd
    >>> e = Estimate(terms=("invited",), coef=[2.0], vcov=[[0.25]], dof=98.0,
    ...              se_type="HC1", method="OLS",
    ...              estimand="ITT", outcome="y", nobs=100)
    >>> round(e.std_error, 3), round(e.pvalue, 6) < 0.001
    (0.5, True)
    """

    _mappings = ("extra",)

    terms: tuple[str, ...]
    coef: np.ndarray
    vcov: np.ndarray
    dof: np.ndarray
    se_type: str
    method: str
    estimand: str
    outcome: str
    nobs: int
    n_clusters: int | None = None
    alpha: float = 0.05
    control_mean: float | None = None
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"reason": []}))
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    unit: str | None = None

    def __post_init__(self) -> None:
        terms = tuple(str(t) for t in self.terms)
        k = len(terms)
        coef = _readonly(np.asarray(self.coef, dtype=float).reshape(k))
        vcov = _readonly(np.asarray(self.vcov, dtype=float).reshape(k, k))
        dof = _readonly(np.broadcast_to(np.asarray(self.dof, dtype=float), (k,)))
        if np.isnan(dof).any():
            raise KaizenError("degrees of freedom missing for some terms")
        check_alpha(self.alpha)
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "coef", coef)
        object.__setattr__(self, "vcov", vcov)
        object.__setattr__(self, "dof", dof)
        object.__setattr__(self, "dropped", self.dropped.copy())
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        if self.unit is not None and (not isinstance(self.unit, str) or not self.unit.strip()):
            raise KaizenError(f"`unit` must be a non-empty string or None; got {self.unit!r}.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in ("coef", "vcov", "dof"):
            state[name] = _readonly(state[name])
        super().__setstate__(state)

    def with_unit(self, unit: str | None) -> Estimate:
        """Return the same estimate with the outcome's ``unit`` recorded (a new object).

        Examples
        --------
        >>> e = Estimate(terms=("invited",), coef=[2.0], vcov=[[0.25]], dof=98.0,
        ...              se_type="HC1", method="OLS", estimand="ITT", outcome="y", nobs=100)
        >>> e.with_unit("USD").unit, e.unit
        ('USD', None)
        """
        return replace(self, unit=unit)

    @property
    def params(self) -> pd.Series:
        """Coefficients as a Series indexed by term (a fresh copy)."""
        return pd.Series(self.coef.copy(), index=list(self.terms), name="estimate")

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance matrix as a DataFrame indexed by term (a fresh copy)."""
        return pd.DataFrame(self.vcov.copy(), index=list(self.terms), columns=list(self.terms))

    # --- tidy contract -------------------------------------------------------------------
    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """Return one row per term with the columns documented in this module.

        Parameters
        ----------
        alpha : float, optional
            Level of the interval; defaults to the result's ``alpha``. The result is not changed.

        Returns
        -------
        pandas.DataFrame
            Indexed by term; columns ``estimate, std_error, statistic, pvalue, ci_low,
            ci_high, df``. The numbers are the full-precision floats; the frame (a
            :class:`~kaizen_eval._format.TidyFrame`) only displays them in full, without
            exponents, in a notebook or at the prompt.
        """
        a = self.alpha if alpha is None else alpha
        check_alpha(a)
        est = self.coef
        se = np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))
        dfs = self.dof
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        pval = np.empty_like(est)
        q = np.empty_like(est)
        for i, d in enumerate(dfs):
            dist = stats.norm if not np.isfinite(d) else stats.t(d)
            pval[i] = 2 * dist.sf(abs(stat[i])) if np.isfinite(stat[i]) else np.nan
            q[i] = dist.ppf(1 - a / 2)
        values = (est, se, stat, pval, est - q * se, est + q * se, dfs)
        return F.TidyFrame(
            dict(zip(TIDY_COLUMNS, values, strict=True)),
            index=pd.Index(list(self.terms), name="term"),
        )

    def _single(self, column: str) -> float:
        if len(self.terms) != 1:
            raise KaizenError(
                f"this result has {len(self.terms)} terms ({', '.join(self.terms)}); use "
                f"`.tidy()` or `.term(name)` to pick one."
            )
        return float(self.tidy()[column].iloc[0])

    def term(self, name: str) -> pd.Series:
        """Return the tidy row of one term."""
        if name not in self.terms:
            raise KeyError(f"term {name!r} not in this result; terms: {self.terms}")
        return self.tidy().loc[name]

    estimate = _single_term("estimate", "The coefficient (single-term results only).")
    std_error = _single_term("std_error", "Its standard error (single-term results only).")
    statistic = _single_term("statistic", "The t (or z) statistic (single-term results only).")
    pvalue = _single_term("pvalue", "Two-sided p-value (single-term results only).")
    ci_low = _single_term(
        "ci_low", "Lower end of the ``1 - alpha`` interval (single-term results only)."
    )
    ci_high = _single_term(
        "ci_high", "Upper end of the ``1 - alpha`` interval (single-term results only)."
    )

    @property
    def first_stage(self) -> Any:
        """First-stage diagnostics of an IV estimate."""
        if "first_stage" not in self.extra:
            raise AttributeError(f"a {self.method} estimate has no first stage")
        return self.extra["first_stage"]

    # --- display -------------------------------------------------------------------------
    def _table(self) -> _render.Table:
        """Build the display table: one row per term, one precision for estimates, SEs and CIs."""
        t = self.tidy()
        level = F.number(100 * (1 - self.alpha), 0 if (100 * (1 - self.alpha)) % 1 == 0 else 1)
        d = F.column_decimals(list(t["estimate"]) + list(t["std_error"]))
        normal = not np.isfinite(t["df"]).any()
        header = ["Term", "Estimate", "SE", "z" if normal else "t", "p-value",
                  f"{level} % CI low", f"{level} % CI high"]  # fmt: skip
        if not normal:
            header.append("df")
        body = []
        for term, row in t.iterrows():
            stat = row["statistic"]
            cells = [
                F.label(term),
                F.cell(row["estimate"], d),
                F.cell(row["std_error"], d),
                F.cell(stat, 2),
                F.pvalue(row["pvalue"]),
                F.cell(row["ci_low"], d),
                F.cell(row["ci_high"], d),
            ]
            if not normal:
                cells.append(F.count(row["df"]) if np.isfinite(row["df"]) else "∞")
            body.append(cells)
        caption = (
            f"{self.estimand} ({self.method}) of {F.label(self.outcome)}: N = {F.count(self.nobs)}"
            + (f", {F.count(self.n_clusters)} clusters" if self.n_clusters else "")
            + f", SE: {self.se_type}"
            + (f", in {self.unit}" if self.unit else "")
        )
        notes = []
        if self.control_mean is not None:
            notes.append(f"Control mean: {F.number(self.control_mean, d)}.")
        if len(self.dropped):
            counts = self.dropped["reason"].value_counts()
            notes.append(
                "Dropped rows: " + "; ".join(f"{F.count(n)} ({r})" for r, n in counts.items()) + "."
            )
        if not np.isfinite(t[["estimate", "std_error", "statistic", "ci_low", "ci_high"]]).all(
            axis=None
        ):
            notes.append(F.missing_note(["the standard error is zero, infinite or missing"]))
        notes.extend(F.sentence(n) for n in self.notes)
        return _render.Table(header=[header], body=body, notes=notes, caption=caption,
                             align="l" + "r" * (len(header) - 1))  # fmt: skip

    def summary(self) -> str:
        """Return a plain-text summary table (numbers without exponents, labelled terms).

        Examples
        --------
        >>> e = Estimate(terms=("attended",), coef=[12627.8], vcov=[[3740.0**2]], dof=np.inf,
        ...              se_type="HC1", method="2SLS", estimand="LATE", outcome="value_added",
        ...              nobs=1116, control_mean=27290.0)
        >>> print(e.summary())
        LATE (2SLS) of value added: N = 1,116, SE: HC1
        -------------------------------------------------------------------------
        Term       Estimate      SE      z   p-value   95 % CI low   95 % CI high
        -------------------------------------------------------------------------
        attended     12,628   3,740   3.38   < 0.001         5,298         19,958
        -------------------------------------------------------------------------
        Control mean: 27,290.
        """
        return str(self)

    def __str__(self) -> str:
        return _render.to_text(self._table())

    def __repr__(self) -> str:
        return f"<Estimate {self.summary()}>"
