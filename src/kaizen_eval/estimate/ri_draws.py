"""Re-drawn assignments for randomization inference: as the design drew them, in blocks.

Permutations of the observed assignment within strata (whole clusters), every distinct
assignment when there are few enough, or the draws of an ``Assignment`` object.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import factorize
from kaizen_eval._core.engine import block_rows
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import KaizenError

CHUNK = 1000  # assignments per block at most (fewer for large N: engine.block_rows)


def assignment_positions(
    assignment: Any, data: pd.DataFrame, treatment: str, t: np.ndarray
) -> np.ndarray:
    """Row of the assignment's frame of each row of ``data``, checked against ``treatment``."""
    frame = assignment.frame
    if treatment not in frame.columns:
        raise KaizenError(
            f"treatment {treatment!r} is not an arm of the assignment (arms: "
            f"{', '.join(assignment.arms)})"
        )
    ids = frame[assignment.id_col].astype(str)
    position = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    if not position.index.is_unique:
        raise KaizenError(f"the assignment's {assignment.id_col!r} is not unique")
    keys = data[assignment.id_col].astype(str)
    unknown = ~keys.isin(position.index)
    if unknown.any():
        raise KaizenError(
            f"{int(unknown.sum())} rows have a {assignment.id_col!r} the assignment does not "
            f"know (e.g. {keys[unknown].iloc[0]!r})"
        )
    pos = position[keys].to_numpy()
    drawn = frame[treatment].to_numpy(dtype=float)[pos]
    differ = drawn != t
    if differ.any():
        raise KaizenError(
            f"{int(differ.sum())} rows have a {treatment!r} that differs from the assignment "
            f"(e.g. {assignment.id_col} = {keys[differ].iloc[0]!r}); randomization inference "
            "needs the assignment as it was made"
        )
    return pos


@dataclass(frozen=True, eq=False)
class Redraws:
    """Re-drawn assignments of the rows of an estimation sample, in blocks.

    Attributes
    ----------
    blocks : iterable of numpy.ndarray
        Row-level assignments, ``(draws in the block, rows)`` each (consumed once).
    exact : bool
        Whether every distinct assignment is enumerated.
    n_assignments : int
        Distinct assignments of the design (``-1`` for draws from an ``Assignment``).
    unit : numpy.ndarray
        Each row's unit of randomization (cluster code, or the row itself).
    cluster_codes : numpy.ndarray or None
        ``unit`` when randomization is by cluster (the clusters of the studentized statistic).
    """

    blocks: Iterable[np.ndarray]
    exact: bool
    n_assignments: int
    unit: np.ndarray
    cluster_codes: np.ndarray | None


@dataclass(frozen=True, eq=False)
class DrawPlan:
    """How the assignment is re-drawn, and how many times: built once, passed to the draws.

    Attributes
    ----------
    strata : str or None
        Column of the strata the observed assignment is permuted within (not used with
        ``assignment``).
    cluster : str or None
        Column of the clusters assigned whole (with ``assignment``, the clusters of the
        studentized statistic).
    assignment : kaizen_eval.design.Assignment or None
        The assignment object whose ``redraw_many`` makes the draws (rows matched on its id
        column).
    draws : int
        Number of re-drawn assignments (at most, when every distinct one is enumerated).
    rng : numpy.random.Generator
        Stream of the draws.
    progress : bool
        Whether to show a progress bar over the blocks of draws.
    """

    strata: str | None
    cluster: str | None
    assignment: Any
    draws: int
    rng: np.random.Generator
    progress: bool


def redraws(data: pd.DataFrame, t: np.ndarray, treatment: str, plan: DrawPlan) -> Redraws:
    """Re-draw the assignment of ``data``'s rows as it was made, ``plan.draws`` times.

    From an ``Assignment`` (its ``redraw_many``: both stages, strata, clusters and
    re-randomization exactly as drawn; rows matched on its id column), else by permuting the
    observed assignment within strata (whole clusters), every distinct assignment when there
    are at most ``plan.draws`` (:func:`assignment_blocks`).
    """
    n = len(t)
    block = block_rows(n)
    if plan.assignment is not None:
        pos = assignment_positions(plan.assignment, data, treatment, t)
        unit = factorize(data[plan.cluster].to_numpy()) if plan.cluster else np.arange(n)

        def take(drawn: dict[str, np.ndarray]) -> np.ndarray:
            return drawn[treatment][:, pos].astype(float)

        shown = assignment_draws(plan, block, take)
        exact, n_assign = False, -1
    else:
        unit, exact, n_assign, shown = permuted_rows(data, t, treatment, plan, block)
    return Redraws(shown, exact, n_assign, unit, unit if plan.cluster else None)


def assignment_draws(
    plan: DrawPlan, block: int, take: Callable[[dict[str, np.ndarray]], np.ndarray]
) -> Iterator[np.ndarray]:
    """Yield ``take`` of an ``Assignment``'s re-draws, ``block`` at a time, with a progress bar."""
    draws = plan.draws

    def rows() -> Iterator[np.ndarray]:
        for start in range(0, draws, block):
            yield take(plan.assignment.redraw_many(min(block, draws - start), plan.rng))

    return progress_bar(
        rows(),
        total=-(-draws // block),
        show=plan.progress,
        desc="randomization draws",
        unit="block",
    )


def permuted_rows(
    data: pd.DataFrame, values: np.ndarray, name: str, plan: DrawPlan, block: int
) -> tuple[np.ndarray, bool, int, Iterable[np.ndarray]]:
    """Row-level re-draws of ``values`` by permuting them within strata (whole clusters).

    Returns ``(unit, exact, n_assignments, blocks)``: each row's unit of randomization and
    :func:`assignment_blocks` of the units' values, spread back to the rows of ``data``.
    """
    unit, v_unit, s_unit = design_units(data, values, name, plan.strata, plan.cluster)
    exact, n_assign, unit_blocks = assignment_blocks(
        v_unit, s_unit, plan.draws, plan.rng, block, show=plan.progress
    )
    rows = (a[:, unit] if plan.cluster else a for a in unit_blocks)
    return unit, exact, n_assign, rows


def design_units(
    data: pd.DataFrame, t: np.ndarray, treatment: str, strata: str | None, cluster: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units of randomization (rows or clusters), their assignment and their stratum codes."""
    n = len(t)
    unit = factorize(data[cluster].to_numpy()) if cluster else np.arange(n)
    n_units = int(unit.max()) + 1
    t_unit = _unit_values(t, unit, n_units, treatment, cluster)
    s_obs = factorize(data[strata].to_numpy()) if strata else np.zeros(n, dtype=int)
    s_unit = _unit_values(s_obs.astype(float), unit, n_units, strata or "", cluster).astype(int)
    if np.unique(t_unit).size < 2:
        raise KaizenError(f"treatment {treatment!r} does not vary; there is nothing to test")
    if strata and all(np.unique(t_unit[s_unit == s]).size < 2 for s in np.unique(s_unit)):
        raise KaizenError(
            f"treatment {treatment!r} does not vary within any stratum of {strata!r}: every "
            "re-drawn assignment equals the observed one"
        )
    return unit, t_unit, s_unit


def _unit_values(
    v: np.ndarray, unit: np.ndarray, n_units: int, name: str, cluster: str | None
) -> np.ndarray:
    out = np.full(n_units, np.nan)
    out[unit] = v
    if cluster is not None:
        bad = v != out[unit]
        if bad.any():
            raise KaizenError(
                f"{name!r} is not constant within cluster {cluster!r} (e.g. the cluster of row "
                f"{int(np.flatnonzero(bad)[0])}); whole clusters must be assigned together"
            )
    return out


def _count_assignments(t_unit: np.ndarray, s_unit: np.ndarray) -> int:
    total = 1
    for s in np.unique(s_unit):
        _, counts = np.unique(t_unit[s_unit == s], return_counts=True)
        ways = math.factorial(int(counts.sum()))
        for c in counts:
            ways //= math.factorial(int(c))
        total *= ways
    return total


def assignment_blocks(
    t_unit: np.ndarray,
    s_unit: np.ndarray,
    draws: int,
    rng: np.random.Generator,
    block: int = CHUNK,
    *,
    show: bool = False,
) -> tuple[bool, int, Iterable[np.ndarray]]:
    """Re-drawn unit-level assignments, in blocks: all of them when few enough, else ``draws``.

    Returns ``(exact, n_assignments, blocks)``: with a binary assignment whose number of distinct
    within-stratum permutations is at most ``draws``, every one is enumerated (``exact``);
    otherwise ``draws`` random within-stratum permutations. Each block holds at most ``block``
    assignments (rows); ``show`` draws a progress bar over the blocks.
    """
    n_assign = _count_assignments(t_unit, s_unit)
    exact = bool(np.unique(t_unit).size == 2 and n_assign <= draws)
    if exact:
        chunks = _enumerate(t_unit, s_unit, block)
    else:
        chunks = permute(t_unit, s_unit, draws, rng, block)
    total = -(-(n_assign if exact else draws) // block)
    return (
        exact,
        n_assign,
        progress_bar(chunks, total=total, show=show, desc="randomization draws", unit="block"),
    )


def _enumerate(t_unit: np.ndarray, s_unit: np.ndarray, size: int = CHUNK) -> Iterator[np.ndarray]:
    """All distinct assignments of a binary treatment, complete randomization within strata."""
    lo, hi = np.unique(t_unit)
    per_stratum = []
    for s in np.unique(s_unit):
        members = np.flatnonzero(s_unit == s)
        n_hi = int((t_unit[members] == hi).sum())
        combos = list(itertools.combinations(range(len(members)), n_hi))
        block = np.full((len(combos), len(members)), lo)
        for i, c in enumerate(combos):
            block[i, list(c)] = hi
        per_stratum.append((members, block))
    sizes = [b.shape[0] for _, b in per_stratum]
    total = math.prod(sizes)
    for start in range(0, total, size):
        idx = np.arange(start, min(start + size, total))
        out = np.empty((len(idx), len(t_unit)))
        rest = idx
        for members, block in reversed(per_stratum):
            rest, k = np.divmod(rest, block.shape[0])
            out[:, members] = block[k]
        yield out


def permute(
    t_unit: np.ndarray,
    s_unit: np.ndarray,
    draws: int,
    rng: np.random.Generator,
    block: int = CHUNK,
) -> Iterator[np.ndarray]:
    """Random within-stratum permutations of the unit-level assignment, ``block`` at a time.

    Every draw consumes the same amount of ``rng``'s stream, in draw order, so the draws do not
    depend on ``block``. A binary assignment is re-drawn by :class:`BinaryDraws` (the ``n_s``
    units with the smallest random keys of stratum ``s`` get the higher value); other
    assignments are permuted within strata by an ``argsort`` of keys offset by stratum.
    """
    n = len(t_unit)
    order0 = np.argsort(s_unit, kind="stable")
    t_sorted = t_unit[order0]
    values = np.unique(t_sorted)
    binary = BinaryDraws(t_unit, s_unit) if values.size == 2 else None
    for start_row in range(0, draws, block):
        b = min(block, draws - start_row)
        if binary is not None:
            out = binary.draw(rng, b).astype(float)  # 0/1; other codings are rescaled
            if (values[0], values[1]) != (0.0, 1.0):
                out *= values[1] - values[0]
                out += values[0]
        else:
            keys = rng.random((b, n))
            keys += 2.0 * s_unit
            order = np.argsort(keys, axis=1)
            out = np.empty((b, n))
            np.put_along_axis(out, order, np.broadcast_to(t_sorted, (b, n)), axis=1)
        yield out


class BinaryDraws:
    """Uniformly random subsets of fixed size per stratum, for many draws at once.

    Each unit gets a random key; in each stratum ``s`` the ``n_s`` units with the smallest keys
    are drawn (a uniformly random subset of size ``n_s``). Keys are 32-bit integers with the
    stratum in the high bits and random bits below (two keys per 64-bit word of the bit
    generator, ``ceil(n / 2)`` words per draw), so one sort per draw orders every stratum; the
    ``n_s``-th smallest key of a stratum is its threshold, and a comparison gives the draw
    without an index scatter. A draw whose keys tie across a threshold (the stratum would get
    too many units; probability about ``n_s · 2⁻ʳ`` per stratum with ``r`` random bits) is
    drawn again from a fresh stream seeded by a hash of its keys: the draws kept are uniform by
    exchangeability (the event "no tie across a threshold" is symmetric in a stratum's units)
    and the redrawn ones are uniform, so every subset stays exactly equally likely. With more
    than 2¹⁶ strata, 64-bit floating-point keys offset by stratum are used instead.
    """

    def __init__(self, t_unit: np.ndarray, s_unit: np.ndarray) -> None:
        values = np.unique(t_unit)
        codes, stratum = np.unique(s_unit, return_inverse=True)
        self.n = len(t_unit)
        self.stratum = stratum.astype(np.int64)
        size = np.bincount(self.stratum, minlength=len(codes))
        self.n_hi = np.bincount(
            self.stratum, weights=(t_unit == values[1]).astype(float), minlength=len(codes)
        ).astype(np.int64)
        start = np.cumsum(size) - size
        self.last = start + self.n_hi - 1  # sorted position of each stratum's n_s-th key
        self.total = int(self.n_hi.sum())
        self.none = np.flatnonzero(self.n_hi[self.stratum] == 0)  # units of strata with n_s = 0
        sbits = int(np.ceil(np.log2(len(codes)))) if len(codes) > 1 else 0
        self.integer = sbits <= 16
        self.sbits = sbits
        self.high = (self.stratum.astype(np.uint32) << np.uint32(32 - sbits)) if sbits else None

    def keys(self, rng: np.random.Generator, b: int) -> np.ndarray:
        """Keys of ``b`` draws, shape ``(b, n)``: stratum-major, random within stratum."""
        if not self.integer:
            keys = rng.random((b, self.n))
            keys += 2.0 * self.stratum
            return keys
        words = -(-self.n // 2)
        keys = rng.bit_generator.random_raw((b, words)).view(np.uint32)[:, : self.n]
        keys = np.ascontiguousarray(keys)
        if self.high is not None:
            keys >>= np.uint32(self.sbits)
            keys |= self.high
        return keys

    def select(self, keys: np.ndarray) -> np.ndarray:
        """Return the drawn units, boolean ``(b, n)`` (rows tied across a threshold overdraw)."""
        thresholds = np.sort(keys, axis=1)[:, np.maximum(self.last, 0)]
        mask = keys <= thresholds[:, self.stratum]
        if self.none.size:
            mask[:, self.none] = False
        return mask

    def draw(self, rng: np.random.Generator, b: int) -> np.ndarray:
        """``b`` draws as a boolean ``(b, n)`` array (``True``: the higher value)."""
        keys = self.keys(rng, b)
        mask = self.select(keys)
        for r in np.flatnonzero(np.count_nonzero(mask, axis=1) != self.total):
            mask[r] = self._redraw(keys[r])
        return mask

    def _redraw(self, tied: np.ndarray) -> np.ndarray:
        """Draw again, from a stream seeded by a hash of the tied keys, with exact ranks."""
        seed = int.from_bytes(hashlib.sha256(tied.tobytes()).digest(), "little")
        keys = np.random.default_rng(seed).random(self.n) + 2.0 * self.stratum
        rank = np.empty(self.n, dtype=np.int64)
        rank[np.argsort(keys, kind="stable")] = np.arange(self.n)
        return rank <= self.last[self.stratum]
