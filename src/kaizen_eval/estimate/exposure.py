r"""Exposure mappings (Aronow & Samii 2017): each firm's exposure and its probabilities.

A firm's *exposure* combines its own assignment ``z_i`` with the number of treated firms among
its neighbours (:mod:`kaizen_eval.estimate.exposure_graph`: within a radius, or a declared
network). The four conditions of the paper's example are ``none`` (``z_i = 0``, no treated
neighbour), ``indirect`` (``z_i = 0``, at least one), ``direct`` (``z_i = 1``, none) and
``direct+indirect`` (``z_i = 1``, at least one).

The probability ``π_i(k)`` that firm ``i`` is in condition ``k``, and the joint ``π_ij(k, l)``,
are averages over assignments drawn exactly as the trial's was (``Assignment.redraw_many``:
strata, clusters, both stages); with the full list of equally likely assignments (pass them as
an array) the averages are the exact probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, check_binary, check_count, check_seed
from kaizen_eval.estimate._docs_exposure import DOCS
from kaizen_eval.estimate.exposure_graph import NeighbourGraph, edge_graph, radius_graph

#: The exposure conditions, in code order: ``2·z_i + 1[a treated neighbour]``.
CONDITIONS: tuple[str, ...] = ("none", "indirect", "direct", "direct+indirect")
_CHUNK = 1_000


@dataclass(frozen=True, eq=False)
class Neighbours:
    """Who is whose neighbour: firms within ``radius_km`` of coordinates, or a declared network."""

    id_col: str
    lat: str | None = None
    lon: str | None = None
    radius_km: float = 1.0
    edges: pd.DataFrame | None = None
    directed: bool = False

    def graph(self, df: pd.DataFrame) -> NeighbourGraph:
        """Build the neighbour graph of ``df``'s firms (from ``edges``, else the coordinates)."""
        if self.edges is not None:
            if self.lat is not None or self.lon is not None:
                raise KaizenError("give either coordinates (`lat`, `lon`) or `edges`, not both.")
            return edge_graph(df, id_col=self.id_col, edges=self.edges, directed=self.directed)
        if self.lat is None or self.lon is None:
            raise KaizenError("an exposure needs coordinates (`lat` and `lon`) or an `edges` list.")
        return radius_graph(
            df, id_col=self.id_col, lat=self.lat, lon=self.lon, radius_km=self.radius_km
        )


def _treatment(df: pd.DataFrame, treatment: str) -> np.ndarray:
    if treatment not in df.columns:
        raise KaizenError(f"treatment column {treatment!r} is not in the data.")
    v = df[treatment].to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(v).any():
        raise KaizenError(f"treatment {treatment!r} is missing for {int(np.isnan(v).sum())} firms.")
    check_binary(v, treatment, "treatment", where="exposure")
    return v


@dataclass(frozen=True, eq=False)
class ExposureMapping:
    """An exposure mapping: whose assignment counts, and who is whose neighbour.

    The public functions (:func:`exposure`, :func:`exposure_probabilities`,
    :func:`~kaizen_eval.estimate.exposure_ht.exposure_effects`) build it once from their
    arguments and pass it along, so that the neighbour graph, the observed conditions and the
    probabilities of each condition are read from one spec (and the graph is built once).
    """

    treatment: str
    neighbours: Neighbours

    def observed(self, df: pd.DataFrame) -> tuple[NeighbourGraph, np.ndarray]:
        """Return the neighbour graph of ``df``'s firms and their observed 0/1 assignment."""
        return self.neighbours.graph(df), _treatment(df, self.treatment)

    def conditions(self, graph: NeighbourGraph, z: np.ndarray) -> pd.DataFrame:
        """Return the table of :func:`exposure` for the assignment ``z`` (N,)."""
        n_nb = graph.n_neighbours
        n_tr = np.rint(graph.adjacency @ z).astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(n_nb > 0, n_tr / np.maximum(n_nb, 1), np.nan)
        codes = 2 * z.astype(np.int64) + (n_tr > 0)
        return pd.DataFrame(
            {
                self.neighbours.id_col: graph.ids,
                "n_neighbours": n_nb,
                "n_treated": n_tr,
                "share_treated": share,
                "condition": np.asarray(CONDITIONS, dtype=object)[codes],
            }
        )

    def probabilities(
        self, graph: NeighbourGraph, z_obs: np.ndarray, assignment: Any, draws: int, seed: Any
    ) -> ExposureProbabilities:
        """Return the result of :func:`exposure_probabilities` for the observed ``z_obs``."""
        z, exact = _draws_from(assignment, self.treatment, graph.ids, z_obs, draws, seed)
        codes = condition_codes(z, graph)
        probs = np.column_stack([(codes == k).mean(axis=0) for k in range(len(CONDITIONS))])
        never = [CONDITIONS[k] for k in range(len(CONDITIONS)) if not probs[:, k].any()]
        if never:
            raise KaizenError(
                f"exposure condition(s) {never} are reached by no firm in any of the {len(z)} "
                "assignments; use other conditions (a larger radius, another design)."
            )
        codes.flags.writeable = False
        probs.flags.writeable = False
        return ExposureProbabilities(graph.ids, codes, probs, len(z), exact)


@fill_doc(DOCS)
def exposure(
    df: pd.DataFrame,
    *,
    id_col: str,
    treatment: str,
    lat: str | None = None,
    lon: str | None = None,
    radius_km: float = 1.0,
    edges: pd.DataFrame | None = None,
    directed: bool = False,
) -> pd.DataFrame:
    """Count each firm's treated neighbours (within a radius, or in a declared network).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm.
    %(param_exposure_mapping)s

    Returns
    -------
    pandas.DataFrame
        One row per firm, in ``df``'s order: the id, ``n_neighbours``, ``n_treated`` (treated
        neighbours, the firm itself excluded), ``share_treated`` (``n_treated / n_neighbours``;
        NaN without neighbours) and ``condition`` (one of ``CONDITIONS``).

    Raises
    ------
    KaizenError
        Missing or out-of-range coordinates, duplicate ids, a treatment not coded 0/1, edges
        naming unknown firms, both or neither of coordinates and edges.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": [1, 2, 3], "lat": [0.0, 0.0, 0.0],
    ...                    "lon": [0.0, 0.005, 0.1], "invited": [1, 0, 0]})
    >>> e = exposure(df, id_col="firm_id", lat="lat", lon="lon", treatment="invited")
    >>> e["n_treated"].tolist(), e["condition"].tolist()
    ([0, 1, 0], ['direct', 'indirect', 'none'])
    """
    mapping = ExposureMapping(treatment, Neighbours(id_col, lat, lon, radius_km, edges, directed))
    return mapping.conditions(*mapping.observed(df))


def condition_codes(z: np.ndarray, graph: NeighbourGraph) -> np.ndarray:
    """Exposure codes of many assignments: ``z`` (R, N) 0/1 -> int8 codes (R, N)."""
    z = np.asarray(z)
    out = np.empty(z.shape, dtype=np.int8)
    adj_t = graph.adjacency.T.tocsr()
    for start in range(0, z.shape[0], _CHUNK):
        block = z[start : start + _CHUNK].astype(np.float32)
        exposed = np.asarray(block @ adj_t) > 0  # (r, N): a treated neighbour
        out[start : start + _CHUNK] = 2 * (block > 0) + exposed
    return out


@dataclass(frozen=True, eq=False)
class ExposureProbabilities:
    """Probabilities of each exposure condition, from re-drawn (or listed) assignments.

    Attributes
    ----------
    ids : numpy.ndarray, shape (N,)
        Firm ids (the rows of the frame passed).
    codes : numpy.ndarray of int8, shape (R, N)
        The condition code of every firm in every assignment (read-only).
    probabilities : numpy.ndarray, shape (N, 4)
        ``π_i(k)``, columns in the order of ``CONDITIONS``.
    draws : int
        ``R``, the number of assignments averaged over.
    exact : bool
        Whether the assignments were the full list of equally likely ones (so the
        probabilities are exact), rather than random re-draws.
    """

    ids: np.ndarray
    codes: np.ndarray
    probabilities: np.ndarray
    draws: int
    exact: bool

    def table(self, id_col: str = "id") -> pd.DataFrame:
        """One row per firm: the id and ``π_i(k)`` of each condition (zeros are kept)."""
        data: dict[str, Any] = {id_col: self.ids}
        for k, name in enumerate(CONDITIONS):
            data[name] = self.probabilities[:, k]
        return pd.DataFrame(data)

    def unreachable(self, id_col: str = "id") -> pd.DataFrame:
        """Firms with probability zero of some condition: one row per (firm, condition)."""
        i, k = np.nonzero(self.probabilities == 0)
        return pd.DataFrame(
            {id_col: self.ids[i], "condition": np.asarray(CONDITIONS, dtype=object)[k]}
        )

    def joint(self, k: int, m: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Return ``π_ij(k, m)`` for the firms ``rows`` (default all): shape (n, n)."""
        return self.joints(rows, pairs=[(k, m)])[(k, m)]

    def joints(
        self, rows: np.ndarray | None = None, pairs: list[tuple[int, int]] | None = None
    ) -> dict[tuple[int, int], np.ndarray]:
        """Return ``{(k, m): π_ij(k, m)}`` for ``pairs`` (default every ``k ≤ m``), (n, n) each.

        Each condition's indicator matrix is built once; the counts are products of 0/1
        matrices in float32, exact while the number of draws is below 2**24.
        """
        c = self.codes if rows is None else self.codes[:, rows]
        kk = len(CONDITIONS)
        if pairs is None:
            pairs = [(k, m) for k in range(kk) for m in range(k, kk)]
        dtype = np.float32 if self.draws < 2**24 else np.float64
        ind = {k: (c == k).astype(dtype) for k in sorted({k for pair in pairs for k in pair})}
        return {(k, m): (ind[k].T @ ind[m]).astype(np.float64) / self.draws for k, m in pairs}


def _draws_from(
    assignment: Any, treatment: str, ids: np.ndarray, observed: np.ndarray, n: int, seed: Any
) -> tuple[np.ndarray, bool]:
    """Return assignments (R, N) in ``ids`` order: re-drawn, or given as an array."""
    if isinstance(assignment, np.ndarray):
        z = np.asarray(assignment)
        if z.ndim != 2 or z.shape[1] != len(ids):
            raise KaizenError(
                f"`assignment` as an array must have shape (R, {len(ids)}) (one row per "
                f"equally likely assignment, columns in the data's rows); it has {z.shape}."
            )
        if not np.isin(z, (0, 1)).all():
            raise KaizenError("`assignment` as an array must hold 0/1 assignments.")
        return z.astype(np.int8), True
    if not hasattr(assignment, "redraw_many") or not hasattr(assignment, "frame"):
        raise KaizenError(
            "`assignment` must be a kaizen_eval.Assignment (from ke.assign) or an array of "
            f"assignments; got {type(assignment).__name__}."
        )
    n = check_count("draws", n)
    seed = check_seed("seed", seed)
    frame = assignment.frame
    id_col = assignment.id_col
    if treatment not in frame.columns:
        raise KaizenError(f"the assignment has no arm {treatment!r} (it has {list(frame)[1:]}).")
    pos = pd.Series(np.arange(len(frame)), index=frame[id_col].astype(str).to_numpy())
    keys = pd.Index(pd.Series(ids).astype(str))
    unknown = ~keys.isin(pos.index)
    if unknown.any():
        raise KaizenError(
            f"{int(unknown.sum())} firm(s) are not in the assignment (e.g. {ids[unknown][0]!r})."
        )
    cols = pos.loc[keys].to_numpy()
    recorded = frame[treatment].to_numpy()[cols]
    if not np.array_equal(recorded, observed):
        bad = int(np.sum(recorded != observed))
        raise KaizenError(
            f"treatment {treatment!r} differs from the assignment for {bad} firm(s); the "
            "probabilities must come from the design that produced the data."
        )
    return assignment.redraw_many(n, seed)[treatment][:, cols].astype(np.int8), False


@fill_doc(DOCS)
def exposure_probabilities(
    df: pd.DataFrame,
    assignment: Any,
    *,
    id_col: str,
    treatment: str,
    lat: str | None = None,
    lon: str | None = None,
    radius_km: float = 1.0,
    edges: pd.DataFrame | None = None,
    directed: bool = False,
    draws: int = 10_000,
    seed: int | np.random.Generator = 0,
) -> ExposureProbabilities:
    """Probability of each exposure condition for each firm, by re-drawing the assignment.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm (ids, assignment, coordinates).
    %(param_exposure_assignment)s
    %(param_exposure_mapping)s
    %(param_exposure_draws)s

    Returns
    -------
    ExposureProbabilities
        ``probabilities`` (N, 4), ``table()``, ``unreachable()`` (firms with a zero
        probability are reported, not dropped), ``joint(k, l)``.

    Raises
    ------
    KaizenError
        As :func:`exposure`; an assignment that does not match the data; a condition that no
        firm reaches in any draw.

    Examples
    --------
    >>> import numpy as np, pandas as pd, kaizen_eval as ke
    >>> df = pd.DataFrame({"firm_id": range(6), "lat": 0.0, "lon": np.arange(6) * 0.005})
    >>> asg = ke.assign(df, arms={"invited": 0.5}, seed=1)
    >>> df = df.merge(asg.frame, on="firm_id")
    >>> p = exposure_probabilities(df, asg, id_col="firm_id", treatment="invited",
    ...                            lat="lat", lon="lon", draws=2_000)
    >>> p.draws, p.probabilities.shape, bool(np.allclose(p.probabilities.sum(axis=1), 1))
    (2000, (6, 4), True)
    """
    mapping = ExposureMapping(treatment, Neighbours(id_col, lat, lon, radius_km, edges, directed))
    return mapping.probabilities(*mapping.observed(df), assignment, draws, seed)
