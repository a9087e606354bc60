"""Randomization inference: re-draw the assignment as it was made and recompute the statistic.

The test is Fisher's sharp null of no effect for any unit. Assignments are re-drawn by permuting
the observed assignment within strata (complete randomization within strata) and, with
``cluster``, by permuting whole clusters. The statistic is computed for all draws at once:
covariates and fixed effects are partialled out of the outcome once (Frisch–Waugh–Lovell), and
each re-drawn assignment needs only matrix products.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._core.absorb import Absorber, factorize
from kaizen_eval._core.engine import ResamplingEngine, block_rows
from kaizen_eval._core.linear import check_full_rank
from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import KaizenError, as_list, check_count, check_option
from kaizen_eval.estimate._frame import (
    design_columns,
    estimation_sample,
    fe_codes,
    numeric_column,
)

if TYPE_CHECKING:
    from kaizen_eval.estimate.ri_family import RandomizationFamily

RIStatistic = Literal["coef", "t"]
RI_STATISTICS: tuple[str, ...] = get_args(RIStatistic)
_CHUNK = 1000  # assignments per block at most (fewer for large N: engine.block_rows)
_TIE_RTOL = 1e-9  # |stat| within this relative distance of |observed| counts as a tie (>=)


@dataclass(frozen=True, eq=False)
class RandomizationInference:
    """The result of a randomization test; immutable.

    Attributes
    ----------
    pvalue : float
        Two-sided p-value: the share of assignments with ``|stat| >= |observed|``. With exact
        enumeration the share is over all distinct assignments (the observed one included); with
        random draws it is ``(1 + #{b: |stat_b| >= |observed|}) / (1 + draws)``, counting the
        observed assignment as one of the draws so that the test is exact at any ``draws``.
    observed : float
        The statistic for the actual assignment.
    draws : numpy.ndarray
        The statistic for each re-drawn assignment (read-only); with exact enumeration, for
        every distinct assignment (the observed one included).
    exact : bool
        Whether all distinct assignments were enumerated.
    n_assignments : int
        Number of distinct assignments the design allows (``-1`` when the draws come from an
        ``Assignment`` object, whose count is not computed).
    statistic : str
        ``"coef"`` (the OLS coefficient) or ``"t"`` (studentized: HC1, or CR1 with clusters).
    treatment, outcome : str
    nobs : int
    dropped : pandas.DataFrame
        Rows not used, with a ``reason`` column.
    """

    pvalue: float
    observed: float
    draws: np.ndarray
    exact: bool
    n_assignments: int
    statistic: str
    treatment: str
    outcome: str
    nobs: int
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"reason": []}))

    def __post_init__(self) -> None:
        d = np.array(self.draws, dtype=float, copy=True)
        d.flags.writeable = False
        object.__setattr__(self, "draws", d)

    def __repr__(self) -> str:
        how = "exact enumeration" if self.exact else f"{len(self.draws)} random draws"
        of = f" of {_count_text(self.n_assignments)} assignments" if self.n_assignments > 0 else ""
        return (
            f"<RandomizationInference {self.statistic} of {self.treatment!r} on "
            f"{self.outcome!r}: observed = {self.observed:.4g}, p = {self.pvalue:.4g} ({how}"
            f"{of})>"
        )


def _count_text(n: int) -> str:
    return str(n) if n < 10**12 else f"{float(n):.3g}"


def randomization_inference(
    df: pd.DataFrame,
    *,
    outcome: str | Sequence[str],
    treatment: str,
    covariates: str | Sequence[str] = (),
    strata: str | None = None,
    cluster: str | None = None,
    fixed_effects: str | Sequence[str] | None = None,
    draws: int = 10_000,
    seed: int | np.random.Generator = 0,
    statistic: str = "coef",
    assignment: Any = None,
    baseline: str | Mapping[str, str] | None = None,
    progress: bool = False,
) -> RandomizationInference | RandomizationFamily:
    """Randomization (permutation) test of the sharp null of no effect of ``treatment``.

    For a LATE, the sharp null that take-up has no effect is tested by passing the random
    assignment (the instrument) as ``treatment``: the reduced form carries the test. Confidence
    intervals by test inversion are :func:`~kaizen_eval.estimate.ri_ci.randomization_ci`.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str or sequence of str
        The outcome; or several, tested on the same re-drawn assignments in one pass (a
        :class:`~kaizen_eval.estimate.ri_family.RandomizationFamily`). With several outcomes the
        assignment is re-drawn over every row with the design columns and each outcome's
        statistic uses its own observed rows (as in
        :func:`~kaizen_eval.estimate.multiple.romano_wolf`); when no outcome is missing, each
        p-value equals the one-outcome call's with the same ``seed``.
    treatment : str
        The randomly assigned column (binary, or several arms coded as values).
    covariates : str or sequence of str
        Covariates of the regression whose coefficient is the statistic.
    strata : str, optional
        Randomization strata: assignments are permuted within them.
    cluster : str, optional
        Unit of randomization: whole clusters are permuted (treatment and strata must be
        constant within a cluster).
    fixed_effects : str or sequence of str, optional
        Fixed effects absorbed in the statistic's regression (often the strata).
    draws : int
        Number of random assignments; if the design allows at most ``draws`` distinct
        assignments (and the treatment is binary), all of them are enumerated instead.
    seed : int or numpy.random.Generator
        Seed of the draws (the global NumPy RNG is never used).
    statistic : str
        ``"coef"`` (default; with no covariates the difference in means) or ``"t"``
        (coefficient over its HC1 standard error, CR1 with ``cluster``).
    assignment : kaizen_eval.design.Assignment, optional
        The assignment object that produced ``treatment``: the draws then come from its
        ``redraw_many`` (both stages, strata, clusters and re-randomization exactly as drawn),
        rows are matched on its id column, and ``strata``/``cluster`` must not be given (the
        ``cluster`` of the studentized statistic excepted).
    baseline : str or mapping of outcome to column, optional
        Baseline value of the outcome, a covariate of the statistic's regression (ANCOVA) with
        McKenzie's dummy for missing values, exactly as in :func:`~kaizen_eval.estimate.itt.itt`.
        With several outcomes, a mapping from each outcome to its own baseline column.
    progress : bool
        Show a progress bar over the blocks of draws (on standard error).

    Returns
    -------
    RandomizationInference or RandomizationFamily
        ``.pvalue``, ``.observed``, ``.draws``, ``.exact`` (for several outcomes: Series indexed
        by outcome, draws as a DataFrame, and ``family[outcome]`` for one outcome's test).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> df = pd.DataFrame({"invited": [0, 1] * 4, "y": [1.0, 3, 2, 4, 1, 5, 2, 3]})
    >>> ri = ke.randomization_inference(df, outcome="y", treatment="invited")
    >>> ri.exact, ri.n_assignments, float(ri.observed), round(ri.pvalue, 4)
    (True, 70, 2.25, 0.0286)
    """
    check_option("statistic", statistic, RI_STATISTICS)
    check_count("draws", draws)
    rng = np.random.default_rng(seed)  # a Generator is used as it is
    covs = as_list(covariates)
    fes = as_list(fixed_effects)
    if not isinstance(outcome, str):
        from kaizen_eval.estimate.ri_family import RandomizationFamily, family_null

        outs = as_list(outcome)
        if isinstance(baseline, str):
            if len(outs) != 1:
                raise KaizenError(
                    "with several outcomes, `baseline` maps each outcome to its baseline "
                    f"column, e.g. {{{outs[0]!r}: 'baseline_{outs[0]}'}}"
                )
            baseline = {outs[0]: baseline}
        null = family_null(
            df,
            outcomes=outs,
            treatment=treatment,
            covariates=covs,
            strata=strata,
            cluster=cluster,
            fixed_effects=fes,
            draws=draws,
            rng=rng,
            statistic=statistic,
            baselines=dict(baseline or {}),
            progress=progress,
            where="randomization_inference",
            assignment=assignment,
        )
        return RandomizationFamily(null, statistic=statistic, treatment=treatment)
    if baseline is not None and not isinstance(baseline, str):
        raise KaizenError("`baseline` is a column name for one outcome (a mapping for several)")
    if assignment is not None and strata is not None:
        raise KaizenError("give either `assignment` or `strata`: the assignment knows its strata")
    id_col = [assignment.id_col] if assignment is not None else []
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", [treatment]),
            ("covariate", covs),
            ("stratum", as_list(strata)),
            ("cluster", as_list(cluster)),
            ("fixed effect", fes),
            ("id", id_col),
        ],
        where="randomization_inference",
        keep=as_list(baseline),
    )
    data = sample.data
    y = numeric_column(data, outcome, "outcome")
    t = numeric_column(data, treatment, "treatment")
    n = len(y)
    extra = baseline_columns(data, baseline)
    redrawn = redraws(data, t, treatment, strata, cluster, assignment, draws, rng, progress)
    stat = _Statistic(
        data, y, covs, fes, statistic, cluster_codes=redrawn.cluster_codes, extra=extra
    )
    observed = float(stat(t[:, None])[0])
    values = np.concatenate([stat(a.T) for a in redrawn.blocks])
    exact, n_assign = redrawn.exact, redrawn.n_assignments
    pvalue = float(randomization_pvalues(values[:, None], np.array([observed]), exact)[0])
    return RandomizationInference(
        pvalue=pvalue,
        observed=observed,
        draws=values,
        exact=exact,
        n_assignments=n_assign,
        statistic=statistic,
        treatment=treatment,
        outcome=outcome,
        nobs=n,
        dropped=sample.dropped,
    )


def baseline_columns(
    data: pd.DataFrame, baseline: str | None
) -> tuple[np.ndarray, list[str]] | None:
    """Return the baseline outcome (and McKenzie's missing dummy) as covariate columns."""
    if baseline is None:
        return None
    from kaizen_eval.estimate.itt import covariate_block

    x, names, _ = covariate_block(data, [], baseline)
    return x, names


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


def redraws(
    data: pd.DataFrame,
    t: np.ndarray,
    treatment: str,
    strata: str | None,
    cluster: str | None,
    assignment: Any,
    draws: int,
    rng: np.random.Generator,
    progress: bool,
) -> Redraws:
    """Re-draw the assignment of ``data``'s rows as it was made, ``draws`` times.

    From an ``Assignment`` (its ``redraw_many``: both stages, strata, clusters and
    re-randomization exactly as drawn; rows matched on its id column), else by permuting the
    observed assignment within strata (whole clusters), every distinct assignment when there
    are at most ``draws`` (:func:`assignment_blocks`).
    """
    n = len(t)
    block = block_rows(n)
    if assignment is not None:
        pos = assignment_positions(assignment, data, treatment, t)
        unit = factorize(data[cluster].to_numpy()) if cluster else np.arange(n)

        def rows() -> Iterator[np.ndarray]:
            for start in range(0, draws, block):
                b = min(block, draws - start)
                yield assignment.redraw_many(b, rng)[treatment][:, pos].astype(float)

        shown = progress_bar(
            rows(),
            total=-(-draws // block),
            show=progress,
            desc="randomization draws",
            unit="block",
        )
        exact, n_assign = False, -1
    else:
        unit, t_unit, s_unit = design_units(data, t, treatment, strata, cluster)
        exact, n_assign, unit_blocks = assignment_blocks(
            t_unit, s_unit, draws, rng, block, show=progress
        )
        shown = (a[:, unit] if cluster else a for a in unit_blocks)
    return Redraws(shown, exact, n_assign, unit, unit if cluster else None)


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
    return np.abs(observed) * (1 - _TIE_RTOL)


def randomization_shares(count: Any, draws: int, exact: bool) -> np.ndarray:
    """Turn counts of extreme draws into p-values: ``c / B`` if exact, else ``(1 + c)/(1 + B)``."""
    return np.asarray(count / draws if exact else (1 + count) / (1 + draws), dtype=float)


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
    block: int = _CHUNK,
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
        chunks = _permute(t_unit, s_unit, draws, rng, block)
    total = -(-(n_assign if exact else draws) // block)
    return (
        exact,
        n_assign,
        progress_bar(chunks, total=total, show=show, desc="randomization draws", unit="block"),
    )


def _enumerate(t_unit: np.ndarray, s_unit: np.ndarray, size: int = _CHUNK) -> Iterator[np.ndarray]:
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


def _permute(
    t_unit: np.ndarray,
    s_unit: np.ndarray,
    draws: int,
    rng: np.random.Generator,
    block: int = _CHUNK,
) -> Iterator[np.ndarray]:
    """Random within-stratum permutations of the unit-level assignment, ``block`` at a time.

    Every draw consumes the same amount of ``rng``'s stream, in draw order, so the draws do not
    depend on ``block``. A binary assignment is re-drawn by :class:`_BinaryDraws` (the ``n_s``
    units with the smallest random keys of stratum ``s`` get the higher value); other
    assignments are permuted within strata by an ``argsort`` of keys offset by stratum.
    """
    n = len(t_unit)
    order0 = np.argsort(s_unit, kind="stable")
    t_sorted = t_unit[order0]
    values = np.unique(t_sorted)
    binary = _BinaryDraws(t_unit, s_unit) if values.size == 2 else None
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


class _BinaryDraws:
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


class _Statistic:
    """Coefficient (or t) of the treatment for many assignments at once (columns of ``T``).

    A thin adapter of :class:`~kaizen_eval.estimate.engine.ResamplingEngine` (the studentized
    statistic is HC1, or CR1 with ``cluster_codes``); ``y`` may hold several outcomes (columns).
    """

    def __init__(self, data, y, covs, fes, statistic, cluster_codes, extra=None):
        n = len(y)
        x, names = design_columns(data, covs)
        if extra is not None and extra[0].shape[1]:
            x, names = np.hstack([x, extra[0]]), [*names, *extra[1]]
        codes = fe_codes(data, fes)
        absorber = Absorber(codes) if codes is not None else None
        if absorber is None:
            x = np.hstack([np.ones((n, 1)), x])
            names = ["(Intercept)", *names]
        if x.shape[1]:
            absorbed = absorber.residualize(x) if absorber is not None else x
            check_full_rank(absorbed, names, what="covariates", reference=x)
        self.statistic = statistic
        self.several = np.ndim(y) == 2
        self.engine = ResamplingEngine(
            y,
            covariates=x,
            fixed_effects=absorber,
            clusters=cluster_codes,
            se_type="CR1" if cluster_codes is not None else "HC1",
        )

    def partial(self, m: np.ndarray) -> np.ndarray:
        """Residualize columns on the fixed effects and covariates."""
        return self.engine.partial(np.asarray(m, dtype=float).T).T

    def coef_and_slope(self, tmat: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients on ``y`` and on ``d`` of the assignments in ``tmat`` (columns).

        The coefficient on ``y − τ d`` is then ``a − τ c``, linear in ``τ``.
        """
        tt = self.engine.partial(np.asarray(tmat, dtype=float).T)
        ssq = np.einsum("bn,bn->b", tt, tt)
        dd = self.engine.partial_columns(np.asarray(d, dtype=float)[:, None])[:, 0]
        y = self.engine.y[:, 0]
        return np.einsum("bn,n->b", tt, y) / ssq, np.einsum("bn,n->b", tt, dd) / ssq

    def __call__(self, tmat: np.ndarray) -> np.ndarray:
        draws = np.asarray(tmat, dtype=float).T  # (B, n): a view of the (B, n) draws
        if self.statistic == "coef":
            out = self.engine.coefficients(draws)
        else:
            out = self.engine.statistics(draws).t
        return out if self.several else out[:, 0]
