"""The table model of :mod:`kaizen_eval._render`: :class:`Table`, and its plain-text rendering."""

from __future__ import annotations

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
