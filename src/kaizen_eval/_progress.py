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


class _Silent:
    """A counter that shows nothing (``show=False``)."""

    def update(self, n: int = 1) -> None:
        """Count nothing."""

    def close(self) -> None:
        """Close nothing."""


def counter(*, total: int | None, show: bool, desc: str, unit: str):
    """Return a progress counter to ``update(n)`` by hand, for loops that are not one iterable.

    ``total=None`` when the amount of work is not known in advance (the bar then shows the
    count and the rate). Without ``show`` it is a silent no-op.

    Examples
    --------
    >>> bar = counter(total=10, show=False, desc="draws", unit="draw")
    >>> bar.update(4); bar.close()
    """
    if not show:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
