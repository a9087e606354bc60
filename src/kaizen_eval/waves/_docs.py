"""Docstring fragments shared by the waves functions (see :mod:`kaizen_eval._docs`)."""

from __future__ import annotations

DOCS: dict[str, str] = {
    "param_table_written": """\
df : pandas.DataFrame
    The table (its index is not written).""",
    "param_allow_pii_write": """\
allow_pii : bool or sequence of str
    ``True`` writes flagged identifier columns anyway; a list allows just those columns.""",
    "param_id_col_never_flagged": """\
id_col : str, optional
    The firm id column, which is never flagged (hash it with :func:`deidentify`).""",
    "param_overwrite": """\
overwrite : bool, default False
    Replace an existing file; otherwise an existing ``path`` is an ``OutputExistsError``.""",
    "params_write_safely": """\
%(param_allow_pii_write)s
%(param_id_col_never_flagged)s
%(param_overwrite)s""",
    "returns_written_path": """\
Returns
-------
pathlib.Path
    The written file.""",
}
