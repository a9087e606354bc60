"""Reproducible random assignment: :func:`assign` and the :class:`Assignment` it returns.

An :class:`Assignment` knows how it was drawn (strata, clusters, both stages, re-randomization,
seed), so that it can be verified against the data, written and read back, and re-drawn
exactly the same way by randomization inference (:meth:`Assignment.redraw`,
:meth:`Assignment.redraw_many`). The drawing rule itself is documented in
:mod:`kaizen_eval.design._draw`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._render import copied
from kaizen_eval._validation import (
    KaizenError,
    check_count,
    check_seed,
)
from kaizen_eval.design import _files
from kaizen_eval.design._design import (
    Design,
    as_rng,
    rng_from,
)
from kaizen_eval.design._manifest import ALGORITHM as ALGORITHM
from kaizen_eval.design._manifest import assign_arguments, draw_manifest, pin_created_utc
from kaizen_eval.design._verify import verify_assignment, verify_read
from kaizen_eval.design.saturation import (
    SATURATION_COLUMN,
    SaturationDesign,
    design_for,
)
from kaizen_eval.design.stages import Rerandomize, Stage


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
        ``numpy_version``,
        ``arguments``, ``frame_sha256`` (input frame in canonical form: relevant columns, rows
        sorted by id), ``result_sha256`` (``frame`` in canonical form), ``n_draws`` (draws made
        until re-randomization accepted one; 1 without it), ``criterion_value``, ``n_units``,
        ``n_clusters``, ``algorithm``, ``created_utc`` (a fresh copy on each access).
    """

    _frame: pd.DataFrame
    _manifest: Mapping[str, Any]
    _design: Design = field(repr=False)

    frame = copied("_frame", "Id and assignment columns (a copy).")

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

    @property
    def exact_probabilities(self) -> bool:
        """Whether :meth:`probabilities` is exact (False: re-randomized, estimated by re-draws)."""
        return isinstance(self._design, SaturationDesign) or not self._design.rerandomized

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{a}={int(self._frame[a].sum())}" for a in self.arms if a != SATURATION_COLUMN
        )
        if isinstance(self._design, SaturationDesign):
            counts += f", {self._design.n_groups} clusters at saturations {self._design.levels}"
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
        c1, c2, _, _ = self._design.draw_one(as_rng(rng))
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
        if (
            isinstance(n, bool)
            or not isinstance(n, int | float | np.integer | np.floating)
            or not np.isfinite(n)
            or int(n) != n
            or n < 0
        ):
            raise KaizenError(f"`n` must be a non-negative integer. You passed: {n!r}.")
        c1, c2 = self._design.draw_many(as_rng(seed), int(n))
        if isinstance(self._design, SaturationDesign):
            return self._design.arrays(c1, c2)
        out: dict[str, np.ndarray] = {}
        for j, arm in enumerate(self._design.arms1, start=1):
            out[arm] = (c1 == j).astype(np.int8)
        for j, arm in enumerate(self._design.arms2, start=1):
            out[arm] = (c2 == j).astype(np.int8)
        return out

    def counts(self) -> pd.DataFrame:
        """Count units (clusters, in a clustered design) per stratum and assignment cell.

        Returns
        -------
        pandas.DataFrame
            One row per first-stage stratum (and second-stage stratum) × combination of the arm
            columns, with a ``count`` column.

        Examples
        --------
        >>> import pandas as pd
        >>> f = pd.DataFrame({"firm_id": range(8), "s": ["a"] * 4 + ["b"] * 4})
        >>> assign(f, strata="s", seed=0).counts()["count"].tolist()
        [2, 2, 2, 2]
        """
        d = self._design
        if isinstance(d, SaturationDesign):
            return d.counts(self._frame)
        args = d.arguments
        strata = list(args["strata"])
        if args["stage2"] is not None:
            strata += [c for c in args["stage2"]["strata"] if c not in strata]
        table = pd.concat([self._frame, d.table[strata]], axis=1)
        if args["cluster"] is not None:
            table = table.assign(_cluster=d.unit_group).drop_duplicates("_cluster")
        keys = [*strata, *self.arms]
        return table.groupby(keys, sort=True).size().rename("count").reset_index()

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
        if isinstance(d, SaturationDesign):
            return pd.DataFrame({**data, **d.probabilities()})
        if d.rerandomized:
            check_count("draws", draws)
            check_seed("seed", seed)
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
        verify_assignment(
            self._frame,
            self._manifest,
            self._design,
            frame,
            seed=seed,
            id_col=self.id_col,
            arms=self.arms,
        )

    def with_created_utc(self, created_utc: str) -> Assignment:
        """Return this assignment with its manifest's ``created_utc`` pinned to ``created_utc``.

        The draw is a function of the seed, but the manifest records when it was made. Pin that
        time stamp (an ISO 8601 string) when the files must regenerate byte for byte, as for a
        bundled data set; nothing else changes (the result, its hashes, the seed).

        Examples
        --------
        >>> import pandas as pd
        >>> asg = assign(pd.DataFrame({"firm_id": range(4)}), seed=0)
        >>> asg.with_created_utc("2026-12-03T00:00:00+00:00").manifest["created_utc"]
        '2026-12-03T00:00:00+00:00'
        """
        manifest = MappingProxyType(pin_created_utc(self._manifest, created_utc))
        return type(self)(self._frame, manifest, self._design)

    # --- files ----------------------------------------------------------------------------
    def write(
        self, path: str | Path, *, force: bool = False, allow_pii: bool | Sequence[str] = False
    ) -> Path:
        """Write the assignment and its design columns to a table, and its manifest beside it.

        The table (``.parquet`` or ``.csv``, written by :func:`kaizen_eval.write_table`, which
        refuses columns that identify people) holds ``frame`` plus the design columns (strata,
        cluster, re-randomization covariates) it was drawn from; the manifest goes to
        ``<name>.manifest.json`` next to it. :meth:`Assignment.read` gives back an assignment
        that can be verified and re-drawn. In a CSV the id, strata and cluster columns are
        stored in their canonical text form (so ``"007"`` stays ``"007"``).

        Parameters
        ----------
        path : str or pathlib.Path
            Destination, ending in ``.parquet`` (recommended) or ``.csv``.
        force : bool
            Overwrite existing files. Default ``False``: an existing table or manifest is an
            error, so a drawn assignment is never silently replaced.
        allow_pii : bool or sequence of str
            Passed to :func:`kaizen_eval.write_table`: design columns that look like personal
            data (e.g. GPS coordinates used for re-randomization) are refused unless allowed.

        Returns
        -------
        pathlib.Path
            The path of the table.

        Raises
        ------
        OutputExistsError
            The table or manifest exists (without ``force``); also when another process
            writes the same path at the same time (the files are written under a lock, each
            by an atomic rename, so the loser never mixes its files with the winner's).
        KaizenError
            The suffix is neither ``.parquet`` nor ``.csv``.
        """
        return _files.write_assignment(
            Path(path),
            self._frame,
            self._design.table,
            self.manifest,
            force=force,
            allow_pii=allow_pii,
        )

    @classmethod
    def read(cls, path: str | Path) -> Assignment:
        """Read an assignment written by :meth:`write`.

        The design columns stored in the file must still hash to the manifest's
        ``frame_sha256``; the result itself is checked by :meth:`verify`.

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> asg = assign(pd.DataFrame({"firm_id": range(8)}), seed=0)
        >>> p = asg.write(pathlib.Path(tempfile.mkdtemp()) / "asg.parquet")
        >>> Assignment.read(p).frame.equals(asg.frame)
        True
        """
        path = Path(path)
        table, manifest = _files.read_assignment(path)
        result, design = verify_read(path, table, manifest)
        return cls(result, MappingProxyType(manifest), design)


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
    saturation: Sequence[float] | Mapping[float, float] | None = None,
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
    saturation : sequence of float or mapping, optional
        A randomized saturation design (Baird et al. 2018; see
        :mod:`kaizen_eval.design.saturation`): each ``cluster`` gets a saturation level
        (equal shares of clusters for a list; a dict gives level -> share, or level -> number
        of clusters), then that share of its firms is invited. ``arms`` must then be
        ``{"invited": None}`` (the default); ``frame`` gains a float ``"saturation"`` column.

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
    arguments = assign_arguments(
        frame,
        id_col=id_col,
        arms=arms,
        strata=strata,
        cluster=cluster,
        stage2=stage2,
        rerandomize=rerandomize,
        saturation=saturation,
    )
    rng, seed_record = rng_from(seed)
    design = design_for(frame, arguments)
    c1, c2, n_draws, crit = design.draw_one(rng)
    result = design.to_frame(c1, c2)
    manifest = draw_manifest(seed_record, arguments, design, result, n_draws, crit)
    return Assignment(result, MappingProxyType(manifest), design)
