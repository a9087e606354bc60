r"""Render one small table model to plain text, Markdown, LaTeX and HTML.

A :class:`Table` holds cells that are already written for a reader (by
:mod:`kaizen_eval._format`): header rows, body rows whose first cell is the row label, rules
(a horizontal line before some body rows, e.g. before the N/clusters block of a paper table),
a caption and notes. The renderers only adapt that text to each format:

* :func:`to_latex` -- booktabs rules and a ``threeparttable`` whose ``tablenotes`` carry the
  notes (the stars legend is printed, never a ``%`` comment); needs ``\usepackage{booktabs}``
  and ``\usepackage{threeparttable}``. Minus signs become ``$-$``, stars superscripts, and every
  special character is escaped.
* :func:`to_markdown` -- a pipe table (several header rows are stacked into one), caption in
  italics above and notes below, with ``*``, ``_`` and ``|`` escaped.
* :func:`to_html` -- a ``<table>`` with ``<caption>``, ``<thead>``, ``<tbody>`` and the notes in
  ``<tfoot>``; every cell escaped.
* :func:`to_text` -- aligned columns for ``__str__`` and ``summary()``.

A cell that reads ``nan``, ``NaN``, ``None``, ``True`` or ``False`` is refused when the table is
built: such a cell is a formatting bug upstream, not something to print.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from kaizen_eval._validation import KaizenError

#: Cell texts that betray an unformatted value and are refused.
FORBIDDEN_CELLS = frozenset({"nan", "NaN", "NAN", "None", "True", "False", "<NA>", "NaT", "inf"})

_STARS = re.compile(r"^(?P<body>.*?)(?P<stars>\*+)$", re.DOTALL)
_MINUS = re.compile(r"(?<![\w.])-(?=[\d.])")


@dataclass(frozen=True)
class Table:
    r"""A table whose cells are already formatted text; immutable.

    Parameters
    ----------
    header : sequence of sequence of str
        Header rows, each as wide as a body row (the first cell heads the row labels).
    body : sequence of sequence of str
        Body rows; the first cell is the row label.
    notes : sequence of str
        Lines printed under the table (the stars legend, the SE type, why cells are blank).
    caption : str
        Title of the table (empty for none).
    rules : sequence of int
        Indices of body rows that a horizontal rule is drawn above.
    align : str
        One letter per column, ``l``, ``c`` or ``r``; default ``l`` then ``c``.
    label : str
        LaTeX ``\label`` key (empty for none).

    Examples
    --------
    >>> t = Table(header=[["", "(1)"]], body=[["invited", "2.00***"], ["", "(0.50)"]],
    ...           notes=["* p < 0.1, ** p < 0.05, *** p < 0.01"])
    >>> print(to_text(t))
    -----------------
                  (1)
    -----------------
    invited   2.00***
               (0.50)
    -----------------
    * p < 0.1, ** p < 0.05, *** p < 0.01
    """

    header: tuple[tuple[str, ...], ...]
    body: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    caption: str = ""
    rules: tuple[int, ...] = ()
    align: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        header = tuple(tuple(str(c) for c in row) for row in self.header)
        body = tuple(tuple(str(c) for c in row) for row in self.body)
        widths = {len(r) for r in header + body}
        if len(widths) > 1:
            raise KaizenError(f"table rows have different widths {sorted(widths)}")
        width = widths.pop() if widths else 0
        for where, rows in (("header", header), ("body", body)):
            for i, row in enumerate(rows):
                bad = [c for c in row if c.strip() in FORBIDDEN_CELLS]
                if bad:
                    raise KaizenError(
                        f"table {where} row {i} holds an unformatted cell {bad[0]!r}: write it "
                        f"with kaizen_eval._format (a blank cell with a note when missing)"
                    )
        align = self.align or ("l" + "c" * (width - 1) if width else "")
        if len(align) != width or set(align) - set("lcr"):
            raise KaizenError(f"`align` must be {width} letters of l/c/r; got {align!r}")
        rules = tuple(sorted({int(r) for r in self.rules if 0 < int(r) < len(body)}))
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes if str(n).strip()))
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "align", align)

    @property
    def width(self) -> int:
        """Number of columns, the row labels included."""
        rows = self.header + self.body
        return len(rows[0]) if rows else 0

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        index: bool = True,
        stub: str = "",
        notes: Iterable[str] = (),
        caption: str = "",
        rules: Iterable[int] = (),
        align: str = "",
        label: str = "",
    ) -> Table:
        """Build a table from a DataFrame of formatted strings (columns become the header).

        Examples
        --------
        >>> f = pd.DataFrame({"Control": ["1.00"], "Treated": ["1.20"]}, index=["Sales"])
        >>> Table.from_frame(f).body
        (('Sales', '1.00', '1.20'),)
        """
        cols = [str(c) for c in frame.columns]
        if index:
            header = [[stub, *cols]]
            body = [
                [str(i), *map(str, r)] for i, r in zip(frame.index, frame.to_numpy(), strict=True)
            ]
        else:
            header = [cols]
            body = [list(map(str, r)) for r in frame.to_numpy()]
        return cls(
            header=tuple(map(tuple, header)),
            body=tuple(map(tuple, body)),
            notes=tuple(notes),
            caption=caption,
            rules=tuple(rules),
            align=align,
            label=label,
        )


# --- LaTeX -----------------------------------------------------------------------------------
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": "$<$",
    ">": "$>$",
    "−": "$-$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "±": r"$\pm$",
    "×": r"$\times$",
    "²": r"$^2$",
    "τ": r"$\tau$",
    "μ": r"$\mu$",
    "∞": r"$\infty$",
    "–": "--",
    "—": "---",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: str) -> str:
    r"""Escape ``text`` for LaTeX text mode (minus signs as ``$-$``).

    Examples
    --------
    >>> latex_escape("ci_low < 5% & -1,390")
    'ci\\_low $<$ 5\\% \\& $-$1,390'
    """
    out = _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)
    return _MINUS.sub("$-$", out)


def _latex_cell(text: str) -> str:
    m = _STARS.match(text)
    if m and m["body"].strip():
        return latex_escape(m["body"]) + "$^{" + m["stars"] + "}$"
    return latex_escape(text)


def to_latex(table: Table, *, float_env: bool = True, position: str = "htbp") -> str:
    r"""Render the table as LaTeX: booktabs rules, notes in a ``threeparttable``.

    Parameters
    ----------
    table : Table
    float_env : bool, default True
        Wrap in a ``table`` float (with ``\centering``); False gives the bare
        ``threeparttable`` for ``\input`` into a float of one's own.
    position : str, default "htbp"
        Placement of the float.

    Returns
    -------
    str

    Examples
    --------
    >>> t = Table(header=[["", "Sales"]], body=[["invited", "-2.00**"]], notes=["Note."])
    >>> print(to_latex(t, float_env=False), end="")
    \begin{threeparttable}
    \begin{tabular}{lc}
    \toprule
     & Sales \\
    \midrule
    invited & $-$2.00$^{**}$ \\
    \bottomrule
    \end{tabular}
    \begin{tablenotes}[flushleft]
    \footnotesize
    \item Note.
    \end{tablenotes}
    \end{threeparttable}
    """
    lines: list[str] = []
    if float_env:
        lines += [f"\\begin{{table}}[{position}]", "\\centering"]
    lines.append("\\begin{threeparttable}")
    if table.caption:
        lines.append(f"\\caption{{{latex_escape(table.caption)}}}")
    if table.label:
        lines.append(f"\\label{{{table.label}}}")
    lines += [f"\\begin{{tabular}}{{{table.align}}}", "\\toprule"]
    for row in table.header:
        lines.append(" & ".join(_latex_cell(c) for c in row) + " \\\\")
    if table.header:
        lines.append("\\midrule")
    for i, row in enumerate(table.body):
        if i in table.rules:
            lines.append("\\midrule")
        lines.append(" & ".join(_latex_cell(c) for c in row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    if table.notes:
        lines += ["\\begin{tablenotes}[flushleft]", "\\footnotesize"]
        lines += [f"\\item {latex_escape(n)}" for n in table.notes]
        lines.append("\\end{tablenotes}")
    lines.append("\\end{threeparttable}")
    if float_env:
        lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


# --- Markdown --------------------------------------------------------------------------------
def markdown_escape(text: str) -> str:
    r"""Escape ``|``, ``*``, ``_``, backticks and backslashes for a Markdown table or line.

    Examples
    --------
    >>> markdown_escape("2.00*** | ci_low")
    '2.00\\*\\*\\* \\| ci\\_low'
    """
    return re.sub(r"([\\|*_`])", r"\\\1", text)


def to_markdown(table: Table) -> str:
    r"""Render the table as a Markdown pipe table, caption in italics above and notes below.

    Examples
    --------
    >>> t = Table(header=[["", "(1)"], ["", "Sales"]], body=[["invited", "2.0*"]],
    ...           caption="ITT", notes=["* p < 0.1"])
    >>> print(to_markdown(t))
    *ITT*
    <BLANKLINE>
    |         | (1) Sales |
    |:--------|:---------:|
    | invited |   2.0\*   |
    <BLANKLINE>
    \* p < 0.1
    <BLANKLINE>
    """
    n = table.width
    head = (
        [" ".join(r[j] for r in table.header if r[j].strip()) for j in range(n)]
        if table.header
        else [""] * n
    )
    rows = [[markdown_escape(c) for c in head]] + [
        [markdown_escape(c) for c in r] for r in table.body
    ]
    widths = [max(3, *(len(r[j]) for r in rows)) for j in range(n)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for j, c in enumerate(cells):
            a = table.align[j]
            out.append(c.ljust(widths[j]) if a == "l" else c.rjust(widths[j]) if a == "r"
                       else c.center(widths[j]))  # fmt: skip
        return "| " + " | ".join(out) + " |"

    sep = []
    for j, a in enumerate(table.align):
        w = widths[j]
        sep.append(":" + "-" * (w + 1) if a == "l" else "-" * (w + 1) + ":" if a == "r"
                   else ":" + "-" * w + ":")  # fmt: skip
    text = []
    if table.caption:
        text += [f"*{markdown_escape(table.caption)}*", ""]
    text.append(line(rows[0]))
    text.append("|" + "|".join(sep) + "|")
    text += [line(r) for r in rows[1:]]
    if table.notes:
        text.append("")
        text += [markdown_escape(n) + ("  " if k < len(table.notes) - 1 else "")
                 for k, n in enumerate(table.notes)]  # fmt: skip
    return "\n".join(text) + "\n"


# --- HTML ------------------------------------------------------------------------------------
def _html_cell(text: str) -> str:
    m = _STARS.match(text)
    if m and m["body"].strip():
        return html.escape(m["body"]) + "<sup>" + m["stars"] + "</sup>"
    return html.escape(text)


_HTML_ALIGN = {"l": "left", "c": "center", "r": "right"}


def to_html(table: Table, *, css_class: str = "kaizen-table") -> str:
    """Render the table as HTML: caption, head, body (rules as a top border) and notes in the foot.

    Examples
    --------
    >>> t = Table(header=[["", "Sales"]], body=[["invited", "2.0*"]], notes=["* p < 0.1"])
    >>> "<sup>*</sup>" in to_html(t) and "<tfoot>" in to_html(t)
    True
    """
    out = [f'<table class="{html.escape(css_class)}">']
    if table.caption:
        out.append(f"<caption>{html.escape(table.caption)}</caption>")
    if table.header:
        out.append("<thead>")
        for row in table.header:
            cells = "".join(
                f'<th style="text-align:{_HTML_ALIGN[table.align[j]]}">{_html_cell(c)}</th>'
                for j, c in enumerate(row)
            )
            out.append(f"<tr>{cells}</tr>")
        out.append("</thead>")
    out.append("<tbody>")
    for i, row in enumerate(table.body):
        style = ' style="border-top:1px solid currentColor"' if i in table.rules else ""
        cells = f'<th scope="row" style="text-align:left">{_html_cell(row[0])}</th>' + "".join(
            f'<td style="text-align:{_HTML_ALIGN[table.align[j + 1]]}">{_html_cell(c)}</td>'
            for j, c in enumerate(row[1:])
        )
        out.append(f"<tr{style}>{cells}</tr>")
    out.append("</tbody>")
    if table.notes:
        notes = "<br>".join(html.escape(n) for n in table.notes)
        out.append(
            f'<tfoot><tr><td colspan="{table.width}" style="text-align:left;font-size:smaller">'
            f"{notes}</td></tr></tfoot>"
        )
    out.append("</table>")
    return "\n".join(out) + "\n"


# --- plain text ------------------------------------------------------------------------------
def to_text(table: Table) -> str:
    """Render the table as aligned plain text (for ``__str__`` and ``summary()``).

    Examples
    --------
    >>> t = Table(header=[["", "Value"]], body=[["BCR", "18.8"], ["NPV", "12,628"]])
    >>> print(to_text(t))
    ------------
           Value
    ------------
    BCR     18.8
    NPV   12,628
    ------------
    """
    rows = list(table.header) + list(table.body)
    n = table.width
    widths = [max(len(r[j]) for r in rows) for j in range(n)] if rows else []

    def line(cells: Sequence[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        for j in range(1, n):
            c = cells[j]
            out.append(c.rjust(widths[j]) if table.align[j] != "l" else c.ljust(widths[j]))
        return "   ".join(out).rstrip()

    total = sum(widths) + 3 * (n - 1) if n else 0
    rule = "-" * total
    text = []
    if table.caption:
        text.append(table.caption)
    text.append(rule)
    text += [line(r) for r in table.header]
    if table.header:
        text.append(rule)
    for i, r in enumerate(table.body):
        if i in table.rules:
            text.append(rule)
        text.append(line(r))
    text.append(rule)
    text += list(table.notes)
    return "\n".join(text)


class Rendered:
    """Mixin: ``to_latex``, ``to_markdown``, ``to_html``, notebook display and ``__str__``.

    All come from one method ``_table()`` that returns a :class:`Table`.

    Examples
    --------
    >>> class Result(Rendered):
    ...     def _table(self):
    ...         return Table(header=[["", "Value"]], body=[["BCR", "18.8"]], caption="CBA")
    >>> print(Result())
    CBA
    -----------
          Value
    -----------
    BCR    18.8
    -----------
    >>> Result().to_markdown().splitlines()[0]
    '*CBA*'
    """

    def _table(self) -> Table:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def to_latex(self, *, float_env: bool = True) -> str:
        r"""Render as LaTeX (booktabs, ``threeparttable`` notes; needs both packages).

        Parameters
        ----------
        float_env : bool, default True
            Wrap in a ``table`` float; False gives the bare ``threeparttable``.
        """
        return to_latex(self._table(), float_env=float_env)

    def to_markdown(self) -> str:
        """Render as a Markdown table with the caption above and the notes below."""
        return to_markdown(self._table())

    def to_html(self) -> str:
        """Render as an HTML table (notes in its foot)."""
        return to_html(self._table())

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return to_text(self._table())
