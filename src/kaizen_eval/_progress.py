"""One progress bar for every long loop (power simulation, resampling draws), on stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(
    iterable: Iterable[T], *, total: int, show: bool, desc: str, unit: str
) -> Iterable[T] | Iterator[T]:
    """Wrap ``iterable`` in a tqdm progress bar on standard error when ``show`` is true.

    Examples
    --------
    >>> list(progress(range(3), total=3, show=False, desc="draws", unit="block"))
    [0, 1, 2]
    """
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr)
