"""The firm × wave panel: :func:`load_waves` and :class:`Panel`."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import pandas as pd

from kaizen_eval._atomic import atomic_folder
from kaizen_eval._validation import (
    KaizenError,
    MissingColumnError,
    as_list,
    check_option,
    require_columns,
)
from kaizen_eval.waves.attrition import Attrition, attrition_table
from kaizen_eval.waves.codebook import apply_codebook, read_codebook, source_name
from kaizen_eval.waves.errors import EmptyWaveError, IdMismatchError, WavesWarning
from kaizen_eval.waves.io import read_wave, write_table
from kaizen_eval.waves.issues import issue, issues_frame
from kaizen_eval.waves.pii import (
    deidentify_frame,
    detect_pii,
    flagged_columns,
    hash_ids,
    scrub_values,
)
from kaizen_eval.waves.validate import (
    ERRORS,
    ID_REASONS,
    Errors,
    _show,
    check_duplicates,
    check_missing_ids,
    check_status,
    check_value_labels,
    drop_empty_rows,
    harmonize_types,
    normalize_ids,
    renamed_columns,
)

WaveSource = pd.DataFrame | str | os.PathLike[str]

#: Columns of :attr:`Panel.id_changes`.
ID_CHANGE_COLUMNS = ("wave", "row", "delivered", "firm_id", "reason")

#: A later wave in which more than this share of firm ids is absent from the first wave is an
#: error (``errors="raise"``) or a warning (``errors="flag"``): the ids drifted between waves.
ID_MISMATCH_SHARE = 0.5


@dataclass(frozen=True, eq=False, repr=False)
class Panel:
    """Harmonized survey waves of the same firms; build it with :func:`load_waves`.

    The panel is read-only: accessors return new frames (changing them leaves the panel as it
    was), and :func:`deidentify` returns a new panel.

    Attributes
    ----------
    waves : tuple of str
        Wave names, in order.
    id_col : str
        Firm id column.
    status_col : str or None
        Interview status column (None if no wave has it: then a firm is observed in a wave when
        it has a row there).
    arm_col : str or None
        Default arm column of :meth:`attrition`.
    pii_columns : tuple of str
        Columns flagged as direct identifiers (names, phones, e-mails, GPS, national ids).
    codebook : pandas.DataFrame or None
        The checked codebook that was applied.

    See Also
    --------
    load_waves, deidentify

    Examples
    --------
    >>> import pandas as pd
    >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["A", "B"], "sales": [1.0, 2.0]}),
    ...                 "followup": pd.DataFrame({"firm_id": ["A"], "sales": [3.0]})})
    >>> p.waves, len(p.long), p.wide["sales_followup"].tolist()
    (('baseline', 'followup'), 3, [3.0, nan])
    """

    _frames: Mapping[str, pd.DataFrame]
    id_col: str
    status_col: str | None
    arm_col: str | None
    _issues: pd.DataFrame
    pii_columns: tuple[str, ...] = ()
    codebook: pd.DataFrame | None = field(default=None)
    _id_changes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ID_CHANGE_COLUMNS))
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_frames", MappingProxyType(dict(self._frames)))

    # -- accessors -----------------------------------------------------------------------------
    @property
    def waves(self) -> tuple[str, ...]:
        """Wave names, in the order given to :func:`load_waves`."""
        return tuple(self._frames)

    @property
    def id_changes(self) -> pd.DataFrame:
        """Every firm id the loader changed, with the id as delivered and as compared.

        Columns ``wave``, ``row`` (position in the delivered table), ``delivered`` (the id as
        text, as in the file), ``firm_id`` (the id in the panel) and ``reason``. Each change is
        also an ``"repaired"`` row of :attr:`issues`. Ids are compared as text, after stripping
        spaces and a ``.0`` suffix, and ids of later waves that lost leading zeros or changed
        letter case are given the first wave's form.

        Examples
        --------
        >>> import pandas as pd
        >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["007", "010"]}),
        ...                 "followup": pd.DataFrame({"firm_id": [7, 10]})})
        >>> p.id_changes[["delivered", "firm_id"]].to_numpy().tolist()
        [['7', '007'], ['10', '010']]
        """
        return self._id_changes.copy()

    @property
    def issues(self) -> pd.DataFrame:
        """Every dropped row, coerced value and flagged row or column (see ``waves.issues``)."""
        return self._issues.copy()

    def _tag(self, df: pd.DataFrame) -> pd.DataFrame:
        df.attrs = {"pii_columns": [c for c in self.pii_columns if c in df.columns]}
        return df

    def wave(self, name: str) -> pd.DataFrame:
        """One wave's harmonized frame (a new object; the panel is not changed).

        Examples
        --------
        >>> import pandas as pd
        >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["A"], "sales": [1.0]})})
        >>> p.wave("baseline").columns.tolist()
        ['firm_id', 'sales']
        """
        if name not in self._frames:
            raise KaizenError(
                f"no wave {name!r} in this panel; its waves are {', '.join(map(repr, self.waves))}"
            )
        return self._tag(self._frames[name].copy())

    @cached_property
    def _long(self) -> pd.DataFrame:
        parts = [df.assign(wave=w) for w, df in self._frames.items()]
        long = pd.concat(parts, ignore_index=True, sort=False)
        long["wave"] = pd.Categorical(long["wave"], categories=list(self.waves), ordered=True)
        rest = [c for c in long.columns if c not in (self.id_col, "wave")]
        long = long[[self.id_col, "wave", *rest]]
        return long.sort_values([self.id_col, "wave"], kind="stable").reset_index(drop=True)

    @property
    def long(self) -> pd.DataFrame:
        """One row per (firm, wave) with a row in that wave, sorted by firm then wave.

        ``wave`` is an ordered categorical with the waves in the given order.
        """
        return self._tag(self._long.copy())

    @cached_property
    def _wide(self) -> pd.DataFrame:
        variables = list(
            dict.fromkeys(c for df in self._frames.values() for c in df.columns if c != self.id_col)
        )
        pieces = [df.set_index(self.id_col).add_suffix(f"_{w}") for w, df in self._frames.items()]
        wide = pd.concat(pieces, axis=1, join="outer", sort=False)
        if wide.columns.duplicated().any():
            dup = wide.columns[wide.columns.duplicated()][0]
            raise KaizenError(f"two (variable, wave) pairs give the same wide column {dup!r}")
        order = [f"{v}_{w}" for v in variables for w in self.waves if v in self._frames[w].columns]
        wide = wide[order].sort_index()
        wide.index.name = self.id_col
        return wide.reset_index()

    @property
    def wide(self) -> pd.DataFrame:
        """One row per firm; columns ``<variable>_<wave>``, grouped by variable in wave order."""
        return self._tag(self._wide.copy())

    def attrition(self, arm: str | None = None) -> Attrition:
        """Which firms are observed in which wave, with status counts per wave (and arm).

        Parameters
        ----------
        arm : str, optional
            Column to split the counts by (default: the panel's ``arm_col``). A firm's arm is
            its first non-missing value over the waves; an arm that changes is an error.

        Returns
        -------
        Attrition
            ``.status`` and ``.observed`` (firm × wave) and ``.counts`` per wave (× arm). Firm
            exit (``closed``) is counted apart from ``not_found`` and ``refused``; a firm with no
            row in a wave counts as ``no_record``.

        Examples
        --------
        >>> import pandas as pd
        >>> p = load_waves({
        ...     "baseline": pd.DataFrame({"firm_id": ["A", "B"], "status": ["interviewed"] * 2}),
        ...     "followup": pd.DataFrame({"firm_id": ["A", "B"],
        ...                               "status": ["interviewed", "closed"]})})
        >>> p.attrition().counts[["interviewed", "closed", "observed"]].to_numpy().tolist()
        [[2, 0, 2], [1, 1, 1]]
        """
        arm = arm if arm is not None else self.arm_col
        return attrition_table(
            self._frames, id_col=self.id_col, status_col=self.status_col, arm=arm
        )

    def write(
        self, directory: str | os.PathLike[str], *, allow_pii: bool = False, overwrite: bool = False
    ) -> Path:
        """Write the panel (long table, issues, id changes, ``panel.json``) to a folder.

        Files: ``long.parquet``, ``issues.csv``, ``id_changes.csv``, ``panel.json``. Writing
        goes through :func:`write_table`, which refuses identifier columns unless
        ``allow_pii=True``; de-identify first with :func:`deidentify`. The folder is built aside
        and renamed into place when every file is written (``panel.json`` last), so a failed or
        killed write leaves the previous folder, or none, never a mix; an existing non-empty
        folder is replaced only with ``overwrite=True`` (else ``OutputExistsError``).

        Examples
        --------
        >>> import pandas as pd, tempfile
        >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["A"], "sales": [1.0]})})
        >>> sorted(f.name for f in p.write(tempfile.mkdtemp()).iterdir())
        ['id_changes.csv', 'issues.csv', 'long.parquet', 'panel.json']
        """
        directory = Path(directory)
        meta = {
            "waves": list(self.waves),
            "id_col": self.id_col,
            "status_col": self.status_col,
            "arm_col": self.arm_col,
            "pii_columns": list(self.pii_columns),
        }
        with atomic_folder(directory, overwrite=overwrite) as tmp:
            write_table(self.long, tmp / "long.parquet", allow_pii=allow_pii, id_col=self.id_col)
            write_table(self.issues, tmp / "issues.csv", allow_pii=allow_pii, id_col="firm_id")
            write_table(self.id_changes, tmp / "id_changes.csv", allow_pii=allow_pii)
            (tmp / "panel.json").write_text(json.dumps(meta, indent=2) + "\n")
        return directory

    def deidentify(self, *, salt: str, drop: str | Sequence[str] | None = None) -> Panel:
        """Return a new panel without identifier columns, firm ids replaced by salted hashes.

        See :func:`deidentify` (this method is what it calls for a panel).

        Examples
        --------
        >>> import pandas as pd
        >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["A"], "owner_name": ["Ama"]})})
        >>> p.deidentify(salt="s").wave("baseline").columns.tolist(), p.pii_columns
        (['firm_id'], ('owner_name',))
        """
        drop = as_list(drop)
        every = {c for df in self._frames.values() for c in df.columns}
        unknown = [c for c in drop if c not in every]
        if unknown:
            raise MissingColumnError(
                f"column(s) {', '.join(map(repr, unknown))} to drop are in none of the waves"
            )
        frames = {}
        for w, df in self._frames.items():
            remove = set(self.pii_columns) | set(flagged_columns(df, id_col=self.id_col))
            remove |= set(drop)
            out = df.drop(columns=[c for c in df.columns if c in remove])
            out[self.id_col] = hash_ids(out[self.id_col], salt=salt)
            frames[w] = out
        issues = self._issues.copy()
        issues["firm_id"] = hash_ids(issues["firm_id"], salt=salt)
        changes = self._id_changes.copy()
        for col in ("delivered", "firm_id"):
            changes[col] = hash_ids(changes[col], salt=salt)
        return replace(
            self, _frames=frames, _issues=issues, pii_columns=(), _id_changes=changes
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{w} ({len(df)} rows)" for w, df in self._frames.items())
        actions = self._issues["action"].value_counts()
        issues = ", ".join(f"{n} {a}" for a, n in actions.items()) or "none"
        pii = ", ".join(self.pii_columns) or "none"
        return f"<Panel of waves {sizes}; issues: {issues}; identifier columns: {pii}>"


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
    warnings.warn(message, WavesWarning, stacklevel=3)


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


def load_waves(
    waves: Mapping[str, WaveSource],
    *,
    id_col: str = "firm_id",
    codebook: pd.DataFrame | str | os.PathLike[str] | None = None,
    status_col: str | None = "status",
    arm_col: str | None = None,
    errors: Errors = "raise",
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
    cb = read_codebook(codebook) if codebook is not None else None
    if cb is not None:
        unknown = sorted(set(cb["wave"]) - set(names))
        if unknown:
            raise KaizenError(
                f"the codebook names wave(s) {', '.join(map(repr, unknown))}, which are not "
                f"among the waves given: {', '.join(map(repr, names))}"
            )

    records: list[dict[str, Any]] = []
    id_changes: list[dict[str, Any]] = []
    frames: dict[str, pd.DataFrame] = {}
    declared: dict[str, dict[str, str]] = {}
    for name in names:
        df = _frame_of(name, waves[name], source_name(cb, name, id_col))
        df, declared[name] = apply_codebook(df, cb, name)
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
        records += found
        if df.empty:
            raise EmptyWaveError(
                f"wave {name!r} has only blank rows ({len(found)}): every firm would look "
                "attrited; deliver its data or leave the wave out of `waves`"
            )
        ids, changed = normalize_ids(df[id_col], wave=name)
        df[id_col] = ids
        for i, delivered, new, reason in changed:
            records.append(issue(name, reason, "repaired", firm_id=new, row=int(i), column=id_col))
            id_changes.append(_id_change(name, i, delivered, new, reason))
        df, found = check_missing_ids(df, name, id_col, errors)
        records += found
        df, found = check_duplicates(df, name, id_col, errors)
        records += found
        frames[name] = df

    for name in names[1:]:
        frames[name], found = _match_first_wave(frames[name], frames[names[0]], name, id_col)
        for i, delivered, new, reason in found:
            records.append(issue(name, reason, "repaired", firm_id=new, row=int(i), column=id_col))
            id_changes.append(_id_change(name, i, delivered, new, reason))
        _check_id_overlap(frames[name], frames[names[0]], name, names[0], id_col, errors)

    pii: dict[str, str] = {}
    for name, df in frames.items():
        for column, reason in detect_pii(df, id_col=id_col).items():
            pii.setdefault(column, reason)
            records.append(issue(name, f"direct identifier: {reason}", "flagged", column=column))
    for name, df in frames.items():
        skip = [id_col, *pii, *(c for c, t in declared[name].items() if t == "string")]
        frames[name], found = scrub_values(df, skip=skip)
        for i, column, what in found:
            reason = f"personal data where it does not belong: a {what} (value removed)"
            records.append(
                issue(name, reason, "coerced", firm_id=df.at[i, id_col], row=int(i), column=column)
            )

    frames, found = harmonize_types(
        frames, id_col=id_col, declared=declared, text_columns=frozenset(pii), errors=errors
    )
    records += found
    check_value_labels(frames, id_col, frozenset(pii) | {status_col})
    records += renamed_columns(frames, id_col)

    has_status = status_col is not None and any(status_col in df for df in frames.values())
    if has_status:
        for name, df in frames.items():
            if status_col in df.columns:
                records += check_status(df, name, id_col, status_col)
    if arm_col is not None and not any(arm_col in df.columns for df in frames.values()):
        raise MissingColumnError(f"arm column {arm_col!r} is in none of the waves")

    first = names[0]
    for name in names[1:]:
        df = frames[name]
        for i in df.index[~df[id_col].isin(frames[first][id_col])]:
            records.append(
                issue(
                    name,
                    f"firm not in the first wave {first!r}",
                    "flagged",
                    firm_id=df.at[i, id_col],
                    row=int(i),
                    column=id_col,
                )
            )

    issues = issues_frame(records)
    wave_order = issues["wave"].map({n: k for k, n in enumerate(names)})
    order = pd.DataFrame({"wave": wave_order, "row": issues["row"].fillna(-1)})
    issues = issues.loc[order.sort_values(["wave", "row"], kind="stable").index]
    issues = issues.reset_index(drop=True)
    return Panel(
        _frames={n: df.reset_index(drop=True) for n, df in frames.items()},
        id_col=id_col,
        status_col=status_col if has_status else None,
        arm_col=arm_col,
        _issues=issues,
        pii_columns=tuple(pii),
        codebook=cb,
        _id_changes=pd.DataFrame(id_changes, columns=list(ID_CHANGE_COLUMNS)),
    )


PanelOrFrame = TypeVar("PanelOrFrame", Panel, pd.DataFrame)


def deidentify(
    data: PanelOrFrame,
    *,
    salt: str,
    id_col: str = "firm_id",
    drop: str | Sequence[str] | None = None,
) -> PanelOrFrame:
    """Return a copy with identifier columns removed and firm ids replaced by salted hashes.

    Parameters
    ----------
    data : Panel or pandas.DataFrame
        A panel from :func:`load_waves` or one table. Not modified.
    salt : str
        Secret string mixed into the hash; the same salt gives the same hashed id in every wave
        and every call, so de-identified waves still link.
    id_col : str
        Firm id column (for a ``Panel``, its own id column is used).
    drop : str or sequence of str, optional
        Further columns to remove, besides those flagged by :func:`detect_pii` (and, for a panel,
        ``panel.pii_columns``).

    Returns
    -------
    Panel or pandas.DataFrame
        Same type as ``data``. A panel's ``issues`` get hashed firm ids too, and its
        ``pii_columns`` become empty.

    Raises
    ------
    MissingColumnError
        If ``id_col`` or a column of ``drop`` is absent.

    See Also
    --------
    Panel.deidentify, detect_pii, write_table

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": ["GH0001"], "owner_name": ["Ama"], "sales": [10.0]})
    >>> out = deidentify(df, salt="s3cret")
    >>> list(out.columns), out["firm_id"].str.len().item()
    (['firm_id', 'sales'], 16)
    """
    if isinstance(data, Panel):
        return data.deidentify(salt=salt, drop=drop)
    if not isinstance(data, pd.DataFrame):
        raise KaizenError(f"deidentify expects a Panel or a DataFrame, not {type(data).__name__}")
    return deidentify_frame(data, salt=salt, id_col=id_col, drop=as_list(drop))
