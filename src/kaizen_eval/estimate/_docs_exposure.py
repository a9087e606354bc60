"""Docstring fragments shared by the exposure-mapping functions (``exposure*.py``)."""

from __future__ import annotations

DOCS: dict[str, str] = {
    "param_exposure_mapping": """\
id_col : str
    Firm id (unique).
treatment : str
    The 0/1 assignment column.
lat, lon : str, optional
    Coordinates in decimal degrees (latitude in [-90, 90], longitude in [-180, 180]).
radius_km : float
    Firms within this great-circle distance are neighbours (default 1 km).
edges : pandas.DataFrame, optional
    Instead of coordinates: an edge list whose first two columns are firm ids.
directed : bool
    With ``edges``: a firm's neighbours are only the firms it names.""",
    "param_exposure_assignment": """\
assignment : Assignment or numpy.ndarray
    The trial's :class:`kaizen_eval.Assignment` (re-drawn ``draws`` times exactly as it
    was drawn), or an array (R, N) of equally likely assignments (columns in ``df``'s rows;
    all of them gives exact probabilities).""",
    "param_exposure_draws": """\
draws : int
    Number of re-draws of the assignment for the probabilities (default 10,000; reported as
    ``draws``).
seed : int or numpy.random.Generator
    Randomness of the re-draws.""",
}
