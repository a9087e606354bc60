"""Verification of a drawn assignment against its data and manifest (:meth:`Assignment.verify`).

Also the checks of an assignment read back from its files (:meth:`Assignment.read`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_seed, require_columns
from kaizen_eval._version import __version__
from kaizen_eval.design._canonical import canonical_column, sha256_of_frame
from kaizen_eval.design._design import Design, name_some, rng_from_manifest
from kaizen_eval.design.saturation import design_for


def verify_assignment(
    result: pd.DataFrame,
    manifest: Mapping[str, Any],
    recorded: Design,
    frame: pd.DataFrame,
    *,
    seed: int | None,
    id_col: str,
    arms: Sequence[str],
) -> None:
    """Raise naming what differs: the result, the frame or the seed/arguments (in that order)."""
    man = dict(manifest)
    if seed is not None:
        seed = check_seed("seed", seed, generator=False)
    if not isinstance(frame, pd.DataFrame):
        raise KaizenError(f"`frame` must be a pandas DataFrame, not {type(frame).__name__}.")
    own = sha256_of_frame(result, [id_col, *arms])
    if own != man["result_sha256"]:
        raise KaizenError(
            "result differs: the assignment table no longer matches the result hash recorded "
            "in its manifest (was it edited after it was drawn?)."
        )
    args = dict(man["arguments"])
    try:
        design = design_for(frame, args)
    except KaizenError as err:
        raise KaizenError(f"frame differs: {err}") from err
    if design.frame_sha256 != man["frame_sha256"]:
        raise KaizenError("frame differs: " + _describe_difference(recorded, design))
    if seed is not None and (man.get("seed") is None or int(seed) != int(man["seed"])):
        raise KaizenError(
            f"seed/arguments differ: you passed seed={seed!r} but the assignment was drawn "
            f"with seed={man.get('seed')!r}."
        )
    c1, c2, _, _ = design.draw_one(rng_from_manifest(man))
    again = design.to_frame(c1, c2)
    if sha256_of_frame(again, [id_col, *arms]) != man["result_sha256"]:
        n_diff = int((again[list(arms)] != result[list(arms)]).any(axis=1).sum())
        version = ""
        if man.get("package_version") != __version__ or man.get("numpy_version") not in (
            None,
            np.__version__,
        ):
            version = (
                f" (drawn with kaizen_eval {man.get('package_version')} and numpy "
                f"{man.get('numpy_version')}; this is kaizen_eval {__version__}, numpy "
                f"{np.__version__})"
            )
        raise KaizenError(
            f"seed/arguments differ: drawing again with seed={man.get('seed')!r} and the "
            f"recorded arguments gives a different assignment for {n_diff} unit(s)"
            f"{version}."
        )


def _describe_difference(old: Design, new: Design) -> str:
    """Return which ids and columns differ between two design tables."""
    id_col = old.arguments["id_col"]
    a = pd.DataFrame({c: canonical_column(old.table[c]) for c in old.table}, dtype=object)
    b = pd.DataFrame({c: canonical_column(new.table[c]) for c in new.table}, dtype=object)
    only_old = sorted(set(a[id_col]) - set(b[id_col]))
    only_new = sorted(set(b[id_col]) - set(a[id_col]))
    parts = []
    if only_old:
        parts.append(f"ids no longer in the frame: {name_some(only_old)}")
    if only_new:
        parts.append(f"ids not in the assignment: {name_some(only_new)}")
    common = a.merge(b, on=id_col, suffixes=("_old", "_new"))
    for c in a.columns:
        if c == id_col:
            continue
        x, y = common[f"{c}_old"], common[f"{c}_new"]
        changed = ~((x == y) | (x.isna() & y.isna()))
        if changed.any():
            parts.append(f"column `{c}` changed for {name_some(common.loc[changed, id_col])}")
    detail = "; ".join(parts) or "the relevant columns changed"
    return f"the input frame does not match the recorded frame hash ({detail})."


def verify_read(
    path: Path, table: pd.DataFrame, manifest: Mapping[str, Any]
) -> tuple[pd.DataFrame, Design]:
    """Rebuild the design of the table read from ``path``; check both hashes of its manifest."""
    args = manifest["arguments"]
    design = design_for(table, args)
    if design.frame_sha256 != manifest["frame_sha256"]:
        raise KaizenError(
            f"{str(path)!r}: the design columns no longer match the manifest's frame hash."
        )
    arm_cols = list(design.arm_columns)
    require_columns(table, arm_cols, where=f"{str(path)!r} (the arms of its manifest)")
    order = np.argsort(np.asarray(canonical_column(table[args["id_col"]]), dtype=str))
    result = table.iloc[order][[args["id_col"], *arm_cols]].reset_index(drop=True)
    if sha256_of_frame(result, [args["id_col"], *arm_cols]) != manifest["result_sha256"]:
        raise KaizenError(
            f"result differs: the table {str(path)!r} does not match the result hash of its "
            "manifest (edited after it was drawn, or table and manifest from different "
            "draws). Restore both files from the original, or draw again."
        )
    return result, design
