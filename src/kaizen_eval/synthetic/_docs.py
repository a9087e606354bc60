"""Docstring fragments of the synthetic trials and the studies built on them (``fill_doc``).

The trials' ``write`` methods and :func:`~kaizen_eval.studies.saturation_site.write_saturation_site`
share the wording of ``overwrite`` and of what they return; the studies floor stands above this
one, so it reads the fragments from here.
"""

from __future__ import annotations

__all__ = ["DOCS"]

DOCS: dict[str, str] = {
    "param_overwrite_folder": """\
overwrite : bool, default False
    Replace an existing non-empty folder; otherwise it is an ``OutputExistsError`` and nothing
    is written.""",
    "returns_files_written": """\
Returns
-------
dict
    File name → path written.""",
}
