"""Files of an assignment: a table (via :func:`kaizen_eval.write_table`) and a JSON manifest.

Both files are written atomically (a temporary sibling renamed into place) while holding an
exclusive lock on the table's path, so two processes writing one assignment never both
succeed without ``force`` and never leave a table beside another draw's manifest. The table is
renamed in first and the manifest last; readers take the same lock, and
:meth:`~kaizen_eval.Assignment.read` checks that the two still belong together.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kaizen_eval._atomic import OutputExistsError, atomic_file, exclusive_lock
from kaizen_eval._validation import KaizenError, check_seed, require_columns
from kaizen_eval.design._canonical import canonical_column
from kaizen_eval.design.saturation import saturation_arguments
from kaizen_eval.design.stages import Rerandomize, Stage, check_arms
from kaizen_eval.waves.io import write_table

SUFFIXES = (".parquet", ".csv")

#: Keys every manifest must have (the others are informative).
REQUIRED_KEYS = ("arguments", "frame_sha256", "result_sha256", "seed")
ARGUMENT_KEYS = ("id_col", "arms", "strata", "cluster", "stage2", "rerandomize")


class ManifestError(KaizenError):
    """An assignment manifest that is damaged, edited or incomplete; names the key at fault."""


def manifest_path(path: Path) -> Path:
    """Return where the manifest of the table at ``path`` lives: ``<stem>.manifest.json``."""
    return path.with_name(path.stem + ".manifest.json")


def _text_columns(manifest: Mapping[str, Any]) -> list[str]:
    args = manifest["arguments"]
    cols = [args["id_col"], *args["strata"]]
    if args["cluster"] is not None:
        cols.append(args["cluster"])
    if args["stage2"] is not None:
        cols.extend(args["stage2"]["strata"])
    return list(dict.fromkeys(cols))


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def check_manifest(manifest: Any, where: str) -> dict[str, Any]:
    """Validate a manifest read from ``where``; raise :class:`ManifestError` naming the key.

    Examples
    --------
    >>> check_manifest({"seed": 1}, "a.manifest.json")
    Traceback (most recent call last):
    ...
    kaizen_eval.design._files.ManifestError: 'a.manifest.json': the manifest has no key 'arguments' ...
    """  # noqa: E501
    if not isinstance(manifest, dict):
        raise ManifestError(
            f"{where!r} is not an assignment manifest: it holds a JSON "
            f"{type(manifest).__name__}, not an object."
        )
    for key in REQUIRED_KEYS:
        if key not in manifest:
            raise ManifestError(
                f"{where!r}: the manifest has no key {key!r} (it was edited or damaged); "
                "restore it from the original files, or draw the assignment again."
            )

    def bad(key: str, expected: str, value: Any) -> ManifestError:
        return ManifestError(
            f"{where!r}: manifest key {key!r} must be {expected}; it is {value!r} (was the "
            "manifest edited?)."
        )

    for key in ("frame_sha256", "result_sha256"):
        v = manifest[key]
        if not (isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)):
            raise bad(key, "a SHA-256 hex digest", v)
    if manifest["seed"] is None:
        state = manifest.get("rng_state")
        if not (isinstance(state, dict) and isinstance(state.get("bit_generator"), str)):
            raise bad("rng_state", "a generator state (the seed is null)", state)
    else:
        try:
            check_seed("seed", manifest["seed"], generator=False)
        except KaizenError:
            raise bad("seed", "a non-negative integer", manifest["seed"]) from None
    args = manifest["arguments"]
    if not isinstance(args, dict):
        raise bad("arguments", "an object", args)
    for key in ARGUMENT_KEYS:
        if key not in args:
            raise ManifestError(
                f"{where!r}: the manifest has no key 'arguments.{key}' (it was edited or "
                "damaged); restore it, or draw the assignment again."
            )
    if not (isinstance(args["id_col"], str) and args["id_col"]):
        raise bad("arguments.id_col", "a column name", args["id_col"])
    if not _names(args["strata"]):
        raise bad("arguments.strata", "a list of column names", args["strata"])
    if args["cluster"] is not None and not (isinstance(args["cluster"], str) and args["cluster"]):
        raise bad("arguments.cluster", "null or a column name", args["cluster"])
    try:
        if args.get("saturation") is not None:
            sat = args["saturation"]
            if not (isinstance(sat, dict) and set(sat) == {"levels", "shares"}):
                raise bad("arguments.saturation", "null or {levels, shares}", sat)
            levels = dict(zip(sat["levels"], sat["shares"], strict=True))
            saturation_arguments(args["arms"], levels, None, None)
        else:
            check_arms(args["arms"], "arguments.arms")
        if args["stage2"] is not None:
            s2 = args["stage2"]
            if not (isinstance(s2, dict) and set(s2) == {"arms", "strata", "among"}):
                raise bad("arguments.stage2", "null or {arms, strata, among}", s2)
            Stage(**s2)
            if not _names(s2["strata"]):
                raise bad("arguments.stage2.strata", "a list of column names", s2["strata"])
        if args["rerandomize"] is not None:
            rr = args["rerandomize"]
            keys = {"covariates", "criterion", "bound", "max_draws"}
            if not (isinstance(rr, dict) and set(rr) == keys):
                raise bad("arguments.rerandomize", "null or {" + ", ".join(sorted(keys)) + "}", rr)
            Rerandomize(**rr)
    except ManifestError:
        raise
    except (KaizenError, TypeError) as err:
        raise ManifestError(f"{where!r}: the manifest's arguments are invalid: {err}") from None
    return manifest


def _exists(p: Path) -> OutputExistsError:
    return OutputExistsError(
        f"{str(p)!r} already exists; an assignment is never overwritten silently. "
        "Pass force=True to replace it."
    )


def write_assignment(
    path: Path,
    frame: pd.DataFrame,
    design_table: pd.DataFrame,
    manifest: dict[str, Any],
    *,
    force: bool,
    allow_pii: bool | Sequence[str] = False,
) -> Path:
    """Write ``frame`` + the design columns to ``path`` and ``manifest`` beside it, atomically."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KaizenError(f"assignments are written as .parquet or .csv files; got {path.name!r}.")
    mpath = manifest_path(path)
    id_col = manifest["arguments"]["id_col"]
    extra = [c for c in design_table.columns if c != id_col]
    table = pd.concat([frame, design_table[extra]], axis=1)
    if suffix == ".csv":
        text = _text_columns(manifest)
        table = table.assign(
            **{c: pd.Series(canonical_column(table[c]), dtype=object) for c in text}
        )
    payload = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    with exclusive_lock(path):
        for p in (path, mpath):
            if p.exists() and not force:
                raise _exists(p)
        with atomic_file(path, overwrite=True) as tmp_table:
            write_table(table, tmp_table, id_col=id_col, allow_pii=allow_pii)
        with atomic_file(mpath, overwrite=True) as tmp_manifest:
            tmp_manifest.write_text(payload, encoding="utf-8")
    return path


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Hold the writers' lock while reading, unless the folder is read-only."""
    if os.access(path.parent, os.W_OK):
        with exclusive_lock(path):
            yield
    else:  # pragma: no cover - a read-only archive cannot be written meanwhile either
        yield


def read_assignment(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read the table at ``path`` and its manifest (validated by :func:`check_manifest`)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KaizenError(f"assignments are .parquet or .csv files; got {path.name!r}.")
    mpath = manifest_path(path)
    if not path.is_file():
        raise KaizenError(f"no assignment file at {str(path)!r}.")
    if not mpath.is_file():
        raise KaizenError(f"{str(path)!r} has no manifest: {str(mpath)!r} is missing.")
    with _reading(path):
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ManifestError(f"{str(mpath)!r} is not valid JSON: {err}") from None
        check_manifest(manifest, str(mpath))
        try:
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
        except (OSError, ValueError, pd.errors.ParserError) as err:
            if isinstance(err, FileNotFoundError):
                raise
            raise KaizenError(
                f"{str(path)!r} cannot be read as a {suffix} assignment table "
                f"({type(err).__name__}); was it damaged or replaced?"
            ) from None
    require_columns(table, _text_columns(manifest), where=str(path))
    return table, manifest
