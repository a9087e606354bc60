r"""Randomized saturation designs (Baird, Bohren, McIntosh & Özler 2018): two-stage assignment.

Stage 1 gives every cluster a *saturation* ``s`` (the share of its firms to invite), by complete
randomization of clusters within strata with the declared shares of the saturation levels (equal
shares by default). Stage 2 invites, within every cluster of saturation ``s`` and ``m`` firms,
``floor(m·s)`` firms plus one more with probability ``m·s - floor(m·s)`` (the leftover rule of
:mod:`kaizen_eval.design._draw`, which is reused for both stages): every firm of such a cluster
is invited with probability exactly ``s``.

:class:`SaturationDesign` is the :class:`~kaizen_eval.design._design.Design` of such an
assignment: :func:`kaizen_eval.assign` builds it when ``saturation=`` is given, and
:class:`kaizen_eval.Assignment` re-draws both stages through it (randomization inference,
exposure probabilities), writes, reads and verifies it like any other design.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.design._design import (
    Design,
    _assignment_groups,
    _canonical_table,
    _check_complete,
    _checked_columns,
    _group_fields,
    build_design,
    name_some,
)
from kaizen_eval.design._draw import Shares, draw_blocked, exact_shares

#: Name of the column holding each firm's cluster saturation in ``Assignment.frame``.
SATURATION_COLUMN = "saturation"


def check_saturation(saturation: Any) -> dict[str, list[float]]:
    """Validate ``saturation=`` of :func:`kaizen_eval.assign`; return its manifest form.

    ``saturation`` is a sequence of distinct levels in ``[0, 1]`` (equal shares of clusters), or a
    mapping level → share of clusters (floats summing to 1) or level → number of clusters
    (integers; turned into shares of the total, which are exact counts without strata).

    Examples
    --------
    >>> check_saturation([0, 0.5])
    {'levels': [0.0, 0.5], 'shares': [0.5, 0.5]}
    >>> check_saturation({0: 10, 1 / 3: 20})["shares"]
    [0.3333333333333333, 0.6666666666666666]
    """
    if isinstance(saturation, Mapping):
        levels_raw, weights = list(saturation.keys()), list(saturation.values())
    elif isinstance(saturation, Sequence) and not isinstance(saturation, str):
        levels_raw, weights = list(saturation), None
    else:
        raise KaizenError(
            "`saturation` must be a list of saturation levels (e.g. [0, 0.25, 0.5]) or a dict "
            f"level -> share (or number) of clusters. You passed: {saturation!r}."
        )
    if len(levels_raw) < 2:
        raise KaizenError(
            f"`saturation` needs at least two levels (e.g. [0, 0.5]). You passed: {saturation!r}."
        )
    levels: list[float] = []
    for s in levels_raw:
        if isinstance(s, bool) or not isinstance(s, int | float | np.integer | np.floating):
            raise KaizenError(f"`saturation`: level {s!r} is not a number.")
        if not (math.isfinite(float(s)) and 0.0 <= float(s) <= 1.0):
            raise KaizenError(f"`saturation`: level {s!r} is outside [0, 1].")
        levels.append(float(s))
    if len(set(levels)) != len(levels):
        raise KaizenError(f"`saturation` levels must be distinct: {levels}.")
    if weights is None:
        shares = [1.0 / len(levels)] * len(levels)
    else:
        shares = _shares_from(weights)
    order = np.argsort(levels, kind="stable")
    return {
        "levels": [levels[i] for i in order],
        "shares": [shares[i] for i in order],
    }


def _shares_from(weights: list[Any]) -> list[float]:
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, int | float | np.integer | np.floating):
            raise KaizenError(f"`saturation`: share or count {w!r} is not a number.")
        if not (math.isfinite(float(w)) and float(w) > 0):
            raise KaizenError(f"`saturation`: share or count {w!r} must be > 0.")
    if all(isinstance(w, int | np.integer) for w in weights):
        total = int(sum(int(w) for w in weights))
        return [int(w) / total for w in weights]
    total = float(sum(float(w) for w in weights))
    if abs(total - 1.0) > 1e-9:
        raise KaizenError(
            f"`saturation`: the shares of clusters sum to {total!r}, not 1 (give integers to "
            "declare numbers of clusters)."
        )
    return [float(w) for w in weights]


@dataclass(frozen=True)
class SaturationDesign(Design):
    """A two-stage saturation design; first-stage codes are saturation levels per unit.

    ``draw_raw`` returns ``(level, invited)``: the index (into ``levels``) of each unit's cluster
    saturation, and its 0/1 invitation, both of shape ``(n, N)``.
    """

    levels: tuple[float, ...] = ()
    level_shares: tuple[Shares, ...] = ()
    arm: str = "invited"

    @property
    def arm_columns(self) -> tuple[str, ...]:
        """The arm and the ``saturation`` column."""
        return (self.arm, SATURATION_COLUMN)

    def draw_raw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` draws of both stages: level codes and invitations, shape (n, N) each."""
        m = self.n_groups
        g1 = draw_blocked(rng, np.broadcast_to(self.block1, (n, m)), self.n_blocks1, self.shares1)
        level = g1[:, self.unit_group]
        invited = np.zeros(level.shape, dtype=np.int8)
        cluster_block = self.unit_group[None, :]
        for code, shares in enumerate(self.level_shares):
            if shares.numer[1] == 0:
                continue  # saturation 0: nobody invited, no randomness used
            blocks = np.where(level == code, cluster_block, -1)
            invited |= (draw_blocked(rng, blocks, m, shares) == 1).astype(np.int8)
        return level, invited

    def to_frame(self, c1: np.ndarray, c2: np.ndarray | None) -> pd.DataFrame:
        """Build the id, 0/1 arm and float saturation columns of one draw."""
        id_col = self.arguments["id_col"]
        return pd.DataFrame(
            {
                id_col: self.table[id_col].to_numpy(),
                self.arm: np.asarray(c2, dtype=np.int64),
                SATURATION_COLUMN: np.asarray(self.levels, dtype=float)[c1],
            }
        )

    def arrays(self, c1: np.ndarray, c2: np.ndarray | None) -> dict[str, np.ndarray]:
        """Many draws as arrays: int8 invitations and float saturations, shape (n, N)."""
        return {
            self.arm: np.asarray(c2, dtype=np.int8),
            SATURATION_COLUMN: np.asarray(self.levels, dtype=float)[c1],
        }

    def probabilities(self) -> dict[str, np.ndarray]:
        """Exact probabilities: invitation ``Σ_s P(s) s``, and of each level (same for all)."""
        n_units = len(self.ids)
        p_level = self.shares1.probs
        p_inv = float(np.dot(p_level, self.levels))
        out = {self.arm: np.full(n_units, p_inv)}
        for s, p in zip(self.levels, p_level, strict=True):
            out[f"{SATURATION_COLUMN}={s:g}"] = np.full(n_units, float(p))
        return out

    def counts(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Clusters per stratum and saturation, with their firms and invited firms."""
        strata = list(self.arguments["strata"])
        table = pd.concat([frame, self.table[strata]], axis=1).assign(_cluster=self.unit_group)
        per = table.groupby(["_cluster", *strata, SATURATION_COLUMN], sort=True)[self.arm]
        per = per.agg(firms="size", invited="sum").reset_index()
        out = per.groupby([*strata, SATURATION_COLUMN], sort=True).agg(
            count=("_cluster", "size"), firms=("firms", "sum"), invited=("invited", "sum")
        )
        return out.reset_index()


def build_saturation_design(frame: pd.DataFrame, arguments: Mapping[str, Any]) -> Design:
    """Validate ``frame`` for a saturation design and derive it (no randomness)."""
    id_col = arguments["id_col"]
    cluster = arguments["cluster"]
    sat = arguments["saturation"]
    if cluster is None:
        raise KaizenError(
            "a saturation design assigns saturations to clusters: name the `cluster` column."
        )
    cols = _checked_columns(frame, arguments)
    if SATURATION_COLUMN in [*cols, *arguments["arms"]]:
        raise KaizenError(
            f"a saturation design writes a {SATURATION_COLUMN!r} column; rename the column or "
            f"arm {SATURATION_COLUMN!r} of the design."
        )
    table, ids, id_text, texts = _canonical_table(frame, id_col, cols)
    strata = list(arguments["strata"])
    _check_complete(texts, id_text, strata, "strata")
    unit_group, n_groups, first = _assignment_groups(texts, id_text, cluster, ((strata, "strata"),))
    sizes = np.bincount(unit_group, minlength=n_groups)
    _check_cluster_sizes(sizes, texts[cluster].to_numpy()[first], sat["levels"])
    levels = tuple(float(s) for s in sat["levels"])
    return SaturationDesign(
        **_group_fields(arguments, table, ids, cols, unit_group, n_groups, first, texts[strata]),
        arms1=(),
        shares1=exact_shares(list(sat["shares"])[1:]),
        levels=levels,
        level_shares=tuple(exact_shares([s]) if s > 0 else exact_shares([0.0]) for s in levels),
        arm=next(iter(arguments["arms"])),
    )


def _check_cluster_sizes(sizes: np.ndarray, names: np.ndarray, levels: Sequence[float]) -> None:
    """Refuse clusters too small to have an invited and an uninvited firm at some saturation.

    A cluster of ``m`` firms at saturation ``0 < s < 1`` must invite at least one firm and leave
    at least one out whatever the leftover draw: ``floor(m·s) >= 1`` and ``floor(m·(1-s)) >= 1``.
    """
    inner = [s for s in levels if 0 < s < 1]
    if not inner:
        return
    need = max(max(math.ceil(1 / s - 1e-12), math.ceil(1 / (1 - s) - 1e-12)) for s in inner)
    small = sizes < need
    if small.any():
        worst = min(inner, key=lambda s: min(s, 1 - s))
        raise KaizenError(
            f"cluster(s) {name_some(list(names[small]))} have fewer than {need} firms (the "
            f"smallest has {int(sizes.min())}): at saturation {worst:g} such a cluster may have "
            "no invited or no uninvited firm. Merge small clusters or drop that saturation."
        )


def design_for(frame: pd.DataFrame, arguments: Mapping[str, Any]) -> Design:
    """Build the design of ``arguments``: a saturation design when it declares saturations."""
    if arguments.get("saturation") is not None:
        return build_saturation_design(frame, arguments)
    return build_design(frame, arguments)


def saturation_arguments(
    arms: Mapping[str, Any] | None, saturation: Any, stage2: Any, rerandomize: Any
) -> tuple[dict[str, None], dict[str, list[float]]]:
    """Check the arguments of :func:`kaizen_eval.assign` that a saturation design allows."""
    if stage2 is not None or rerandomize is not None:
        raise KaizenError(
            "`saturation` cannot be combined with `stage2` or `rerandomize`: the saturation "
            "design is itself the two stages."
        )
    if arms is None:
        arms = {"invited": None}
    if not isinstance(arms, Mapping) or len(arms) != 1:
        raise KaizenError(
            "a saturation design has one arm, whose share is set by the saturation: pass "
            f"arms={{'invited': None}}. You passed: {arms!r}."
        )
    ((name, share),) = arms.items()
    if not isinstance(name, str) or not name:
        raise KaizenError(f"`arms`: the arm name must be a non-empty string: {name!r}.")
    if share is not None:
        raise KaizenError(
            f"`arms`: in a saturation design the share of {name!r} is set by the saturation; "
            f"pass arms={{{name!r}: None}}. You passed: {share!r}."
        )
    return {name: None}, check_saturation(saturation)
