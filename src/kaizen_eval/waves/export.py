"""Waves as a survey platform delivers them: an XLSForm per wave and the platform's CSV export.

:func:`platform_delivery` turns delivered waves (as ``ke.synthetic`` simulates them) into what a
team collecting them on SurveyCTO, ODK Central or KoboToolbox would hold: the instrument
(``survey``/``choices``/``settings`` sheets; text, ``integer``, ``decimal``, ``date`` and 0/1
answers as ``select_one yes_no``; management items ``mp_*`` in a ``grp_practices`` group, other
numbers in ``grp_firm``) and the export (group prefixes with the platform's separator, the
platform's metadata columns). Reading the export back with
:func:`~kaizen_eval.waves.load_waves` ``(form=..., platform=...)`` gives the same panel as the
waves themselves, which the tests check.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kaizen_eval._atomic import atomic_file
from kaizen_eval._validation import check_option
from kaizen_eval.waves.io import write_table
from kaizen_eval.waves.platform import PLATFORMS, SEPARATORS, Platform

#: Choice list of the 0/1 questions.
YES_NO = pd.DataFrame({"list_name": ["yes_no"] * 2, "name": ["1", "0"], "label": ["Yes", "No"]})


@dataclass(frozen=True)
class Delivery:
    """One wave as the platform delivers it: the form's three sheets and the export."""

    survey: pd.DataFrame
    choices: pd.DataFrame
    settings: pd.DataFrame
    export: pd.DataFrame

    def write(
        self,
        form_path: str | os.PathLike[str],
        export_path: str | os.PathLike[str],
        *,
        allow_pii: bool | Sequence[str] = False,
        overwrite: bool = False,
    ) -> None:
        """Write the form (``.xlsx``) and the export (``.csv``, through ``write_table``).

        Both are written aside and renamed into place; the export's identifier columns are
        refused unless ``allow_pii`` (synthetic trials hold fake ones).
        """
        with atomic_file(Path(form_path), overwrite=overwrite) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                self.survey.to_excel(xl, sheet_name="survey", index=False)
                self.choices.to_excel(xl, sheet_name="choices", index=False)
                self.settings.to_excel(xl, sheet_name="settings", index=False)
        write_table(self.export, export_path, allow_pii=allow_pii, id_col=None, overwrite=overwrite)


def _question(series: pd.Series, name: str, id_col: str) -> str:
    if name == id_col:
        return "text"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "select_one yes_no"
    if pd.api.types.is_numeric_dtype(series):
        present = series.dropna()
        if pd.api.types.is_integer_dtype(series) or (present == present.round()).all():
            if len(present) and set(present.unique()) <= {0, 1}:
                return "select_one yes_no"
            return "integer" if pd.api.types.is_integer_dtype(series) else "decimal"
        return "decimal"
    return "text"


def _group(name: str, kind: str) -> str | None:
    if name.startswith("mp_"):
        return "grp_practices"
    if kind in ("integer", "decimal"):
        return "grp_firm"
    return None


def _metadata(wave: str, n: int, platform: Platform) -> dict[str, list[str]]:
    keys = [f"uuid:{wave}-{i:06d}" for i in range(n)]
    stamp = ["2026-01-15T10:00:00.000Z"] * n
    if platform == "surveycto":
        return {"SubmissionDate": stamp, "KEY": keys, "instanceID": keys}
    if platform == "odk":
        return {"SubmissionDate": stamp, "meta/instanceID": keys, "KEY": keys,
                "SubmitterName": ["enumerator"] * n}  # fmt: skip
    return {"_uuid": keys, "_submission_time": stamp}


def platform_delivery(
    waves: Mapping[str, pd.DataFrame], *, platform: Platform, id_col: str = "firm_id"
) -> dict[str, Delivery]:
    """Turn delivered waves into each wave's XLSForm and platform export (see the module).

    Examples
    --------
    >>> import pandas as pd
    >>> waves = {"baseline": pd.DataFrame({"firm_id": ["A", "B"], "sales": [1.5, 2.0],
    ...                                    "mp_01": [1, 0]})}
    >>> d = platform_delivery(waves, platform="odk")["baseline"]
    >>> d.survey["type"].tolist()
    ['text', 'begin group', 'decimal', 'end group', 'begin group', 'select_one yes_no', 'end group']
    >>> d.export.columns.tolist()[:3]
    ['firm_id', 'grp_firm/sales', 'grp_practices/mp_01']
    """
    check_option("platform", platform, PLATFORMS)
    sep = SEPARATORS[platform][0]
    out = {}
    for wave, df in waves.items():
        kinds = {c: _question(df[c], c, id_col) for c in df.columns}
        groups = {c: _group(c, k) for c, k in kinds.items()}
        rows: list[dict[str, str]] = []
        for group in dict.fromkeys(groups.values()):
            columns = [c for c in df.columns if groups[c] == group]
            if group is not None:
                rows.append({"type": "begin group", "name": group, "label": group})
            rows += [{"type": kinds[c], "name": c, "label": c} for c in columns]
            if group is not None:
                rows.append({"type": "end group", "name": "", "label": ""})
        export = pd.DataFrame(index=df.index)
        for column in df.columns:
            name = column if groups[column] is None else f"{groups[column]}{sep}{column}"
            values = df[column]
            if kinds[column] == "select_one yes_no" and not pd.api.types.is_bool_dtype(values):
                values = values.astype("Float64").astype("Int64")
            export[name] = values
        for column, values in _metadata(wave, len(df), platform).items():
            export[column] = values
        settings = pd.DataFrame({"form_id": [f"kaizen_{wave}"], "version": ["1"]})
        out[wave] = Delivery(
            survey=pd.DataFrame(rows, columns=["type", "name", "label"]),
            choices=YES_NO.copy(),
            settings=settings,
            export=export.reset_index(drop=True),
        )
    return out
