"""Column types across waves: classify each column and harmonize it over the waves.

A column numeric in one wave and text in another (thousands separators, stray ``n/a``) is made
numeric when most of its text reads as numbers, every value coerced or dropped recorded as an
issue; values shown in messages are masked when they look personal. The shared ``errors``
option (``"raise"`` or ``"flag"``) of the wave checks is defined here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.waves.issues import issue
from kaizen_eval.waves.pii import looks_personal, mask

Errors = Literal["raise", "flag"]


ERRORS: tuple[Errors, ...] = ("raise", "flag")


Kind = Literal["empty", "numeric", "string", "mixed", "datetime", "other"]


_SHOW = 5


def _show(values: Any) -> str:
    values = list(values)
    text = ", ".join(repr(v) for v in values[:_SHOW])
    return text + (f" and {len(values) - _SHOW} more" if len(values) > _SHOW else "")


def _is_missing(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def kind_of(values: pd.Series) -> Kind:
    """Classify a column: ``empty``, ``numeric``, ``string``, ``mixed``, ``datetime``, ``other``.

    Categoricals are classified by their values; ``mixed`` is an object column holding both
    numbers and text (a numeric column with stray text, as spreadsheets deliver).

    Examples
    --------
    >>> import pandas as pd
    >>> kind_of(pd.Series([1.0, None])), kind_of(pd.Series([3, "n/a"], dtype=object))
    ('numeric', 'mixed')
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if values.isna().all():
        return "empty"
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    present = values.dropna()
    is_text = present.map(lambda v: isinstance(v, str))
    is_num = present.map(lambda v: isinstance(v, (int, float, np.number, bool)))
    if is_text.all():
        return "string"
    if is_num.all():
        return "numeric"
    if (is_text | is_num).all():
        return "mixed"
    return "other"


def safe_value(value: Any) -> str:
    """Return ``value`` as shown in messages, masking what looks like personal data.

    A phone number or e-mail address typed in the wrong column is masked (see
    :func:`kaizen_eval.waves.pii.mask`); anything else is shown as ``repr``.

    Examples
    --------
    >>> safe_value("n/a"), safe_value("+233 24 412 3456")
    ("'n/a'", '<masked phone number>')
    """
    if isinstance(value, str) and looks_personal(value):
        return mask(value)
    return repr(value)


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


#: Share of a text column's non-missing values (over all waves) that must read as numbers for
#: the loader to treat the column as numeric (the rest are then errors or coerced values).
NUMERIC_TEXT_SHARE = 0.5


def _clean_number(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    text = v.strip()
    if _THOUSANDS.match(text):
        return text.replace(",", "")
    return text if _PLAIN_NUMBER.match(text) else v


def _parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse numbers held as text: returns the numbers, the unparseable and the repaired masks.

    Blank text is missing. Unambiguous repairs are made and marked: surrounding spaces
    (``" 12 "``) and thousands separators (``"1,200"``, only in groups of three digits). Text
    that is not a plain number (``"n/a"``, ``"-"``, ``"12,5"``, ``"inf"``) is unparseable.
    """
    obj = values.astype(object)
    obj = obj.where(~obj.map(lambda v: isinstance(v, str) and not v.strip()), None)
    clean = obj.map(_clean_number)
    is_text = clean.map(lambda v: isinstance(v, str))
    plain = clean.map(lambda v: isinstance(v, str) and bool(_PLAIN_NUMBER.match(v)))
    parsed = pd.to_numeric(clean.where(~is_text | plain, None), errors="coerce")
    bad = obj.notna() & parsed.isna()
    repaired = obj.map(lambda v: isinstance(v, str)) & (clean != obj) & ~bad
    return parsed, bad, repaired


def _looks_numeric(present: Mapping[str, pd.Series]) -> bool:
    """Whether a column that is text in every wave holds numbers (``"1,200"``, ``" 12 "``).

    Codes with leading zeros (``"007"``) keep the column as text.
    """
    values = pd.concat([s.astype(object) for s in present.values()], ignore_index=True)
    values = values[values.map(lambda v: isinstance(v, str) and bool(v.strip()))]
    if values.empty:
        return False
    cleaned = values.map(_clean_number)
    ok = cleaned.map(lambda v: bool(_PLAIN_NUMBER.match(v)))
    zeros = cleaned[ok].map(lambda v: len(v) > 1 and v.lstrip("+-")[:1] == "0" and "." not in v)
    return bool(ok.mean() >= NUMERIC_TEXT_SHARE and not zeros.any())


def _id_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _to_text(values: pd.Series) -> pd.Series:
    out = values.astype(object).map(lambda v: None if _is_missing(v) else _id_text(v))
    return out.astype(object)


def harmonize_types(
    frames: Mapping[str, pd.DataFrame],
    *,
    id_col: str,
    declared: Mapping[str, Mapping[str, str]],
    text_columns: frozenset[str],
    errors: Errors,
) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """Give each harmonized column one type across waves.

    A column is numeric when the codebook declares it so (``type = "numeric"``) or when it is
    numeric in some wave (or mixes numbers and text). Text in such a column is parsed as numbers:
    if nothing parses, the column's type differs across waves (error naming the waves and
    types); if some values do not parse, an error names the wave, column, firms and example
    values, or, with ``errors="flag"``, they become missing and each one is recorded as
    ``"coerced"``. Columns in ``text_columns`` (identifiers) with conflicting types become text.
    A column that is a date in one wave and not in another is an error.
    """
    out = dict(frames)
    records: list[dict[str, Any]] = []
    columns = list(dict.fromkeys(c for df in frames.values() for c in df.columns))
    for column in columns:
        if column == id_col:
            continue
        present = {w: df[column] for w, df in frames.items() if column in df.columns}
        kinds = {w: kind_of(s) for w, s in present.items()}
        wanted = {declared.get(w, {}).get(column) for w in present} - {None}
        if len(wanted) > 1:
            raise KaizenError(
                f"the codebook declares column {column!r} both numeric and string in different "
                "waves"
            )
        real = {w: k for w, k in kinds.items() if k != "empty"}
        out.update(_numeric_dtypes(out, column, [w for w, k in kinds.items() if k == "numeric"]))
        as_numbers = (
            not wanted
            and column not in text_columns
            and set(real.values()) == {"string"}
            and _looks_numeric({w: present[w] for w in real})
        )
        if as_numbers:
            for w in real:
                records.append(
                    issue(
                        w,
                        "text column read as numbers (most values are numbers written as text)",
                        "flagged",
                        column=column,
                    )
                )
        if (
            not as_numbers
            and len(set(real.values())) <= 1
            and not wanted
            and "mixed" not in real.values()
        ):
            continue
        if "datetime" in real.values() and len(set(real.values())) > 1:
            raise KaizenError(_type_message(column, real))
        if wanted == {"string"} or (column in text_columns and len(set(real.values())) > 1):
            for w in present:
                out[w] = out[w].assign(**{column: _to_text(out[w][column])})
            continue
        numeric = wanted == {"numeric"} or {"numeric", "mixed"} & set(real.values()) or as_numbers
        if not numeric:
            continue
        for w, series in present.items():
            if kinds[w] == "numeric":
                continue
            parsed, bad, repaired = _parse_numbers(series)
            for i in series.index[repaired]:
                records.append(
                    issue(
                        w,
                        "number written as text read as a number (spaces or thousands "
                        "separators removed)",
                        "repaired",
                        firm_id=out[w].at[i, id_col],
                        row=int(i),
                        column=column,
                    )
                )
            if (
                bad.any()
                and (~bad & series.notna()).sum() == 0
                and kinds[w] == "string"
                and "numeric" in real.values()
            ):
                raise KaizenError(_type_message(column, real))
            if bad.any():
                firms = out[w].loc[bad, id_col]
                examples = [safe_value(v) for v in pd.unique(series[bad])]
                comma = any(
                    isinstance(v, str) and re.fullmatch(r"[+-]?\d+,\d{1,2}|\d+,\d{4,}", v.strip())
                    for v in series[bad]
                )
                hint = " (a decimal comma is ambiguous: write '12.5')" if comma else ""
                if errors == "raise":
                    raise KaizenError(
                        f"wave {w!r}, column {column!r}: {int(bad.sum())} value(s) are not "
                        f"numbers ({', '.join(dict.fromkeys(examples))}){hint} for firm(s) "
                        f"{_show(firms)}; recode them in "
                        "the codebook, or pass errors='flag' to set them to missing (listed in "
                        "panel.issues)"
                    )
                for i in series.index[bad]:
                    records.append(
                        issue(
                            w,
                            f"not a number: {safe_value(series[i])}",
                            "coerced",
                            firm_id=out[w].at[i, id_col],
                            row=int(i),
                            column=column,
                        )
                    )
            out[w] = out[w].assign(**{column: parsed})
    return out, records


def _numeric_dtypes(
    frames: Mapping[str, pd.DataFrame], column: str, waves: list[str]
) -> dict[str, pd.DataFrame]:
    """Give numeric columns a numeric dtype so that waves stack without falling back to objects.

    Numbers held as Python objects become numeric; booleans become 0/1 integers when other
    waves hold numbers.
    """
    out = {}
    is_bool = {w: pd.api.types.is_bool_dtype(frames[w][column]) for w in waves}
    mixed_bool = any(is_bool.values()) and not all(is_bool.values())
    for w in waves:
        values = frames[w][column]
        if is_bool[w] and mixed_bool:
            values = values.astype("Int64" if values.isna().any() else "int64")
        elif values.dtype == object:
            values = pd.to_numeric(values)
        else:
            continue
        out[w] = frames[w].assign(**{column: values})
    return out


def _type_message(column: str, kinds: Mapping[str, str]) -> str:
    by_kind: dict[str, list[str]] = {}
    for w, k in kinds.items():
        by_kind.setdefault("text" if k == "string" else k, []).append(w)
    parts = "; ".join(f"{k} in wave(s) {', '.join(map(repr, ws))}" for k, ws in by_kind.items())
    return (
        f"column {column!r} has a different type across waves: {parts}. Harmonize it with a "
        "codebook recode (e.g. a JSON object mapping labels to numbers)"
    )
