"""Who is near whom: the neighbour graph behind an exposure mapping (Aronow & Samii 2017).

Geography: two firms are neighbours when their great-circle (haversine) distance is at most
``radius_km`` on a sphere of radius 6,371.0088 km (the IUGG mean Earth radius), found with
scikit-learn's ``BallTree(metric="haversine")`` (``query_radius``; no Python loop over pairs).
A network: a declared edge list (who buys from, or talks to, whom), undirected unless
``directed=True`` (then a firm's neighbours are the firms it names). A firm is never its own
neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kaizen_eval._validation import KaizenError, require_columns

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, eq=False)
class NeighbourGraph:
    """Neighbours of each firm; rows and columns follow ``ids`` (the input frame's rows).

    Attributes
    ----------
    ids : numpy.ndarray, shape (N,)
        The firm ids, in the rows of the input frame.
    adjacency : scipy.sparse.csr_matrix, shape (N, N)
        ``A[i, j] = 1`` when ``j`` is a neighbour of ``i`` (diagonal zero).
    source : str
        ``"radius <r> km"`` or ``"edge list"``.
    """

    ids: np.ndarray
    adjacency: sp.csr_matrix
    source: str

    @property
    def n_neighbours(self) -> np.ndarray:
        """Number of neighbours of each firm, shape (N,)."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel().astype(np.int64)


def _ids(df: pd.DataFrame, id_col: str) -> np.ndarray:
    require_columns(df, [id_col], where="the exposure frame")
    ids = df[id_col]
    if ids.isna().any():
        raise KaizenError(f"`{id_col}` is missing in {int(ids.isna().sum())} row(s).")
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise KaizenError(f"`{id_col}` has duplicate ids (e.g. {dup!r}); one row per firm.")
    return ids.to_numpy()


def _coordinates(df: pd.DataFrame, lat: str, lon: str, ids: np.ndarray) -> np.ndarray:
    """Latitude and longitude in radians, shape (N, 2); missing or out-of-range ones refused."""
    require_columns(df, [lat, lon], where="the exposure frame")
    out = []
    for col, bound in ((lat, 90.0), (lon, 180.0)):
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise KaizenError(f"coordinate `{col}` must be numeric (degrees); it is {s.dtype}.")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        miss = ~np.isfinite(v)
        if miss.any():
            raise KaizenError(
                f"coordinate `{col}` is missing for {int(miss.sum())} firm(s) (e.g. "
                f"{ids[miss][0]!r}); every firm needs a location."
            )
        bad = np.abs(v) > bound
        if bad.any():
            raise KaizenError(
                f"coordinate `{col}` must be in [-{bound:g}, {bound:g}] degrees; "
                f"{int(bad.sum())} firm(s) are not (e.g. {ids[bad][0]!r}: {v[bad][0]:g})."
            )
        out.append(np.radians(v))
    return np.column_stack(out)


def radius_graph(
    df: pd.DataFrame, *, id_col: str, lat: str, lon: str, radius_km: float
) -> NeighbourGraph:
    """Neighbours within ``radius_km`` (great-circle distance), by a haversine BallTree."""
    from sklearn.neighbors import BallTree

    if (
        isinstance(radius_km, bool)
        or not isinstance(radius_km, int | float | np.integer | np.floating)
        or not np.isfinite(radius_km)
        or radius_km <= 0
    ):
        raise KaizenError(f"`radius_km` must be a number > 0. You passed: {radius_km!r}.")
    ids = _ids(df, id_col)
    xy = _coordinates(df, lat, lon, ids)
    tree = BallTree(xy, metric="haversine")
    found = tree.query_radius(xy, r=float(radius_km) / EARTH_RADIUS_KM)
    lengths = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
    rows = np.repeat(np.arange(len(ids)), lengths)
    cols = np.concatenate(found) if len(found) else np.empty(0, np.int64)
    keep = rows != cols
    n = len(ids)
    adj = sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(n, n))
    return NeighbourGraph(ids=ids, adjacency=adj, source=f"radius {radius_km:g} km")


def edge_graph(
    df: pd.DataFrame, *, id_col: str, edges: pd.DataFrame, directed: bool = False
) -> NeighbourGraph:
    """Neighbours from an edge list: its first two columns name the two firms of each edge."""
    ids = _ids(df, id_col)
    if not isinstance(edges, pd.DataFrame) or edges.shape[1] < 2:
        raise KaizenError("`edges` must be a DataFrame whose first two columns are firm ids.")
    a, b = edges.columns[:2]
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    for col in (a, b):
        unknown = ~edges[col].isin(pos.index)
        if unknown.any():
            raise KaizenError(
                f"`edges`: {int(unknown.sum())} edge(s) name firm(s) in column {col!r} that are "
                f"not in `{id_col}` (e.g. {edges[col][unknown].iloc[0]!r})."
            )
    i = pos.loc[edges[a]].to_numpy()
    j = pos.loc[edges[b]].to_numpy()
    if not directed:
        i, j = np.concatenate([i, j]), np.concatenate([j, i])
    keep = i != j
    n = len(ids)
    adj = sp.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    adj.data[:] = 1.0  # an edge listed twice is one neighbour
    return NeighbourGraph(ids=ids, adjacency=adj, source="edge list")
