"""Input validation shared by every stage: options declared once, columns named in errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
