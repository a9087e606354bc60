"""Survey waves read into the firm × wave panel: :func:`load_waves`.

The steps of each wave's checks are in :mod:`kaizen_eval.waves._loading`; the panel they build
is :class:`~kaizen_eval.waves.panel.Panel`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from kaizen_eval._validation import KaizenError, MissingColumnError, check_option
from kaizen_eval.waves._loading import (
    FormOptions,
    Log,
    check_arguments,
    check_codebook_waves,
    flag_not_in_first_wave,
    flag_personal_data,
    match_first_wave_ids,
    read_one_wave,
)
from kaizen_eval.waves.answers import NOT_ASKED_COLUMNS
from kaizen_eval.waves.codebook import read_codebook
from kaizen_eval.waves.missing_codes import DEFAULT_MISSING_CODES, MissingCodes, resolve_codes
from kaizen_eval.waves.panel import ID_CHANGE_COLUMNS, Panel
from kaizen_eval.waves.platform import PLATFORMS, Platform
from kaizen_eval.waves.submissions import read_resolutions
from kaizen_eval.waves.validate import (
    ERRORS,
    Errors,
    check_status,
    check_value_labels,
    harmonize_types,
    renamed_columns,
)
from kaizen_eval.waves.xlsform import Form, forms_by_wave

WaveSource = pd.DataFrame | str | os.PathLike[str]


def load_waves(
    waves: Mapping[str, WaveSource],
    *,
    id_col: str = "firm_id",
    codebook: pd.DataFrame | str | os.PathLike[str] | None = None,
    status_col: str | None = "status",
    arm_col: str | None = None,
    errors: Errors = "raise",
    form: Form | Mapping[str, Form] | None = None,
    platform: Platform | None = None,
    missing_codes: MissingCodes | None = DEFAULT_MISSING_CODES,
    missing_reasons: bool = False,
    duplicates: pd.DataFrame | str | os.PathLike[str] | None = None,
) -> Panel:
    """Read survey waves into a harmonized firm × wave :class:`Panel`.

    Each wave is read (:func:`read_wave` for paths), renamed and recoded with the codebook,
    then checked: the id column must exist, empty rows are dropped, ids are normalized (whole
    numbers, or stripped text), rows without id and duplicate ids are errors, each column gets
    one type across waves, interview statuses are checked and identifier columns are flagged.
    Whatever is dropped, coerced or flagged is listed in ``panel.issues``; nothing disappears
    silently.

    Parameters
    ----------
    waves : dict
        Wave name → DataFrame or file path; the dict order is the wave order.
    id_col : str
        Harmonized firm id column.
    codebook : pandas.DataFrame or path, optional
        Columns ``wave, source, name`` and optional ``recode`` (JSON object) and ``type``
        (``"numeric"``/``"string"``); see :mod:`kaizen_eval.waves.codebook`.
    status_col : str or None
        Interview status column (``interviewed``, ``closed``, ``not_found``, ``refused``); if no
        wave has it, a firm counts as observed in a wave when it has a row there.
    arm_col : str, optional
        Treatment-arm column used by default in :meth:`Panel.attrition`.
    errors : {"raise", "flag"}
        ``"raise"`` (default): rows without id, duplicate ids and text in numeric columns are
        errors. ``"flag"``: such rows are dropped (exact repeats keep one copy; conflicting
        duplicates are all dropped) and unparseable numbers become missing, each recorded in
        ``panel.issues``. Types that differ across waves are always an error.
    form : Form or dict of Form, optional
        The XLSForm instrument (:func:`read_xlsform`), one for every wave or a dict wave →
        form. With a form, each wave is first read the form's way (see
        :mod:`kaizen_eval.waves.answers`): columns matched to the form's variables (group
        prefixes stripped; a column matching none is kept and reported; two for one variable
        are an error), types from the form, ``select_multiple`` split into 0/1 columns
        ``<variable>_<code>``, special codes turned missing, skip logic and constraints
        checked, metadata set aside (``panel.metadata``), duplicate submissions compared. The
        codebook then applies to the form's names.
    platform : {"surveycto", "odk", "kobo"} or None
        The platform that produced the exports (its group separator and metadata columns);
        None accepts any of them.
    missing_codes : dict, optional
        Special codes → reason (default ``{-888: "don't know", -999: "refused", -777: "n/a"}``),
        applied with a form to numeric and ``select_one`` answers; a variable's own codes go
        under its name (``{"employees": {-1: "refused"}}``) and replace the common ones for it.
        Each code found is a ``"coerced"`` row of ``panel.issues`` with its reason. None: no
        codes.
    missing_reasons : bool, default False
        Keep each coded answer's reason in a column ``<variable>_missing``.
    duplicates : pandas.DataFrame or path, optional
        How to resolve duplicate submissions (with a form): columns ``key`` (the platform's
        ``KEY``/``instanceID``) and ``action`` (``keep``/``drop``). Duplicates left that differ
        are a ``DuplicateSubmissionError`` naming the differing columns (``errors="raise"``).

    Returns
    -------
    Panel
        With ``.long``, ``.wide``, ``.wave(name)``, ``.attrition()``, ``.issues``,
        ``.pii_columns`` and ``.write(directory)``.

    Raises
    ------
    KaizenError
        Naming the wave, column and firms at fault (see ``errors``); ``MissingColumnError`` when
        a wave lacks the id column.

    See Also
    --------
    read_wave, deidentify, write_table

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"firm_id": ["A", "B"], "status": ["interviewed"] * 2,
    ...                      "sexe": ["F", "M"], "sales": [100.0, 80.0]})
    >>> follow = pd.DataFrame({"firm_id": ["A", "B"], "status": ["interviewed", "closed"],
    ...                        "sales": [120.0, None]})
    >>> cb = pd.DataFrame({"wave": ["baseline"], "source": ["sexe"], "name": ["female"],
    ...                    "recode": ['{"F": 1, "M": 0}']})
    >>> panel = load_waves({"baseline": base, "followup": follow}, codebook=cb)
    >>> panel.wide.columns.tolist()
    ['firm_id', 'status_baseline', 'status_followup', 'female_baseline', 'sales_baseline', \
'sales_followup']
    """
    check_option("errors", errors, ERRORS)
    names = check_arguments(waves, id_col=id_col, status_col=status_col, arm_col=arm_col)
    cb = read_codebook(codebook) if codebook is not None else None
    check_codebook_waves(cb, names)
    forms = _form_options(
        form,
        names,
        platform=platform,
        missing_codes=missing_codes,
        missing_reasons=missing_reasons,
        duplicates=duplicates,
    )
    log = Log()
    frames: dict[str, pd.DataFrame] = {}
    declared: dict[str, dict[str, str]] = {}
    for name in names:
        frames[name], declared[name] = read_one_wave(
            name, waves[name], cb, id_col=id_col, errors=errors, log=log, form=forms.get(name)
        )
    match_first_wave_ids(frames, id_col=id_col, errors=errors, log=log)
    pii = flag_personal_data(frames, declared, id_col=id_col, log=log)
    frames, found = harmonize_types(
        frames, id_col=id_col, declared=declared, text_columns=frozenset(pii), errors=errors
    )
    log.records += found
    check_value_labels(frames, id_col, frozenset(pii) | {status_col})
    log.records += renamed_columns(frames, id_col)

    has_status = status_col is not None and any(status_col in df for df in frames.values())
    if has_status:
        for name, df in frames.items():
            if status_col in df.columns:
                log.records += check_status(df, name, id_col, status_col)
    if arm_col is not None and not any(arm_col in df.columns for df in frames.values()):
        raise MissingColumnError(f"arm column {arm_col!r} is in none of the waves")
    flag_not_in_first_wave(frames, id_col=id_col, log=log)
    return Panel(
        _frames={n: df.reset_index(drop=True) for n, df in frames.items()},
        id_col=id_col,
        status_col=status_col if has_status else None,
        arm_col=arm_col,
        _issues=log.issues(names),
        pii_columns=tuple(pii),
        codebook=cb,
        _id_changes=pd.DataFrame(log.id_changes, columns=list(ID_CHANGE_COLUMNS)),
        variable_labels=log.variable_labels,
        value_labels=log.value_labels,
        _metadata=log.metadata,
        _not_asked=_kept_rows(log.not_asked, frames),
    )


def _kept_rows(
    records: list[dict[str, object]], frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """Keep the not-asked cells of rows the panel kept (not a dropped duplicate's)."""
    table = pd.DataFrame(records, columns=list(NOT_ASKED_COLUMNS))
    kept = [int(r) in frames[w].index for w, r in zip(table["wave"], table["row"], strict=True)]
    table = table[pd.Series(kept, index=table.index, dtype=bool)]
    table["row"] = table["row"].astype("Int64")
    return table.reset_index(drop=True)


def _form_options(
    form: Form | Mapping[str, Form] | None,
    names: list[str],
    *,
    platform: Platform | None,
    missing_codes: MissingCodes | None,
    missing_reasons: bool,
    duplicates: pd.DataFrame | str | os.PathLike[str] | None,
) -> dict[str, FormOptions]:
    """Check the platform arguments of ``load_waves``; give each wave with a form its options."""
    if platform is not None:
        check_option("platform", platform, PLATFORMS)
    by_wave = forms_by_wave(form, names)
    if not by_wave:
        if platform is not None or duplicates is not None or missing_reasons:
            raise KaizenError(
                "`platform`, `duplicates` and `missing_reasons` need the survey's form: pass "
                "form=read_xlsform(...)"
            )
        return {}
    resolutions = read_resolutions(duplicates)
    common, per = resolve_codes(missing_codes, {n for f in by_wave.values() for n in f.names})
    out = {}
    for name, f in by_wave.items():
        out[name] = FormOptions(f, platform, common, per, missing_reasons, resolutions)
    return out
