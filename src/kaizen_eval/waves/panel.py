"""The firm × wave panel: :class:`Panel` and :func:`deidentify`; :func:`load_waves` builds it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import pandas as pd

from kaizen_eval._atomic import atomic_folder
from kaizen_eval._render import copied
from kaizen_eval._validation import KaizenError, MissingColumnError, as_list, check_option
from kaizen_eval.waves._loading import ID_MISMATCH_SHARE as ID_MISMATCH_SHARE
from kaizen_eval.waves.answers import NOT_ASKED_COLUMNS
from kaizen_eval.waves.attrition import Attrition, attrition_table
from kaizen_eval.waves.io import write_table
from kaizen_eval.waves.pii import deidentify_frame, flagged_columns, hash_ids
from kaizen_eval.waves.write import PANEL_FORMATS, PanelFormat, write_wave

#: Columns of :attr:`Panel.id_changes`.
ID_CHANGE_COLUMNS = ("wave", "row", "delivered", "firm_id", "reason")


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
    variable_labels : mapping
        Column → label: from the form (``load_waves(form=...)``) or from Stata files.
    value_labels : mapping
        Column → {code: label}: the choice labels of ``select_one`` questions, or Stata value
        labels.

    See Also
    --------
    load_waves, deidentify

    Examples
    --------
    >>> import pandas as pd
    >>> from kaizen_eval.waves import load_waves
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
    variable_labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[object, str]] = field(default_factory=dict)
    _metadata: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    _not_asked: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(NOT_ASKED_COLUMNS))
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_frames", MappingProxyType(dict(self._frames)))
        object.__setattr__(self, "_metadata", MappingProxyType(dict(self._metadata)))
        object.__setattr__(self, "variable_labels", MappingProxyType(dict(self.variable_labels)))
        object.__setattr__(
            self,
            "value_labels",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.value_labels.items()}),
        )

    # -- accessors -----------------------------------------------------------------------------
    @property
    def waves(self) -> tuple[str, ...]:
        """Wave names, in the order given to :func:`load_waves`."""
        return tuple(self._frames)

    id_changes = copied(
        "_id_changes",
        """Every firm id the loader changed, with the id as delivered and as compared.

        Columns ``wave``, ``row`` (position in the delivered table), ``delivered`` (the id as
        text, as in the file), ``firm_id`` (the id in the panel) and ``reason``. Each change is
        also an ``"repaired"`` row of :attr:`issues`. Ids are compared as text, after stripping
        spaces and a ``.0`` suffix, and ids of later waves that lost leading zeros or changed
        letter case are given the first wave's form.

        Examples
        --------
        >>> import pandas as pd
        >>> from kaizen_eval.waves import load_waves
        >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["007", "010"]}),
        ...                 "followup": pd.DataFrame({"firm_id": [7, 10]})})
        >>> p.id_changes[["delivered", "firm_id"]].to_numpy().tolist()
        [['7', '007'], ['10', '010']]
        """,
    )

    issues = copied(
        "_issues",
        "Every dropped row, coerced value and flagged row or column (see ``waves.issues``).",
    )

    @property
    def metadata(self) -> pd.DataFrame:
        """The platform's metadata columns (``KEY``, ``SubmissionDate`` ...), set aside.

        One row per delivered submission (duplicates included), with ``wave`` and the firm id
        as delivered; empty when no form was given to :func:`load_waves`.
        """
        parts = [df.assign(wave=w) for w, df in self._metadata.items()]
        if not parts:
            return pd.DataFrame(columns=[self.id_col, "wave"])
        out = pd.concat(parts, ignore_index=True, sort=False)
        return out[["wave", *[c for c in out.columns if c != "wave"]]]

    not_asked = copied(
        "_not_asked",
        """Cells left empty because the form's ``relevant`` was false (structural missings).

        Columns ``wave``, ``firm_id``, ``column`` and ``relevant`` (the condition). These are
        not attrition: the question was skipped by design.
        """,
    )

    def _tag(self, df: pd.DataFrame) -> pd.DataFrame:
        df.attrs = {
            "pii_columns": [c for c in self.pii_columns if c in df.columns],
            "variable_labels": {c: v for c, v in self.variable_labels.items() if c in df.columns},
            "value_labels": {c: dict(v) for c, v in self.value_labels.items() if c in df.columns},
        }
        return df

    def wave(self, name: str) -> pd.DataFrame:
        """One wave's harmonized frame (a new object; the panel is not changed).

        Examples
        --------
        >>> import pandas as pd
        >>> from kaizen_eval.waves import load_waves
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
        >>> from kaizen_eval.waves import load_waves
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
        self,
        directory: str | os.PathLike[str],
        *,
        allow_pii: bool = False,
        overwrite: bool = False,
        format: PanelFormat = "parquet",
    ) -> Path:
        """Write the panel (long table, issues, id changes, ``panel.json``) to a folder.

        Files: ``long.parquet`` (``long.dta`` with ``format="dta"``: Stata 118 with the
        variable and value labels, see :func:`write_wave`; ``long.csv`` with ``"csv"``),
        ``issues.csv``, ``id_changes.csv``, ``panel.json``. Writing
        goes through :func:`write_table`, which refuses identifier columns unless
        ``allow_pii=True``; de-identify first with :func:`deidentify`. The folder is built aside
        and renamed into place when every file is written (``panel.json`` last), so a failed or
        killed write leaves the previous folder, or none, never a mix; an existing non-empty
        folder is replaced only with ``overwrite=True`` (else ``OutputExistsError``).

        Examples
        --------
        >>> import pandas as pd, tempfile
        >>> from kaizen_eval.waves import load_waves
        >>> p = load_waves({"baseline": pd.DataFrame({"firm_id": ["A"], "sales": [1.0]})})
        >>> sorted(f.name for f in p.write(tempfile.mkdtemp()).iterdir())
        ['id_changes.csv', 'issues.csv', 'long.parquet', 'panel.json']
        """
        check_option("format", format, PANEL_FORMATS)
        directory = Path(directory)
        meta = {
            "waves": list(self.waves),
            "id_col": self.id_col,
            "status_col": self.status_col,
            "arm_col": self.arm_col,
            "pii_columns": list(self.pii_columns),
        }
        with atomic_folder(directory, overwrite=overwrite) as tmp:
            write_wave(self.long, tmp / f"long.{format}", allow_pii=allow_pii, id_col=self.id_col)
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
        >>> from kaizen_eval.waves import load_waves
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
        not_asked = self._not_asked.copy()
        not_asked["firm_id"] = hash_ids(not_asked["firm_id"], salt=salt)
        return replace(
            self,
            _frames=frames,
            _issues=issues,
            pii_columns=(),
            _id_changes=changes,
            _metadata={},
            _not_asked=not_asked,
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{w} ({len(df)} rows)" for w, df in self._frames.items())
        actions = self._issues["action"].value_counts()
        issues = ", ".join(f"{n} {a}" for a, n in actions.items()) or "none"
        pii = ", ".join(self.pii_columns) or "none"
        return f"<Panel of waves {sizes}; issues: {issues}; identifier columns: {pii}>"


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
