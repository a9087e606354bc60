"""P-value rules of randomization inference, shared by the single test, families and the CI."""

from __future__ import annotations

from typing import Any

import numpy as np

TIE_RTOL = 1e-9  # |stat| within this relative distance of |observed| counts as a tie (>=)


def randomization_pvalues(null: np.ndarray, observed: np.ndarray, exact: bool) -> np.ndarray:
    """Two-sided randomization p-values of several statistics (columns of ``null``).

    The share of draws with ``|stat| >= |observed|`` (ties within a relative ``1e-9``); with
    random draws the observed assignment counts as one of them, ``(1 + count) / (1 + draws)``,
    so that the test is exact at any number of draws.
    """
    count = (np.abs(null) >= randomization_thresholds(observed)[None, :]).sum(axis=0)
    return randomization_shares(count, null.shape[0], exact)


def randomization_thresholds(observed: np.ndarray) -> np.ndarray:
    """``|observed|`` less the tie tolerance: draws at or above it count as extreme."""
    return np.abs(observed) * (1 - TIE_RTOL)


def randomization_shares(count: Any, draws: int, exact: bool) -> np.ndarray:
    """Turn counts of extreme draws into p-values: ``c / B`` if exact, else ``(1 + c)/(1 + B)``."""
    return np.asarray(count / draws if exact else (1 + count) / (1 + draws), dtype=float)
