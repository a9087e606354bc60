"""Export conventions of SurveyCTO, ODK and KoboToolbox: column names and metadata columns.

Each platform names the columns of its CSV export after the form's variables, prefixed by their
groups (SurveyCTO and ODK Briefcase ``grp_sales-sales_month``, ODK Central and Kobo
``grp_sales/sales_month``), may split a ``select_multiple`` into one column per choice
(``practices_records``, ``grp/practices/records``) and adds its own metadata (``KEY``,
``SubmissionDate``, ``instanceID``, ``SubmitterName``, Kobo's ``_uuid`` ...).
:func:`map_columns` matches each delivered column to a form variable, sets the metadata aside
and reports what matches nothing; two columns for one variable are an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from kaizen_eval.waves.errors import FormMatchError
from kaizen_eval.waves.xlsform import Form

Platform = Literal["surveycto", "odk", "kobo"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

#: Group separators in column names.
SEPARATORS: Mapping[str | None, tuple[str, ...]] = MappingProxyType(
    {"surveycto": ("-",), "odk": ("/", "-"), "kobo": ("/",), None: ("-", "/")}
)
#: Metadata columns each platform adds to its exports.
METADATA: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "surveycto": frozenset(
            {
                "SubmissionDate",
                "CompletionDate",
                "starttime",
                "endtime",
                "deviceid",
                "subscriberid",
                "simid",
                "devicephonenum",
                "username",
                "duration",
                "caseid",
                "formdef_version",
                "review_status",
                "review_comments",
                "review_corrections",
                "review_quality",
                "KEY",
                "instanceID",
                "instanceName",
                "text_audit",
                "audio_audit",
            }
        ),
        "odk": frozenset(
            {
                "SubmissionDate",
                "KEY",
                "SubmitterID",
                "SubmitterName",
                "AttachmentsPresent",
                "AttachmentsExpected",
                "Status",
                "ReviewState",
                "DeviceID",
                "Edits",
                "FormVersion",
                "instanceID",
                "instanceName",
            }
        ),
        "kobo": frozenset({"start", "end", "today", "deviceid", "instanceID", "__version__"}),
    }
)
#: Columns naming a submission, first found wins (for duplicates and the metadata table).
KEY_COLUMNS = ("KEY", "instanceID", "_uuid", "meta/instanceID", "meta-instanceID")


@dataclass(frozen=True)
class ColumnMap:
    """Where each delivered column goes.

    Attributes
    ----------
    variables : mapping
        Delivered column → form variable name.
    choices : mapping
        Delivered column → (``select_multiple`` variable, choice code) for pre-split columns.
    metadata : tuple of str
        Platform metadata columns (set aside).
    unmatched : tuple of str
        Columns matching no form variable (kept under their delivered name, and reported).
    """

    variables: Mapping[str, str]
    choices: Mapping[str, tuple[str, str]]
    metadata: tuple[str, ...]
    unmatched: tuple[str, ...]


def _is_metadata(column: str, platform: str | None) -> bool:
    sets = [METADATA[platform]] if platform else list(METADATA.values())
    bare = column
    for sep in ("/", "-"):
        if column.startswith(f"meta{sep}"):
            return True
        bare = bare.split(sep)[-1]
    if platform in ("kobo", None) and column.startswith("_"):
        return True
    return any(column in s or bare == "instanceID" for s in sets)


def map_columns(
    columns: list[str], form: Form, *, platform: Platform | None, wave: str, id_col: str
) -> ColumnMap:
    """Match delivered column names with the form's variables.

    A column matches a variable by its bare name, or by its group path joined with the
    platform's separator; a column of a ``select_multiple`` split per choice matches
    ``<name>_<code>`` or ``<name>/<code>``. Platform metadata and the form's metadata fields
    (``start``, ``end``, ``deviceid`` ...) are set aside.

    Raises
    ------
    FormMatchError
        If two delivered columns match the same variable (or choice).

    Examples
    --------
    >>> from kaizen_eval.waves.xlsform import Form, Variable
    >>> form = Form((Variable("firm_id", "text"), Variable("sales", "integer", group=("g",))))
    >>> m = map_columns(["firm_id", "g-sales", "KEY", "note"], form, platform="surveycto",
    ...                 wave="baseline", id_col="firm_id")
    >>> dict(m.variables), m.metadata, m.unmatched
    ({'firm_id': 'firm_id', 'g-sales': 'sales'}, ('KEY',), ('note',))
    """
    seps = SEPARATORS[platform]
    lookup: dict[str, tuple[str, str | None]] = {}
    for v in form.variables:
        paths = [v.name] + [sep.join((*v.group, v.name)) for sep in seps if v.group]
        for p in paths:
            lookup.setdefault(p, (v.name, None))
        if v.kind == "select_multiple":
            for code in v.codes:
                for p in paths:
                    for sep in ("_", *seps):
                        lookup.setdefault(f"{p}{sep}{code}", (v.name, code))
    meta_vars = {v.name for v in form.variables if v.kind == "metadata"}
    variables: dict[str, str] = {}
    choices: dict[str, tuple[str, str]] = {}
    metadata: list[str] = []
    unmatched: list[str] = []
    taken: dict[tuple[str, str | None], str] = {}
    for column in columns:
        hit = lookup.get(column)
        if hit is None and column != id_col:
            for sep in seps:  # a group renamed or absent from the form: match the bare name
                bare = column.split(sep)[-1]
                if bare != column and bare in lookup and lookup[bare][1] is None:
                    hit = lookup[bare]
                    break
        if (hit is not None and hit[0] in meta_vars) or (
            hit is None and _is_metadata(column, platform)
        ):
            metadata.append(column)
            continue
        if hit is None:
            unmatched.append(column)
            continue
        if hit in taken:
            what = f"variable {hit[0]!r}" + (f" (choice {hit[1]!r})" if hit[1] else "")
            raise FormMatchError(
                f"wave {wave!r}: columns {taken[hit]!r} and {column!r} both match the form's "
                f"{what}; drop or rename one of them before loading"
            )
        taken[hit] = column
        if hit[1] is None:
            variables[column] = hit[0]
        else:
            choices[column] = (hit[0], hit[1])
    return ColumnMap(
        variables=MappingProxyType(variables),
        choices=MappingProxyType(choices),
        metadata=tuple(metadata),
        unmatched=tuple(unmatched),
    )


def submission_key(metadata: list[str]) -> str | None:
    """Return the metadata column naming each submission (``KEY``, ``instanceID`` ...)."""
    for name in KEY_COLUMNS:
        if name in metadata:
            return name
    for column in metadata:
        if column.split("/")[-1].split("-")[-1] == "instanceID":
            return column
    return None
