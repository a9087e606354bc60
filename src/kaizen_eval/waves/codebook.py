"""Codebooks: per-wave renaming and recoding of delivered columns to harmonized names.

A codebook is a table with one row per (wave, delivered column):

``wave``
    The wave's name, as a key of the dict given to :func:`load_waves`.
``source``
    The column's name in that wave's delivered file.
``name``
    The harmonized name.
``recode`` (optional)
    A JSON object mapping delivered values to harmonized values, e.g. ``{"F": 1, "M": 0}``;
    ``null`` maps to missing. Keys are compared with the delivered values as text (``1`` and
    ``1.0`` both match the key ``"1"``); values not in the mapping are kept.
``type`` (optional)
    ``"numeric"`` or ``"string"``: declares what the harmonized column must hold.

Columns of a wave that the codebook does not name keep their delivered name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Literal, get_args

import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns

DeclaredType = Literal["numeric", "string"]
DECLARED_TYPES: tuple[DeclaredType, ...] = get_args(DeclaredType)


def _parse_recode(text: Any, where: str) -> dict[str, Any] | None:
    if text is None or (not isinstance(text, (str, Mapping)) and pd.isna(text)):
        return None
    if isinstance(text, Mapping):
        return {_key(k): v for k, v in text.items()}
    if not text.strip():
        return None
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KaizenError(f"codebook {where}: recode is not valid JSON ({exc}): {text!r}") from exc
    if not isinstance(mapping, dict):
        raise KaizenError(f"codebook {where}: recode must be a JSON object, got {text!r}")
    return {_key(k): v for k, v in mapping.items()}


def _key(value: Any) -> str:
    """Text form used to match delivered values with recode keys (1, 1.0 and "1" agree)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_codebook(codebook: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    """Load and check a codebook table.

    Parameters
    ----------
    codebook : pandas.DataFrame or path
        The table, or a ``.csv``/``.parquet``/``.xlsx``/``.dta`` file holding it.

    Returns
    -------
    pandas.DataFrame
        Columns ``wave, source, name, recode, type``; ``recode`` holds parsed dicts (or None).

    Raises
    ------
    KaizenError
        If a column is missing, a recode is not a JSON object, a type is unknown, a source
        column is listed twice for a wave, or two sources of a wave get the same name.

    Examples
    --------
    >>> import pandas as pd
    >>> cb = pd.DataFrame({"wave": ["baseline"], "source": ["sexe"], "name": ["female"],
    ...                    "recode": ['{"F": 1, "M": 0}']})
    >>> read_codebook(cb)["recode"].item()
    {'F': 1, 'M': 0}
    """
    if not isinstance(codebook, pd.DataFrame):
        from kaizen_eval.waves.io import read_wave

        codebook = read_wave(codebook)
    require_columns(codebook, ["wave", "source", "name"], where="the codebook")
    cb = pd.DataFrame(
        {
            "wave": codebook["wave"].astype(str),
            "source": codebook["source"].astype(str),
            "name": codebook["name"].astype(str),
        }
    )
    recodes, types = [], []
    for i, row in enumerate(codebook.to_dict("records")):
        where = f"row {i} (wave {row['wave']!r}, source {row['source']!r})"
        recodes.append(_parse_recode(row.get("recode"), where))
        declared = row.get("type")
        if declared is None or (isinstance(declared, float) and pd.isna(declared)):
            types.append(None)
        elif declared not in DECLARED_TYPES:
            raise KaizenError(
                f"codebook {where}: type must be one of {DECLARED_TYPES}; got {declared!r}"
            )
        else:
            types.append(declared)
    cb["recode"] = pd.Series(recodes, dtype=object)
    cb["type"] = pd.Series(types, dtype=object)
    for key, label in ((["wave", "source"], "source column"), (["wave", "name"], "name")):
        dup = cb[cb.duplicated(key, keep=False)]
        if not dup.empty:
            first = dup.iloc[0]
            raise KaizenError(
                f"codebook lists the {label} {first[key[1]]!r} more than once for wave "
                f"{first['wave']!r}"
            )
    return cb.reset_index(drop=True)


def source_name(codebook: pd.DataFrame | None, wave: str, name: str) -> str:
    """Return the delivered name of harmonized column ``name`` in ``wave`` (itself if unmapped)."""
    if codebook is None:
        return name
    hit = codebook[(codebook["wave"] == wave) & (codebook["name"] == name)]
    return str(hit["source"].iloc[0]) if len(hit) else name


def _recode(values: pd.Series, mapping: Mapping[str, Any]) -> pd.Series:
    def one(v: Any) -> Any:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return v
        key = _key(v)
        return mapping[key] if key in mapping else v

    out = values.astype(object).map(one)
    out = out.where(out.notna(), None)
    if out.isna().all():
        return out.astype(float)
    return out.infer_objects()


def apply_codebook(
    df: pd.DataFrame, codebook: pd.DataFrame | None, wave: str
) -> tuple[pd.DataFrame, dict[str, DeclaredType]]:
    """Rename and recode one wave's columns; return the new frame and the declared types.

    Raises
    ------
    KaizenError
        If the codebook names a source column absent from the wave, or a new name collides
        with a column the codebook does not rename.

    Examples
    --------
    >>> import pandas as pd
    >>> cb = read_codebook(pd.DataFrame({"wave": ["b"], "source": ["sexe"], "name": ["female"],
    ...                                  "recode": ['{"F": 1, "M": 0}']}))
    >>> apply_codebook(pd.DataFrame({"sexe": ["F", "M"]}), cb, "b")[0]["female"].tolist()
    [1, 0]
    """
    if codebook is None:
        return df, {}
    rows = codebook[codebook["wave"] == wave]
    missing = [s for s in rows["source"] if s not in df.columns]
    if missing:
        raise KaizenError(
            f"codebook names column(s) {', '.join(map(repr, missing))} for wave {wave!r}, but "
            f"that wave has no such column; its columns are: {', '.join(map(str, df.columns))}"
        )
    renames = dict(zip(rows["source"], rows["name"], strict=True))
    kept = set(df.columns) - set(renames)
    clash = [n for n in renames.values() if n in kept]
    if clash:
        raise KaizenError(
            f"codebook renames a column of wave {wave!r} to {clash[0]!r}, but the wave already "
            f"has a column {clash[0]!r} that the codebook does not rename"
        )
    out = df.rename(columns=renames)
    declared: dict[str, DeclaredType] = {}
    for row in rows.itertuples(index=False):
        if row.recode is not None:
            out[row.name] = _recode(out[row.name], row.recode)
        if row.type is not None:
            declared[row.name] = row.type
    return out, declared
