"""Files of an assignment: a table (via :func:`kaizen_eval.write_table`) and a JSON manifest."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns
from kaizen_eval.design._canonical import canonical_column
from kaizen_eval.waves.io import write_table

SUFFIXES = (".parquet", ".csv")


def manifest_path(path: Path) -> Path:
    """Return where the manifest of the table at ``path`` lives: ``<stem>.manifest.json``."""
    return path.with_name(path.stem + ".manifest.json")


def _text_columns(manifest: dict[str, Any]) -> list[str]:
    args = manifest["arguments"]
    cols = [args["id_col"], *args["strata"]]
    if args["cluster"] is not None:
        cols.append(args["cluster"])
    if args["stage2"] is not None:
        cols.extend(args["stage2"]["strata"])
    return list(dict.fromkeys(cols))


def write_assignment(
    path: Path,
    frame: pd.DataFrame,
    design_table: pd.DataFrame,
    manifest: dict[str, Any],
    *,
    force: bool,
    allow_pii: bool | Sequence[str] = False,
) -> Path:
    """Write ``frame`` + the design columns to ``path`` and ``manifest`` beside it."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KaizenError(f"assignments are written as .parquet or .csv files; got {path.name!r}.")
    mpath = manifest_path(path)
    for p in (path, mpath):
        if p.exists() and not force:
            raise KaizenError(
                f"{str(p)!r} already exists; an assignment is never overwritten silently. "
                "Pass force=True to replace it."
            )
    id_col = manifest["arguments"]["id_col"]
    extra = [c for c in design_table.columns if c != id_col]
    table = pd.concat([frame, design_table[extra]], axis=1)
    if suffix == ".csv":
        text = _text_columns(manifest)
        table = table.assign(
            **{c: pd.Series(canonical_column(table[c]), dtype=object) for c in text}
        )
    written = write_table(table, path, id_col=id_col, allow_pii=allow_pii)
    mpath.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return written


def read_assignment(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read the table at ``path`` and its manifest."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KaizenError(f"assignments are .parquet or .csv files; got {path.name!r}.")
    mpath = manifest_path(path)
    if not path.is_file():
        raise KaizenError(f"no assignment file at {str(path)!r}.")
    if not mpath.is_file():
        raise KaizenError(f"{str(path)!r} has no manifest: {str(mpath)!r} is missing.")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise KaizenError(f"{str(mpath)!r} is not valid JSON: {err}") from err
    if suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        text = _text_columns(manifest)
        table = pd.read_csv(
            path,
            dtype={c: str for c in text},
            keep_default_na=False,
            na_values={c: [""] for c in text},
        )
    require_columns(table, _text_columns(manifest), where=str(path))
    return table, manifest
