"""Reading delivered survey files, and the one writer every table of the package goes through."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from kaizen_eval._atomic import atomic_file
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError
from kaizen_eval.waves._docs import DOCS
from kaizen_eval.waves.pii import looks_personal, refuse_pii
from kaizen_eval.waves.validate import id_text

READ_SUFFIXES = (".parquet", ".csv", ".dta", ".xlsx", ".xls")
WRITE_SUFFIXES = (".parquet", ".csv")


def unknown_file_type(path: Path, doing: str, known: str) -> KaizenError:
    """Return the error for a file of a type not handled here (``doing``: what failed).

    Examples
    --------
    >>> print(unknown_file_type(Path("x.sav"), "read x.sav", "read_wave reads .csv files"))
    cannot read x.sav: unknown file type '.sav'; read_wave reads .csv files
    """
    return KaizenError(
        f"cannot {doing}: unknown file type {path.suffix or '(no suffix)'!r}; {known}"
    )


def _where(path: Path, wave: str | None) -> str:
    return f"wave {wave!r} ({path})" if wave is not None else str(path)


def _first_line(exc: BaseException) -> str:
    """Return the first line of a parser's message (not the file content it may quote)."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _keep_csv_text(df: pd.DataFrame, raw: pd.DataFrame, id_col: str | None) -> pd.DataFrame:
    """Put back the text of cells that parsing as numbers would have disguised.

    The id column is taken verbatim (an id ``"NA"`` or ``"NULL"`` is an id; only blank cells
    are missing), and a phone number typed into a numeric column (``"0244123456"``, which
    pandas reads as the number 244123456) is kept as its text, so that the loader finds,
    removes and reports it instead of keeping a wrong number.
    """
    if id_col is not None and id_col in df.columns:
        df[id_col] = raw[id_col].where(raw[id_col].str.strip() != "", None)
    for column in df.columns:
        if column == id_col or not pd.api.types.is_numeric_dtype(df[column]):
            continue
        personal = raw[column].map(lambda v: looks_personal(v) is not None)
        if personal.any():
            df[column] = df[column].astype(object).where(~personal, raw[column])
    return df


def _read_stata(path: Path) -> pd.DataFrame:
    with pd.io.stata.StataReader(path) as reader:
        df = reader.read(convert_categoricals=True)
        labels = reader.variable_labels()
    df.attrs["variable_labels"] = {k: v for k, v in labels.items() if v}
    labelled = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    if labelled:  # the codes behind each label, kept as metadata (write_wave writes them back)
        codes = pd.read_stata(path, convert_categoricals=False, columns=labelled)
        df.attrs["value_labels"] = {
            c: {
                (int(k) if float(k).is_integer() else k): str(v)
                for k, v in dict(zip(codes[c], df[c].astype(object), strict=True)).items()
                if pd.notna(k) and pd.notna(v)
            }
            for c in labelled
        }
    return df


def read_wave(
    path: str | os.PathLike[str],
    *,
    wave: str | None = None,
    id_col: str | None = None,
    sheet: str | int = 0,
) -> pd.DataFrame:
    """Read one delivered survey wave, choosing the reader by the file's suffix.

    ``.parquet`` (pyarrow), ``.csv``, Stata ``.dta`` (value labels become pandas categoricals,
    the codes behind them go to ``df.attrs["value_labels"]`` and variable labels to
    ``df.attrs["variable_labels"]``) and Excel ``.xlsx``/``.xls`` (first
    sheet unless ``sheet`` says otherwise). The file is only read, never modified.

    Parameters
    ----------
    path : str or path-like
        The file.
    wave : str, optional
        The wave's name: used in error messages and stored in ``df.attrs["wave"]``.
    id_col : str, optional
        The firm id column as named in the file. It is read as text in every format: a CSV's
        ``"0012"`` keeps its leading zeros, and numeric ids of Excel, Stata and parquet files
        become their digits (``7.0`` → ``"7"``); floating-point ids too large to hold every
        digit are an error.
    sheet : str or int
        Excel sheet name or position.

    Returns
    -------
    pandas.DataFrame
        The delivered table, column names as in the file.

    Raises
    ------
    KaizenError
        If the file does not exist, its suffix is not one of ``.parquet``, ``.csv``, ``.dta``,
        ``.xlsx``, ``.xls``, or it cannot be parsed (the message names the wave and file).
    IdPrecisionError
        If ``id_col`` holds floating-point numbers beyond 2**53 (digits already lost).

    See Also
    --------
    load_waves : read several waves into a firm × wave panel.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "baseline.csv"
    >>> pd.DataFrame({"firm_id": ["007"], "sales": [120.0]}).to_csv(p, index=False)
    >>> read_wave(p, wave="baseline", id_col="firm_id")["firm_id"].tolist()
    ['007']
    """
    path = Path(path)
    where = _where(path, wave)
    suffix = path.suffix.lower()
    if suffix not in READ_SUFFIXES:
        raise unknown_file_type(
            path, f"read {where}", f"read_wave reads {', '.join(READ_SUFFIXES)} files"
        )
    if not path.is_file():
        raise KaizenError(f"cannot read {where}: no such file")
    try:
        if suffix == ".parquet":
            df = pd.read_parquet(path)
        elif suffix == ".csv":
            df = pd.read_csv(path, dtype={id_col: str} if id_col else None)
            df = _keep_csv_text(df, pd.read_csv(path, dtype=str, keep_default_na=False), id_col)
        elif suffix == ".dta":
            df = _read_stata(path)
        else:
            engine = "openpyxl" if suffix == ".xlsx" else None
            df = pd.read_excel(
                path, sheet_name=sheet, engine=engine, dtype={id_col: object} if id_col else None
            )
            if id_col in df.columns:
                raw = pd.read_excel(
                    path,
                    sheet_name=sheet,
                    engine=engine,
                    usecols=[id_col],
                    dtype=object,
                    keep_default_na=False,
                )[id_col]
                blank = raw.map(lambda v: isinstance(v, str) and not v.strip())
                df[id_col] = raw.where(~blank, None)
    except ImportError as exc:
        raise KaizenError(f"cannot read {where}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise KaizenError(
            f"cannot read {where}: the file is not UTF-8 text ({exc.reason}); save it as UTF-8 "
            "CSV, or deliver .xlsx or .dta"
        ) from exc
    except (ValueError, OSError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as exc:
        raise KaizenError(f"cannot read {where}: {_first_line(exc)}") from exc
    df.columns = [str(c) for c in df.columns]
    if id_col is not None and id_col in df.columns:
        ids = df[id_col].astype(object)
        df[id_col] = pd.Series(
            [id_text(v, wave=wave or str(path), row=i) for i, v in ids.items()],
            index=df.index,
            dtype=object,
        )
    if wave is not None:
        df.attrs["wave"] = wave
    return df


@fill_doc(DOCS)
def write_table(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    allow_pii: bool | Sequence[str] = False,
    id_col: str | None = "firm_id",
    overwrite: bool = False,
) -> Path:
    """Write a table to ``.parquet`` or ``.csv``, refusing columns that identify people.

    Every table writer in kaizen_eval goes through this function (writers of other formats call
    :func:`refuse_pii`). A column is refused when :func:`detect_pii` flags it now or the loader
    flagged it earlier (``df.attrs["pii_columns"]``). Parent directories are created. The file is
    written to a temporary sibling and renamed into place, so a reader never sees half a table,
    and an existing file is replaced only when asked (``overwrite=True``).

    Parameters
    ----------
    %(param_table_written)s
    path : str or path-like
        Target file; the suffix chooses the format.
    %(params_write_safely)s

    %(returns_written_path)s

    Raises
    ------
    KaizenError
        If flagged identifier columns would be written (the message names them), the suffix
        is not ``.parquet`` or ``.csv``, or ``path`` exists and ``overwrite`` is false
        (``kaizen_eval._atomic.OutputExistsError``).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> df = pd.DataFrame({"firm_id": ["A"], "owner_phone": ["0244123456"]})
    >>> write_table(df, d / "x.csv")
    Traceback (most recent call last):
    ...
    kaizen_eval._validation.KaizenError: refusing to write ... 'owner_phone' ...
    >>> write_table(df.drop(columns="owner_phone"), d / "x.csv").name
    'x.csv'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise unknown_file_type(
            path, f"write {path}", f"write_table writes {', '.join(WRITE_SUFFIXES)} files"
        )
    refuse_pii(df, allow_pii=allow_pii, id_col=id_col, where=str(path))
    with atomic_file(path, overwrite=overwrite) as tmp:
        if suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
    return path
