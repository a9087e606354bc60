"""Pure numerical core of the assignment: blocked complete randomization, vectorized over draws.

Conventions (all arrays are NumPy):

- ``n`` draws, ``M`` randomization units (firms, or whole clusters), ``K`` categories of one
  stage: category 0 is control (the remainder share), categories ``1..K-1`` the arms in the
  order they were declared.
- Shares are exact fractions ``numer / denom`` (integers, ``numer.sum() == denom``), so that
  counts are computed without rounding error.

The rule, per block of size ``m`` (a stratum, or a stratum × first-stage arm cell):

1. Category ``j`` first gets ``floor(m · p_j)`` units.
2. The ``r = m - Σ floor(m · p_j)`` units left over go to categories by *systematic sampling* on the
   fractional remainders ``q_j = m · p_j - floor(m · p_j)`` (which sum to ``r``): with one uniform
   ``u`` per block, category ``j`` gets one more unit when an integer ``t`` satisfies
   ``Q_{j-1} <= u + t < Q_j`` (``Q`` the cumulative sums of ``q``). Each ``q_j < 1``, so a
   category gets at most one extra unit, with probability exactly ``q_j``: expected counts are
   exactly ``m · p_j`` and every unit's assignment probability is exactly ``p_j``.
3. The units of the block are put in a uniformly random order; the first ``c_0`` go to control,
   the next ``c_1`` to arm 1, and so on.

Random numbers are consumed in a fixed order per call: ``keys`` (shape ``(n, M)``) then ``u``
(shape ``(n, n_blocks)``), so a draw is a pure function of the generator's state. Only
``Generator.random`` is used, whose stream depends on the bit generator (PCG64) alone, not on
the sampling algorithms NumPy may improve between versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

MAX_DENOMINATOR = 1_000_000


@dataclass(frozen=True)
class Shares:
    """Exact shares of one stage's categories (control first).

    Attributes
    ----------
    numer : numpy.ndarray, shape (K,)
        Integer numerators, control first; they sum to ``denom``.
    denom : int
        Common denominator.
    """

    numer: np.ndarray
    denom: int

    @property
    def probs(self) -> np.ndarray:
        """Shares as floats, shape (K,)."""
        return self.numer / self.denom


def exact_shares(arm_shares: Sequence[float]) -> Shares:
    """Turn arm shares (control excluded) into exact fractions with a common denominator.

    Each share is read as the nearest fraction with denominator at most 10**6 (so ``1/3`` typed
    as ``0.333...`` is one third exactly); control gets the remainder.

    Examples
    --------
    >>> s = exact_shares([1 / 3, 1 / 3])
    >>> s.numer.tolist(), s.denom
    ([1, 1, 1], 3)
    """
    fr = [Fraction(float(p)).limit_denominator(MAX_DENOMINATOR) for p in arm_shares]
    control = 1 - sum(fr, Fraction(0))
    fracs = [control, *fr]
    denom = int(np.lcm.reduce([f.denominator for f in fracs]))
    numer = np.array([f.numerator * (denom // f.denominator) for f in fracs], dtype=np.int64)
    return Shares(numer=numer, denom=denom)


def draw_blocked(
    rng: np.random.Generator, blocks: np.ndarray, n_blocks: int, shares: Shares
) -> np.ndarray:
    """Draw categories by complete randomization within blocks, for every draw at once.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (consumed: ``keys`` of shape ``(n, M)``, then ``u`` of shape
        ``(n, n_blocks)``).
    blocks : numpy.ndarray of int, shape (n, M)
        Block of each unit in each draw, in ``0..n_blocks-1``; ``-1`` marks a unit that takes no
        part in this stage (it gets category ``-1``).
    n_blocks : int
        Number of blocks.
    shares : Shares
        Exact shares of the ``K`` categories.

    Returns
    -------
    numpy.ndarray of int8, shape (n, M)
        Category of each unit in each draw (``0`` control, ``1..K-1`` arms, ``-1`` not taking
        part).
    """
    n, m_units = blocks.shape
    k = len(shares.numer)
    keys = rng.random((n, m_units))
    u = rng.random((n, n_blocks))
    b = np.where(blocks < 0, n_blocks, blocks).astype(np.int64)
    order = block_order(keys, b, n_blocks)
    bs = np.take_along_axis(b, order, axis=1)
    width = n_blocks + 1
    flat = (np.arange(n, dtype=np.int64)[:, None] * width + bs).ravel()
    sizes = np.bincount(flat, minlength=n * width).reshape(n, width)
    starts = np.cumsum(sizes, axis=1) - sizes
    rank = np.arange(m_units, dtype=np.int64)[None, :] - np.take_along_axis(starts, bs, axis=1)

    target = sizes[:, :n_blocks, None] * shares.numer[None, None, :]  # (n, B, K) = m·p·denom
    floors = target // shares.denom
    rem = target % shares.denom
    upper = np.cumsum(rem, axis=2) / shares.denom
    lower = upper - rem / shares.denom
    uu = u[:, :, None]
    extra = np.ceil(upper - uu) - np.ceil(lower - uu)
    counts = floors + extra.astype(np.int64)
    cum = np.cumsum(counts, axis=2)
    cum = np.concatenate([cum, np.zeros((n, 1, k), dtype=np.int64)], axis=1)  # dummy block
    flat_bs = (np.arange(n, dtype=np.int64)[:, None] * width + bs).reshape(-1)
    cat = np.zeros((n, m_units), dtype=np.int8)
    for j in range(k - 1):  # one (n, M) gather per arm, not an (n, M, K) array
        cat += (rank >= cum[:, :, j].reshape(-1)[flat_bs].reshape(n, m_units)).astype(np.int8)
    cat[bs == n_blocks] = -1
    out = np.empty_like(cat)
    np.put_along_axis(out, order, cat, axis=1)
    return out


def block_order(keys: np.ndarray, b: np.ndarray, n_blocks: int) -> np.ndarray:
    """Order of the units of each row by block, then key: exactly ``np.lexsort((keys, b))``.

    ``Generator.random`` returns multiples of ``2**-53``, so ``keys · 2**53`` is an exact
    integer below ``2**53`` and ``b · 2**53 + keys · 2**53`` an exact int64 sort key (for fewer
    than ``2**10`` blocks). One unstable ``argsort`` of it gives lexsort's order unless two
    units of a block share a key; the rows where that happens are sorted again stably (ties in
    index order, as lexsort). More blocks fall back to ``lexsort`` itself. The result, and so
    every draw for a given seed, is identical to the original algorithm's.
    """
    if n_blocks + 1 >= 2**10:
        return np.lexsort((keys, b), axis=-1)
    combined = (b << 53) | (keys * 2.0**53).astype(np.int64)
    order = np.argsort(combined, axis=1)
    ordered = np.take_along_axis(combined, order, axis=1)
    tied = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    if tied.any():
        order[tied] = np.argsort(combined[tied], axis=1, kind="stable")
    return order


def balance_statistic(
    codes: np.ndarray, x: np.ndarray, n_arms: int, criterion: str, s_inv: np.ndarray
) -> np.ndarray:
    """Imbalance of each draw: the worst arm-vs-control comparison of one stage.

    Parameters
    ----------
    codes : numpy.ndarray of int, shape (n, N)
        Unit-level categories of one stage (``-1`` = not taking part).
    x : numpy.ndarray of float, shape (N, p)
        Covariates (complete).
    n_arms : int
        Number of arms (categories ``1..n_arms``).
    criterion : {"max_abs_t", "mahalanobis"}
        ``max_abs_t``: the largest |Welch t| of a difference in means over covariates and arms.
        ``mahalanobis``: the largest over arms of ``n1·n0/(n1+n0) · d' S⁻¹ d`` (Morgan & Rubin,
        2012), ``d`` the difference in covariate means and ``S`` their sample covariance in the
        whole frame (``s_inv`` is its inverse).
    s_inv : numpy.ndarray, shape (p, p)
        Inverse covariance of ``x`` (used by ``mahalanobis``).

    Returns
    -------
    numpy.ndarray, shape (n,)
        The statistic of each draw (``inf`` when an arm or control is empty).
    """
    ctrl = (codes == 0).astype(float)
    n0 = ctrl.sum(axis=1)
    s0 = ctrl @ x
    worst = np.zeros(codes.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        m0 = s0 / n0[:, None]
        if criterion == "max_abs_t":
            v0 = (ctrl @ (x**2) - n0[:, None] * m0**2) / (n0[:, None] - 1)
        for j in range(1, n_arms + 1):
            tr = (codes == j).astype(float)
            n1 = tr.sum(axis=1)
            m1 = (tr @ x) / n1[:, None]
            d = m1 - m0
            if criterion == "max_abs_t":
                v1 = (tr @ (x**2) - n1[:, None] * m1**2) / (n1[:, None] - 1)
                t = np.abs(d) / np.sqrt(v1 / n1[:, None] + v0 / n0[:, None])
                t = np.where(np.isnan(t), np.where(d == 0, 0.0, np.inf), t)
                stat = t.max(axis=1)
                stat = np.where((n1 < 2) | (n0 < 2), np.inf, stat)
            else:
                stat = n1 * n0 / (n1 + n0) * np.einsum("ij,jk,ik->i", d, s_inv, d)
                stat = np.where((n1 < 1) | (n0 < 1), np.inf, stat)
            worst = np.maximum(worst, stat)
    return worst
