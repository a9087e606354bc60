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

Result classes take their displays from the mixin :class:`Rendered`, and hand out their private
frames through :func:`copied`.

A cell that reads ``nan``, ``NaN``, ``None``, ``True`` or ``False`` is refused when the table is
built: such a cell is a formatting bug upstream, not something to print.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kaizen_eval._render._markup import latex_escape as latex_escape
from kaizen_eval._render._markup import markdown_escape as markdown_escape
from kaizen_eval._render._markup import to_html as to_html
from kaizen_eval._render._markup import to_latex as to_latex
from kaizen_eval._render._markup import to_markdown as to_markdown
from kaizen_eval._render._table import FORBIDDEN_CELLS as FORBIDDEN_CELLS
from kaizen_eval._render._table import Table as Table
from kaizen_eval._render._table import to_text as to_text


class Rendered:
    """Mixin: ``to_latex``, ``to_markdown``, ``to_html``, notebook display and ``__str__``.

    All come from one method ``_table()`` that returns a :class:`Table`; the HTML table's
    ``class`` attribute is the class attribute ``_CSS_CLASS``.

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

    _CSS_CLASS: ClassVar[str] = "kaizen-table"

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
        return to_html(self._table(), css_class=self._CSS_CLASS)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return to_text(self._table())


def copied(attribute: str, doc: str) -> property:
    """Return a property giving a copy of the frame held in ``attribute`` (``None`` stays so).

    An immutable result keeps its tables private and hands out copies: editing one cannot
    change the result.

    Parameters
    ----------
    attribute : str
        Name of the private attribute (``"_table"``).
    doc : str
        The property's docstring.

    Returns
    -------
    property

    Examples
    --------
    >>> import pandas as pd
    >>> class Result:
    ...     _numbers = pd.DataFrame({"bcr": [18.8]})
    ...     numbers = copied("_numbers", "The numbers (a copy).")
    >>> r = Result()
    >>> r.numbers is r._numbers, r.numbers.equals(r._numbers)
    (False, True)
    """

    def get(self: Any) -> Any:
        value = getattr(self, attribute)
        return None if value is None else value.copy()

    get.__doc__ = doc
    return property(get)
