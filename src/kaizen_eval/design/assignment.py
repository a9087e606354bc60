"""Reproducible random assignment: :func:`assign` and the :class:`Assignment` it returns.

An :class:`Assignment` knows how it was drawn (strata, clusters, both stages, re-randomization,
seed), so that it can be verified against the data, written and read back, and re-drawn
exactly the same way by randomization inference (:meth:`Assignment.redraw`,
:meth:`Assignment.redraw_many`). The drawing rule itself is documented in
:mod:`kaizen_eval.design._draw`.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, as_list, check_option, require_columns
from kaizen_eval._version import __version__
from kaizen_eval.design._canonical import canonical_column, sha256_of_frame
from kaizen_eval.design._draw import Shares, balance_statistic, draw_blocked, exact_shares

Criterion = Literal["max_abs_t", "mahalanobis"]
CRITERIA: tuple[str, ...] = get_args(Criterion)

#: Number of candidate draws made at once while re-randomizing (part of the algorithm: changing
#: it changes which draw is accepted for a given seed).
RERANDOMIZE_BATCH = 64
#: Largest number of unit-draws held in memory at once by :meth:`Assignment.redraw_many`.
_CHUNK_CELLS = 2_000_000
_ALGORITHM = "kaizen_eval.blocked_complete/v1"
_METADATA_KEY = b"kaizen_eval.assignment"


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    """A second randomization stage (e.g. on-site training), drawn after the first.

    Parameters
    ----------
    arms : mapping of str to float
        Arm name → share, as in :func:`assign` (control takes the remainder).
    strata : str or sequence of str, optional
        Strata of this stage. With ``among=None`` the stage is cross-randomized (factorial): it is
        always drawn within first-stage arm × these strata, so each cell of the 2×2 is filled in
        the declared proportions. To reuse the first stage's strata, name the same columns.
    among : str or sequence of str, optional
        First-stage arm(s) among which this stage is drawn (e.g. ``"invited"``); other units get
        0 in every arm of this stage. ``None`` (default): all units (factorial design).

    Examples
    --------
    >>> Stage(arms={"onsite": 0.5}, strata="stratum").among is None
    True
    """

    arms: Mapping[str, float]
    strata: str | Sequence[str] | None = None
    among: str | Sequence[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "arms", MappingProxyType(_check_arms(self.arms, "stage2.arms")))
        object.__setattr__(self, "strata", tuple(as_list(self.strata)))
        among = None if self.among is None else tuple(as_list(self.among))
        object.__setattr__(self, "among", among)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (as stored in the manifest)."""
        return {
            "arms": dict(self.arms),
            "strata": list(self.strata),
            "among": None if self.among is None else list(self.among),
        }


@dataclass(frozen=True, kw_only=True)
class Rerandomize:
    """Re-randomization: draw again until the covariates are balanced enough.

    Parameters
    ----------
    covariates : sequence of str
        Numeric columns without missing values.
    criterion : {"max_abs_t", "mahalanobis"}
        ``"max_abs_t"``: largest |t| (Welch) of a difference in means, over covariates and over
        every arm-vs-control comparison of every stage. ``"mahalanobis"``: largest over those
        comparisons of ``n1·n0/(n1+n0) · d'S⁻¹d`` (Morgan & Rubin 2012), ``S`` the covariance of
        the covariates in the whole frame.
    bound : float
        A draw is accepted when the criterion is ``<= bound``.
    max_draws : int
        Give up (with an error) after this many draws without an acceptable one.

    Notes
    -----
    Inference must respect re-randomization: use :meth:`Assignment.redraw_many` (randomization
    inference), which applies the same criterion, and report ``manifest["n_draws"]``.

    Examples
    --------
    >>> Rerandomize(covariates=["employees"], bound=1.0).criterion
    'max_abs_t'
    """

    covariates: Sequence[str]
    bound: float
    criterion: Criterion = "max_abs_t"
    max_draws: int = 10_000

    def __post_init__(self) -> None:
        covs = tuple(as_list(self.covariates))
        if not covs:
            raise KaizenError("`rerandomize.covariates` is empty; name at least one column.")
        object.__setattr__(self, "covariates", covs)
        check_option("rerandomize.criterion", self.criterion, CRITERIA)
        if not np.isfinite(self.bound) or self.bound <= 0:
            raise KaizenError(f"`rerandomize.bound` must be > 0. You passed: {self.bound!r}.")
        if isinstance(self.max_draws, bool) or int(self.max_draws) != self.max_draws:
            raise KaizenError(f"`rerandomize.max_draws` must be an integer: {self.max_draws!r}.")
        if self.max_draws < 1:
            raise KaizenError(f"`rerandomize.max_draws` must be >= 1: {self.max_draws!r}.")
        object.__setattr__(self, "bound", float(self.bound))
        object.__setattr__(self, "max_draws", int(self.max_draws))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (as stored in the manifest)."""
        return {
            "covariates": list(self.covariates),
            "criterion": self.criterion,
            "bound": self.bound,
            "max_draws": self.max_draws,
        }


def _check_arms(arms: Mapping[str, float], name: str) -> dict[str, float]:
    if not isinstance(arms, Mapping) or not arms:
        raise KaizenError(f"`{name}` must be a non-empty dict of arm name -> share: {arms!r}.")
    out: dict[str, float] = {}
    for arm, share in arms.items():
        if not isinstance(arm, str) or not arm:
            raise KaizenError(f"`{name}`: arm names must be non-empty strings: {arm!r}.")
        if isinstance(share, bool) or not isinstance(share, int | float | np.floating):
            raise KaizenError(f"`{name}`: the share of arm {arm!r} must be a number: {share!r}.")
        if not 0 < float(share) <= 1:
            raise KaizenError(f"`{name}`: the share of arm {arm!r} must be in (0, 1]: {share!r}.")
        out[arm] = float(share)
    if exact_shares(list(out.values())).numer[0] < 0:
        raise KaizenError(f"`{name}`: shares sum to {sum(out.values())!r} > 1.")
    return out


# --------------------------------------------------------------------------------------------
# The design: everything needed to draw, derived from the frame and the arguments
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Design:
    """How to draw; arrays are in canonical unit order (ids sorted by their text form).

    ``unit_group`` (N,) maps units to randomization units (clusters, M of them); ``block1`` (M,)
    and ``strata2`` (M,) are block codes; ``x`` (N, p) the re-randomization covariates.
    """

    arguments: Mapping[str, Any]
    ids: np.ndarray
    table: pd.DataFrame
    frame_sha256: str
    unit_group: np.ndarray
    n_groups: int
    block1: np.ndarray
    n_blocks1: int
    arms1: tuple[str, ...]
    shares1: Shares
    arms2: tuple[str, ...] = ()
    shares2: Shares | None = None
    strata2: np.ndarray | None = None
    n_strata2: int = 0
    among: tuple[int, ...] | None = None
    x: np.ndarray | None = None
    s_inv: np.ndarray | None = None
    criterion: str = "max_abs_t"
    bound: float = np.inf
    max_draws: int = 1

    @property
    def arm_columns(self) -> tuple[str, ...]:
        return self.arms1 + self.arms2

    @property
    def rerandomized(self) -> bool:
        return self.x is not None

    # --- drawing ------------------------------------------------------------------------
    def draw_raw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` draws without re-randomization: unit-level codes, shape (n, N) per stage."""
        m = self.n_groups
        g1 = draw_blocked(rng, np.broadcast_to(self.block1, (n, m)), self.n_blocks1, self.shares1)
        g2 = None
        if self.shares2 is not None:
            if self.among is None:
                blocks2 = g1.astype(np.int64) * self.n_strata2 + self.strata2[None, :]
                n_blocks2 = len(self.arms1) * self.n_strata2 + self.n_strata2
            else:
                eligible = np.isin(g1, self.among)
                blocks2 = np.where(eligible, self.strata2[None, :], -1)
                n_blocks2 = self.n_strata2
            g2 = draw_blocked(rng, blocks2, n_blocks2, self.shares2)
            g2 = g2[:, self.unit_group]
        return g1[:, self.unit_group], g2

    def acceptable(self, c1: np.ndarray, c2: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Criterion value of each draw and whether it is within the bound."""
        stat = balance_statistic(c1, self.x, len(self.arms1), self.criterion, self.s_inv)
        if c2 is not None:
            stat2 = balance_statistic(c2, self.x, len(self.arms2), self.criterion, self.s_inv)
            stat = np.maximum(stat, stat2)
        return stat, stat <= self.bound

    def draw_one(
        self, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None, int, float]:
        """One assignment as :func:`assign` draws it: codes, number of draws, criterion value."""
        if not self.rerandomized:
            c1, c2 = self.draw_raw(rng, 1)
            return c1[0], None if c2 is None else c2[0], 1, float("nan")
        done = 0
        while done < self.max_draws:
            c1, c2 = self.draw_raw(rng, RERANDOMIZE_BATCH)
            stat, ok = self.acceptable(c1, c2)
            ok[max(0, self.max_draws - done) :] = False
            hits = np.flatnonzero(ok)
            if hits.size:
                i = int(hits[0])
                return c1[i], None if c2 is None else c2[i], done + i + 1, float(stat[i])
            done += RERANDOMIZE_BATCH
        raise KaizenError(
            f"re-randomization found no draw with {self.criterion} <= {self.bound} in "
            f"{self.max_draws} draws; raise `bound` or `max_draws`."
        )

    def draw_many(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` independent assignments (accepted draws only), codes of shape (n, N)."""
        n_units = len(self.ids)
        chunk = max(1, _CHUNK_CELLS // max(n_units, 1))
        parts1: list[np.ndarray] = []
        parts2: list[np.ndarray] = []
        got = tried = 0
        while got < n:
            size = min(chunk, n - got) if not self.rerandomized else chunk
            c1, c2 = self.draw_raw(rng, size)
            tried += size
            if self.rerandomized:
                keep = self.acceptable(c1, c2)[1]
                c1 = c1[keep]
                c2 = None if c2 is None else c2[keep]
                if got == 0 and c1.shape[0] == 0 and tried >= self.max_draws:
                    raise KaizenError(
                        f"re-randomization found no draw with {self.criterion} <= {self.bound} "
                        f"in {tried} draws."
                    )
            take = min(c1.shape[0], n - got)
            parts1.append(c1[:take])
            if c2 is not None:
                parts2.append(c2[:take])
            got += take
        c1 = np.concatenate(parts1) if parts1 else np.empty((0, n_units), np.int8)
        c2 = np.concatenate(parts2) if parts2 else None
        return c1, c2

    def to_frame(self, c1: np.ndarray, c2: np.ndarray | None) -> pd.DataFrame:
        """Build the id + int 0/1 arm columns from the codes of one draw, shape (N,)."""
        id_col = self.arguments["id_col"]
        data: dict[str, Any] = {id_col: self.table[id_col].to_numpy()}
        for j, arm in enumerate(self.arms1, start=1):
            data[arm] = (c1 == j).astype(np.int64)
        for j, arm in enumerate(self.arms2, start=1):
            data[arm] = (c2 == j).astype(np.int64)
        return pd.DataFrame(data)


def _relevant_columns(arguments: Mapping[str, Any]) -> list[str]:
    cols = [arguments["id_col"], *arguments["strata"]]
    if arguments["cluster"] is not None:
        cols.append(arguments["cluster"])
    if arguments["stage2"] is not None:
        cols.extend(arguments["stage2"]["strata"])
    if arguments["rerandomize"] is not None:
        cols.extend(arguments["rerandomize"]["covariates"])
    return list(dict.fromkeys(cols))


def _name_some(values: Sequence[Any], k: int = 10) -> str:
    vals = [str(v) for v in values]
    return ", ".join(vals[:k]) + (f" ... ({len(vals)} in all)" if len(vals) > k else "")


def _codes(texts: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Codes of the combined text key of ``texts``'s columns, ordered by that key."""
    if texts.shape[1] == 0:
        return np.zeros(len(texts), dtype=np.int64), 1
    key = [json.dumps(list(row)) for row in texts.itertuples(index=False, name=None)]
    codes, uniques = pd.factorize(pd.Series(key, dtype=object), sort=True)
    return codes.astype(np.int64), len(uniques)


def _build_design(frame: pd.DataFrame, arguments: Mapping[str, Any]) -> _Design:
    """Validate ``frame`` for ``arguments`` and derive the design (no randomness)."""
    id_col = arguments["id_col"]
    cols = _relevant_columns(arguments)
    require_columns(frame, cols, where="the assignment frame")
    if frame.shape[0] == 0:
        raise KaizenError("the assignment frame has no rows.")
    arm_names = list(arguments["arms"]) + (
        list(arguments["stage2"]["arms"]) if arguments["stage2"] is not None else []
    )
    clash = [a for a in arm_names if a in cols]
    if clash:
        raise KaizenError(f"arm name(s) {clash} are also used as id/strata/cluster/covariates.")
    if len(set(arm_names)) != len(arm_names):
        raise KaizenError(f"arm names must be distinct across stages: {arm_names}.")

    ids_text = pd.Series(canonical_column(frame[id_col]), index=frame.index, dtype=object)
    missing = ids_text.isna()
    if missing.any():
        raise KaizenError(
            f"`{id_col}` is missing in {int(missing.sum())} row(s) (index "
            f"{_name_some(frame.index[missing.to_numpy()].tolist())}); every unit needs an id."
        )
    dup = ids_text.duplicated(keep=False)
    if dup.any():
        raise KaizenError(
            f"`{id_col}` has duplicate ids: {_name_some(sorted(set(ids_text[dup])))}; "
            "assignment needs one row per unit."
        )
    order = np.argsort(ids_text.to_numpy(dtype=str), kind="stable")
    table = frame.loc[frame.index[order], cols].reset_index(drop=True)
    ids = table[id_col].to_numpy(dtype=object)
    id_text = np.asarray(canonical_column(table[id_col]), dtype=object)
    texts = pd.DataFrame({c: canonical_column(table[c]) for c in cols}, dtype=object)

    def check_complete(columns: Sequence[str], what: str) -> None:
        for c in columns:
            bad = texts[c].isna().to_numpy()
            if bad.any():
                raise KaizenError(
                    f"{what} column `{c}` is missing for {int(bad.sum())} unit(s): "
                    f"{_name_some(id_text[bad].tolist())}."
                )

    strata = list(arguments["strata"])
    check_complete(strata, "strata")
    cluster = arguments["cluster"]
    stage2 = arguments["stage2"]
    strata2 = list(stage2["strata"]) if stage2 is not None else []
    check_complete(strata2, "stage2 strata")

    if cluster is None:
        unit_group = np.arange(len(table), dtype=np.int64)
        n_groups = len(table)
        first = unit_group
    else:
        check_complete([cluster], "cluster")
        unit_group, n_groups = _codes(texts[[cluster]])
        # one row per cluster: the first unit of each cluster in canonical order
        first = np.unique(unit_group, return_index=True)[1]
        for cols_, what in ((strata, "strata"), (strata2, "stage2 strata")):
            if not cols_:
                continue
            per_cluster = texts[[cluster, *cols_]].drop_duplicates()
            spans = per_cluster[cluster][per_cluster[cluster].duplicated()].unique()
            if len(spans):
                c0 = spans[0]
                found = per_cluster.loc[per_cluster[cluster] == c0, cols_].to_numpy().tolist()
                raise KaizenError(
                    f"cluster(s) {_name_some(list(spans))} span several {what}: cluster "
                    f"{c0!r} is in {found}. Whole clusters are assigned, so {what} must be "
                    "constant within a cluster."
                )

    block_unit, n_blocks1 = _codes(texts[strata])
    arms1 = tuple(arguments["arms"])
    kwargs: dict[str, Any] = {}
    if stage2 is not None:
        s2_unit, n_s2 = _codes(texts[strata2])
        among = None
        if stage2["among"] is not None:
            unknown = [a for a in stage2["among"] if a not in arms1]
            if unknown:
                raise KaizenError(
                    f"`stage2.among` names {unknown}, which are not first-stage arms "
                    f"({list(arms1)})."
                )
            among = tuple(arms1.index(a) + 1 for a in stage2["among"])
        kwargs.update(
            arms2=tuple(stage2["arms"]),
            shares2=exact_shares(list(stage2["arms"].values())),
            strata2=s2_unit[first],
            n_strata2=n_s2,
            among=among,
        )
    rr = arguments["rerandomize"]
    if rr is not None:
        covs = list(rr["covariates"])
        x_cols = []
        for c in covs:
            col = table[c]
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                raise KaizenError(f"re-randomization covariate `{c}` is not numeric.")
            x_cols.append(col.to_numpy(dtype=float, na_value=np.nan))
        x = np.column_stack(x_cols)
        bad = np.isnan(x).any(axis=1)
        if bad.any():
            which = [c for j, c in enumerate(covs) if np.isnan(x[:, j]).any()]
            raise KaizenError(
                f"re-randomization covariate(s) {which} missing for {int(bad.sum())} unit(s): "
                f"{_name_some(id_text[bad].tolist())}."
            )
        s = np.atleast_2d(np.cov(x, rowvar=False))
        kwargs.update(
            x=x,
            s_inv=np.linalg.pinv(s),
            criterion=rr["criterion"],
            bound=float(rr["bound"]),
            max_draws=int(rr["max_draws"]),
        )
    return _Design(
        arguments=MappingProxyType(copy.deepcopy(dict(arguments))),
        ids=ids,
        table=table,
        frame_sha256=sha256_of_frame(table, cols),
        unit_group=unit_group,
        n_groups=n_groups,
        block1=block_unit[first],
        n_blocks1=n_blocks1,
        arms1=arms1,
        shares1=exact_shares(list(arguments["arms"].values())),
        **kwargs,
    )


def _rng_from(seed: int | np.random.Generator) -> tuple[np.random.Generator, dict[str, Any]]:
    """Return a generator and what the manifest must record to recreate it."""
    if isinstance(seed, np.random.Generator):
        state = seed.bit_generator.state
        return seed, {"seed": None, "rng_state": copy.deepcopy(state)}
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise KaizenError(
            f"`seed` must be a non-negative int or a numpy.random.Generator. You passed: {seed!r}."
        )
    return np.random.default_rng(int(seed)), {"seed": int(seed), "rng_state": None}


def _rng_from_manifest(manifest: Mapping[str, Any]) -> np.random.Generator:
    if manifest.get("seed") is not None:
        return np.random.default_rng(int(manifest["seed"]))
    state = manifest["rng_state"]
    bitgen = getattr(np.random, state["bit_generator"])()
    bitgen.state = copy.deepcopy(state)
    return np.random.Generator(bitgen)


def _as_rng(rng: int | np.random.Generator) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return _rng_from(rng)[0]


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False, eq=False)
class Assignment:
    """A drawn assignment that knows how it was drawn; immutable.

    Build it with :func:`assign`, or read one with :meth:`Assignment.read`.

    Attributes
    ----------
    frame : pandas.DataFrame
        The id column and one int 0/1 column per arm (both stages), one row per unit, sorted by
        the id's text form (a fresh copy on each access).
    manifest : dict
        ``seed`` (or ``rng_state`` when a Generator was passed), ``package_version``,
        ``arguments``, ``frame_sha256`` (input frame in canonical form: relevant columns, rows
        sorted by id), ``result_sha256`` (``frame`` in canonical form), ``n_draws`` (draws made
        until re-randomization accepted one; 1 without it), ``criterion_value``, ``n_units``,
        ``n_clusters``, ``algorithm``, ``created_utc`` (a fresh copy on each access).
    """

    _frame: pd.DataFrame
    _manifest: Mapping[str, Any]
    _design: _Design = field(repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """Id and assignment columns (a copy)."""
        return self._frame.copy()

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest (a deep copy)."""
        return copy.deepcopy(dict(self._manifest))

    @property
    def arms(self) -> tuple[str, ...]:
        """Names of the assignment columns, first stage then second stage."""
        return self._design.arm_columns

    @property
    def id_col(self) -> str:
        """Name of the id column."""
        return str(self._design.arguments["id_col"])

    def __repr__(self) -> str:
        counts = ", ".join(f"{a}={int(self._frame[a].sum())}" for a in self.arms)
        return (
            f"<Assignment of {len(self._frame)} units ({counts}); seed="
            f"{self._manifest['seed']}, n_draws={self._manifest['n_draws']}>"
        )

    # --- re-drawing -----------------------------------------------------------------------
    def redraw(self, rng: int | np.random.Generator) -> pd.DataFrame:
        """Draw a new assignment exactly the way this one was drawn (same columns as ``frame``).

        Both stages and re-randomization are applied; ``rng`` is a seed or a Generator (which is
        advanced). ``assign(frame, ..., seed=s).frame`` equals ``asg.redraw(s)``.

        Examples
        --------
        >>> import pandas as pd
        >>> f = pd.DataFrame({"firm_id": [f"F{i}" for i in range(6)]})
        >>> asg = assign(f, seed=1)
        >>> asg.redraw(1).equals(asg.frame)
        True
        """
        c1, c2, _, _ = self._design.draw_one(_as_rng(rng))
        return self._design.to_frame(c1, c2)

    def redraw_many(self, n: int, seed: int | np.random.Generator) -> dict[str, np.ndarray]:
        """Draw ``n`` assignments at once, exactly the way this one was drawn.

        Parameters
        ----------
        n : int
            Number of assignments.
        seed : int or numpy.random.Generator
            Randomness for the draws.

        Returns
        -------
        dict of str to numpy.ndarray
            For every arm column, an int8 0/1 array of shape ``(n, N)`` whose columns follow the
            rows of ``frame``. Re-randomized designs keep only acceptable draws.

        Examples
        --------
        >>> import pandas as pd
        >>> asg = assign(pd.DataFrame({"firm_id": range(10)}), seed=3)
        >>> asg.redraw_many(100, seed=0)["invited"].sum(axis=1).tolist() == [5] * 100
        True
        """
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise KaizenError(f"`n` must be a non-negative integer. You passed: {n!r}.")
        c1, c2 = self._design.draw_many(_as_rng(seed), int(n))
        out: dict[str, np.ndarray] = {}
        for j, arm in enumerate(self._design.arms1, start=1):
            out[arm] = (c1 == j).astype(np.int8)
        for j, arm in enumerate(self._design.arms2, start=1):
            out[arm] = (c2 == j).astype(np.int8)
        return out

    def probabilities(self, *, draws: int = 2_000, seed: int = 0) -> pd.DataFrame:
        """Probability that each unit is assigned to each arm.

        Without re-randomization these are exact: ``p_j`` for first-stage arms and factorial
        second-stage arms (the leftover rule keeps every unit's probability at its share), and
        ``P(among) · p_j`` for a second stage drawn among first-stage arm(s). With
        re-randomization they are estimated from ``draws`` re-draws (``seed``).

        Returns
        -------
        pandas.DataFrame
            The id column and one float column per arm, rows as in ``frame``.

        Examples
        --------
        >>> import pandas as pd
        >>> asg = assign(pd.DataFrame({"firm_id": range(9)}), arms={"invited": 1 / 3}, seed=0)
        >>> asg.probabilities()["invited"].round(4).unique().tolist()
        [0.3333]
        """
        d = self._design
        data: dict[str, Any] = {self.id_col: d.table[self.id_col].to_numpy()}
        n_units = len(d.ids)
        if d.rerandomized:
            many = self.redraw_many(draws, seed)
            for arm, m in many.items():
                data[arm] = m.mean(axis=0)
            return pd.DataFrame(data)
        p1 = d.shares1.probs
        for j, arm in enumerate(d.arms1, start=1):
            data[arm] = np.full(n_units, p1[j])
        if d.shares2 is not None:
            p2 = d.shares2.probs
            scale = 1.0 if d.among is None else float(sum(p1[a] for a in d.among))
            for j, arm in enumerate(d.arms2, start=1):
                data[arm] = np.full(n_units, scale * p2[j])
        return pd.DataFrame(data)

    # --- verification ---------------------------------------------------------------------
    def verify(self, frame: pd.DataFrame, *, seed: int | None = None) -> None:
        """Re-derive the assignment from ``frame`` and raise if anything differs.

        Checks, in order: that ``frame`` (this assignment's result) still has the recorded
        ``result_sha256`` (a tampered result); that ``frame``'s relevant columns hash to the
        recorded ``frame_sha256`` (changed data; the ids and columns that differ are named);
        that ``seed``, when given, is the recorded seed; and that drawing again with the
        recorded seed and arguments gives the recorded result.

        Parameters
        ----------
        frame : pandas.DataFrame
            The frame the assignment was drawn from (any row order).
        seed : int, optional
            The seed you believe was used.

        Raises
        ------
        KaizenError
            Naming what differs: ``result``, ``frame`` or ``seed/arguments``.

        Examples
        --------
        >>> import pandas as pd
        >>> f = pd.DataFrame({"firm_id": [f"F{i}" for i in range(6)]})
        >>> assign(f, seed=5).verify(f.sample(frac=1, random_state=2))
        """
        man = self._manifest
        own = sha256_of_frame(self._frame, [self.id_col, *self.arms])
        if own != man["result_sha256"]:
            raise KaizenError(
                "result differs: the assignment table no longer matches the result hash recorded "
                "in its manifest (was it edited after it was drawn?)."
            )
        args = dict(man["arguments"])
        try:
            design = _build_design(frame, args)
        except KaizenError as err:
            raise KaizenError(f"frame differs: {err}") from err
        if design.frame_sha256 != man["frame_sha256"]:
            raise KaizenError("frame differs: " + _describe_difference(self._design, design))
        if seed is not None and (man.get("seed") is None or int(seed) != int(man["seed"])):
            raise KaizenError(
                f"seed/arguments differ: you passed seed={seed!r} but the assignment was drawn "
                f"with seed={man.get('seed')!r}."
            )
        c1, c2, _, _ = design.draw_one(_rng_from_manifest(man))
        again = design.to_frame(c1, c2)
        if sha256_of_frame(again, [self.id_col, *self.arms]) != man["result_sha256"]:
            n_diff = int((again[list(self.arms)] != self._frame[list(self.arms)]).any(axis=1).sum())
            version = ""
            if man.get("package_version") != __version__:
                version = (
                    f" (drawn with kaizen_eval {man.get('package_version')}, this is {__version__})"
                )
            raise KaizenError(
                f"seed/arguments differ: drawing again with seed={man.get('seed')!r} and the "
                f"recorded arguments gives a different assignment for {n_diff} unit(s)"
                f"{version}."
            )

    # --- files ----------------------------------------------------------------------------
    def write(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the assignment, its design columns and manifest to a parquet file.

        The file holds ``frame`` plus the design columns (strata, cluster, covariates) it was
        drawn from, and the manifest as JSON in the parquet metadata, so that
        :meth:`Assignment.read` gives back an assignment that can be verified and re-drawn.

        Parameters
        ----------
        path : str or pathlib.Path
            Destination, ending in ``.parquet``.
        force : bool
            Overwrite an existing file. Default ``False``: an existing file is an error, so a
            drawn assignment is never silently replaced.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        if path.suffix != ".parquet":
            raise KaizenError(f"assignments are written as .parquet files; got {path.name!r}.")
        if path.exists() and not force:
            raise KaizenError(
                f"{str(path)!r} already exists; an assignment is never overwritten silently. "
                "Pass force=True to replace it."
            )
        design_cols = [c for c in self._design.table.columns if c != self.id_col]
        table = pd.concat([self._frame, self._design.table[design_cols]], axis=1)
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        meta = dict(arrow.schema.metadata or {})
        meta[_METADATA_KEY] = json.dumps(self.manifest).encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow.replace_schema_metadata(meta), path)
        return path

    @classmethod
    def read(cls, path: str | Path) -> Assignment:
        """Read an assignment written by :meth:`write`.

        The design columns stored in the file must still hash to the manifest's
        ``frame_sha256``; the result is not re-checked here (call :meth:`verify`).

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> asg = assign(pd.DataFrame({"firm_id": range(8)}), seed=0)
        >>> p = asg.write(pathlib.Path(tempfile.mkdtemp()) / "asg.parquet")
        >>> Assignment.read(p).frame.equals(asg.frame)
        True
        """
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.exists():
            raise KaizenError(f"no assignment file at {str(path)!r}.")
        arrow = pq.read_table(path)
        meta = arrow.schema.metadata or {}
        if _METADATA_KEY not in meta:
            raise KaizenError(f"{str(path)!r} has no kaizen_eval assignment manifest.")
        manifest = json.loads(meta[_METADATA_KEY].decode("utf-8"))
        table = arrow.to_pandas()
        args = manifest["arguments"]
        design = _build_design(table, args)
        if design.frame_sha256 != manifest["frame_sha256"]:
            raise KaizenError(
                f"{str(path)!r}: the design columns no longer match the manifest's frame hash."
            )
        arm_cols = list(design.arm_columns)
        require_columns(table, arm_cols, where=str(path))
        order = np.argsort(np.asarray(canonical_column(table[args["id_col"]]), dtype=str))
        result = table.iloc[order][[args["id_col"], *arm_cols]].reset_index(drop=True)
        return cls(result, MappingProxyType(manifest), design)


def _describe_difference(old: _Design, new: _Design) -> str:
    """Which ids and columns differ between two design tables."""
    id_col = old.arguments["id_col"]
    a = pd.DataFrame({c: canonical_column(old.table[c]) for c in old.table}, dtype=object)
    b = pd.DataFrame({c: canonical_column(new.table[c]) for c in new.table}, dtype=object)
    only_old = sorted(set(a[id_col]) - set(b[id_col]))
    only_new = sorted(set(b[id_col]) - set(a[id_col]))
    parts = []
    if only_old:
        parts.append(f"ids no longer in the frame: {_name_some(only_old)}")
    if only_new:
        parts.append(f"ids not in the assignment: {_name_some(only_new)}")
    common = a.merge(b, on=id_col, suffixes=("_old", "_new"))
    for c in a.columns:
        if c == id_col:
            continue
        x, y = common[f"{c}_old"], common[f"{c}_new"]
        changed = ~((x == y) | (x.isna() & y.isna()))
        if changed.any():
            parts.append(f"column `{c}` changed for {_name_some(common.loc[changed, id_col])}")
    detail = "; ".join(parts) or "the relevant columns changed"
    return f"the input frame does not match the recorded frame hash ({detail})."


def assign(
    frame: pd.DataFrame,
    *,
    id_col: str = "firm_id",
    arms: Mapping[str, float] | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    seed: int | np.random.Generator,
    stage2: Stage | None = None,
    rerandomize: Rerandomize | None = None,
) -> Assignment:
    """Draw a reproducible random assignment (complete randomization within strata).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per unit (firm). Row order does not matter: units are sorted by the text form
        of their id before drawing.
    id_col : str
        Unit identifier (no duplicates, no missing values).
    arms : mapping of str to float, optional
        Arm name → share; control gets the remainder. Default ``{"invited": 0.5}``. Several arms
        (``{"classroom": 1/3, "onsite": 1/3}``) give one 0/1 column each.
    strata : str or sequence of str, optional
        Columns whose combinations are the strata (blocks).
    cluster : str, optional
        Whole clusters are assigned; strata (of both stages) must be constant within clusters,
        and counts per stratum are counts of clusters.
    seed : int or numpy.random.Generator
        Randomness. An int is recorded in the manifest; for a Generator its state is recorded.
    stage2 : Stage, optional
        A second, later randomization: factorial (``among=None``, drawn within first-stage arm ×
        ``stage2.strata``) or among first-stage arm(s).
    rerandomize : Rerandomize, optional
        Re-draw (both stages) until the balance criterion holds.

    Returns
    -------
    Assignment
        ``frame`` (id + 0/1 arm columns), ``manifest``, ``verify``, ``write``, ``redraw``,
        ``redraw_many``, ``probabilities``.

    Raises
    ------
    KaizenError
        Duplicate or missing ids, missing strata or clusters, a cluster spanning strata, bad
        shares, re-randomization that finds no acceptable draw.
    MissingColumnError
        A named column is not in ``frame``.

    Notes
    -----
    Within each block of ``m`` units, arm ``j`` (share ``p_j``) gets ``floor(m·p_j)`` units; the
    ``r`` units left over are given to arms (control included) by systematic sampling on the
    fractional parts ``m·p_j - floor(m·p_j)``, with one uniform draw per block, so each arm gets
    at most one extra unit, with probability equal to its fractional part. Expected counts are
    exactly ``m·p_j`` and each unit's assignment probability is exactly ``p_j``. Blocks are the
    strata (first stage) and the first-stage arm × second-stage strata cells (factorial second
    stage). Draws use ``numpy.random.default_rng(seed)`` (PCG64 seeded by ``SeedSequence``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"firm_id": [f"F{i:02d}" for i in range(12)], "stratum": ["a", "b"] * 6})
    >>> asg = assign(f, strata="stratum", seed=20131,
    ...              stage2=Stage(arms={"onsite": 0.5}))
    >>> pd.crosstab(asg.frame["invited"], asg.frame["onsite"]).to_numpy().tolist()
    [[3, 3], [3, 3]]
    """
    if not isinstance(frame, pd.DataFrame):
        raise KaizenError(f"`frame` must be a pandas DataFrame, not {type(frame).__name__}.")
    if not isinstance(id_col, str):
        raise KaizenError(f"`id_col` must be a column name (str). You passed: {id_col!r}.")
    if cluster is not None and not isinstance(cluster, str):
        raise KaizenError(f"`cluster` must be one column name. You passed: {cluster!r}.")
    if stage2 is not None and not isinstance(stage2, Stage):
        raise KaizenError("`stage2` must be a kaizen_eval.Stage(arms=..., strata=..., among=...).")
    if rerandomize is not None and not isinstance(rerandomize, Rerandomize):
        raise KaizenError("`rerandomize` must be a kaizen_eval.Rerandomize(covariates=..., ...).")
    arguments = {
        "id_col": id_col,
        "arms": _check_arms({"invited": 0.5} if arms is None else arms, "arms"),
        "strata": as_list(strata),
        "cluster": cluster,
        "stage2": None if stage2 is None else stage2.to_dict(),
        "rerandomize": None if rerandomize is None else rerandomize.to_dict(),
    }
    rng, seed_record = _rng_from(seed)
    design = _build_design(frame, arguments)
    c1, c2, n_draws, crit = design.draw_one(rng)
    result = design.to_frame(c1, c2)
    manifest = {
        **seed_record,
        "package_version": __version__,
        "algorithm": _ALGORITHM,
        "arguments": copy.deepcopy(arguments),
        "frame_columns": _relevant_columns(arguments),
        "frame_sha256": design.frame_sha256,
        "result_sha256": sha256_of_frame(result, [id_col, *design.arm_columns]),
        "n_units": len(design.ids),
        "n_clusters": design.n_groups if cluster is not None else None,
        "n_draws": n_draws,
        "criterion_value": None if np.isnan(crit) else crit,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    return Assignment(result, MappingProxyType(manifest), design)
