"""One table for users of other tools: :func:`write_wave` (``.csv``, ``.parquet``, ``.dta``).

Stata files are written with pandas' own Stata writer (format 118: Unicode, so Swahili labels
survive), which takes variable labels and value labels and is read back by
``pandas.read_stata``; it needs no dependency beyond pandas (``pyreadstat`` would add a compiled
one for the same result). Labels come from the arguments or from the frame's
``attrs["variable_labels"]`` / ``attrs["value_labels"]``, which a :class:`Panel`'s accessors
carry (from the form or from Stata files read earlier).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._atomic import atomic_file
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError
from kaizen_eval.waves._docs import DOCS
from kaizen_eval.waves.errors import WavesWarning
from kaizen_eval.waves.io import unknown_file_type, write_table
from kaizen_eval.waves.pii import refuse_pii

PanelFormat = Literal["parquet", "csv", "dta"]
PANEL_FORMATS: tuple[PanelFormat, ...] = get_args(PanelFormat)
#: Stata's limits: variable names, variable labels, value labels.
STATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
STATA_LABEL_LENGTH = 80


def _short(label: str, what: str, long: list[str]) -> str:
    if len(label) <= STATA_LABEL_LENGTH:
        return label
    long.append(what)
    return label[: STATA_LABEL_LENGTH - 3] + "..."


def _whole(keys: list[Any]) -> bool:
    return all(
        isinstance(k, (int, float, np.number)) and not isinstance(k, bool) and float(k).is_integer()
        for k in keys
    )


def _stata_frame(
    df: pd.DataFrame,
    variable_labels: Mapping[str, str],
    value_labels: Mapping[str, Mapping[Any, str]],
    where: str,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[int, str]]]:
    bad = [str(c) for c in df.columns if not STATA_NAME.match(str(c))]
    if bad:
        raise KaizenError(
            f"cannot write {where}: Stata variable names are at most 32 letters, digits or "
            f"underscores, not starting with a digit; rename {', '.join(map(repr, bad))}"
        )
    out = df.reset_index(drop=True).copy()
    labels: dict[str, dict[int, str]] = {}
    for column in out.columns:
        values = out[column]
        given = value_labels.get(column)
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = list(values.cat.categories)
            if _whole(cats):
                out[column] = values.astype(float)
                if given:
                    labels[column] = {int(k): str(v) for k, v in given.items()}
            elif given and _whole(list(given)) and set(cats) <= set(given.values()):
                # read from Stata: the categories are the labels; write the codes back
                code = {str(v): int(k) for k, v in given.items()}
                out[column] = values.astype(object).map(code.get).astype(float)
                labels[column] = {int(k): str(v) for k, v in given.items()}
            elif given:  # text codes: numbered 1..k, labelled with the form's labels
                out[column] = values.cat.codes.astype(float).replace(-1, np.nan) + 1
                labels[column] = {k + 1: str(given.get(c, c)) for k, c in enumerate(cats)}
            continue
        if pd.api.types.is_bool_dtype(values):
            out[column] = values.astype("int8")
        elif pd.api.types.is_extension_array_dtype(values) and pd.api.types.is_numeric_dtype(
            values
        ):
            out[column] = values.astype(float)
        if given:
            keys = list(given)
            if not _whole(keys):
                raise KaizenError(
                    f"cannot write {where}: value labels of {column!r} must label whole "
                    f"numbers (Stata's rule), got codes {keys[:5]!r}"
                )
            labels[column] = {int(k): str(v) for k, v in given.items()}
    long: list[str] = []
    var_labels = {
        c: _short(str(v), c, long) for c, v in variable_labels.items() if c in out.columns
    }
    for column, mapping in labels.items():
        labels[column] = {k: _short(v, f"{column}={k}", long) for k, v in mapping.items()}
    if long:
        warnings.warn(
            f"{where}: labels longer than Stata's {STATA_LABEL_LENGTH} characters were cut: "
            f"{', '.join(long[:10])}",
            WavesWarning,
            stacklevel=3,
        )
    return out, var_labels, labels


@fill_doc(DOCS)
def write_wave(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    variable_labels: Mapping[str, str] | None = None,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
    allow_pii: bool | Sequence[str] = False,
    id_col: str | None = "firm_id",
    overwrite: bool = False,
) -> Path:
    """Write a table by its suffix: ``.csv``, ``.parquet``, or Stata ``.dta`` with labels.

    ``.csv`` and ``.parquet`` go through :func:`write_table`. A ``.dta`` file (Stata 118) gets
    each column's variable label and value labels: from the arguments, else from
    ``df.attrs`` (a :class:`Panel`'s frames carry the form's labels there). A ``select_one``
    with text codes (an unordered categorical) is written as 1, 2, ... labelled with its
    choice labels; Stata has no missing text, so missing text is written as ``""``. Like every
    writer of the package, identifier columns are refused unless ``allow_pii``, the file is
    written aside and renamed into place, and an existing file is replaced only with
    ``overwrite=True``.

    Parameters
    ----------
    %(param_table_written)s
    path : str or path-like
        Target file; ``.csv``, ``.parquet`` or ``.dta``.
    variable_labels : dict, optional
        Column → label (at most 80 characters in Stata; longer ones are cut, with a warning).
    value_labels : dict, optional
        Column → {code: label}; codes must be whole numbers, except for categoricals.
    %(params_write_safely)s

    %(returns_written_path)s

    Raises
    ------
    KaizenError
        For an unknown suffix, identifier columns, names Stata cannot hold (more than 32
        characters, spaces, a leading digit) or value labels of codes that are not whole
        numbers; ``OutputExistsError`` if ``path`` exists and ``overwrite`` is false.

    See Also
    --------
    write_table, read_wave : ``read_wave`` of a ``.dta`` keeps the labels in ``df.attrs``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> df = pd.DataFrame({"firm_id": ["KZ001", "KZ002"], "mp_records": [1.0, 0.0]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "panel.dta"
    >>> _ = write_wave(df, path, variable_labels={"mp_records": "Keeps written records"},
    ...                value_labels={"mp_records": {1: "Yes", 0: "No"}})
    >>> back = pd.read_stata(path)
    >>> back["mp_records"].tolist()
    ['Yes', 'No']
    >>> with pd.io.stata.StataReader(path) as r:
    ...     r.variable_labels()["mp_records"]
    'Keeps written records'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet"):
        return write_table(df, path, allow_pii=allow_pii, id_col=id_col, overwrite=overwrite)
    if suffix != ".dta":
        raise unknown_file_type(
            path, f"write {path}", "write_wave writes .csv, .parquet and .dta files"
        )
    refuse_pii(df, allow_pii=allow_pii, id_col=id_col, where=str(path))
    var = dict(df.attrs.get("variable_labels", {}))
    var.update(variable_labels or {})
    val = dict(df.attrs.get("value_labels", {}))
    val.update(value_labels or {})
    out, var, val = _stata_frame(df, var, val, str(path))
    with atomic_file(path, overwrite=overwrite) as tmp:
        out.to_stata(
            tmp, write_index=False, version=118, variable_labels=var, value_labels=val or None
        )
    return path
