"""One delivered wave read with its form: names, types, special codes, skip logic, constraints.

:func:`apply_form` is the step :func:`~kaizen_eval.waves.load_waves` runs first on each wave
when it is given a form. Types come from the form, never guessed: text and ids as text,
``integer``/``decimal`` as numbers, ``select_one`` as its codes (numbers when every code is a
number, with the choice labels as value labels; an unordered categorical of the codes
otherwise), ``select_multiple`` as one 0/1 column ``<variable>_<code>`` per choice, ``date`` as
dates. Every special code becomes a missing value with its reason; an answer where the form's
``relevant`` is false is flagged, and an empty one there is *not asked* (a structural missing,
listed in ``panel.not_asked``, not attrition); constraint violations are flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.waves.errors import UnsupportedExpressionError
from kaizen_eval.waves.harmonize import Errors
from kaizen_eval.waves.issues import Action, issue
from kaizen_eval.waves.missing_codes import REASON_SUFFIX, code_text, replace_codes
from kaizen_eval.waves.platform import ColumnMap, Platform, map_columns
from kaizen_eval.waves.skiplogic import Expression, _empty, _text, compile_expression
from kaizen_eval.waves.xlsform import Form, Variable

#: Columns of :attr:`Panel.not_asked`.
NOT_ASKED_COLUMNS = ("wave", "firm_id", "row", "column", "relevant")


@dataclass
class FormWave:
    """What :func:`apply_form` made of one wave."""

    frame: pd.DataFrame
    metadata: pd.DataFrame
    records: list[dict[str, Any]] = field(default_factory=list)
    not_asked: list[dict[str, Any]] = field(default_factory=list)
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _raw_frame(df: pd.DataFrame, form: Form, cmap: ColumnMap) -> pd.DataFrame:
    """Delivered answers under the form's names; split choices joined back into one text."""
    raw = pd.DataFrame(index=df.index)
    for column, name in cmap.variables.items():
        raw[name] = df[column].astype(object)
    split: dict[str, dict[str, str]] = {}
    for column, (name, code) in cmap.choices.items():
        split.setdefault(name, {})[code] = column
    for name, columns in split.items():
        if name in raw.columns:
            continue
        order = [c for c in form[name].codes if c in columns]

        def joined(i: Any, order: list[str] = order, columns: dict[str, str] = columns) -> Any:
            cells = [df.at[i, columns[c]] for c in order]
            if all(_empty(v) for v in cells):
                return None
            return " ".join(c for c, v in zip(order, cells, strict=True) if _text(v) == "1")

        raw[name] = [joined(i) for i in df.index]
    return raw


def _split_disagreements(
    df: pd.DataFrame, raw: pd.DataFrame, cmap: ColumnMap, wave: str, id_col: str
) -> list[dict[str, Any]]:
    """Pre-split choice columns that contradict the space-separated answer."""
    out = []
    for column, (name, code) in cmap.choices.items():
        if name not in cmap.variables.values():
            continue
        for i in df.index:
            given, cell = raw.at[i, name], df.at[i, column]
            if _empty(given) or _empty(cell):
                continue
            if (code in _text(given).split()) != (_text(cell) == "1"):
                out.append(
                    issue(
                        wave,
                        f"split column {column!r} contradicts {name!r} (kept {name!r})",
                        "flagged",
                        firm_id=raw.at[i, id_col] if id_col in raw else None,
                        row=int(i),
                        column=column,
                    )
                )
    return out


def _row_issue(
    wave: str, reason: str, action: Action, ids: pd.Series, i: Any, v: Variable
) -> dict[str, Any]:
    """Build the issue record of row ``i``'s answer to variable ``v``."""
    return issue(wave, reason, action, firm_id=ids[i], row=int(i), column=v.name)


def _raise_or_coerce(
    errors: Errors,
    problem: str,
    reason: str,
    rows: pd.Index,
    wave: str,
    ids: pd.Series,
    v: Variable,
    log: list,
) -> None:
    """Raise on the ``problem`` of ``rows`` under ``errors='raise'``; else log them coerced."""
    if errors == "raise":
        raise KaizenError(
            f"wave {wave!r}, variable {v.name!r}{problem}; fix them, or pass "
            "errors='flag' to set them missing (listed in panel.issues)"
        )
    for i in rows:
        log.append(_row_issue(wave, reason, "coerced", ids, i, v))


def _compile(text: str, v: Variable, what: str, errors: Errors, wave: str, log: list) -> Any:
    try:
        return compile_expression(text)
    except UnsupportedExpressionError as exc:
        message = f"wave {wave!r}, variable {v.name!r}: its {what} cannot be evaluated: {exc}"
        if errors == "raise":
            raise UnsupportedExpressionError(
                message + "; pass errors='flag' to load without checking it (reported in "
                "panel.issues)"
            ) from exc
        log.append(issue(wave, f"{what} not checked: {exc}", "flagged", column=v.name))
        return None


def _relevance(
    v: Variable, rows: list[dict[str, Any]], errors: Errors, wave: str, log: list
) -> np.ndarray | None:
    """Whether each row was asked ``v`` (None when every condition could not be evaluated)."""
    asked = np.ones(len(rows), dtype=bool)
    checked = False
    for text in v.relevant:
        expr: Expression | None = _compile(text, v, "relevance", errors, wave, log)
        if expr is None:
            continue
        checked = True
        asked &= np.array([expr(r) for r in rows], dtype=bool)
    return asked if checked else None


def _number_column(
    values: pd.Series, v: Variable, wave: str, ids: pd.Series, errors: Errors, log: list
) -> pd.Series:
    present = values.map(lambda x: not _empty(x))
    numbers = pd.to_numeric(values.map(lambda x: None if _empty(x) else x), errors="coerce")
    bad = present & numbers.isna()
    if bad.any():
        shown = ", ".join(repr(_text(x)) for x in values[bad].unique()[:5])
        firms = ", ".join(map(str, ids[bad].unique()[:5]))
        problem = f" ({v.type} in the form): values that are not numbers: {shown} (firms {firms})"
        reason = f"not a number ({v.type} in the form)"
        _raise_or_coerce(errors, problem, reason, values.index[bad], wave, ids, v, log)
    return numbers.astype(float)


def _dates(values: pd.Series, v: Variable, wave: str, ids: pd.Series, log: list) -> pd.Series:
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for i, x in values.items():
        if _empty(x):
            continue
        try:
            stamp = pd.to_datetime(_text(x), format="mixed")
        except (ValueError, TypeError):
            log.append(
                _row_issue(wave, f"not a {v.type} ({v.type} in the form)", "coerced", ids, i, v)
            )
            continue
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        out[i] = stamp.normalize() if v.kind == "date" else stamp
    return out


def _codes_of(
    v: Variable,
    values: pd.Series,
    wave: str,
    ids: pd.Series,
    errors: Errors,
    codes: Mapping[float, str],
    log: list,
) -> tuple[pd.Series, pd.Series]:
    """Return a select_one's answers as codes; special and unknown codes become missing."""
    numeric = all(_is_number(c) for c in v.codes)
    text = values.map(lambda x: None if _empty(x) else _text(x))
    as_num = pd.to_numeric(text, errors="coerce")
    known = {float(c) for c in v.codes} if numeric else set(v.codes)
    # a special code that is also a choice of the list is still a missing reason
    special = as_num.isin(list(codes))
    reasons = pd.Series([None] * len(values), index=values.index, dtype=object)
    reasons[special] = as_num[special].map(lambda c: codes[float(c)])
    if numeric:
        out = as_num.where(~special)
        unknown = out.notna() & ~out.isin(list(known))
        unknown |= text.notna() & as_num.isna()
    else:
        out = text.where(~special)
        unknown = out.notna() & ~out.isin(list(known))
    if unknown.any():
        shown = ", ".join(sorted({repr(t) for t in text[unknown]})[:5])
        listed = f"{v.list_name!r} ({', '.join(v.codes)})"
        problem = f": answers not in its choice list {listed}: {shown}"
        reason = f"answer not in the choice list {v.list_name!r}"
        _raise_or_coerce(errors, problem, reason, values.index[unknown], wave, ids, v, log)
        out = out.where(~unknown)
    if numeric:
        return out.astype(float), reasons
    return pd.Series(pd.Categorical(out, categories=list(v.codes)), index=values.index), reasons


def _multiple(
    v: Variable, values: pd.Series, wave: str, ids: pd.Series, log: list
) -> dict[str, pd.Series]:
    """One 0/1 column per choice (missing where the question has no answer)."""
    picked = values.map(lambda x: None if _empty(x) else _text(x).split())
    out = {}
    for code in v.codes:
        out[f"{v.name}_{code}"] = picked.map(
            lambda p, code=code: np.nan if p is None else float(code in p)
        )
    for i, p in picked.items():
        if p is None:
            continue
        unknown = sorted(set(p) - set(v.codes))
        if unknown:
            log.append(
                _row_issue(
                    wave,
                    f"choice(s) {' '.join(unknown)} not in the list {v.list_name!r}",
                    "flagged",
                    ids,
                    i,
                    v,
                )
            )
        if "none" in v.codes and "none" in p and len(set(p) & set(v.codes)) > 1:
            log.append(
                _row_issue(
                    wave, "'none' selected together with other choices", "flagged", ids, i, v
                )
            )
    return out


def _labels_of(v: Variable, form: Form, result: FormWave, columns: list[str]) -> None:
    lang = form.default_language
    if v.kind == "select_multiple":
        for c, code in zip(columns, v.codes, strict=True):
            choice = next(ch for ch in v.choices if ch.name == code)
            result.variable_labels[c] = f"{v.label(lang)}: {choice.label(lang)}"
        return
    result.variable_labels[v.name] = v.label(lang)
    if v.kind == "select_one":
        numeric = all(_is_number(c) for c in v.codes)
        result.value_labels[v.name] = {
            (float(c.name) if numeric else c.name): c.label(lang) for c in v.choices
        }


def apply_form(
    df: pd.DataFrame,
    form: Form,
    *,
    platform: Platform | None,
    wave: str,
    id_col: str,
    codes: Mapping[float, str],
    per_variable: Mapping[str, Mapping[float, str]],
    reasons: bool,
    errors: Errors,
) -> FormWave:
    """Read one delivered wave with its form (see the module docstring).

    Returns a :class:`FormWave`: the typed frame (form variables in form order, then columns
    the form does not know, which are reported), the metadata set aside (with the id), the
    issue records, the not-asked cells and the labels.
    """
    cmap = map_columns(list(df.columns), form, platform=platform, wave=wave, id_col=id_col)
    raw = _raw_frame(df, form, cmap)
    log: list[dict[str, Any]] = _split_disagreements(df, raw, cmap, wave, id_col)
    if id_col not in raw.columns and id_col in df.columns:
        raw[id_col] = df[id_col]
    ids = raw[id_col] if id_col in raw.columns else pd.Series(None, index=df.index)
    metadata = df[list(cmap.metadata)].copy()
    metadata.insert(0, id_col, ids)
    result = FormWave(frame=pd.DataFrame(index=df.index), metadata=metadata)
    for column in cmap.unmatched:
        log.append(
            issue(
                wave,
                "column matches no variable of the form (kept as delivered)",
                "flagged",
                column=column,
            )
        )
    for v in form.variables:
        if v.kind != "metadata" and not v.repeat and v.name not in raw.columns and v.name != id_col:
            log.append(issue(wave, "form variable not in the export", "flagged", column=v.name))
    rows = raw.to_dict("records")
    for v in form.variables:
        if v.name not in raw.columns or v.kind == "metadata":
            continue
        values = raw[v.name]
        own = per_variable.get(v.name, codes)
        why = pd.Series([None] * len(values), index=values.index, dtype=object)
        if v.name == id_col:
            columns = {v.name: values}
        elif v.kind == "numeric":
            numbers = _number_column(values, v, wave, ids, errors, log)
            numbers, why = replace_codes(numbers, own)
            columns = {v.name: numbers}
        elif v.kind == "select_one":
            typed, why = _codes_of(v, values, wave, ids, errors, own, log)
            columns = {v.name: typed}
        elif v.kind == "select_multiple":
            columns = _multiple(v, values, wave, ids, log)
        elif v.kind in ("date", "datetime"):
            columns = {v.name: _dates(values, v, wave, ids, log)}
        else:
            columns = {v.name: values.map(lambda x: None if _empty(x) else _text(x))}
        for i in why.index[why.notna()]:
            reason = f"special code {code_text(_special(values[i]))} ({why[i]})"
            log.append(_row_issue(wave, reason, "coerced", ids, i, v))
        for name, col in columns.items():
            result.frame[name] = col
        if reasons and why.notna().any():
            result.frame[v.name + REASON_SUFFIX] = why
        _labels_of(v, form, result, list(columns))
        if v.name != id_col:
            _skip_logic(v, values, rows, list(columns), wave, ids, errors, log, result)
            _constraint(v, columns, rows, wave, ids, errors, log)
    for column in cmap.unmatched:
        if column not in result.frame.columns:
            result.frame[column] = df[column]
    result.records = log
    return result


def _special(value: Any) -> float:
    return float(_text(value))


def _skip_logic(
    v: Variable,
    values: pd.Series,
    rows: list[dict[str, Any]],
    columns: list[str],
    wave: str,
    ids: pd.Series,
    errors: Errors,
    log: list,
    result: FormWave,
) -> None:
    if not v.relevant:
        return
    asked = _relevance(v, rows, errors, wave, log)
    if asked is None:
        return
    condition = " and ".join(v.relevant)
    for k, i in enumerate(values.index):
        if asked[k]:
            continue
        if _empty(values[i]):
            for c in columns:
                result.not_asked.append(
                    {
                        "wave": wave,
                        "firm_id": ids[i],
                        "row": int(i),
                        "column": c,
                        "relevant": condition,
                    }
                )
        else:
            log.append(
                _row_issue(
                    wave,
                    f"answered although not asked (relevant: {condition})",
                    "flagged",
                    ids,
                    i,
                    v,
                )
            )


def _constraint(
    v: Variable,
    columns: Mapping[str, pd.Series],
    rows: list[dict[str, Any]],
    wave: str,
    ids: pd.Series,
    errors: Errors,
    log: list,
) -> None:
    if not v.constraint or v.kind == "select_multiple":
        return
    expr = _compile(v.constraint, v, "constraint", errors, wave, log)
    if expr is None:
        return
    typed = columns[v.name]
    for k, i in enumerate(typed.index):
        value = typed[i]
        if _empty(value) or value is pd.NaT:
            continue
        if not expr(rows[k], value):
            shown = f" (value {_text(value)})" if v.kind == "numeric" else ""
            log.append(
                _row_issue(
                    wave,
                    f"violates the form's constraint {v.constraint!r}{shown}",
                    "flagged",
                    ids,
                    i,
                    v,
                )
            )
