"""What an :class:`~kaizen_eval.design.assignment.Assignment` records of how it was drawn.

The checked arguments of :func:`~kaizen_eval.design.assignment.assign` (the manifest's
``arguments``), the manifest of a draw, and its creation time, pinned on request
(:meth:`Assignment.with_created_utc <kaizen_eval.design.assignment.Assignment.with_created_utc>`).
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval._version import __version__
from kaizen_eval.design._canonical import sha256_of_frame
from kaizen_eval.design._design import Design, relevant_columns
from kaizen_eval.design.saturation import saturation_arguments
from kaizen_eval.design.stages import Rerandomize, Stage, check_arms, names

ALGORITHM = "kaizen_eval.blocked_complete/v1"


def assign_arguments(
    frame: Any,
    *,
    id_col: Any,
    arms: Mapping[str, float] | None,
    strata: str | Sequence[str] | None,
    cluster: Any,
    stage2: Any,
    rerandomize: Any,
    saturation: Sequence[float] | Mapping[float, float] | None,
) -> dict[str, Any]:
    """Check the arguments of ``assign`` and return their record (the manifest's ``arguments``)."""
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
    sat_record = None
    if saturation is None:
        arms_record = check_arms({"invited": 0.5} if arms is None else arms, "arms")
    else:
        arms_record, sat_record = saturation_arguments(arms, saturation, stage2, rerandomize)
    arguments = {
        "id_col": id_col,
        "arms": arms_record,
        "strata": list(names("strata", strata)),
        "cluster": cluster,
        "stage2": None if stage2 is None else stage2.to_dict(),
        "rerandomize": None if rerandomize is None else rerandomize.to_dict(),
    }
    if sat_record is not None:
        arguments["saturation"] = sat_record
    return arguments


def draw_manifest(
    seed_record: Mapping[str, Any],
    arguments: Mapping[str, Any],
    design: Design,
    result: pd.DataFrame,
    n_draws: int,
    crit: float,
) -> dict[str, Any]:
    """Return the manifest of the draw ``result`` of ``design`` (created now, in UTC)."""
    return {
        **seed_record,
        "package_version": __version__,
        "numpy_version": np.__version__,
        "algorithm": ALGORITHM,
        "arguments": copy.deepcopy(arguments),
        "frame_columns": relevant_columns(arguments),
        "frame_sha256": design.frame_sha256,
        "result_sha256": sha256_of_frame(result, [arguments["id_col"], *design.arm_columns]),
        "n_units": len(design.ids),
        "n_clusters": design.n_groups if arguments["cluster"] is not None else None,
        "n_draws": n_draws,
        "criterion_value": None if np.isnan(crit) else crit,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def pin_created_utc(manifest: Mapping[str, Any], created_utc: str) -> dict[str, Any]:
    """Return ``manifest`` with its ``created_utc`` replaced (an ISO 8601 time stamp, checked)."""
    try:
        _dt.datetime.fromisoformat(created_utc)
    except (TypeError, ValueError):
        raise KaizenError(
            "`created_utc` must be an ISO 8601 time stamp such as '2026-12-03T00:00:00+00:00'. "
            f"You passed: {created_utc!r}."
        ) from None
    return {**manifest, "created_utc": created_utc}
