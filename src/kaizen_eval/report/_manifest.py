"""The report's manifest: written last over every file, and checked by :func:`verify_report`.

:meth:`~kaizen_eval.report.builder.Report.write` seals a finished folder with ``manifest.json``
(every file with its SHA-256); a folder without it, or whose files no longer match it, is not a
complete report.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from kaizen_eval._validation import KaizenError


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


MANIFEST = "manifest.json"


class IncompleteReportError(KaizenError):
    """A folder that is not a complete report: no manifest, or files that do not match it."""


def _files_of(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )


def _seal(folder: Path, prov: dict[str, Any]) -> None:
    files = {name: sha256_file(folder / name) for name in _files_of(folder)}
    record = {
        "complete": True,
        "kaizen_eval_version": prov["kaizen_eval_version"],
        "created": prov["created"],
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def verify_report(directory: str | Path) -> dict[str, Any]:
    """Check that ``directory`` is a complete report and return its manifest.

    Parameters
    ----------
    directory : str or pathlib.Path
        A folder written by :meth:`~kaizen_eval.report.builder.Report.write`.

    Returns
    -------
    dict
        The manifest: ``complete``, ``kaizen_eval_version``, ``created`` and ``files``
        (relative path → SHA-256).

    Raises
    ------
    IncompleteReportError
        No ``manifest.json`` (the report was not completed), or a file listed in it is missing
        or changed, or a file not listed in it was added (e.g. left over from another run).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from kaizen_eval.report import Report
    >>> rep = Report("Demo")
    >>> rep.add_table("t", pd.DataFrame({"x": [1.0]}))
    >>> out = rep.write(tempfile.mkdtemp())
    >>> sorted(verify_report(out)["files"])[:2]
    ['index.html', 'provenance.json']
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise IncompleteReportError(f"no report folder at {str(folder)!r}.")
    mpath = folder / MANIFEST
    if not mpath.is_file():
        raise IncompleteReportError(
            f"{str(folder)!r} is not a complete report: it has no {MANIFEST} (written last). "
            "Run the analysis again (with --force to replace the folder)."
        )
    try:
        record = json.loads(mpath.read_text(encoding="utf-8"))
        files = dict(record["files"])
        complete = record["complete"] is True
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise IncompleteReportError(
            f"{str(mpath)!r} is not a report manifest (damaged JSON or missing keys)."
        ) from None
    if not complete:
        raise IncompleteReportError(f"{str(folder)!r} is not marked complete in {MANIFEST}.")
    present = set(_files_of(folder))
    missing = sorted(set(files) - present)
    extra = sorted(present - set(files))
    changed = sorted(f for f in set(files) & present if sha256_file(folder / f) != files[f])
    problems = [
        f"{what}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
        for what, names in (("missing", missing), ("changed", changed), ("not listed", extra))
        if names
    ]
    if problems:
        raise IncompleteReportError(
            f"{str(folder)!r} does not match its {MANIFEST} (" + "; ".join(problems) + "). "
            "Run the analysis again into a new folder, or with --force."
        )
    return record
