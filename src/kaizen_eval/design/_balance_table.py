"""The :class:`BalanceTable` that :func:`~kaizen_eval.balance` returns: its columns and displays.

The computation is in :mod:`kaizen_eval.design.balance`; this module formats (text, HTML,
LaTeX) and holds the table's fixed columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval import _render

TABLE_COLUMNS = (
    "n",
    "n_missing",
    "mean_control",
    "mean_arm",
    "sd_control",
    "sd_arm",
    "difference",
    "std_error",
    "pvalue",
    "normalized_diff",
)
JOINT_COLUMNS = ("fstat", "df1", "df2", "pvalue", "nobs", "n_dropped")


class _DesignTable:
    """The displays a design table shares: text, Markdown, LaTeX, HTML of its ``_display``."""

    _CSS_CLASS: ClassVar[str]
    _table: pd.DataFrame
    se_type: str
    strata: tuple[str, ...]
    cluster: str | None

    def _display(self, digits: int | None = None) -> _render.Table:  # pragma: no cover
        raise NotImplementedError

    def _se_note(self) -> str:
        """Return the note on the standard errors: type, clusters and strata fixed effects."""
        fe = f"; strata fixed effects ({', '.join(self.strata)})" if self.strata else ""
        cl = f"; clustered by {self.cluster}" if self.cluster else ""
        return f"Standard errors: {self.se_type}{cl}{fe}."

    def __str__(self) -> str:
        return _render.to_text(self._display())

    def __repr__(self) -> str:
        return str(self)

    def summary(self) -> str:
        """Return the table as plain text (what ``print`` shows)."""
        return str(self)

    def to_frame(self) -> pd.DataFrame:
        """Return the numbers in long form: ``table`` with its index levels as columns."""
        return self._table.reset_index()

    def to_markdown(self, digits: int | None = None) -> str:
        """Markdown table with the notes below."""
        return _render.to_markdown(self._display(digits))

    def to_latex(self, digits: int | None = None, *, float_env: bool = True) -> str:
        """LaTeX table (booktabs, ``threeparttable`` notes)."""
        return _render.to_latex(self._display(digits), float_env=float_env)

    def to_html(self, digits: int | None = None) -> str:
        """HTML table (notes in its foot)."""
        return _render.to_html(self._display(digits), css_class=self._CSS_CLASS)

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass(frozen=True, repr=False, eq=False)
class BalanceTable(_DesignTable):
    """Balance of covariates between arms; immutable.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (covariate, arm), indexed by ``covariate`` and ``arm``, columns:
        ``n`` (rows used: covariate observed), ``n_missing`` (rows where the covariate is
        missing), ``mean_control``, ``mean_arm``, ``sd_control``, ``sd_arm`` (raw means and
        standard deviations), ``difference`` (arm coefficient: within-strata difference with
        strata), ``std_error``, ``pvalue`` (t with the regression's degrees of freedom),
        ``normalized_diff`` (``(mean_arm - mean_control) / sqrt((sd_arm² + sd_control²) / 2)``,
        Imbens & Rubin 2015). A fresh copy on each access.
    joint : pandas.DataFrame
        One row per arm: ``fstat``, ``df1``, ``df2``, ``pvalue``, ``nobs`` (complete cases of
        this arm and control), ``n_dropped`` (rows of this arm and control dropped because a
        covariate is missing).
    se_type : str
        Covariance type.
    strata : tuple of str
        Strata columns absorbed as fixed effects.
    notes : tuple of str
        Remarks a reader must see (rows dropped from the joint test, ...).
    """

    _table: pd.DataFrame
    _joint: pd.DataFrame
    se_type: str
    strata: tuple[str, ...] = ()
    cluster: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    _CSS_CLASS: ClassVar[str] = "balance"

    table = _render.copied("_table", "Per covariate and arm statistics (a copy).")
    joint = _render.copied("_joint", "Joint tests, one row per arm (a copy).")

    @property
    def arms(self) -> tuple[str, ...]:
        """Arm names."""
        return tuple(self._joint.index)

    def _one_or_series(self, col: str) -> float | pd.Series:
        s = self._joint[col]
        return float(s.iloc[0]) if len(s) == 1 else s.copy()

    @property
    def joint_f(self) -> float | pd.Series:
        """Joint F statistic (a float with one arm; a Series by arm with several)."""
        return self._one_or_series("fstat")

    @property
    def joint_pvalue(self) -> float | pd.Series:
        """P-value of the joint F test (a float with one arm; a Series by arm with several)."""
        return self._one_or_series("pvalue")

    # --- display ----------------------------------------------------------------------------
    def _display(self, digits: int | None = None) -> _render.Table:
        """Build the display table: a row per covariate (and arm), one precision per row."""
        several = len(self.arms) > 1
        body = []
        for (cov, arm), r in self._table.iterrows():
            if digits is None:  # each row is one variable: its means, difference and SE alike
                d = F.column_decimals([r["mean_control"], r["mean_arm"], r["std_error"]])
            else:
                d = digits
            se = F.number(r["std_error"], d)
            name = F.label(cov)
            body.append(
                [
                    f"{name} ({F.label(arm)})" if several else name,
                    F.number(r["mean_control"], d),
                    F.number(r["mean_arm"], d),
                    F.number(r["difference"], d),
                    f"({se})" if se else "",
                    F.pvalue(r["pvalue"]),
                    F.number(r["normalized_diff"], 2 if digits is None else digits),
                    F.count(r["n"]),
                ]
            )
        arm_head = "Arm" if several else F.label(self.arms[0])
        header = ["Covariate", "Control", arm_head, "Difference", "SE", "p-value",
                  "Norm. diff.", "N"]  # fmt: skip
        notes = self.footer()
        blank = any(not c for row in body for c in row[1:])
        if blank:
            notes.append(
                F.missing_note(["no variation or no observations in an arm for that statistic"])
            )
        n_cov = self._table.index.get_level_values(0).nunique()
        caption = f"Balance of {F.count(n_cov)} covariate{'s' if n_cov != 1 else ''}"
        return _render.Table(
            header=[header],
            body=body,
            notes=notes,
            caption=caption,
            align="l" + "r" * (len(header) - 1),
        )

    def footer(self, digits: int | None = None) -> list[str]:
        """Lines under the table: the joint test(s), covariance and notes."""
        lines = []
        for arm, r in self._joint.iterrows():
            fstat = F.number(r["fstat"], 2 if digits is None else digits)
            lines.append(
                f"Joint F test ({F.label(arm)} vs control): F({F.count(r['df1'])}, "
                f"{F.number(r['df2'], 0 if float(r['df2']).is_integer() else 1)}) = "
                f"{fstat or 'not defined'}, p = {F.pvalue(r['pvalue']) or 'not defined'}, "
                f"N = {F.count(r['nobs'])}"
                + (
                    f" ({F.count(r['n_dropped'])} row{'s' if r['n_dropped'] != 1 else ''} "
                    "with a missing covariate dropped)"
                    if r["n_dropped"]
                    else ""
                )
                + "."
            )
        lines.append(self._se_note())
        lines.extend(F.sentence(n) for n in self.notes)
        return lines

    # --- exports (text, LaTeX and HTML: _DesignTable) ----------------------------------------
    def to_markdown(self, digits: int | None = None) -> str:
        """Markdown table with the joint test(s) underneath.

        Parameters
        ----------
        digits : int, optional
            Decimals of every number; default one precision per covariate (its means,
            difference and standard error alike).

        Examples
        --------
        >>> import pandas as pd
        >>> from kaizen_eval import balance
        >>> df = pd.DataFrame({"t": [0, 1] * 10, "x": range(20)})
        >>> md = balance(df, treatment="t", covariates=["x"]).to_markdown()
        >>> md.splitlines()[2].split("|")[1:4]
        [' Covariate ', ' Control ', '    t ']
        """
        return _render.to_markdown(self._display(digits))


def cell(value: float, digits: int, *, parentheses: bool = False) -> str:
    """Format a number for a table cell: fixed digits, empty when missing (NaN)."""
    if value is None or not np.isfinite(value):
        return ""
    text = f"{value:.{digits}f}"
    return f"({text})" if parentheses else text
