"""Paper-style tables of several estimates: outcomes in columns, terms in rows.

The layout follows the applied-economics convention: for each term a row with the coefficient
(with optional significance stars) and, below it, the standard error in parentheses; then the
control-group mean, the number of observations and the covariance type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate.result import Estimate

_STAR_LEVELS = ((0.01, "***"), (0.05, "**"), (0.1, "*"))


def _stars(p: float) -> str:
    for level, mark in _STAR_LEVELS:
        if p < level:
            return mark
    return ""


@dataclass(frozen=True)
class ResultsTable:
    """A formatted table of estimates; immutable.

    Attributes
    ----------
    frame : pandas.DataFrame
        The formatted cells (strings), rows as described in the module docstring and one column
        per result.
    numbers : pandas.DataFrame
        The underlying numbers in tidy long form (column, term, estimate, std_error, pvalue, ...).
    stars : bool
        Whether significance stars were added (* p<0.1, ** p<0.05, *** p<0.01).
    """

    frame: pd.DataFrame
    numbers: pd.DataFrame
    stars: bool

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the formatted table."""
        return self.frame.copy()

    def _note(self) -> str:
        note = "Standard errors in parentheses."
        if self.stars:
            note += " * p<0.1, ** p<0.05, *** p<0.01."
        return note

    def to_markdown(self) -> str:
        """Render as a Markdown table with a note on the symbols."""
        return self.frame.to_markdown() + "\n\n" + self._note() + "\n"

    def to_latex(self) -> str:
        """Render as a LaTeX ``tabular`` (booktabs rules) followed by the note."""
        body = self.frame.to_latex(escape=True, column_format="l" + "c" * self.frame.shape[1])
        return body + "% " + self._note() + "\n"

    def to_html(self) -> str:
        """Render as an HTML table with the note as a caption."""
        styled = self.frame.to_html(classes="results-table", border=0, escape=True)
        return styled.replace(
            ">\n  <thead>", f">\n  <caption>{self._note()}</caption>\n  <thead>", 1
        )

    def to_csv(self, path: str | None = None) -> str | None:
        """Write (or return) the tidy numbers as CSV: full precision, one row per cell."""
        return self.numbers.to_csv(path, index=False)

    def __repr__(self) -> str:
        return self.frame.to_string()

    def _repr_html_(self) -> str:
        return self.to_html()


def results_table(
    results: Mapping[str, Estimate] | Sequence[Estimate],
    *,
    terms: Sequence[str] | None = None,
    stars: bool = False,
    digits: int = 3,
    control_mean: bool = True,
) -> ResultsTable:
    """Line up several estimates side by side, as in a paper.

    Parameters
    ----------
    results : mapping of column label to Estimate, or sequence of Estimate
        One column per result; a sequence is labelled by each result's outcome (deduplicated
        with ``(2)``, ``(3)``, ... if two share an outcome).
    terms : sequence of str, optional
        Terms to show, in this order; default: every term of every result, in order of first
        appearance.
    stars : bool, default False
        Add significance stars to the coefficients.
    digits : int, default 3
        Significant digits of coefficients and standard errors.
    control_mean : bool, default True
        Add a "Control mean" row (blank where a result has none).

    Returns
    -------
    ResultsTable

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> e = ke.Estimate(terms=("invited",), coef=[2.0], vcov=[[0.25]], dof=98, se_type="HC1",
    ...                 method="OLS", estimand="ITT", outcome="score", nobs=100)
    >>> print(ke.results_table([e], stars=True).frame)
                   score
    invited      2.00***
                 (0.500)
    N                100
    SE              HC1
    """
    if isinstance(results, Mapping):
        labelled = list(results.items())
    else:
        labelled = []
        seen: dict[str, int] = {}
        for r in results:
            seen[r.outcome] = seen.get(r.outcome, 0) + 1
            label = r.outcome if seen[r.outcome] == 1 else f"{r.outcome} ({seen[r.outcome]})"
            labelled.append((label, r))
    if not labelled:
        raise KaizenError("`results` is empty: pass at least one Estimate.")
    for label, r in labelled:
        if not isinstance(r, Estimate):
            raise KaizenError(f"column {label!r} is a {type(r).__name__}, not an Estimate.")
    if terms is None:
        terms = list(dict.fromkeys(t for _, r in labelled for t in r.terms))

    def number(v: float) -> str:
        if not np.isfinite(v):
            return ""
        if abs(v) >= 10 ** (digits - 1):
            return f"{v:,.0f}"
        return f"{v:#.{digits}g}".rstrip(".")

    cells: dict[str, list[str]] = {}
    rows: list[str] = []
    for t in terms:
        rows += [t, ""]
    if control_mean:
        rows.append("Control mean")
    rows += ["N", "SE"]
    long = []
    for label, r in labelled:
        tidy = r.tidy()
        col: list[str] = []
        for t in terms:
            if t in tidy.index:
                row = tidy.loc[t]
                mark = _stars(row["pvalue"]) if stars else ""
                col += [number(row["estimate"]) + mark, "(" + number(row["std_error"]) + ")"]
                long.append({"column": label, "term": t, **row.to_dict()})
            else:
                col += ["", ""]
        if control_mean:
            cm = r.control_mean
            col.append("" if cm is None or not np.isfinite(cm) else number(cm))
        col += [str(r.nobs), r.se_type]
        cells[label] = col
    frame = pd.DataFrame(cells, index=rows)
    if not control_mean or all(r.control_mean is None for _, r in labelled):
        frame = frame.drop(index="Control mean", errors="ignore")
    return ResultsTable(frame=frame, numbers=pd.DataFrame(long), stars=stars)
