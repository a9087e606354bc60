"""The constants and small helpers of the synthetic trials' model (shared by its stages)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Prices (USD) of the willingness-to-pay price list; ``wtp`` is the highest accepted.
WTP_PRICES = np.array([0.0, 25.0, 50.0, 100.0, 200.0, 300.0, 400.0, 600.0, 800.0])
#: Rise (USD) of a participant's latent willingness to pay after the training.
WTP_PARTICIPANT_GAIN = 100.0
#: Delivered name of ``sales`` in the last wave (the survey instrument changed).
LAST_WAVE_SALES_NAME = "total_sales"
#: Share of the classroom effect on value added already realized at survey 2.
SURVEY2_SHARE = 0.5
#: Share of the eventual exits that have happened by survey 2.
SURVEY2_EXIT_SHARE = 0.4
#: Probability that an interview-sourced management item is unanswered by an interviewed firm.
ITEM_NONRESPONSE = 0.03
#: Classroom days.
CLASSROOM_DAYS = 15
_MIN_FIRMS = 40


def _within_strata(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Complete randomization of half of each stratum (odd strata: the extra unit by coin flip).

    ``codes`` has shape (n,); returns an int array (n,) of 0/1.
    """
    n = codes.size
    keys = rng.random(n)
    coins = rng.random(codes.max() + 1) < 0.5
    order = np.lexsort((keys, codes))
    sizes = np.bincount(codes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[codes[order]]
    n_treat = sizes // 2 + ((sizes % 2 == 1) & coins).astype(np.int64)
    return (rank < n_treat[codes]).astype(np.int64)


def _price_list(latent: np.ndarray) -> np.ndarray:
    """Highest price of :data:`WTP_PRICES` not above the latent willingness to pay."""
    idx = np.searchsorted(WTP_PRICES, latent, side="right") - 1
    return WTP_PRICES[np.clip(idx, 0, None)]


def _masked_int8(values: np.ndarray, keep: np.ndarray) -> pd.arrays.IntegerArray:
    """0/1 floats (NaN = missing) as a nullable Int8 array, missing where ``keep`` is False."""
    return pd.array(np.where(keep, values, np.nan), dtype="Int8")


def _mean(x: np.ndarray, mask: np.ndarray) -> float:
    if not mask.any():
        return float("nan")
    return float(np.mean(x[mask]))
