"""Paper-layout tables of several estimates (Stata ``esttab``, R ``modelsummary`` style).

One column per outcome (or specification), numbered ``(1)``, ``(2)``, ... over the outcome's
label; for each term a row with the coefficient (with optional significance stars) and, below
it, the standard error in parentheses; then, under a rule, the control-group mean, the number of
observations, the number of clusters, the fixed effects and the covariance type; and a notes
line with the stars legend. Each column is written with one precision (chosen from its largest
coefficient or standard error), so that ``580.4`` never sits beside ``1,116``.

The formatted cells render to LaTeX (booktabs, ``threeparttable`` notes), Markdown, HTML and
text through :mod:`kaizen_eval._render`; :meth:`ResultsTable.to_csv` and
:meth:`ResultsTable.to_excel` write the raw numbers at full precision for re-use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render
from kaizen_eval._atomic import atomic_file
from kaizen_eval._validation import KaizenError, check_count
from kaizen_eval.estimate.result import Estimate

#: Significance levels of the stars (``*`` p < 0.1, ``**`` p < 0.05, ``***`` p < 0.01).
STAR_LEVELS = F.STAR_LEVELS


@dataclass(frozen=True)
class ResultsTable:
    """A paper-layout table of estimates; immutable.

    Attributes
    ----------
    frame : pandas.DataFrame
        The formatted cells (strings): rows as described in the module docstring (the SE rows
        have an empty label), one column per result, headed by its label.
    numbers : pandas.DataFrame
        The underlying numbers in tidy long form, full precision: ``column, term, estimate,
        std_error, statistic, pvalue, ci_low, ci_high, df`` and the column's ``outcome,
        estimand, method, se_type, nobs, n_clusters, control_mean``.
    stars : bool
        Whether significance stars were added (``*`` p < 0.1, ``**`` p < 0.05, ``***`` p < 0.01).
    table : kaizen_eval._render.Table
        The render model (header rows, body, rules, notes) behind the exports.
    """

    frame: pd.DataFrame
    numbers: pd.DataFrame
    stars: bool
    table: _render.Table = field(repr=False, default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.table is None:  # built from a frame alone: one header row of its columns
            object.__setattr__(
                self,
                "table",
                _render.Table.from_frame(self.frame, notes=self._default_notes()),
            )

    def _default_notes(self) -> list[str]:
        notes = ["Standard errors in parentheses."]
        if self.stars:
            notes.append(F.stars_legend(STAR_LEVELS) + ".")
        return notes

    @property
    def notes(self) -> tuple[str, ...]:
        """The lines printed under the table (SE note, stars legend, blank cells, remarks)."""
        return self.table.notes

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the formatted table."""
        return self.frame.copy()

    def to_markdown(self) -> str:
        """Render as a Markdown table with the notes (stars legend) underneath."""
        return _render.to_markdown(self.table)

    def to_latex(self, *, float_env: bool = True) -> str:
        r"""Render as LaTeX: booktabs rules in a ``threeparttable`` with the notes.

        Parameters
        ----------
        float_env : bool, default True
            Wrap in a ``table`` float; False gives the bare ``threeparttable``.

        Notes
        -----
        Needs ``\usepackage{booktabs}`` and ``\usepackage{threeparttable}``.
        """
        return _render.to_latex(self.table, float_env=float_env)

    def to_html(self) -> str:
        """Render as an HTML table with the caption, and the notes in its foot."""
        return _render.to_html(self.table, css_class="results-table")

    def to_text(self) -> str:
        """Render as aligned plain text."""
        return _render.to_text(self.table)

    def to_csv(
        self, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> str | None:
        """Write (or return) the tidy numbers as CSV: full precision, one row per cell.

        Parameters
        ----------
        path : str or path-like, optional
            Target file (written atomically); default: return the CSV text.
        overwrite : bool, default False
            Replace an existing file.
        """
        if path is None:
            return self.numbers.to_csv(index=False)
        with atomic_file(path, overwrite=overwrite) as tmp:
            self.numbers.to_csv(tmp, index=False)
        return None

    def to_excel(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write an Excel workbook: sheet ``numbers`` (full precision) and ``table`` (as shown).

        Needs ``openpyxl``.
        """
        with atomic_file(path, overwrite=overwrite) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                self.numbers.to_excel(xl, sheet_name="numbers", index=False)
                self.frame.to_excel(xl, sheet_name="table")

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


def _labelled(
    results: Mapping[str, Estimate] | Sequence[Estimate],
) -> list[tuple[str, Estimate]]:
    """Return the (name, result) pairs; names are written for a reader later (``_heading``)."""
    if isinstance(results, Mapping):
        labelled = [(str(k), v) for k, v in results.items()]
    else:
        labelled = []
        seen: dict[str, int] = {}
        for r in results:
            name = getattr(r, "outcome", type(r).__name__)
            seen[name] = seen.get(name, 0) + 1
            labelled.append((name if seen[name] == 1 else f"{name} ({seen[name]})", r))
    if not labelled:
        raise KaizenError("`results` is empty: pass at least one Estimate.")
    for name, r in labelled:
        if not isinstance(r, Estimate):
            raise KaizenError(f"column {name!r} is a {type(r).__name__}, not an Estimate.")
    return labelled


def results_table(
    results: Mapping[str, Estimate] | Sequence[Estimate],
    *,
    terms: Sequence[str] | None = None,
    stars: bool = False,
    digits: int | None = None,
    control_mean: bool = True,
    labels: Mapping[str, str] | None = None,
    caption: str = "",
    notes: Sequence[str] = (),
    numbered: bool = True,
) -> ResultsTable:
    r"""Line up several estimates side by side, as in a paper.

    Parameters
    ----------
    results : mapping of column label to Estimate, or sequence of Estimate
        One column per result; a sequence is labelled by each result's outcome (deduplicated
        with ``(2)``, ``(3)``, ... if two share an outcome).
    terms : sequence of str, optional
        Terms to show, in this order; default: every term of every result, in order of first
        appearance.
    stars : bool, default False
        Add significance stars to the coefficients (and their legend to the notes).
    digits : int, optional
        Decimals of coefficients, standard errors and control means in every column; default:
        one precision per column from its largest coefficient or standard error (none from
        100, one from 10, two from 1, about three significant figures below 1).
    control_mean : bool, default True
        Add a "Control mean" row (blank where a result has none, with a note).
    labels : mapping, optional
        Reader-facing labels of outcomes and terms (a codebook's variable labels); by default
        names are written without underscores (``value_added`` -> ``Value added``,
        ``invited[female=0.0]`` -> ``invited, female = 0``).
    caption : str, optional
        Title of the table.
    notes : sequence of str, optional
        Further lines for the notes (the estimates' own notes are added).
    numbered : bool, default True
        Head the columns ``(1)``, ``(2)``, ... above their labels.

    Returns
    -------
    ResultsTable

    Examples
    --------
    >>> import kaizen_eval as ke
    >>> e = ke.Estimate(terms=("invited",), coef=[2.0], vcov=[[0.25]], dof=98, se_type="HC1",
    ...                 method="OLS", estimand="ITT", outcome="score", nobs=100)
    >>> t = ke.results_table([e], stars=True, numbered=False)
    >>> print(t)
    -----------------
                Score
    -----------------
    invited   2.00***
               (0.50)
    -----------------
    N             100
    SE type       HC1
    -----------------
    Standard errors in parentheses.
    * p < 0.1, ** p < 0.05, *** p < 0.01.
    >>> print(t.to_latex(float_env=False).splitlines()[5])
    invited & 2.00$^{***}$ \\
    """
    labelled = _labelled(results)
    if digits is not None:
        digits = check_count("digits", digits, least=0)
    if terms is None:
        terms = list(dict.fromkeys(t for _, r in labelled for t in r.terms))
    else:
        terms = [str(t) for t in terms]
        unknown = [t for t in terms if not any(t in r.terms for _, r in labelled)]
        if unknown:
            raise KaizenError(
                f"`terms` {unknown} are in none of the results; their terms: "
                f"{sorted({t for _, r in labelled for t in r.terms})}"
            )

    tidies = [r.tidy() for _, r in labelled]
    show_cm = control_mean and any(r.control_mean is not None for _, r in labelled)
    show_cl = any(r.n_clusters for _, r in labelled)
    fes = [tuple(r.extra.get("fixed_effects", ())) for _, r in labelled]
    show_fe = any(fes)
    show_estimand = len({(r.estimand, r.method) for _, r in labelled}) > 1

    columns: list[list[str]] = []
    missing: list[str] = []
    long = []
    for (name, r), tidy, fe in zip(labelled, tidies, fes, strict=True):
        shown = tidy.loc[[t for t in terms if t in tidy.index]]
        d = digits
        if d is None:
            d = F.column_decimals(list(shown["estimate"]) + list(shown["std_error"]))
        col: list[str] = []
        for t in terms:
            if t in tidy.index:
                row = tidy.loc[t]
                coef = F.cell(row["estimate"], d)
                mark = F.stars(row["pvalue"], STAR_LEVELS) if stars and coef else ""
                se = F.cell(row["std_error"], d)
                if not (coef and se):
                    missing.append(f"no finite estimate or standard error for {F.label(t)}")
                col += [coef + mark, f"({se})" if se else ""]
                long.append({"column": name, "term": t, **row.to_dict()})
            else:
                col += ["", ""]
        if show_cm:
            cm = r.control_mean
            cell = "" if cm is None else F.cell(cm, d)
            if not cell:
                missing.append(f"no control mean for {F.label(name, labels)}")
            col.append(cell)
        col.append(F.count(r.nobs))
        if show_cl:
            col.append(F.count(r.n_clusters) if r.n_clusters else "")
        if show_fe:
            col.append(", ".join(F.label(f, labels) for f in fe) if fe else "no")
        if show_estimand:
            col.append(f"{r.estimand} ({r.method})")
        col.append(r.se_type)
        columns.append(col)

    row_labels: list[str] = []
    for t in terms:
        row_labels += [F.label(t, labels), ""]
    stats = (
        (["Control mean"] if show_cm else [])
        + ["N"]
        + (["Clusters"] if show_cl else [])
        + (["Fixed effects"] if show_fe else [])
        + (["Estimator"] if show_estimand else [])
        + ["SE type"]
    )
    row_labels += stats
    heads = [_heading(name, labels) for name, _ in labelled]
    frame = pd.DataFrame(
        {h: c for h, c in zip(_unique(heads), columns, strict=True)}, index=row_labels
    )
    frame.columns = heads

    remarks = ["Standard errors in parentheses."]
    if stars:
        remarks.append(F.stars_legend(STAR_LEVELS) + ".")
    note = F.missing_note(missing)
    if note:
        remarks.append(note)
    remarks += [F.sentence(n) for n in notes]
    remarks += [F.sentence(n) for n in dict.fromkeys(n for _, r in labelled for n in r.notes)]
    header = []
    numbers_row = [f"({j + 1})" for j in range(len(labelled))]
    if numbered and heads != numbers_row:
        header.append(["", *numbers_row])
    header.append(["", *heads])
    body = [[lab, *[c[i] for c in columns]] for i, lab in enumerate(row_labels)]
    table = _render.Table(
        header=tuple(map(tuple, header)),
        body=tuple(map(tuple, body)),
        notes=tuple(remarks),
        caption=caption,
        rules=(2 * len(terms),),
    )
    numbers = pd.DataFrame(long)
    if len(numbers):
        info = pd.DataFrame(
            [
                {
                    "column": name,
                    "outcome": r.outcome,
                    "estimand": r.estimand,
                    "method": r.method,
                    "se_type": r.se_type,
                    "nobs": r.nobs,
                    "n_clusters": r.n_clusters,
                    "control_mean": r.control_mean,
                }
                for name, r in labelled
            ]
        )
        numbers = numbers.merge(info, on="column", how="left")
    return ResultsTable(frame=frame, numbers=numbers, stars=stars, table=table)


def _heading(name: str, labels: Mapping[str, str] | None) -> str:
    """Label a column: the mapping's label as given, else :func:`label` with a capital."""
    return F.heading(name, labels)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out
