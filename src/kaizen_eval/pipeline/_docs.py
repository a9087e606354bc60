"""Docstring fragments of the pipeline: one wording for what its sections and runners share.

Filled into the docstrings by :func:`kaizen_eval._docs.fill_doc` (a line holding only
``%(name)s``). ``example_plan`` is the small analysis plan that the examples parse: it defines
``PLAN``, the TOML text of one assignment arm ``invited`` and one family ``performance`` of
``value_added`` in the ``followup`` wave, to which an example may append a table
(``PLAN + '''[attrition] ...'''``).
"""

from __future__ import annotations

__all__ = ["DOCS"]

DOCS: dict[str, str] = {
    "example_plan": """\
>>> from kaizen_eval.pipeline.plan import parse_plan
>>> PLAN = '''
... [data]
... waves = { baseline = "b.csv", followup = "f.csv" }
... [design]
... assignment = "invited"
... [[families]]
... name = "performance"
... outcomes = ["value_added"]
... wave = "followup"
... '''""",
    "param_long": """\
long : pandas.DataFrame
    The analysis frame (one row per firm and wave, a categorical ``wave`` column).""",
    "param_report_section": """\
report : Report
    The report to add the section to.""",
    "param_prefix_section": """\
prefix : str
    Prefix of the file names of the tables and figures it adds (several plans in one report).
section : str
    Prefix of the section headings, e.g. ``"Ghana: "``.""",
    "param_overwrite": """\
overwrite : bool
    Replace an existing non-empty report folder. Default ``False``.""",
    "param_flag": """\
flag : str
    How the caller spells ``overwrite`` in error messages (``"--force"`` on the CLI).""",
}
