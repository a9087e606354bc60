"""The steps of :func:`~kaizen_eval.waves.load.load_waves`, one wave check after another.

Each step reads or checks the waves and writes what it dropped, repaired, coerced or flagged in
a :class:`Log` (the issue records and the id changes); ``load_waves`` runs them in order and
builds the :class:`~kaizen_eval.waves.panel.Panel`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns
from kaizen_eval.waves.answers import apply_form
from kaizen_eval.waves.codebook import apply_codebook, source_name
from kaizen_eval.waves.errors import EmptyWaveError, IdMismatchError, WavesWarning
from kaizen_eval.waves.io import read_wave
from kaizen_eval.waves.issues import id_issue, issue, issues_frame
from kaizen_eval.waves.missing_codes import REASON_SUFFIX
from kaizen_eval.waves.pii import detect_pii, scrub_values
from kaizen_eval.waves.platform import Platform, map_columns, submission_key
from kaizen_eval.waves.submissions import resolve_submissions
from kaizen_eval.waves.validate import (
    ID_REASONS,
    _show,
    check_duplicates,
    check_missing_ids,
    drop_empty_rows,
    normalize_ids,
)
from kaizen_eval.waves.xlsform import Form

#: A later wave in which more than this share of firm ids is absent from the first wave is an
#: error (``errors="raise"``) or a warning (``errors="flag"``): the ids drifted between waves.
ID_MISMATCH_SHARE = 0.5


def _id_change(wave: str, row: Any, delivered: str, new: str, reason: str) -> dict[str, Any]:
    return {"wave": wave, "row": int(row), "delivered": delivered, "firm_id": new, "reason": reason}


def _id_key(v: str) -> str:
    return (v.lstrip("0") or "0") if v.isdigit() else v.upper()


def _match_first_wave(
    df: pd.DataFrame, first: pd.DataFrame, wave: str, id_col: str
) -> tuple[pd.DataFrame, list[tuple[Any, str, str, str]]]:
    """Give ids absent from the first wave that wave's form when only zeros or case differ.

    ``7`` here and ``"007"`` there, or ``"gh01"`` here and ``"GH01"`` there, are one firm when
    exactly one first-wave id fits and no id of this wave has that form already.
    """
    base = set(first[id_col])
    by_key: dict[str, list[str]] = {}
    for b in base:
        by_key.setdefault(_id_key(b), []).append(b)
    taken = set(df[id_col])
    ids = df[id_col].copy()
    changed = []
    for i, v in df[id_col].items():
        if v in base:
            continue
        fits = by_key.get(_id_key(v), [])
        if len(fits) == 1 and fits[0] not in taken:
            ids[i] = fits[0]
            taken.add(fits[0])
            changed.append((i, v, fits[0], ID_REASONS["zeros" if v.isdigit() else "case"]))
    if not changed:
        return df, []
    return df.assign(**{id_col: ids}), changed


def _check_id_overlap(
    df: pd.DataFrame, first: pd.DataFrame, wave: str, first_name: str, id_col: str, errors: str
) -> None:
    """Refuse (or warn about) a wave whose ids mostly fail to match the first wave's."""
    unmatched = ~df[id_col].isin(set(first[id_col]))
    if not len(df) or unmatched.mean() <= ID_MISMATCH_SHARE:
        return
    absent = first.loc[~first[id_col].isin(set(df[id_col])), id_col]
    message = (
        f"wave {wave!r}: {int(unmatched.sum())} of {len(df)} firm ids are not in the first wave "
        f"{first_name!r} (here: {_show(df.loc[unmatched, id_col])}; in {first_name!r} but not "
        f"here: {_show(absent)}). The ids probably changed form between waves (a prefix, a "
        "different id variable, a re-numbering): fix the file or map the ids, or pass "
        "errors='flag' to keep them (each is then flagged in panel.issues)"
    )
    if errors == "raise":
        raise IdMismatchError(message)
    warnings.warn(message, WavesWarning, stacklevel=4)  # the caller of load_waves


def _frame_of(name: str, source: Any, id_source: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        if id_source not in df.columns and id_source in (df.index.names or []):
            df = df.reset_index()
    elif isinstance(source, (str, os.PathLike)):
        df = read_wave(source, wave=name, id_col=id_source)
    else:
        raise KaizenError(
            f"wave {name!r}: expected a DataFrame or a file path, got {type(source).__name__}"
        )
    df.columns = [str(c) for c in df.columns]
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise KaizenError(f"wave {name!r} has two columns named {dup!r}")
    return df.reset_index(drop=True)


@dataclass
class Log:
    """What the loading steps dropped, repaired, coerced or flagged, in the order found."""

    records: list[dict[str, Any]] = field(default_factory=list)
    id_changes: list[dict[str, Any]] = field(default_factory=list)
    not_asked: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, pd.DataFrame] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)

    def id_repaired(self, wave: str, changed: list[tuple[Any, str, str, str]], id_col: str) -> None:
        """Record ids given another form (``(row, delivered, new, reason)`` each)."""
        for i, delivered, new, reason in changed:
            self.records.append(
                issue(wave, reason, "repaired", firm_id=new, row=int(i), column=id_col)
            )
            self.id_changes.append(_id_change(wave, i, delivered, new, reason))

    def issues(self, names: list[str]) -> pd.DataFrame:
        """Return the issue table, sorted by wave (in the order of ``names``) and row."""
        issues = issues_frame(self.records)
        wave_order = issues["wave"].map({n: k for k, n in enumerate(names)})
        order = pd.DataFrame({"wave": wave_order, "row": issues["row"].fillna(-1)})
        issues = issues.loc[order.sort_values(["wave", "row"], kind="stable").index]
        return issues.reset_index(drop=True)


def check_arguments(waves: Any, *, id_col: Any, status_col: Any, arm_col: Any) -> list[str]:
    """Check the column names and the waves given to ``load_waves``; return the wave names."""
    for label, value, optional in (
        ("id_col", id_col, False),
        ("status_col", status_col, True),
        ("arm_col", arm_col, True),
    ):
        if not (value is None and optional) and (not isinstance(value, str) or not value):
            what = "a column name" + (" or None" if optional else "")
            raise TypeError(f"`{label}` must be {what}. You passed: {value!r}.")
    if not isinstance(waves, Mapping) or not waves:
        raise KaizenError("`waves` must be a non-empty dict: wave name -> DataFrame or file path")
    names = list(waves)
    bad = [n for n in names if not isinstance(n, str) or not n or n == "wave"]
    if bad:
        raise KaizenError(f"wave names must be non-empty strings other than 'wave'; got {bad!r}")
    return names


def check_codebook_waves(cb: pd.DataFrame | None, names: list[str]) -> None:
    """Refuse a codebook that names waves which were not given."""
    if cb is None:
        return
    unknown = sorted(set(cb["wave"]) - set(names))
    if unknown:
        raise KaizenError(
            f"the codebook names wave(s) {', '.join(map(repr, unknown))}, which are not "
            f"among the waves given: {', '.join(map(repr, names))}"
        )


@dataclass(frozen=True)
class FormOptions:
    """How ``load_waves`` reads waves delivered by a survey platform (one wave's share)."""

    form: Form
    platform: Platform | None
    codes: Mapping[float, str]
    per_variable: Mapping[str, Mapping[float, str]]
    reasons: bool
    resolutions: pd.DataFrame | None


def _read_with_form(
    name: str,
    df: pd.DataFrame,
    opts: FormOptions,
    cb: pd.DataFrame | None,
    *,
    id_source: str,
    errors: str,
    log: Log,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Apply the form to one wave; keep its metadata, labels and not-asked cells in ``log``."""
    result = apply_form(
        df,
        opts.form,
        platform=opts.platform,
        wave=name,
        id_col=id_source,
        codes=opts.codes,
        per_variable=opts.per_variable,
        reasons=opts.reasons,
        errors=errors,  # type: ignore[arg-type]
    )
    rename = {}
    if cb is not None:
        rows = cb[cb["wave"] == name]
        rename = dict(zip(rows["source"], rows["name"], strict=True))
    frame = result.frame
    reason_columns = {  # a renamed variable's reason column follows it
        s + REASON_SUFFIX: n + REASON_SUFFIX
        for s, n in rename.items()
        if s + REASON_SUFFIX in frame.columns and s + REASON_SUFFIX not in rename
    }
    frame = frame.rename(columns=reason_columns)
    log.records += [  # issues name the harmonized columns, as the loader's others do
        {**r, "column": rename.get(r["column"], r["column"])} for r in result.records
    ]
    for row in result.not_asked:
        log.not_asked.append({**row, "column": rename.get(row["column"], row["column"])})
    for column, label in result.variable_labels.items():
        log.variable_labels.setdefault(rename.get(column, column), label)
    for column, labels in result.value_labels.items():
        log.value_labels.setdefault(rename.get(column, column), labels)
    log.metadata[name] = result.metadata
    key = submission_key(list(result.metadata.columns))
    keys = result.metadata[key].astype(object) if key is not None else None
    return frame, keys


def _delivered_id(source: Any, form: FormOptions, id_source: str, wave: str) -> str:
    """Return the id column's name in a delivered file, group prefix included."""
    if not isinstance(source, (str, os.PathLike)):
        return id_source
    suffix = os.fspath(source).lower().rsplit(".", 1)[-1]
    try:
        if suffix == "csv":
            columns = list(pd.read_csv(source, nrows=0).columns)
        elif suffix in ("xlsx", "xls"):
            columns = list(pd.read_excel(source, nrows=0).columns)
        else:
            return id_source
    except (ValueError, OSError):
        return id_source  # read_wave reports the file's problem
    cmap = map_columns(
        [str(c) for c in columns], form.form, platform=form.platform, wave=wave, id_col=id_source
    )
    hits = [c for c, v in cmap.variables.items() if v == id_source]
    return hits[0] if hits else id_source


def read_one_wave(
    name: str,
    source: Any,
    cb: pd.DataFrame | None,
    *,
    id_col: str,
    errors: str,
    log: Log,
    form: FormOptions | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read, recode and check one wave: its frame and the types its codebook declares."""
    id_source = source_name(cb, name, id_col)
    delivered = _delivered_id(source, form, id_source, name) if form is not None else id_source
    df = _frame_of(name, source, delivered)
    for column, label in df.attrs.get("variable_labels", {}).items():
        log.variable_labels.setdefault(column, label)
    for column, labels in df.attrs.get("value_labels", {}).items():
        log.value_labels.setdefault(column, labels)
    keys = None
    if form is not None:
        df, keys = _read_with_form(name, df, form, cb, id_source=id_source, errors=errors, log=log)
    df, declared = apply_codebook(df, cb, name)
    if "wave" in df.columns:
        raise KaizenError(
            f"wave {name!r} has a column named 'wave', which the panel uses for the wave "
            "name; rename it in the codebook"
        )
    if df.empty:
        raise EmptyWaveError(
            f"wave {name!r} has no rows: every firm would look attrited; deliver its data "
            "or leave the wave out of `waves`"
        )
    require_columns(df, [id_col], where=f"wave {name!r} (the id column)")
    df, found = drop_empty_rows(df, name)
    log.records += found
    if df.empty:
        raise EmptyWaveError(
            f"wave {name!r} has only blank rows ({len(found)}): every firm would look "
            "attrited; deliver its data or leave the wave out of `waves`"
        )
    ids, changed = normalize_ids(df[id_col], wave=name)
    df[id_col] = ids
    log.id_repaired(name, changed, id_col)
    df, found = check_missing_ids(df, name, id_col, errors)
    log.records += found
    if keys is not None:
        df, found = resolve_submissions(
            df,
            keys,
            wave=name,
            id_col=id_col,
            resolutions=form.resolutions,  # type: ignore[union-attr]
            errors=errors,  # type: ignore[arg-type]
        )
        log.records += found
    df, found = check_duplicates(df, name, id_col, errors)
    log.records += found
    return df, declared


def match_first_wave_ids(
    frames: dict[str, pd.DataFrame], *, id_col: str, errors: str, log: Log
) -> None:
    """Give later waves' ids the first wave's form, then check that they mostly match."""
    names = list(frames)
    for name in names[1:]:
        frames[name], found = _match_first_wave(frames[name], frames[names[0]], name, id_col)
        log.id_repaired(name, found, id_col)
        _check_id_overlap(frames[name], frames[names[0]], name, names[0], id_col, errors)


def flag_personal_data(
    frames: dict[str, pd.DataFrame],
    declared: Mapping[str, Mapping[str, str]],
    *,
    id_col: str,
    log: Log,
) -> dict[str, str]:
    """Flag identifier columns and scrub personal data typed elsewhere; return the columns."""
    pii: dict[str, str] = {}
    for name, df in frames.items():
        for column, reason in detect_pii(df, id_col=id_col).items():
            pii.setdefault(column, reason)
            log.records.append(
                issue(name, f"direct identifier: {reason}", "flagged", column=column)
            )
    for name, df in frames.items():
        skip = [id_col, *pii, *(c for c, t in declared[name].items() if t == "string")]
        frames[name], found = scrub_values(df, skip=skip)
        for i, column, what in found:
            reason = f"personal data where it does not belong: a {what} (value removed)"
            log.records.append(
                issue(name, reason, "coerced", firm_id=df.at[i, id_col], row=int(i), column=column)
            )
    return pii


def flag_not_in_first_wave(frames: Mapping[str, pd.DataFrame], *, id_col: str, log: Log) -> None:
    """Flag every firm of a later wave that the first wave does not have."""
    names = list(frames)
    first = names[0]
    for name in names[1:]:
        df = frames[name]
        for i in df.index[~df[id_col].isin(frames[first][id_col])]:
            reason = f"firm not in the first wave {first!r}"
            log.records.append(id_issue(name, reason, "flagged", df, i, id_col))
