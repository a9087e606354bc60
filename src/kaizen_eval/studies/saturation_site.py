r"""The bundled saturation trial (``data/synthetic/saturation/``): build it for a seed, write it.

The synthetic floor makes the firms and the outcomes (:mod:`kaizen_eval.synthetic.saturation`)
but may not draw an assignment (it stands beside :mod:`kaizen_eval.design`), so the trial is put
together here, one floor up: :func:`saturation_site` draws the firms, the two-stage saturation
assignment (``kaizen_eval.assign(..., cluster="cluster_id", saturation=[0, 0.25, 0.5, 0.75],
strata="stratum")``) and the follow-up outcome, and :func:`write_saturation_site` writes the
folder that ``scripts/regenerate_synthetic.py`` regenerates bit for bit.

The design: 60 industrial clusters of 8 to 16 firms (715 firms at the bundled seed) in two
regions (the strata); in each region a quarter of the clusters at each saturation 0, 0.25, 0.5
and 0.75 (up to the leftover cluster), then that share of each cluster's firms invited. The
outcome ``y`` is in **standard deviations** of the follow-up outcome (``sd = 1`` without
effects, intra-cluster correlation 0.1): an invitation raises it by 0.3 sd (``direct``); an
uninvited firm of a cluster at saturation ``s`` gains ``0.4 s`` sd from what its invited
neighbours teach it (``knowledge``) and loses ``0.2 s`` sd of customers to them (``stealing``),
a net spillover of ``0.2 s`` sd. The design identifies the net spillover, not its two parts.

Seeds: the bundled seed is 1 (firms drawn with seed 1, the assignment with seed 2, the outcome
with seed 3), the first seed whose CR2 intervals of :func:`kaizen_eval.spillover` cover the
truth of every term (seed 0 misses four of eleven: its pure-control clusters drew low).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from kaizen_eval._atomic import atomic_folder
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import check_count, check_seed
from kaizen_eval.design import Assignment, assign
from kaizen_eval.synthetic.saturation import (
    SaturationTruth,
    saturation_firms,
    saturation_outcomes,
)
from kaizen_eval.waves.io import write_table

#: Seed of the bundled trial (firms ``seed``, assignment ``seed + 1``, outcome ``seed + 2``).
SATURATION_SEED = 1

#: Saturation levels of the bundled design (equal shares of clusters within each stratum).
SATURATION_LEVELS = (0.0, 0.25, 0.5, 0.75)

#: Effects (standard deviations of ``y`` per invitation, or per unit of saturation), ICC and sd.
SATURATION_PARAMETERS: Mapping[str, float] = MappingProxyType(
    {"direct": 0.3, "knowledge": 0.4, "stealing": -0.2, "icc": 0.1, "sd": 1.0}
)

#: The ``created_utc`` recorded in the bundled assignment's manifest. The draw itself is a
#: function of the seed; its time stamp is pinned so the manifest regenerates byte for byte.
CREATED_UTC = "2026-12-03T00:00:00+00:00"

#: Files of the folder written by :meth:`SaturationSite.write`.
FILES = (
    "assignment.csv",
    "assignment.manifest.json",
    "firms.csv",
    "followup.csv",
    "meta.json",
    "truth.json",
)

UNITS = "standard deviations of the follow-up outcome y (sd = 1 without effects)"


@dataclass(frozen=True, eq=False)
class SaturationSite:
    """A synthetic saturation trial: firms, two-stage assignment, follow-up and truth; immutable.

    Attributes
    ----------
    seed : int
        The seed it was built with (:func:`saturation_site`).
    firms : pandas.DataFrame
        ``firm_id``, ``cluster_id``, ``stratum``, ``lat``, ``lon``, ``baseline``.
    assignment : Assignment
        The two-stage saturation assignment (``firm_id``, ``invited``, ``saturation``) with its
        manifest; ``verify(firms)`` re-derives it.
    followup : pandas.DataFrame
        ``firm_id`` and the follow-up outcome ``y`` (standard deviations).
    truth : SaturationTruth
        ``direct``, ``knowledge``, ``stealing`` and the true ``terms`` of
        :func:`kaizen_eval.spillover` in this sample.
    parameters : Mapping of str to float
        ``direct``, ``knowledge``, ``stealing``, ``icc`` and ``sd`` of the outcome model.
    """

    seed: int
    firms: pd.DataFrame
    assignment: Assignment
    followup: pd.DataFrame
    truth: SaturationTruth
    parameters: Mapping[str, float]

    @property
    def data(self) -> pd.DataFrame:
        """The analysis frame: the firms with ``invited``, ``saturation`` and ``y`` (a copy).

        Examples
        --------
        >>> site = saturation_site()
        >>> list(site.data.columns)[-3:]
        ['invited', 'saturation', 'y']
        """
        return self.firms.merge(self.assignment.frame, on="firm_id", how="left").merge(
            self.followup, on="firm_id", how="left"
        )

    def meta(self) -> dict[str, Any]:
        """Return the description written to ``meta.json`` (seeds, design, files).

        Examples
        --------
        >>> saturation_site().meta()["seeds"]
        {'firms': 1, 'assignment': 2, 'outcomes': 3}
        """
        return {
            "site": "saturation",
            "seed": self.seed,
            "seeds": _seeds(self.seed),
            "n_clusters": int(self.firms["cluster_id"].nunique()),
            "n_firms": len(self.firms),
            "saturation": list(SATURATION_LEVELS),
            "strata": "stratum",
            "cluster": "cluster_id",
            "units": UNITS,
            "files": list(FILES),
        }

    @fill_doc()
    def write(self, directory: str | Path, *, overwrite: bool = False) -> dict[str, Path]:
        """Write the trial to ``directory`` (CSV and JSON files), all or nothing.

        Files: ``firms.csv``; ``assignment.csv`` and ``assignment.manifest.json`` (written by
        :meth:`Assignment.write`, so :meth:`Assignment.read` gives back an assignment that
        verifies against ``firms.csv`` and re-draws both stages); ``followup.csv``
        (``firm_id``, ``y``); ``truth.json`` (``units``, ``parameters`` and the true ``terms``
        of :func:`kaizen_eval.spillover`); ``meta.json`` (:meth:`meta`). The folder is built
        aside and renamed into place (``kaizen_eval._atomic.atomic_folder``).

        Parameters
        ----------
        directory : str or pathlib.Path
            The folder, usually ``data/synthetic/saturation``.
        %(param_overwrite_folder)s

        %(returns_files_written)s

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     sorted(saturation_site().write(Path(d) / "saturation"))[:3]
        ['assignment.csv', 'assignment.manifest.json', 'firms.csv']
        """
        out = Path(directory)
        truth = {
            "units": UNITS,
            "parameters": dict(self.parameters),
            "terms": dict(self.truth.terms),
        }
        with atomic_folder(out, overwrite=overwrite) as tmp:
            # the coordinates are the (fake) locations of firms, not of people
            write_table(self.firms, tmp / "firms.csv", allow_pii=["lat", "lon"])
            self.assignment.write(tmp / "assignment.csv")
            write_table(self.followup, tmp / "followup.csv")
            for name, obj in (("truth.json", truth), ("meta.json", self.meta())):
                (tmp / name).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
        return {name: out / name for name in FILES}


def _seeds(seed: int) -> dict[str, int]:
    return {"firms": seed, "assignment": seed + 1, "outcomes": seed + 2}


def saturation_site(
    seed: int = SATURATION_SEED,
    *,
    n_clusters: int = 60,
    direct: float = SATURATION_PARAMETERS["direct"],
    knowledge: float = SATURATION_PARAMETERS["knowledge"],
    stealing: float = SATURATION_PARAMETERS["stealing"],
    icc: float = SATURATION_PARAMETERS["icc"],
    sd: float = SATURATION_PARAMETERS["sd"],
) -> SaturationSite:
    """Build the synthetic saturation trial for ``seed``: firms → ``assign`` → outcomes.

    The defaults are the bundled trial of ``data/synthetic/saturation/`` (module docstring).

    Parameters
    ----------
    seed : int
        The firms are drawn with ``seed``, the assignment with ``seed + 1`` (recorded in its
        manifest), the outcome with ``seed + 2``. Default :data:`SATURATION_SEED` (1).
    n_clusters : int
        Number of industrial clusters (8 to 16 firms each).
    direct, knowledge, stealing : float
        Effect of an invitation, knowledge spillover (``>= 0``) and business stealing
        (``<= 0``) per unit of saturation, in standard deviations of ``y``.
    icc, sd : float
        Intra-cluster correlation and standard deviation of the outcome without effects.

    Returns
    -------
    SaturationSite
        Firms, assignment (the manifest's ``created_utc`` pinned to :data:`CREATED_UTC`, so the
        files regenerate byte for byte), follow-up, truth and parameters.

    Examples
    --------
    >>> site = saturation_site()
    >>> site.assignment.manifest["seed"], len(site.firms), site.firms["cluster_id"].nunique()
    (2, 715, 60)
    >>> site.truth.terms["spillover:0.5"]
    0.1
    >>> site.assignment.verify(site.firms)
    """
    seed = int(check_seed("seed", seed, generator=False))
    n_clusters = check_count("n_clusters", n_clusters, least=2)
    seeds = _seeds(seed)
    firms = saturation_firms(n_clusters, seed=seeds["firms"])
    drawn = assign(
        firms,
        id_col="firm_id",
        cluster="cluster_id",
        saturation=list(SATURATION_LEVELS),
        arms={"invited": None},
        strata="stratum",
        seed=seeds["assignment"],
    )
    asg = drawn.with_created_utc(CREATED_UTC)
    parameters = {
        "direct": float(direct),
        "knowledge": float(knowledge),
        "stealing": float(stealing),
        "icc": float(icc),
        "sd": float(sd),
    }
    data, truth = saturation_outcomes(firms, asg.frame, seed=seeds["outcomes"], **parameters)
    followup = data[["firm_id", "y"]].reset_index(drop=True)
    return SaturationSite(seed, firms, asg, followup, truth, MappingProxyType(parameters))


@fill_doc()
def write_saturation_site(
    directory: str | Path, *, seed: int = SATURATION_SEED, overwrite: bool = False
) -> dict[str, Path]:
    """Write the saturation trial of ``seed`` (default: the bundled one) into ``directory``.

    ``write_saturation_site("data/synthetic/saturation", overwrite=True)`` regenerates the
    bundled folder (``scripts/regenerate_synthetic.py`` does it with the other sites).

    Parameters
    ----------
    directory : str or pathlib.Path
        The folder to write.
    seed : int
        See :func:`saturation_site`.
    %(param_overwrite_folder)s

    %(returns_files_written)s

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_saturation_site(Path(d) / "saturation")
    ...     json.loads(files["truth.json"].read_text())["parameters"]["direct"]
    0.3
    """
    return saturation_site(seed).write(directory, overwrite=overwrite)


def read_saturation_site(directory: str | Path) -> SaturationSite:
    """Read a saturation trial written by :func:`write_saturation_site` (the inverse).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     site = read_saturation_site(write_saturation_site(Path(d) / "s")["truth.json"].parent)
    >>> len(site.firms), site.truth.terms["spillover:0.5"]
    (715, 0.1)
    """
    folder = Path(directory)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    p = truth["parameters"]
    return SaturationSite(
        int(meta["seed"]),
        pd.read_csv(folder / "firms.csv"),
        Assignment.read(folder / "assignment.csv"),
        pd.read_csv(folder / "followup.csv"),
        SaturationTruth(p["direct"], p["knowledge"], p["stealing"], dict(truth["terms"])),
        dict(p),
    )


__all__ = [
    "CREATED_UTC",
    "SATURATION_LEVELS",
    "SATURATION_PARAMETERS",
    "SATURATION_SEED",
    "SaturationSite",
    "read_saturation_site",
    "saturation_site",
    "write_saturation_site",
]
