"""Personal data: find columns that look like direct identifiers, and remove them.

Survey files carry owners' names, phone numbers, e-mail addresses and GPS points. The loader
flags such columns (by name and by the look of their values); :func:`deidentify` drops them and
replaces firm ids by salted hashes; :func:`kaizen_eval.write_table` refuses to write them.

This module knows tables only; :func:`kaizen_eval.deidentify` (in ``waves.panel``) handles a
``Panel`` and calls :func:`deidentify_frame` for a table, so no import runs back to the panel.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError, require_columns

#: Name tokens (words of a column name split on non-alphanumerics) that mark an identifier.
NAME_TOKENS: dict[str, str] = {
    **dict.fromkeys(
        ("name", "names", "fname", "lname", "surname", "firstname", "lastname", "fullname"),
        "person name",
    ),
    **dict.fromkeys(
        ("phone", "phones", "tel", "telephone", "mobile", "cellphone", "msisdn", "whatsapp"),
        "phone number",
    ),
    **dict.fromkeys(("email", "mail", "emailaddress"), "e-mail address"),
    **dict.fromkeys(
        ("gps", "lat", "latitude", "lon", "lng", "longitude", "geo", "coords", "geopoint"),
        "GPS location",
    ),
    **dict.fromkeys(
        ("nid", "nin", "ssn", "passport", "idcard", "idno", "nationalid", "ghanacard"),
        "national id",
    ),
    **dict.fromkeys(("address", "street"), "street address"),
}

#: Substrings that mark an identifier even inside a longer word (``ownerphone``).
NAME_SUBSTRINGS: dict[str, str] = {
    "phone": "phone number",
    "email": "e-mail address",
    "latitude": "GPS location",
    "longitude": "GPS location",
    "surname": "person name",
    "firstname": "person name",
    "lastname": "person name",
    "passport": "national id",
    "nationalid": "national id",
}

#: Words that, next to ``name``, say the column names a group rather than a person.
NOT_A_PERSON = frozenset(
    (
        "stratum",
        "strata",
        "cluster",
        "region",
        "district",
        "sector",
        "industry",
        "site",
        "arm",
        "item",
        "wave",
        "file",
        "var",
        "variable",
        "product",
        "country",
    )
)

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_PHONE = re.compile(r"^\+?[\d\s\-().]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_GPS = re.compile(r"^\(?\s*[+-]?\d{1,3}\.\d{4,}\s*[,;/ ]\s*[+-]?\d{1,3}\.\d{4,}\s*\)?$")

#: Share of a text column's non-missing values that must look like phone numbers or e-mail
#: addresses for the column to be flagged by its values.
VALUE_SHARE = 0.5


def _looks_like_phone(text: str) -> bool:
    text = text.strip()
    if not _PHONE.match(text):
        return False
    digits = sum(ch.isdigit() for ch in text)
    if not 9 <= digits <= 15:
        return False
    # a plain number (1234567.89, -1234567890) is an amount; 0244123456 is a phone number
    if _PLAIN_NUMBER.fullmatch(text) and not re.fullmatch(r"0\d+", text):
        return False
    # a leading "+" or "0", or separators, tell a phone number from a plain large number
    return text[0] in "+0" or any(ch in text for ch in " -()")


def looks_personal(text: str) -> str | None:
    """Return what a single value looks like ("phone number", "e-mail address"), else None.

    Examples
    --------
    >>> looks_personal("0244 123 456"), looks_personal("5.60370, -0.18700"), looks_personal("1200")
    ('phone number', 'GPS location', None)
    """
    if _looks_like_phone(text):
        return "phone number"
    if _EMAIL.match(text.strip()):
        return "e-mail address"
    if _GPS.match(text.strip()):
        return "GPS location"
    return None


def mask(value: Any, what: str | None = None) -> str:
    """Return the placeholder shown instead of a personal value in messages and issue logs.

    Examples
    --------
    >>> mask("0244 123 456"), mask("Ama Mensah", "person name")
    ('<masked phone number>', '<masked person name>')
    """
    if what is None:
        what = looks_personal(value) if isinstance(value, str) else None
    return f"<masked {what or 'value'}>"


def _reason_from_name(column: str) -> str | None:
    lowered = column.lower()
    tokens = re.split(r"[^a-z0-9]+", lowered)
    for token in tokens:
        if NAME_TOKENS.get(token) == "person name" and NOT_A_PERSON.intersection(tokens):
            continue
        if token in NAME_TOKENS:
            return f"column name suggests a {NAME_TOKENS[token]}"
    compact = re.sub(r"[^a-z0-9]", "", lowered)
    for sub, what in NAME_SUBSTRINGS.items():
        if sub in compact:
            return f"column name suggests a {what}"
    return None


def _reason_from_values(values: pd.Series) -> str | None:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return None
    present = values.dropna()
    text = present[[isinstance(v, str) for v in present]]
    if text.empty:
        return None
    # shares of all non-missing values: one phone number among numbers flags the value, not
    # the column (see scrub_values)
    for test, what in (
        (_looks_like_phone, "phone numbers"),
        (lambda v: bool(_EMAIL.match(v.strip())), "e-mail addresses"),
        (lambda v: bool(_GPS.match(v.strip())), "GPS locations"),
    ):
        if text.map(test).sum() >= VALUE_SHARE * len(present):
            return f"values look like {what}"
    return None


def detect_pii(df: pd.DataFrame, *, id_col: str | None = None) -> dict[str, str]:
    """Find columns that look like direct identifiers of a person.

    A column is flagged when its name contains a word such as ``name``, ``phone``, ``email``,
    ``gps``/``lat``/``lon`` or ``passport`` (see :data:`NAME_TOKENS`), or when at least half of
    its non-missing text values look like phone numbers or e-mail addresses. The firm id column
    is not flagged: :func:`deidentify` hashes it instead.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to inspect (not modified).
    id_col : str, optional
        The firm id column, never flagged.

    Returns
    -------
    dict
        Flagged column name → the reason, in column order.

    See Also
    --------
    deidentify : drop the flagged columns and hash the firm ids.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": ["A"], "owner": ["Ama"], "contact": ["+233 24 412 3456"]})
    >>> detect_pii(df, id_col="firm_id")
    {'contact': 'values look like phone numbers'}
    """
    found: dict[str, str] = {}
    for column in df.columns:
        if column == id_col:
            continue
        reason = _reason_from_name(str(column)) or _reason_from_values(df[column])
        if reason is not None:
            found[str(column)] = reason
    return found


def hash_ids(ids: pd.Series, *, salt: str, length: int = 16) -> pd.Series:
    """Replace firm ids by salted SHA-256 hashes (hex, truncated to ``length`` characters).

    The hash of an id is ``sha256(salt + str(id))``: the same id gets the same hash in every
    wave and every call with the same salt. Missing ids stay missing.

    Parameters
    ----------
    ids : pandas.Series
        Firm ids.
    salt : str
        A secret string (keep it out of the shared files); must not be empty.
    length : int
        Number of hex characters kept (16 → 64 bits).

    Returns
    -------
    pandas.Series
        The hashed ids (object dtype), same index.

    Raises
    ------
    KaizenError
        If the salt is empty or two distinct ids collide after truncation.

    Examples
    --------
    >>> import pandas as pd
    >>> hash_ids(pd.Series(["GH0001"]), salt="s3cret").str.len().item()
    16
    """
    if not isinstance(salt, str) or not salt:
        raise KaizenError("`salt` must be a non-empty string (keep it secret and out of the data)")
    if not 8 <= length <= 64:
        raise KaizenError(f"`length` must be between 8 and 64 hex characters; you passed {length}")

    def one(value: Any) -> Any:
        if pd.isna(value):
            return None
        return hashlib.sha256((salt + str(value)).encode("utf-8")).hexdigest()[:length]

    unique = pd.Series(pd.unique(ids.dropna()))
    hashed = unique.map(one)
    if hashed.duplicated().any():
        raise KaizenError(f"two firm ids share a {length}-character hash; pass a larger `length`")
    return ids.map(one).astype(object)


def flagged_columns(df: pd.DataFrame, *, id_col: str | None = None) -> list[str]:
    """Columns of ``df`` flagged as identifiers: detected now, or flagged by the loader earlier.

    The loader records its flags in ``df.attrs["pii_columns"]``; both sources are combined.

    Examples
    --------
    >>> import pandas as pd
    >>> flagged_columns(pd.DataFrame({"owner_phone": ["0244123456"], "sales": [1.0]}))
    ['owner_phone']
    """
    earlier = set(df.attrs.get("pii_columns", ()))
    now = detect_pii(df, id_col=id_col)
    return [str(c) for c in df.columns if c in earlier or c in now]


def refuse_pii(
    df: pd.DataFrame,
    *,
    allow_pii: bool | Sequence[str] = False,
    id_col: str | None = "firm_id",
    where: str = "this table",
) -> None:
    """Raise unless ``df`` is free of identifier columns (or they are explicitly allowed).

    The check behind :func:`write_table`; a writer of another format (LaTeX, HTML, a parquet
    file with its own metadata) calls it before writing, so that every writer of the package
    applies the same rule.

    Parameters
    ----------
    df : pandas.DataFrame
        The table about to be written.
    allow_pii : bool or sequence of str
        ``True`` allows every flagged column; a list allows just those columns.
    id_col : str, optional
        The firm id column, never flagged.
    where : str
        What is being written, for the message (e.g. the file name).

    Raises
    ------
    KaizenError
        Naming the flagged columns (see :func:`flagged_columns`).

    Examples
    --------
    >>> import pandas as pd
    >>> refuse_pii(pd.DataFrame({"firm_id": ["A"], "sales": [1.0]}))
    >>> refuse_pii(pd.DataFrame({"gps_lat": [5.6]}), where="map.csv")
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: refusing to write map.csv: column(s) 'gps_lat' look ...
    """
    if allow_pii is True:
        return
    allowed = set() if allow_pii is False else {str(c) for c in allow_pii}
    refused = [c for c in flagged_columns(df, id_col=id_col) if c not in allowed]
    if refused:
        names = ", ".join(repr(c) for c in refused)
        raise KaizenError(
            f"refusing to write {where}: column(s) {names} look like direct identifiers "
            "(personal data). Remove them with ke.deidentify(...), or pass allow_pii=True "
            "(or a list of the columns to allow) if they are not personal data."
        )


def scrub_values(
    df: pd.DataFrame, *, skip: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[tuple[Any, str, str]]]:
    """Set single personal values in columns that are not flagged to missing.

    A phone number, e-mail address or GPS point typed into ``sales`` makes neither the column
    personal nor the value a number: the value is removed (the column is kept), and the caller
    reports ``(index, column, what)`` without the value.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sales": [1200, "0244 123 456", "800"]})
    >>> out, found = scrub_values(df)
    >>> out["sales"].tolist(), found
    ([1200, None, '800'], [(1, 'sales', 'phone number')])
    """
    out = df
    found: list[tuple[Any, str, str]] = []
    for column in df.columns:
        values = df[column]
        if column in skip or pd.api.types.is_numeric_dtype(values):
            continue
        if pd.api.types.is_datetime64_any_dtype(values):
            continue
        kinds = values.astype(object).map(
            lambda v: looks_personal(v) if isinstance(v, str) else None
        )
        hit = kinds.notna()
        if not hit.any():
            continue
        if out is df:
            out = df.copy()
        cleaned = values.astype(object).copy()
        cleaned[hit] = None
        out[column] = cleaned
        found += [(i, str(column), str(kinds[i])) for i in values.index[hit]]
    return out, found


def deidentify_frame(
    df: pd.DataFrame, *, salt: str, id_col: str, drop: Sequence[str]
) -> pd.DataFrame:
    """Drop flagged columns and ``drop`` from one table and hash its firm ids (a new frame).

    The table half of :func:`kaizen_eval.deidentify`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": ["GH0001"], "owner_name": ["Ama"], "sales": [10.0]})
    >>> list(deidentify_frame(df, salt="s3cret", id_col="firm_id", drop=()).columns)
    ['firm_id', 'sales']
    """
    require_columns(df, [id_col], where="the data to de-identify")
    require_columns(df, list(drop), where="the data to de-identify")
    remove_set = set(flagged_columns(df, id_col=id_col)) | set(drop)
    remove = [c for c in df.columns if c in remove_set]
    out = df.drop(columns=remove)
    out[id_col] = hash_ids(out[id_col], salt=salt)
    out.attrs = {k: v for k, v in df.attrs.items() if k != "pii_columns"}
    return out
