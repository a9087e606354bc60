"""``ke.event_study``: a two-way fixed-effects event study with a pre-trend test.

For non-randomized sites observed over more than two waves: the outcome regressed on dummies
for each wave relative to a firm's first treated wave (all leads and lags but the reference),
with firm and wave fixed effects absorbed, standard errors clustered by firm (or a coarser
cluster), and the joint Wald F test that every lead is zero. Equal to ``estimatr::lm_robust``
of the same regression (``tests/estimate/reference/make_matching_reference.R``).
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._core.linear import LinearFit, fit_ols
from kaizen_eval._core.wald import WaldTest, wald_test
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
    check_binary,
    finite_column,
    require_columns,
)
from kaizen_eval.estimate._build import (
    Reporting,
    check_cluster_column,
    check_outcome,
    check_parameters,
)
from kaizen_eval.estimate._frame import design_columns, estimation_sample, fe_codes
from kaizen_eval.estimate.result import Estimate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: ``Estimate.method`` of an event study (a non-experimental method for ``ke.pool_sites``).
METHOD = "TWFE event study"


def term_name(k: int) -> str:
    """Name of the dummy of event time ``k``: ``em2`` for -2, ``e0``, ``e1`` (as the R script).

    Examples
    --------
    >>> term_name(-3), term_name(0), term_name(2)
    ('em3', 'e0', 'e2')
    """
    return f"em{-k}" if k < 0 else f"e{k}"


class EventStudy(Estimate):
    """An event study: an :class:`Estimate` with one term per event time; immutable.

    ``extra`` holds ``event_time`` (term → waves since the first treated wave), ``reference``
    (the omitted event time), ``pretrend`` (the :class:`~kaizen_eval._core.wald.WaldTest` that
    the leads are jointly zero, ``None`` without leads), ``window`` and ``fit``.
    """

    @property
    def pretrend(self) -> WaldTest | None:
        """The F test that the leads (negative event times) are 0: ``(fstat, pvalue, df1, df2)``."""
        return self.extra["pretrend"]

    @property
    def event_time(self) -> pd.Series:
        """Event time of each term (waves since the first treated wave), indexed by term."""
        return pd.Series(self.extra["event_time"], name="event_time")

    @fill_doc()
    def plot(self, *, title: str | None = None, ylabel: str | None = None) -> Figure:
        """Coefficients with their intervals against event time; the reference period at 0.

        A dashed vertical line separates the leads from event time 0 (the first treated wave).

        %(returns_figure)s

        Examples
        --------
        >>> import pandas as pd
        >>> import kaizen_eval as ke
        >>> panel = pd.DataFrame({"firm_id": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
        ...                       "wave": [1, 2, 3] * 4, "d": [0, 0, 1, 0, 1, 1] + [0] * 6,
        ...                       "y": [1.0, 2, 4, 0, 2, 3, 1, 1.5, 2, 0, 1, 1.2]})
        >>> es = ke.event_study(panel, outcome="y", treatment="d", se="CR2")
        >>> len(es.plot().axes)
        1
        """
        from matplotlib.figure import Figure

        from kaizen_eval._plot import ESTIMATE_COLOURS, draw_intervals

        t = self.tidy()
        k = self.event_time.reindex(t.index).to_numpy()
        level = F.number(100 * (1 - self.alpha), 0 if (100 * (1 - self.alpha)) % 1 == 0 else 1)
        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.subplots()
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(-0.5, color="grey", linewidth=0.9, linestyle="--")
        label = f"estimate, {level} % CI"
        draw_intervals(ax, k, t, vertical=True, fmt="o", label=label, **ESTIMATE_COLOURS)
        ref = self.extra["reference"]
        ax.plot([ref], [0.0], "o", markerfacecolor="white", markeredgecolor="#1f4e79",
                label=f"reference period ({ref}), set to 0")  # fmt: skip
        ax.set_xticks(sorted([*k.tolist(), ref]))
        ax.set_xlabel("waves since the first treated wave")
        ax.set_ylabel(ylabel or f"effect on {F.label(self.outcome)}")
        if title:
            ax.set_title(title)
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return f"<EventStudy {self.summary()}>"


def _wave_positions(df: pd.DataFrame, wave_col: str) -> np.ndarray:
    """Position of each row's wave among the observed waves, in their order (0, 1, ...)."""
    s = df[wave_col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        if not s.cat.ordered:
            raise KaizenError(
                f"event_study: wave column {wave_col!r} is an unordered categorical; make it "
                "ordered (the waves' order gives the event time) or pass wave numbers"
            )
        return pd.factorize(s, sort=True)[0]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise KaizenError(
            f"event_study: wave column {wave_col!r} must be numeric or an ordered categorical "
            f"(its order gives the event time); got dtype {s.dtype}"
        )
    values = finite_column(df, wave_col, "wave", where="event_study")
    return np.unique(values, return_inverse=True)[1]


def _rows(index: pd.Index, mask: np.ndarray) -> str:
    shown = ", ".join(map(repr, list(index[mask][:3])))
    return f"rows {shown}{' ...' if mask.sum() > 3 else ''}"


def _units(values: Any) -> str:
    values = pd.Index(list(values)).tolist()  # Python scalars: 99, not np.int64(99)
    return ", ".join(map(repr, values[:5])) + (" ..." if len(values) > 5 else "")


def event_times(df: pd.DataFrame, *, treatment: str, id_col: str, wave_col: str) -> pd.Series:
    """Waves since each firm's first treated wave (``NaN`` for never-treated firms), checked.

    Raises a ``KaizenError`` for a missing firm, wave or treatment, a firm observed twice in a
    wave or in one wave only, a treatment not 0/1, or one that switches back to 0.

    Parameters
    ----------
    df : pandas.DataFrame
        Long panel, one row per firm and wave.
    treatment, id_col, wave_col : str
        The 0/1 treatment (absorbing), the firm and the wave.

    Returns
    -------
    pandas.Series
        Indexed as ``df``.

    Examples
    --------
    >>> df = pd.DataFrame({"firm_id": [1, 1, 1, 2, 2, 2], "wave": [1, 2, 3] * 2,
    ...                    "d": [0, 1, 1, 0, 0, 0]})
    >>> event_times(df, treatment="d", id_col="firm_id", wave_col="wave").tolist()
    [-1.0, 0.0, 1.0, nan, nan, nan]
    """
    for role, col in (("firm", id_col), ("wave", wave_col), ("treatment", treatment)):
        bad = df[col].isna().to_numpy()
        if bad.any():
            raise KaizenError(
                f"event_study: {role} column {col!r} is missing for {int(bad.sum())} rows "
                f"({_rows(df.index, bad)}); every row needs its {role} (the first treated "
                "wave must be known): fill it, or drop those rows first"
            )
    dup = df.duplicated([id_col, wave_col], keep=False).to_numpy()
    if dup.any():
        raise KaizenError(
            f"event_study: {int(dup.sum())} rows repeat a firm in a wave ({_rows(df.index, dup)}); "
            f"the panel needs one row per {id_col!r} and {wave_col!r}"
        )
    d = check_binary(finite_column(df, treatment, "treatment", where="event_study"), treatment,
                     "treatment", where="event_study")  # fmt: skip
    pos = _wave_positions(df, wave_col)
    unit = pd.factorize(df[id_col])[0]
    waves_per_unit = np.bincount(unit)
    if (waves_per_unit < 2).any():
        lone = df[id_col].to_numpy()[np.isin(unit, np.flatnonzero(waves_per_unit < 2))]
        raise KaizenError(
            f"event_study: {len(lone)} firms are observed in one wave only ({_units(lone)}); "
            "their fixed effect absorbs them: drop them first"
        )
    order = np.lexsort((pos, unit))
    step = np.diff(d[order])
    back = (step < 0) & (np.diff(unit[order]) == 0)
    if back.any():
        ids = pd.unique(df[id_col].to_numpy()[order][1:][back])
        raise KaizenError(
            f"event_study: treatment {treatment!r} is not absorbing: {len(ids)} firms switch "
            f"back from 1 to 0 ({_units(ids)}); the event study needs 'treated from then on' "
            "(code the first treated wave onwards as 1)"
        )
    first = np.full(unit.max() + 1, np.nan)
    treated = d == 1
    np.fmin.at(first, unit[treated], pos[treated].astype(float))
    return pd.Series(pos - first[unit], index=df.index, name="event_time")


def _reference_window(
    reference: int, window: tuple[int, int] | None
) -> tuple[int, tuple[int, int] | None]:
    """Check ``reference`` (an integer) and ``window`` (``lo <= reference <= hi``, ``lo < hi``)."""
    if not isinstance(reference, (int, np.integer)) or isinstance(reference, bool):
        raise KaizenError(
            f"event_study: `reference` must be an integer event time; got {reference!r}"
        )
    reference = int(reference)
    if window is None:
        return reference, None
    lo, hi = (int(w) for w in window)
    if not lo <= reference <= hi or lo == hi:
        raise KaizenError(
            f"event_study: window={tuple(window)} must contain the reference period "
            f"{reference} and another event time (lo <= reference <= hi, lo < hi)"
        )
    return reference, (lo, hi)


def _panel_sample(
    df: pd.DataFrame,
    outcome: str,
    treatment: str,
    id_col: str,
    wave_col: str,
    covs: list[str],
    cluster: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the rows used (with their ``__event_time``) and the rows dropped, with why."""
    if not isinstance(df, pd.DataFrame):
        raise KaizenError(f"event_study needs a pandas DataFrame; got {type(df).__name__}")
    require_columns(df, [outcome, treatment, id_col, wave_col, *covs, cluster],
                    where="the data passed to event_study")  # fmt: skip
    rel = event_times(df, treatment=treatment, id_col=id_col, wave_col=wave_col)
    roles = [("outcome", [outcome]), ("covariate", covs), ("cluster", [cluster]),
             ("firm", [id_col]), ("wave", [wave_col])]  # fmt: skip
    sample = estimation_sample(
        df.assign(__event_time=rel), roles, where="event_study", keep=["__event_time"]
    )
    lone = sample.data[id_col].value_counts()
    if (lone < 2).any():
        raise KaizenError(
            f"event_study: {int((lone < 2).sum())} firms keep one wave only once the rows with "
            f"missing values are dropped ({_units(lone.index[lone < 2])}); their fixed effect "
            "absorbs them: drop them or fill their missing values"
        )
    return sample.data, sample.dropped.drop(columns="__event_time")


def _event_dummies(k: np.ndarray, reference: int) -> tuple[list[int], list[str], np.ndarray]:
    """Event times but the reference, their names and dummies (never-treated rows: all 0)."""
    observed = sorted(int(v) for v in np.unique(k[~np.isnan(k)]))
    if reference not in observed:
        raise KaizenError(
            f"event_study: reference period {reference} is not an event time of the data; the "
            f"observed event times are {observed}"
        )
    times = [v for v in observed if v != reference]
    if not times:
        raise KaizenError("event_study: no event time left besides the reference period")
    dummies = np.column_stack([(k == v).astype(float) for v in times])
    return times, [term_name(v) for v in times], dummies


def _twfe(
    data: pd.DataFrame,
    y: np.ndarray,
    design: np.ndarray,
    names: list[str],
    fes: list[str],
    *,
    se: str,
    clusters: np.ndarray | None,
) -> LinearFit:
    """OLS of ``y`` on ``design`` with the firm and wave fixed effects ``fes`` absorbed."""
    n_fe = data[fes[0]].nunique() + data[fes[1]].nunique() - 1
    check_parameters(len(y), design.shape[1] + n_fe, "event_study")
    codes = fe_codes(data, fes)
    return fit_ols(y, design, se=se, clusters=clusters, fixed_effects=codes, names=names)


def _notes(
    reference: int,
    bins: tuple[int, int] | None,
    leads: list[str],
    pretrend: WaldTest | None,
    never: bool,
) -> list[str]:
    notes = [f"firm and wave fixed effects; event time {reference} is the reference (set to 0)"]
    if never:
        notes.append("the control mean is that of the never-treated firms")
    if bins is not None:
        notes.append(f"event times binned at the endpoints {bins[0]} and {bins[1]}")
    if pretrend is not None:
        notes.append(
            f"pre-trend test ({', '.join(leads)} jointly 0): F({pretrend.df1}, "
            f"{F.count(pretrend.df2)}) = {F.number(pretrend.fstat, 2)}, p = "
            f"{F.pvalue(pretrend.pvalue)}"
        )
    notes.append(
        "TWFE event study, not randomized: biased with staggered adoption and effects that "
        "differ across cohorts (Sun and Abraham 2021)"
    )
    return notes


def event_study(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    id_col: str = "firm_id",
    wave_col: str = "wave",
    covariates: str | list[str] | tuple[str, ...] = (),
    cluster: str | None = None,
    se: str | None = None,
    reference: int = -1,
    window: tuple[int, int] | None = None,
    alpha: float = 0.05,
) -> EventStudy:
    """Event study by two-way fixed effects, with the joint test of no pre-trend.

    Regresses ``outcome`` on one dummy per event time (waves since a firm's first treated
    wave; every lead and lag but ``reference``; never-treated firms have none), ``covariates``
    and absorbed firm and wave fixed effects, with cluster-robust standard errors; the leads
    (negative event times) are tested jointly zero by a Wald F.

    Parameters
    ----------
    df : pandas.DataFrame
        Long panel: one row per firm and wave.
    outcome : str
    treatment : str
        0/1 "treated from this wave on" (absorbing); the first wave at 1 is event time 0.
    id_col : str, default "firm_id"
        Firm identifier (its fixed effect; the default cluster).
    wave_col : str, default "wave"
        Numbers or an ordered categorical; event time counts waves (positions among the waves
        observed), not calendar time.
    covariates : str or sequence of str
        Time-varying controls (text or categorical ones enter as dummies).
    cluster : str, optional
        Default ``id_col`` (firms), or a coarser column (region).
    se : {"CR1", "CR2", "CR0"}, optional
        Default ``"CR1"`` (Stata's factor, ``G − 1`` df); ``"CR2"`` with Pustejovsky–Tipton df.
    reference : int, default -1
        The omitted event time: every coefficient is relative to it.
    window : (int, int), optional
        ``(lo, hi)``: event times beyond are binned into the endpoints.
    alpha : float

    Returns
    -------
    EventStudy
        An :class:`Estimate` with terms ``em4, em3, em2, e0, e1, ...`` (event times −4 … 2),
        ``estimand="ATT"``, ``method="TWFE event study"``, ``control_mean`` that of the
        never-treated; ``.pretrend`` the F test of the leads on ``(leads, G − 1)`` df (``None``
        without leads), ``.event_time``, ``.plot()``; ``dropped`` the unused rows and why.

    Raises
    ------
    KaizenError
        A missing firm, wave, treatment or cluster; a firm in one wave only (after dropping
        incomplete rows) or twice in a wave; a treatment not 0/1 or not absorbing; an unordered
        wave column; a ``reference`` not among the event times; collinear dummies (no never-
        or not-yet-treated firms to compare with).

    Notes
    -----
    With staggered adoption and effects that differ across adoption cohorts or grow with time,
    TWFE event-study coefficients are biased: each mixes other event times and cohorts, with
    weights that can be negative (Sun and Abraham 2021; de Chaisemartin and D'Haultfœuille
    2020), and a lead can look non-zero for that reason alone. Like any TWFE regression this
    estimator compares treated firms with never-treated **and not-yet-treated** firms (and,
    through the lags, with firms treated earlier); it is unbiased when each event time's effect
    is the same in every cohort. A pre-trend test that does not reject is no proof of parallel
    trends (its power is often low). Its F has ``G − 1`` denominator df for every covariance
    type, as ``estimatr`` and Stata's ``test``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"firm_id": np.repeat(np.arange(60), 5),
    ...                       "wave": np.tile(np.arange(5), 60)})
    >>> start = np.where(np.arange(60) < 40, 2 + np.arange(60) % 2, 99)[panel["firm_id"]]
    >>> panel["d"] = (panel["wave"] >= start).astype(int)
    >>> panel["y"] = 0.2 * panel["wave"] + panel["d"] + rng.normal(size=300)
    >>> es = ke.event_study(panel, outcome="y", treatment="d")
    >>> es.terms, es.pretrend.df1, es.pretrend.df2
    (('em3', 'em2', 'e0', 'e1', 'e2'), 2, 59.0)
    """
    covs = as_list(covariates)
    alpha = check_alpha(alpha)
    se_type = check_se_type(se, clustered=True)
    reference, bins = _reference_window(reference, window)
    cluster = id_col if cluster is None else cluster
    data, dropped = _panel_sample(df, outcome, treatment, id_col, wave_col, covs, cluster)
    y = check_outcome(data, outcome, where="event_study")
    clusters = check_cluster_column(data, cluster, where="event_study", warn=se_type != "CR2")
    k = data["__event_time"].to_numpy()
    if bins is not None:
        k = np.clip(k, *bins)  # NaN (never treated) stays NaN
    times, names, dummies = _event_dummies(k, reference)
    xc, xnames = design_columns(data, covs)
    fit = _twfe(data, y, np.hstack([dummies, xc]), [*names, *xnames], [id_col, wave_col],
                se=se_type, clusters=clusters)  # fmt: skip
    leads = [n for n, v in zip(names, times, strict=True) if v < 0]
    # wald_test's df2 for a clustered fit is G − 1, the R script's pf(W, q, G − 1)
    pretrend = wald_test(fit, leads) if leads else None
    never = np.isnan(k)
    control = float(y[never].mean()) if never.any() else None
    base = Reporting("ATT", outcome, dropped, control, alpha).wrap(
        fit,
        names,
        notes=_notes(reference, bins, leads, pretrend, bool(never.any())),
        extra={
            "event_time": dict(zip(names, times, strict=True)),
            "reference": reference,
            "pretrend": pretrend,
            "window": bins,
            "covariates": tuple(xnames),
            "cluster": cluster,
        },
    )
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    return EventStudy(**{**values, "method": METHOD})
