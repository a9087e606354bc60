"""Fixed-shape blocks of the resampling engine, and its per-draw results.

The BLAS products of :class:`~kaizen_eval._core.engine.ResamplingEngine` change their summation
order with the shapes of their operands; the engine therefore only ever multiplies chunks of
:func:`chunk_rows` draws and outcome blocks of :data:`OUTCOME_BLOCK` columns, so that results are
bit-identical whatever the caller's block sizes. :func:`block_rows` sizes the callers' blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

OUTCOME_BLOCK = 16  # outcomes per matrix product (fixed, so results do not depend on K)


@dataclass(frozen=True, eq=False)
class DrawStatistics:
    """Coefficients and standard errors of the tested regressor, one row per draw.

    Attributes
    ----------
    coef : numpy.ndarray, shape (B, K)
        One column per outcome.
    std_error : numpy.ndarray, shape (B, K)
    """

    coef: np.ndarray
    std_error: np.ndarray

    @property
    def t(self) -> np.ndarray:
        """Studentized statistics ``coef / std_error``, shape ``(B, K)``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.coef / self.std_error

    @classmethod
    def concat(cls, parts: Iterable[DrawStatistics]) -> DrawStatistics:
        """Stack the rows of several blocks."""
        parts = list(parts)
        return cls(
            np.concatenate([p.coef for p in parts]), np.concatenate([p.std_error for p in parts])
        )


def column_blocks(m: np.ndarray) -> list[np.ndarray]:
    """Split ``(n, K)`` into C-contiguous ``(n, OUTCOME_BLOCK)`` blocks, zero-padding the last."""
    k = m.shape[1]
    width = -(-k // OUTCOME_BLOCK) * OUTCOME_BLOCK
    padded = np.zeros((m.shape[0], width))
    padded[:, :k] = m
    return [
        np.ascontiguousarray(padded[:, j : j + OUTCOME_BLOCK])
        for j in range(0, width, OUTCOME_BLOCK)
    ]


def chunk_rows(n: int) -> int:
    """Rows of the engine's fixed-shape chunks for ``n`` observations.

    At most 256 (a multiple of 8 when possible), and about 16 MiB per ``(rows, n)`` array.

    Examples
    --------
    >>> chunk_rows(400), chunk_rows(100_000), chunk_rows(10_000_000)
    (256, 16, 1)
    """
    rows = max(1, min(256, 2**21 // max(n, 1)))
    return rows - rows % 8 if rows >= 8 else rows


def block_rows(n: int, budget_bytes: int = 2**25, most: int = 1000) -> int:
    """Rows per block of draws so that one ``(rows, n)`` float array stays within the budget.

    The engine holds a few such arrays at a time (the draws, the partialled draws, the weights),
    so the default (32 MiB each) keeps a block's memory around 100–200 MiB whatever ``n``.

    Examples
    --------
    >>> block_rows(400), block_rows(1_000_000)
    (1000, 4)
    """
    return int(max(1, min(most, budget_bytes // (8 * max(n, 1)))))
