"""An iecodebook-style template: :func:`codebook_template` lists every variable of every wave.

DIME's ``iecodebook template`` writes one row per variable and wave for the research team to
fill in the harmonized names; ``iecodebook apply`` then renames. Here the template is a workbook
(or CSV) with the columns :func:`~kaizen_eval.waves.read_codebook` reads — ``wave``, ``source``,
``name``, ``recode``, ``type`` — plus what helps filling it in: ``label``, ``question_type``,
``choices`` and ``note`` (a probable rename). The suggested ``name`` is the column's own name,
or, for a column found only in some waves, a near-identical name of the other waves (the
follow-up's ``costs_last_month`` → the baseline's ``costs_month``), with a note to check.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from kaizen_eval._atomic import atomic_file
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError
from kaizen_eval.waves._docs import DOCS
from kaizen_eval.waves._loading import _frame_of
from kaizen_eval.waves.answers import apply_form
from kaizen_eval.waves.missing_codes import DEFAULT_MISSING_CODES
from kaizen_eval.waves.platform import Platform
from kaizen_eval.waves.xlsform import Form, forms_by_wave

#: Columns of the template, in order.
TEMPLATE_COLUMNS = (
    "wave", "source", "name", "recode", "type", "label", "question_type", "choices", "note",
)  # fmt: skip
#: Names at least this similar (difflib ratio) are suggested as one renamed variable.
RENAME_SIMILARITY = 0.75


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    return "text"


def _rows_of(
    name: str, df: pd.DataFrame, form: Form | None, platform: Platform | None, id_col: str
) -> list[dict[str, Any]]:
    labels: dict[str, str] = dict(df.attrs.get("variable_labels", {}))
    values: dict[str, dict[Any, str]] = dict(df.attrs.get("value_labels", {}))
    types: dict[str, str] = {}
    if form is not None:
        result = apply_form(
            df, form, platform=platform, wave=name, id_col=id_col, codes=DEFAULT_MISSING_CODES,
            per_variable={}, reasons=False, errors="flag",
        )  # fmt: skip
        df = result.frame
        labels, values = result.variable_labels, result.value_labels
        for v in form.variables:
            types[v.name] = v.type
            for code in v.codes if v.kind == "select_multiple" else ():
                types[f"{v.name}_{code}"] = "select_multiple (0/1)"
    rows = []
    for column in df.columns:
        choices = values.get(column, {})
        rows.append(
            {
                "wave": name,
                "source": column,
                "name": column,
                "recode": None,
                "type": None,
                "label": labels.get(column),
                "question_type": types.get(column, _kind(df[column])),
                "choices": ";".join(f"{_code(k)}={v}" for k, v in choices.items()) or None,
                "note": None,
            }
        )
    return rows


def _code(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _suggest(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Suggest an earlier wave's near-identical name for a column some waves lack."""
    present = {w: set(table.loc[table["wave"] == w, "source"]) for w in names}
    for i, row in table.iterrows():
        wave, source = row["wave"], row["source"]
        if all(source in present[w] for w in names):
            continue
        earlier = names[: names.index(wave)]
        candidates = sorted({c for w in earlier for c in present[w]} - present[wave])
        best = difflib.get_close_matches(source, candidates, n=1, cutoff=RENAME_SIMILARITY)
        if best:
            first = next(w for w in earlier if best[0] in present[w])
            table.at[i, "name"] = best[0]
            table.at[i, "note"] = f"probably renamed: {best[0]!r} in wave {first!r}; check"
    return table


@fill_doc(DOCS)
def codebook_template(
    waves: Mapping[str, pd.DataFrame | str | os.PathLike[str]],
    path: str | os.PathLike[str] = "codebook.xlsx",
    *,
    form: Form | Mapping[str, Form] | None = None,
    platform: Platform | None = None,
    id_col: str = "firm_id",
    overwrite: bool = False,
) -> Path:
    """Write an iecodebook-style template of the waves for the team to fill in.

    Parameters
    ----------
    waves : dict
        Wave name → DataFrame or file path, as for :func:`~kaizen_eval.waves.load_waves`.
    path : str or path-like
        ``.xlsx`` (one sheet, ``codebook``) or ``.csv``.
    form, platform : optional
        As for ``load_waves``: with a form, the rows are the columns the loader makes of each
        export (form names, ``select_multiple`` split per choice) with the form's labels,
        types and choices, which is what the codebook's ``source`` names then.
    id_col : str
        The firm id column.
    %(param_overwrite)s

    Returns
    -------
    pathlib.Path
        The template. Edit ``name`` (and ``recode``, ``type``), then give it to ``load_waves``
        as ``codebook=``; :func:`~kaizen_eval.waves.read_codebook` reads it as it is.

    Raises
    ------
    KaizenError
        If ``waves`` is empty, or the suffix is not ``.xlsx`` or ``.csv``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> waves = {"baseline": pd.DataFrame({"firm_id": ["A"], "costs_month": [5.0]}),
    ...          "followup": pd.DataFrame({"firm_id": ["A"], "costs_last_month": [6.0]})}
    >>> path = codebook_template(waves, pathlib.Path(tempfile.mkdtemp()) / "codebook.xlsx")
    >>> cb = pd.read_excel(path)
    >>> cb[["wave", "source", "name"]].to_numpy().tolist()[-1]
    ['followup', 'costs_last_month', 'costs_month']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise KaizenError(
            f"cannot write {path}: the codebook template is an .xlsx or .csv file, not "
            f"{path.suffix or '(no suffix)'!r}"
        )
    if not isinstance(waves, Mapping) or not waves:
        raise KaizenError("`waves` must be a non-empty dict: wave name -> DataFrame or file path")
    names = [str(n) for n in waves]
    forms = forms_by_wave(form, names)
    rows: list[dict[str, Any]] = []
    for name in names:
        df = _frame_of(name, waves[name], id_col)
        rows += _rows_of(name, df, forms.get(name), platform, id_col)
    table = _suggest(pd.DataFrame(rows, columns=list(TEMPLATE_COLUMNS)), names)
    with atomic_file(path, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                table.to_excel(xl, sheet_name="codebook", index=False)
    return path
