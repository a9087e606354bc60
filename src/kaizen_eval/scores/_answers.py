"""Validation shared by the scores: item tables, 0/1 answers, firm ids, waves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns

_SHOW = 5


def _firms(df: pd.DataFrame, mask: np.ndarray, id_col: str | None) -> str:
    """Name up to five rows of ``df`` selected by ``mask``, by firm id when there is one."""
    rows = df.loc[mask, id_col] if id_col is not None and id_col in df.columns else df.index[mask]
    shown = ", ".join(repr(v) for v in list(rows)[:_SHOW])
    more = f" and {int(mask.sum()) - _SHOW} more" if mask.sum() > _SHOW else ""
    label = "firm" if id_col is not None and id_col in df.columns else "row"
    return f"{label}{'s' if mask.sum() > 1 else ''} {shown}{more}"


def item_domains(items: pd.DataFrame | Mapping[str, str]) -> pd.DataFrame:
    """Return a validated item table with columns ``item`` and ``domain`` (in the given order).

    ``items`` is a DataFrame with at least ``item`` and ``domain`` (e.g. ``trial.items``) or a
    mapping item → domain.
    """
    if isinstance(items, Mapping):
        table = pd.DataFrame({"item": list(items), "domain": list(items.values())})
    elif isinstance(items, pd.DataFrame):
        require_columns(items, ["item", "domain"], where="the item table")
        table = items[["item", "domain"]].copy()
    else:
        raise KaizenError(
            "`items` must be a DataFrame with columns 'item' and 'domain' or a mapping "
            f"item -> domain. You passed: {type(items).__name__}."
        )
    if table.empty:
        raise KaizenError("the item table is empty")
    if table["item"].isna().any() or table["domain"].isna().any():
        bad = table.loc[table["item"].isna() | table["domain"].isna(), "item"].tolist()
        raise KaizenError(f"the item table has items without a name or domain: {bad!r}")
    table["item"] = table["item"].astype(str)
    table["domain"] = table["domain"].astype(str)
    dup = table["item"].duplicated()
    if dup.any():
        raise KaizenError(
            f"item(s) {sorted(set(table.loc[dup, 'item']))!r} appear more than once in the item "
            "table"
        )
    return table.reset_index(drop=True)


def component_names(components: pd.DataFrame | Sequence[str] | str) -> list[str]:
    """Column names of the components: a list of names, or an item table's ``item`` column."""
    if isinstance(components, pd.DataFrame):
        require_columns(components, ["item"], where="the item table")
        names = [str(c) for c in components["item"]]
    elif isinstance(components, str):
        names = [components]
    else:
        names = [str(c) for c in components]
    if not names:
        raise KaizenError("no components given")
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise KaizenError(f"component(s) {dup!r} are given more than once")
    return names


def binary_answers(df: pd.DataFrame, columns: list[str], id_col: str | None) -> np.ndarray:
    """Return the 0/1 answers as a float array (n, k), NaN where missing; reject anything else."""
    require_columns(df, columns, where="the data")
    out = np.empty((len(df), len(columns)))
    for j, col in enumerate(columns):
        values = numeric_column(df, col, id_col)
        bad = ~np.isnan(values) & (values != 0) & (values != 1)
        if bad.any():
            shown = sorted(set(values[bad].tolist()))[:_SHOW]
            raise KaizenError(
                f"column {col!r} must hold 0/1 answers (or missing); {_firms(df, bad, id_col)} "
                f"have {shown!r}"
            )
        out[:, j] = values
    return out


def numeric_column(df: pd.DataFrame, col: str, id_col: str | None) -> np.ndarray:
    """Return ``df[col]`` as float (NaN for missing), naming the firms with non-numbers."""
    series = df[col]
    if pd.api.types.is_bool_dtype(series):
        series = series.astype("Int8") if series.isna().any() else series.astype(int)
    if not pd.api.types.is_numeric_dtype(series):
        converted = pd.to_numeric(series, errors="coerce")
        bad = (converted.isna() & series.notna()).to_numpy()
        if bad.any():
            shown = sorted({str(v) for v in series[bad]})[:_SHOW]
            raise KaizenError(
                f"column {col!r} is not numeric: {_firms(df, bad, id_col)} have {shown!r}"
            )
        series = converted
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(values).any():
        raise KaizenError(
            f"column {col!r} has infinite values at {_firms(df, np.isinf(values), id_col)}"
        )
    return values


def check_keys(df: pd.DataFrame, id_col: str, wave_col: str | None) -> None:
    """Require a non-empty table with ``id_col`` (and ``wave_col``), one row per firm (and wave)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame; you passed {type(df).__name__}")
    if df.empty:
        raise KaizenError("`df` has no rows: there are no firms to score")
    keys = [id_col] + ([wave_col] if wave_col is not None else [])
    require_columns(df, keys, where="the data")
    missing = df[id_col].isna().to_numpy()
    if missing.any():
        raise KaizenError(f"column {id_col!r} is missing in {int(missing.sum())} row(s)")
    dup = df.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        per = f" within a value of {wave_col!r}" if wave_col is not None else ""
        raise KaizenError(f"duplicate {id_col!r}{per}: {_firms(df, dup, id_col)}")
