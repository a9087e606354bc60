"""The survey instrument: :func:`read_xlsform` reads an XLSForm into a frozen :class:`Form`.

SurveyCTO, ODK (Collect, Central) and KoboToolbox all define the questionnaire as an XLSForm: a
``survey`` sheet (type, name, labels per language, ``relevant``, ``constraint``) and a
``choices`` sheet (the answer lists). The workbook is parsed by the ODK project's own library,
``pyxform``, so groups, ``select_one``/``select_multiple`` lists and translated labels are read
the way the platforms read them; this module keeps what the loader needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.waves.errors import FormError

#: Variable kinds of a form, and the XLSForm types each comes from.
KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "numeric": ("integer", "decimal", "range"),
        "string": ("text", "barcode", "calculate"),
        "select_one": ("select_one",),
        "select_multiple": ("select_multiple",),
        "date": ("date", "today"),
        "datetime": ("datetime", "time"),
        "metadata": (
            "start",
            "end",
            "deviceid",
            "subscriberid",
            "simserial",
            "phonenumber",
            "username",
            "email",
            "audit",
        ),
    }
)
#: XLSForm types that hold no answer (notes) or answers the loader does not read.
NO_DATA_TYPES = ("note", "geopoint", "geotrace", "geoshape", "image", "audio", "video", "file")

_PYXFORM_TYPES = {"select one": "select_one", "select all that apply": "select_multiple"}
SURVEY_SUFFIXES = (".xlsx", ".xls")


@dataclass(frozen=True)
class Choice:
    """One answer of a choice list: its code (``name``) and its label in each language."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, language: str | None = None) -> str:
        """Return the label in ``language`` (default: the first one; the code if none)."""
        return _pick(self.labels, language) or self.name


@dataclass(frozen=True)
class Variable:
    """One question (or metadata field) of the form.

    Attributes
    ----------
    name : str
        The variable's name (the ``name`` column), unique in the form.
    type : str
        The XLSForm type, ``select_one``/``select_multiple`` without the list name.
    labels : mapping
        Language → label (``"default"`` when the form has a single ``label`` column).
    list_name : str or None
        The choice list of a select question.
    choices : tuple of Choice
        Its answers, in the order of the ``choices`` sheet.
    relevant : tuple of str
        The ``relevant`` expressions that decide whether it is asked: its enclosing groups'
        first, its own last; asked when all are true.
    constraint : str or None
        Its ``constraint`` expression (``.`` is the answer).
    group : tuple of str
        The names of the groups it sits in, outermost first.
    repeat : bool
        Whether it sits in a repeat group (the platforms export those to separate files,
        which ``load_waves`` does not read: such variables are not expected in a wave).
    """

    name: str
    type: str
    labels: Mapping[str, str] = field(default_factory=dict)
    list_name: str | None = None
    choices: tuple[Choice, ...] = ()
    relevant: tuple[str, ...] = ()
    constraint: str | None = None
    group: tuple[str, ...] = ()
    repeat: bool = False

    @property
    def kind(self) -> str:
        """What the answers are: see :data:`KINDS`.

        ``numeric``, ``string``, ``select_one``, ``select_multiple``, ``date``, ``datetime``
        or ``metadata`` (the ``meta`` group pyxform adds, with ``instanceID``, is metadata too).
        """
        if self.group[:1] == ("meta",):
            return "metadata"
        for kind, types in KINDS.items():
            if self.type in types:
                return kind
        return "string"

    def label(self, language: str | None = None) -> str:
        """Return the label in ``language`` (a name or its prefix; default: the first)."""
        return _pick(self.labels, language) or self.name

    @property
    def codes(self) -> tuple[str, ...]:
        """The choice codes, in order."""
        return tuple(c.name for c in self.choices)


def _pick(labels: Mapping[str, str], language: str | None) -> str | None:
    if not labels:
        return None
    if language is None:
        return next(iter(labels.values()))
    for lang, text in labels.items():
        if lang == language or lang.lower().startswith(language.lower()):
            return text
    return None


@dataclass(frozen=True)
class Form:
    """An XLSForm instrument, read by :func:`read_xlsform`.

    Attributes
    ----------
    variables : tuple of Variable
        The questions and metadata fields that hold data, in form order (notes and groups
        themselves are left out; groups live on in ``Variable.group`` and ``.relevant``).
    version : str or None
        The ``settings`` sheet's ``version``.
    form_id : str or None
        The ``settings`` sheet's ``form_id``.
    title : str or None
        The form's title.
    languages : tuple of str
        The label languages (``"default"`` for a single ``label`` column).
    default_language : str or None
        The ``settings`` sheet's ``default_language``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "form.xlsx"
    >>> with pd.ExcelWriter(path) as xl:
    ...     pd.DataFrame({"type": ["text", "select_one yes_no", "begin group", "integer",
    ...                            "end group"],
    ...                   "name": ["firm_id", "operating", "grp_sales", "sales_month", ""],
    ...                   "label::English": ["Firm", "Operating?", "Sales", "Sales", ""],
    ...                   "label::Swahili": ["Biashara", "Inafanya kazi?", "Mauzo", "Mauzo", ""],
    ...                   "relevant": ["", "", "${operating} = 1", "", ""],
    ...                   "constraint": ["", "", "", ". >= 0", ""]}
    ...                  ).to_excel(xl, sheet_name="survey", index=False)
    ...     pd.DataFrame({"list_name": ["yes_no"] * 2, "name": ["1", "0"],
    ...                   "label::English": ["Yes", "No"], "label::Swahili": ["Ndiyo", "Hapana"]}
    ...                  ).to_excel(xl, sheet_name="choices", index=False)
    ...     pd.DataFrame({"version": ["7"]}).to_excel(xl, sheet_name="settings", index=False)
    >>> form = read_xlsform(path)
    >>> form.version, form["sales_month"].group, form["sales_month"].relevant
    ('7', ('grp_sales',), ('${operating} = 1',))
    >>> form["operating"].codes, form["operating"].label("Swahili")
    (('1', '0'), 'Inafanya kazi?')
    """

    variables: tuple[Variable, ...]
    version: str | None = None
    form_id: str | None = None
    title: str | None = None
    languages: tuple[str, ...] = ()
    default_language: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The variables' names, in form order."""
        return tuple(v.name for v in self.variables)

    def __getitem__(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"form {self.form_id or ''!s} has no variable {name!r}")

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def tidy(self) -> pd.DataFrame:
        """Return one row per variable.

        Columns ``name, type, kind, group, label, list_name, choices, relevant, constraint``
        (groups joined by ``/``, relevance conditions by `` and ``).
        """
        rows = [
            {
                "name": v.name,
                "type": v.type,
                "kind": v.kind,
                "group": "/".join(v.group),
                "label": v.label(self.default_language),
                "list_name": v.list_name,
                "choices": " ".join(v.codes),
                "relevant": " and ".join(f"({r})" for r in v.relevant),
                "constraint": v.constraint,
            }
            for v in self.variables
        ]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Return a short description (what ``str(form)`` prints)."""
        kinds = pd.Series([v.kind for v in self.variables]).value_counts()
        counts = ", ".join(f"{n} {k}" for k, n in kinds.items())
        return (
            f"XLSForm {self.form_id or '(no form_id)'} version {self.version or '(none)'}: "
            f"{len(self.variables)} variables ({counts}); languages: "
            f"{', '.join(self.languages) or 'default'}"
        )

    def __str__(self) -> str:
        return self.summary()


def _labels(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {"default": str(value)}


def _walk(
    children: list[dict[str, Any]],
    group: tuple[str, ...],
    relevant: tuple[str, ...],
    choices: Mapping[str, list[dict[str, Any]]],
    out: list[Variable],
    repeat: bool = False,
) -> None:
    for child in children:
        kind = _PYXFORM_TYPES.get(child.get("type", ""), child.get("type", ""))
        bind = child.get("bind") or {}
        own = (bind["relevant"],) if bind.get("relevant") else ()
        if kind in ("group", "repeat"):
            _walk(
                child.get("children", []),
                (*group, child["name"]),
                relevant + own,
                choices,
                out,
                repeat or kind == "repeat",
            )
            continue
        if kind in NO_DATA_TYPES:
            continue
        list_name = child.get("list_name") or child.get("itemset")
        listed = child.get("choices") or choices.get(list_name or "", [])
        out.append(
            Variable(
                name=child["name"],
                type=kind,
                labels=MappingProxyType(_labels(child.get("label"))),
                list_name=list_name if kind.startswith("select") else None,
                choices=tuple(
                    Choice(str(c["name"]), MappingProxyType(_labels(c.get("label"))))
                    for c in listed
                ),
                relevant=relevant + own,
                constraint=bind.get("constraint") or None,
                group=group,
                repeat=repeat,
            )
        )


def _check_sheets(path: Path) -> None:
    try:
        sheets = [str(s).strip().lower() for s in pd.ExcelFile(path).sheet_names]
    except (ValueError, OSError, KeyError) as exc:
        raise FormError(f"cannot read the XLSForm {path}: {exc}") from exc
    missing = [s for s in ("survey", "choices") if s not in sheets]
    if "survey" in missing:
        raise FormError(
            f"the XLSForm {path} has no 'survey' sheet (its sheets: {', '.join(sheets)}); an "
            "XLSForm defines the questions in a sheet named 'survey'"
        )
    if missing:
        survey = pd.read_excel(path, sheet_name=sheets.index("survey"), dtype=str)
        types = survey.get("type", pd.Series(dtype=str)).dropna().str.strip()
        if types.str.startswith(("select_one", "select_multiple")).any():
            raise FormError(
                f"the XLSForm {path} has select questions but no 'choices' sheet (its sheets: "
                f"{', '.join(sheets)})"
            )


def _version(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def read_xlsform(path: str | os.PathLike[str]) -> Form:
    """Read an XLSForm questionnaire (SurveyCTO, ODK, KoboToolbox) into a :class:`Form`.

    Parameters
    ----------
    path : str or path-like
        The ``.xlsx`` (or ``.xls``) workbook, with ``survey``, ``choices`` and optionally
        ``settings`` sheets.

    Returns
    -------
    Form
        Its variables (type, labels per language, choice list, relevance including that of the
        enclosing groups, constraint, group path) and its version; give it to
        :func:`~kaizen_eval.waves.load_waves` as ``form=``.

    Raises
    ------
    FormError
        If the file is missing or not a workbook, has no ``survey`` sheet, has select questions
        but no ``choices`` sheet, or names a choice list the ``choices`` sheet lacks (and any
        other error ``pyxform`` reports, with its message).

    See Also
    --------
    load_waves : with ``form=`` and ``platform=``, reads platform exports with this form.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "form.xlsx"
    >>> with pd.ExcelWriter(path) as xl:
    ...     pd.DataFrame({"type": ["text", "select_multiple practices", "decimal"],
    ...                   "name": ["firm_id", "practices", "sales"],
    ...                   "label": ["Firm", "Practices used", "Sales"],
    ...                   "constraint": ["", "", ". >= 0"]}
    ...                  ).to_excel(xl, sheet_name="survey", index=False)
    ...     pd.DataFrame({"list_name": ["practices"] * 3, "name": ["records", "stock", "none"],
    ...                   "label": ["Records", "Stock", "None"]}
    ...                  ).to_excel(xl, sheet_name="choices", index=False)
    >>> form = read_xlsform(path)
    >>> form["practices"].kind, form["practices"].codes, form["sales"].constraint
    ('select_multiple', ('records', 'stock', 'none'), '. >= 0')
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    path = Path(path)
    if path.suffix.lower() not in SURVEY_SUFFIXES:
        raise FormError(
            f"cannot read the XLSForm {path}: expected a {' or '.join(SURVEY_SUFFIXES)} workbook"
        )
    if not path.is_file():
        raise FormError(f"cannot read the XLSForm {path}: no such file")
    _check_sheets(path)
    try:
        parsed = parse_file_to_json(str(path), warnings=[])
    except PyXFormError as exc:
        text = str(exc).strip()
        if "list name" in text.lower() or "choices" in text.lower():
            raise FormError(
                f"the XLSForm {path} refers to a choice list its 'choices' sheet does not "
                f"have: {text}"
            ) from exc
        raise FormError(f"the XLSForm {path} is not valid: {text}") from exc
    except (ValueError, KeyError, OSError) as exc:  # pragma: no cover - pyxform wraps most
        raise FormError(f"cannot read the XLSForm {path}: {exc}") from exc
    variables: list[Variable] = []
    _walk(parsed.get("children", []), (), (), parsed.get("choices", {}), variables)
    if not variables:
        raise FormError(f"the XLSForm {path} has no questions that hold data")
    missing = [v.name for v in variables if v.kind.startswith("select") and not v.choices]
    if missing:
        raise FormError(
            f"the XLSForm {path}: select question(s) {', '.join(map(repr, missing))} have a "
            "choice list with no choices"
        )
    languages: dict[str, None] = {}
    for v in variables:
        languages.update(dict.fromkeys(v.labels))
    default = parsed.get("default_language")
    return Form(
        variables=tuple(variables),
        version=_version(parsed.get("version")),
        form_id=parsed.get("id_string"),
        title=parsed.get("title"),
        languages=tuple(languages),
        default_language=default if default in languages else None,
    )


def forms_by_wave(form: Form | Mapping[str, Form] | None, names: list[str]) -> dict[str, Form]:
    """Give each wave its form (one form for all waves, or a dict naming each wave's)."""
    if form is None:
        return {}
    if isinstance(form, Form):
        return dict.fromkeys(names, form)
    if not isinstance(form, Mapping) or not all(isinstance(f, Form) for f in form.values()):
        raise KaizenError(
            "`form` must be a Form (from read_xlsform) or a dict wave name -> Form; got "
            f"{type(form).__name__}"
        )
    unknown = sorted(set(form) - set(names))
    if unknown:
        raise KaizenError(
            f"`form` names wave(s) {', '.join(map(repr, unknown))}, which are not among the "
            f"waves given: {', '.join(map(repr, names))}"
        )
    return dict(form)
