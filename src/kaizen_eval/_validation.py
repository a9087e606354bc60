"""Input validation shared by every stage: options declared once, columns named in errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")


class KaizenError(ValueError):
    """A user mistake that the command line reports without a traceback."""


class MissingColumnError(KaizenError, KeyError):
    """A column that was asked for is not in the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def check_option(name: str, value: T, allowed: Iterable[T]) -> T:
    """Return ``value`` if it is one of ``allowed``, else raise a ``KaizenError`` listing them.

    Parameters
    ----------
    name : str
        The argument's name, as the user wrote it.
    value : object
        What was passed.
    allowed : iterable
        The accepted values.

    Returns
    -------
    object
        ``value`` unchanged.

    Examples
    --------
    >>> check_option("se", "HC1", ("HC0", "HC1"))
    'HC1'
    """
    allowed = tuple(allowed)
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise KaizenError(f"`{name}` must be one of {listed}. You passed: {value!r}.")
    return value


def check_count(name: str, value: Any, least: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= least``, else raise naming it.

    Booleans are refused (``True`` is not a number of draws).

    Examples
    --------
    >>> check_count("draws", 999), check_count("reps", 2, least=2)
    (999, 2)
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        what = "a positive integer" if least == 1 else f"an integer >= {least}"
        raise KaizenError(f"`{name}` must be {what}. You passed: {value!r}.")
    return int(value)


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """Turn ``None``, one column name or a sequence of names into a list of names.

    Examples
    --------
    >>> as_list("stratum"), as_list(None), as_list(("a", "b"))
    (['stratum'], [], ['a', 'b'])
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def require_columns(df: pd.DataFrame, columns: Iterable[Any], *, where: str = "the data") -> None:
    """Raise ``MissingColumnError`` naming every column of ``columns`` absent from ``df``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"])
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise MissingColumnError(
            f"column{plural} {names} not found in {where}; available columns: "
            f"{', '.join(map(str, df.columns[:30]))}{' ...' if len(df.columns) > 30 else ''}"
        )


def check_seed(name: str, value: Any, *, generator: bool = True) -> Any:
    """Return ``value`` if it can seed NumPy's random generator, else raise naming it.

    Accepted: a non-negative integer (NumPy or Python, not a boolean), ``None`` only where the
    caller allows it by passing it through, and — when ``generator`` is true — a
    ``numpy.random.Generator`` or ``numpy.random.SeedSequence``, returned unaltered.

    Parameters
    ----------
    name : str
        The argument's name, as the user wrote it.
    value : object
        What was passed.
    generator : bool, default True
        Whether a ``Generator`` or ``SeedSequence`` is accepted (a manifest needs an integer).

    Returns
    -------
    int or numpy.random.Generator or numpy.random.SeedSequence
        ``value`` (integers as a Python ``int``).

    Examples
    --------
    >>> check_seed("seed", 20131)
    20131
    >>> check_seed("seed", "abc")
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: `seed` must be a non-negative integer or a numpy.random.Generator. You passed: 'abc'.
    """  # noqa: E501
    if generator and isinstance(value, np.random.Generator | np.random.SeedSequence):
        return value
    if not isinstance(value, bool) and isinstance(value, int | np.integer) and value >= 0:
        return int(value)
    what = "a non-negative integer" + (" or a numpy.random.Generator" if generator else "")
    raise KaizenError(f"`{name}` must be {what}. You passed: {value!r}.")


class KaizenWarning(UserWarning):
    """Legitimate but fragile input: the answer stands, and the message names the remedy."""


HUGE = 1e100  # |value| above this overflows sums of squares: a typo, not a measurement
FEW_CLUSTERS = 20  # below this many clusters, cluster-robust t-tests over-reject: warn


def _where(where: str | None) -> str:
    return f" in {where}" if where else ""


def _must_be(name: str, what: str, value: Any) -> KaizenError:
    """Return the error that ``name`` must be ``what``, showing the ``value`` passed."""
    return KaizenError(f"`{name}` must be {what}. You passed: {value!r}.")


def check_alpha(value: Any, name: str = "alpha") -> float:
    """Return a significance level as a ``float`` strictly between 0 and 1, else raise.

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    >>> check_alpha(1.5)
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: `alpha` must be in (0, 1), e.g. 0.05. You passed: 1.5.
    """
    v = float(value) if _is_real(value) else np.nan
    if not 0 < v < 1:  # NaN and text fail here too
        raise _must_be(name, "in (0, 1)" + (", e.g. 0.05" if name == "alpha" else ""), value)
    return v


def check_r2(value: Any, name: str = "r2") -> float:
    """Return a share of variance explained, a finite number in ``[0, 1)``, else raise naming it.

    Examples
    --------
    >>> check_r2(0.3)
    0.3
    >>> check_r2(1.0)
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: `r2` must be a number in [0, 1). You passed: 1.0.
    """
    return _real_within(name, value, lambda v: 0 <= v < 1, "a number in [0, 1)")


def check_probability(name: str, value: Any, *, zero: bool = True) -> float:
    """Return a probability (a share, a take-up rate) in ``[0, 1]`` (``(0, 1]`` if not ``zero``).

    Examples
    --------
    >>> check_probability("decay", 0.2)
    0.2
    >>> check_probability("takeup", 0.0, zero=False)
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: `takeup` must be in (0, 1] (a probability). You passed: 0.0.
    """  # noqa: E501
    what = f"in {'[' if zero else '('}0, 1] (a probability)"
    return _real_within(name, value, lambda v: (0 <= v if zero else 0 < v) and v <= 1, what)


def check_nonnegative(name: str, value: Any, *, positive: bool = False) -> float:
    """Return a finite number ``>= 0`` (``> 0`` with ``positive``), else raise naming it.

    Examples
    --------
    >>> check_nonnegative("cost", 740)
    740.0
    >>> check_nonnegative("cost", -1)
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: `cost` must be a finite number >= 0. You passed: -1.
    """
    what = f"a finite number {'> 0' if positive else '>= 0'}"
    return _real_within(name, value, lambda v: v > 0 if positive else v >= 0, what)


def check_finite_number(name: str, value: Any) -> float:
    """Return ``value`` as a finite ``float``, else raise naming it (``inf``, NaN, text).

    Examples
    --------
    >>> check_finite_number("gain", 13_890)
    13890.0
    """
    return _real(name, value)


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _real(name: str, value: Any) -> float:
    if not _is_real(value) or not np.isfinite(float(value)):
        raise _must_be(name, "a finite number", value)
    return float(value)


def _real_within(name: str, value: Any, within: Callable[[float], bool], what: str) -> float:
    """Return ``value`` as a finite float if ``within(value)``, else raise: it must be ``what``."""
    v = _real(name, value)
    if not within(v):
        raise _must_be(name, what, value)
    return v


def check_whole_number(name: str, value: Any, least: int = 1) -> int:
    """Return a whole number ``>= least`` as an ``int``; ``3.0`` is accepted, ``2.9`` is not.

    A fractional value is an error, never truncated.

    Examples
    --------
    >>> check_whole_number("years", 3.0)
    3
    >>> check_whole_number("years", 2.9)
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: `years` must be a positive integer (a fractional value is never rounded). You passed: 2.9.
    """  # noqa: E501
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if ok and isinstance(value, float | np.floating):
        ok = bool(np.isfinite(value)) and float(value).is_integer()
    if not ok or value < least:
        what = "a positive integer" if least == 1 else f"a whole number >= {least}"
        raise _must_be(name, f"{what} (a fractional value is never rounded)", value)
    return int(value)


def _rows(index: pd.Index, bad: np.ndarray, ids: pd.Series | None = None) -> str:
    """Name the first offending rows (by id when known, else by index label)."""
    pos = np.flatnonzero(bad)
    labels = ids.iloc[pos] if ids is not None else index[pos]
    shown = ", ".join(map(repr, list(labels[:3])))
    more = f" and {len(pos) - 3} more" if len(pos) > 3 else ""
    return f"{'firm' if ids is not None else 'row'}s {shown}{more}"


def finite_column(
    data: pd.DataFrame,
    col: str,
    role: str,
    *,
    where: str | None = None,
    ids: str | None = None,
) -> np.ndarray:
    """Return a numeric (or boolean) column as floats; raise naming it if text, inf or NaN.

    Parameters
    ----------
    data : pandas.DataFrame
    col : str
        The column.
    role : str
        What the column is to the caller (``"outcome"``, ``"weight"``, ...), for the message.
    where : str, optional
        The calling function (or wave), for the message.
    ids : str, optional
        A column identifying firms: the message then names the firms at fault.

    Examples
    --------
    >>> finite_column(pd.DataFrame({"y": [1, 2]}), "y", "outcome")
    array([1., 2.])
    >>> finite_column(pd.DataFrame({"y": [1, np.inf]}), "y", "outcome", where="itt")
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: outcome 'y' has infinite values in itt (rows 1); fix or drop those rows first.
    """  # noqa: E501
    s = data[col]
    if isinstance(s, pd.DataFrame):
        raise KaizenError(f"{role} {col!r} names {s.shape[1]} columns of the data; rename them")
    if not (pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)):
        raise KaizenError(
            f"{role} {col!r} must be numeric{_where(where)} (0/1 for an assignment); it has dtype "
            f"{s.dtype}"
            + (
                " (convert the categories to numbers first)"
                if isinstance(s.dtype, pd.CategoricalDtype)
                else ""
            )
        )
    v = s.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(v)
    if bad.any():
        kind = "infinite" if np.isinf(v[bad]).any() else "missing"
        who = _rows(data.index, bad, data[ids] if ids else None)
        raise KaizenError(
            f"{role} {col!r} has {kind} values{_where(where)} ({who}); fix or drop those rows "
            "first."
        )
    huge = np.abs(v) > HUGE
    if huge.any():  # squares overflow: a typo (1e308 for "don't know") or the wrong unit
        who = _rows(data.index, huge, data[ids] if ids else None)
        raise KaizenError(
            f"{role} {col!r} has values too large to compute with{_where(where)} ({who}, "
            f"e.g. {v[huge][0]:g}); fix the typo, or rescale the column (e.g. to thousands)."
        )
    return v


def check_binary(
    values: np.ndarray, col: str, role: str, *, where: str | None = None, declared: str = ""
) -> np.ndarray:
    """Raise unless ``values`` are coded 0/1; ``declared`` names the keyword that allows more.

    A 0/2 coding halves an effect and a 1/2 coding shifts it: a treatment coded other than
    0/1 is an error unless the caller declares a dose (``declared`` is then ``""``, no check).

    Examples
    --------
    >>> check_binary(np.array([0.0, 1.0, 1.0]), "invited", "treatment")
    array([0., 1., 1.])
    >>> check_binary(np.array([0.0, 2.0]), "invited", "treatment", declared="dose=True")
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: treatment 'invited' must be coded 0/1; it has the values 0, 2. Recode it, or pass `dose=True` if the values are doses.
    """  # noqa: E501
    levels = np.unique(values)
    if not np.isin(levels, (0.0, 1.0)).all():
        shown = ", ".join(f"{v:g}" for v in levels[:6]) + (" ..." if levels.size > 6 else "")
        remedy = f", or pass `{declared}` if the values are doses" if declared else ""
        raise KaizenError(
            f"{role} {col!r} must be coded 0/1{_where(where)}; it has the values {shown}. "
            f"Recode it{remedy}."
        )
    return values


def check_variation(values: np.ndarray, col: str, role: str, *, where: str | None = None) -> None:
    """Raise if ``values`` are constant: nothing can be estimated or tested from them.

    Examples
    --------
    >>> check_variation(np.array([1.0, 2.0]), "sales", "outcome")
    >>> check_variation(np.array([3.0, 3.0]), "sales", "outcome", where="itt")
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: outcome 'sales' is constant in itt (all 2 rows are 3): there is no variation to estimate from; check the column.
    """  # noqa: E501
    v = np.asarray(values, dtype=float)
    if v.size and np.ptp(v) <= 1e-12 * max(1.0, float(np.abs(v).max())):
        raise KaizenError(
            f"{role} {col!r} is constant{_where(where)} (all {v.size} rows are {v[0]:g}): there "
            "is no variation to estimate from; check the column."
        )


def check_clusters(
    codes: Any,
    col: str,
    *,
    where: str | None = None,
    warn_below: int = FEW_CLUSTERS,
    stacklevel: int = 3,
) -> int:
    """Count the clusters: error below 2; ``KaizenWarning`` below ``warn_below`` naming the remedy.

    With few clusters, cluster-robust (CR1) t-tests over-reject badly; the wild cluster
    bootstrap (``ke.wild_cluster_bootstrap``) or CR2 with Bell–McCaffrey degrees of freedom
    (``se="CR2"``) keeps the size.

    Examples
    --------
    >>> check_clusters(np.arange(40) % 30, "village")
    30
    """
    s = pd.Series(np.asarray(codes))
    if s.isna().any():
        raise KaizenError(
            f"cluster {col!r} is missing for {int(s.isna().sum())} rows{_where(where)}; every row "
            "needs its cluster (fill it, or drop those rows first)."
        )
    g = int(s.nunique())
    if g < 2:
        raise KaizenError(
            f"cluster {col!r} has only {g} cluster{_where(where)}; cluster-robust inference "
            "needs at least 2 clusters (ideally 20 or more)."
        )
    if g < warn_below:
        warnings.warn(
            f"only {g} clusters in {col!r}{_where(where)}: cluster-robust t-tests over-reject "
            f"with fewer than {warn_below}; use ke.wild_cluster_bootstrap (or se='CR2').",
            KaizenWarning,
            stacklevel=stacklevel,
        )
    return g


def check_weights(w: np.ndarray, col: str, *, where: str | None = None) -> np.ndarray:
    """Raise unless every weight is positive (finite values are checked by ``finite_column``).

    Examples
    --------
    >>> check_weights(np.array([1.0, 2.0]), "w")
    array([1., 2.])
    """
    bad = ~(w > 0)
    if bad.any():
        raise KaizenError(
            f"weight {col!r} must be positive{_where(where)}; {int(bad.sum())} rows have a weight "
            f"<= 0 (e.g. {w[bad][0]:g}); drop those rows or fix the weights."
        )
    return w
