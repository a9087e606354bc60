"""One formatting layer: how every number, label and missing cell is written for a reader.

Every printer of the package (``__str__``, ``summary()``, the CLI, the paper tables and the
report) writes numbers through these functions, so that the same quantity always reads the
same way: money with thousands separators and never an exponent (``12,628``, ``0.52``,
``-1,390``), p-values as ``< 0.001`` or ``0.043``, a benefit-cost ratio as ``18.8``, an internal
rate of return of ``10.39`` as ``1,039 %``, and a missing value as a blank cell whose reason goes
in a footnote (never ``NaN``). :func:`label` turns variable names into headers a reader can read
(``ci_low`` -> ``CI low``, ``invited[female=0.0]`` -> ``invited, female = 0``), and
:func:`column` writes a whole column with one precision, so that ``580.4`` never sits beside
``1,116``.

The functions return plain text (ASCII hyphen for the minus sign, so that a value pasted into a
spreadsheet stays a number); :mod:`kaizen_eval._render` adapts it to LaTeX, Markdown and HTML.

One module a job, each standing only on those before it: :mod:`~kaizen_eval._format.missing`
(the blank cell and its footnote), :mod:`~kaizen_eval._format.numbers` (numbers, money,
p-values, stars), :mod:`~kaizen_eval._format.labels` (names as headers),
:mod:`~kaizen_eval._format.text` (``yes``/``no``, sentences),
:mod:`~kaizen_eval._format.columns` (a value as its kind, a column with one precision) and
:mod:`~kaizen_eval._format.frames` (a whole frame). Callers import this package
(``from kaizen_eval import _format as F``), never its modules.
"""

from kaizen_eval._format.columns import KINDS, Kind, column, fmt, guess_kind, interval
from kaizen_eval._format.frames import TidyFrame, frame
from kaizen_eval._format.labels import heading, label
from kaizen_eval._format.missing import MISSING, is_missing, missing_note
from kaizen_eval._format.numbers import (
    STAR_LEVELS,
    cell,
    column_decimals,
    count,
    dof,
    money,
    number,
    p_clause,
    percent,
    pvalue,
    ratio,
    share,
    stars,
    stars_legend,
)
from kaizen_eval._format.text import sentence, yes_no

__all__ = [
    "KINDS",
    "MISSING",
    "STAR_LEVELS",
    "Kind",
    "TidyFrame",
    "cell",
    "column",
    "column_decimals",
    "count",
    "dof",
    "fmt",
    "frame",
    "guess_kind",
    "heading",
    "interval",
    "is_missing",
    "label",
    "missing_note",
    "money",
    "number",
    "p_clause",
    "percent",
    "pvalue",
    "ratio",
    "sentence",
    "share",
    "stars",
    "stars_legend",
    "yes_no",
]
