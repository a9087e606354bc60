"""LaTeX, Markdown and HTML renderings of a :class:`~kaizen_eval._render.Table`."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from kaizen_eval._render._table import _MINUS, _STARS, Table

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
