"""The design of an assignment: everything needed to draw it, derived from frame and arguments.

:class:`Design` is internal to the design stage: :class:`kaizen_eval.Assignment` holds one, and
re-draws through it (``draw_one`` as :func:`kaizen_eval.assign` draws, ``draw_many`` for
randomization inference).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_seed, require_columns
from kaizen_eval.design._canonical import canonical_column, sha256_of_frame
from kaizen_eval.design._draw import Shares, balance_statistic, draw_blocked, exact_shares

#: Number of candidate draws made at once while re-randomizing (part of the algorithm: changing
#: it changes which draw is accepted for a given seed).
RERANDOMIZE_BATCH = 64
#: Largest number of unit-draws held in memory at once by ``Design.draw_many``.
_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class Design:
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


def relevant_columns(arguments: Mapping[str, Any]) -> list[str]:
    cols = [arguments["id_col"], *arguments["strata"]]
    if arguments["cluster"] is not None:
        cols.append(arguments["cluster"])
    if arguments["stage2"] is not None:
        cols.extend(arguments["stage2"]["strata"])
    if arguments["rerandomize"] is not None:
        cols.extend(arguments["rerandomize"]["covariates"])
    return list(dict.fromkeys(cols))


def name_some(values: Sequence[Any], k: int = 10) -> str:
    vals = [str(v) for v in values]
    return ", ".join(vals[:k]) + (f" ... ({len(vals)} in all)" if len(vals) > k else "")


def _codes(texts: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Codes of the combined text key of ``texts``'s columns, ordered by that key."""
    if texts.shape[1] == 0:
        return np.zeros(len(texts), dtype=np.int64), 1
    key = [json.dumps(list(row)) for row in texts.itertuples(index=False, name=None)]
    codes, uniques = pd.factorize(pd.Series(key, dtype=object), sort=True)
    return codes.astype(np.int64), len(uniques)


def _check_arm_names(arguments: Mapping[str, Any], cols: list[str]) -> None:
    """Refuse arm names that repeat each other or name a column of the design."""
    arm_names = list(arguments["arms"]) + (
        list(arguments["stage2"]["arms"]) if arguments["stage2"] is not None else []
    )
    clash = [a for a in arm_names if a in cols]
    if clash:
        raise KaizenError(f"arm name(s) {clash} are also used as id/strata/cluster/covariates.")
    if len(set(arm_names)) != len(arm_names):
        raise KaizenError(f"arm names must be distinct across stages: {arm_names}.")


def _canonical_table(
    frame: pd.DataFrame, id_col: str, cols: list[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame]:
    """Return the design's columns sorted by canonical id, the ids, their text and all texts."""
    ids_text = pd.Series(canonical_column(frame[id_col]), index=frame.index, dtype=object)
    missing = ids_text.isna()
    if missing.any():
        raise KaizenError(
            f"`{id_col}` is missing in {int(missing.sum())} row(s) (index "
            f"{name_some(frame.index[missing.to_numpy()].tolist())}); every unit needs an id."
        )
    dup = ids_text.duplicated(keep=False)
    if dup.any():
        raise KaizenError(
            f"`{id_col}` has duplicate ids: {name_some(sorted(set(ids_text[dup])))}; "
            "assignment needs one row per unit."
        )
    order = np.argsort(ids_text.to_numpy(dtype=str), kind="stable")
    table = frame.loc[frame.index[order], cols].reset_index(drop=True)
    ids = table[id_col].to_numpy(dtype=object)
    id_text = np.asarray(canonical_column(table[id_col]), dtype=object)
    texts = pd.DataFrame({c: canonical_column(table[c]) for c in cols}, dtype=object)
    return table, ids, id_text, texts


def _check_complete(
    texts: pd.DataFrame, id_text: np.ndarray, columns: Sequence[str], what: str
) -> None:
    """Refuse a strata or cluster column that is missing for some unit (naming the units)."""
    for c in columns:
        bad = texts[c].isna().to_numpy()
        if bad.any():
            raise KaizenError(
                f"{what} column `{c}` is missing for {int(bad.sum())} unit(s): "
                f"{name_some(id_text[bad].tolist())}."
            )


def _assignment_groups(
    texts: pd.DataFrame,
    id_text: np.ndarray,
    cluster: str | None,
    strata_sets: tuple[tuple[list[str], str], ...],
) -> tuple[np.ndarray, int, np.ndarray]:
    """Return each unit's group (itself or its cluster), the number of groups, their first units.

    Whole clusters are assigned, so every set of strata must be constant within a cluster.
    """
    if cluster is None:
        unit_group = np.arange(len(texts), dtype=np.int64)
        return unit_group, len(texts), unit_group
    _check_complete(texts, id_text, [cluster], "cluster")
    unit_group, n_groups = _codes(texts[[cluster]])
    # one row per cluster: the first unit of each cluster in canonical order
    first = np.unique(unit_group, return_index=True)[1]
    for cols_, what in strata_sets:
        if not cols_:
            continue
        per_cluster = texts[[cluster, *cols_]].drop_duplicates()
        spans = per_cluster[cluster][per_cluster[cluster].duplicated()].unique()
        if len(spans):
            c0 = spans[0]
            found = per_cluster.loc[per_cluster[cluster] == c0, cols_].to_numpy().tolist()
            raise KaizenError(
                f"cluster(s) {name_some(list(spans))} span several {what}: cluster "
                f"{c0!r} is in {found}. Whole clusters are assigned, so {what} must be "
                "constant within a cluster."
            )
    return unit_group, n_groups, first


def _stage2_fields(
    stage2: Mapping[str, Any], texts: pd.DataFrame, arms1: tuple[str, ...], first: np.ndarray
) -> dict[str, Any]:
    """Return the second stage's arms, exact shares, strata (per group) and eligible arms."""
    s2_unit, n_s2 = _codes(texts[list(stage2["strata"])])
    among = None
    if stage2["among"] is not None:
        unknown = [a for a in stage2["among"] if a not in arms1]
        if unknown:
            raise KaizenError(
                f"`stage2.among` names {unknown}, which are not first-stage arms ({list(arms1)})."
            )
        among = tuple(arms1.index(a) + 1 for a in stage2["among"])
    return {
        "arms2": tuple(stage2["arms"]),
        "shares2": exact_shares(list(stage2["arms"].values())),
        "strata2": s2_unit[first],
        "n_strata2": n_s2,
        "among": among,
    }


def _rerandomization_fields(
    rr: Mapping[str, Any], table: pd.DataFrame, id_text: np.ndarray
) -> dict[str, Any]:
    """Return the re-randomization covariates (complete, numeric), their inverse covariance."""
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
            f"{name_some(id_text[bad].tolist())}."
        )
    s = np.atleast_2d(np.cov(x, rowvar=False))
    return {
        "x": x,
        "s_inv": np.linalg.pinv(s),
        "criterion": rr["criterion"],
        "bound": float(rr["bound"]),
        "max_draws": int(rr["max_draws"]),
    }


def _checked_columns(frame: pd.DataFrame, arguments: Mapping[str, Any]) -> list[str]:
    """Return the columns the design reads, checked: present, rows to assign, arm names free."""
    cols = relevant_columns(arguments)
    require_columns(frame, cols, where="the assignment frame")
    if frame.shape[0] == 0:
        raise KaizenError("the assignment frame has no rows.")
    _check_arm_names(arguments, cols)
    return cols


def _group_fields(
    arguments: Mapping[str, Any],
    table: pd.DataFrame,
    ids: np.ndarray,
    cols: list[str],
    unit_group: np.ndarray,
    n_groups: int,
    first: np.ndarray,
    strata: pd.DataFrame,
) -> dict[str, Any]:
    """Return the fields every design has: its arguments, frame, groups and first-stage blocks."""
    block_unit, n_blocks1 = _codes(strata)
    return {
        "arguments": MappingProxyType(copy.deepcopy(dict(arguments))),
        "ids": ids,
        "table": table,
        "frame_sha256": sha256_of_frame(table, cols),
        "unit_group": unit_group,
        "n_groups": n_groups,
        "block1": block_unit[first],
        "n_blocks1": n_blocks1,
    }


def build_design(frame: pd.DataFrame, arguments: Mapping[str, Any]) -> Design:
    """Validate ``frame`` for ``arguments`` and derive the design (no randomness)."""
    id_col = arguments["id_col"]
    cols = _checked_columns(frame, arguments)
    table, ids, id_text, texts = _canonical_table(frame, id_col, cols)
    strata = list(arguments["strata"])
    _check_complete(texts, id_text, strata, "strata")
    stage2 = arguments["stage2"]
    strata2 = list(stage2["strata"]) if stage2 is not None else []
    _check_complete(texts, id_text, strata2, "stage2 strata")
    unit_group, n_groups, first = _assignment_groups(
        texts, id_text, arguments["cluster"], ((strata, "strata"), (strata2, "stage2 strata"))
    )
    arms1 = tuple(arguments["arms"])
    kwargs: dict[str, Any] = {}
    if stage2 is not None:
        kwargs.update(_stage2_fields(stage2, texts, arms1, first))
    if arguments["rerandomize"] is not None:
        kwargs.update(_rerandomization_fields(arguments["rerandomize"], table, id_text))
    return Design(
        **_group_fields(arguments, table, ids, cols, unit_group, n_groups, first, texts[strata]),
        arms1=arms1,
        shares1=exact_shares(list(arguments["arms"].values())),
        **kwargs,
    )


def rng_from(
    seed: int | np.random.Generator | np.random.SeedSequence,
) -> tuple[np.random.Generator, dict[str, Any]]:
    """Return a generator and what the manifest must record to recreate it."""
    seed = check_seed("seed", seed)
    if isinstance(seed, np.random.SeedSequence):
        seed = np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        state = seed.bit_generator.state
        return seed, {"seed": None, "rng_state": copy.deepcopy(state)}
    return np.random.default_rng(int(seed)), {"seed": int(seed), "rng_state": None}


def rng_from_manifest(manifest: Mapping[str, Any]) -> np.random.Generator:
    if manifest.get("seed") is not None:
        return np.random.default_rng(int(manifest["seed"]))
    state = manifest["rng_state"]
    bitgen = getattr(np.random, state["bit_generator"])()
    bitgen.state = copy.deepcopy(state)
    return np.random.Generator(bitgen)


def as_rng(rng: int | np.random.Generator) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return rng_from(rng)[0]
