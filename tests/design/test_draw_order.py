"""The fast sort of the re-draw gives exactly lexsort's order (so every draw for a seed is kept)."""

import numpy as np

from kaizen_eval.design._draw import block_order


def test_block_order_equals_lexsort_on_random_keys():
    rng = np.random.default_rng(11)
    keys = rng.random((300, 97))
    b = rng.integers(0, 6, (300, 97))
    assert np.array_equal(block_order(keys, b, 6), np.lexsort((keys, b), axis=-1))


def test_block_order_breaks_ties_by_index_like_lexsort():
    rng = np.random.default_rng(12)
    keys = rng.integers(0, 8, (200, 50)) / 8.0  # many equal keys (in [0, 1), as random gives)
    b = rng.integers(0, 3, (200, 50))
    assert np.array_equal(block_order(keys, b, 3), np.lexsort((keys, b), axis=-1))


def test_block_order_many_blocks_falls_back_to_lexsort():
    rng = np.random.default_rng(13)
    keys = rng.random((5, 3000))
    b = rng.integers(0, 2000, (5, 3000))
    assert np.array_equal(block_order(keys, b, 2000), np.lexsort((keys, b), axis=-1))
