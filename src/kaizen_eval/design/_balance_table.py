"""The :class:`BalanceTable` that :func:`~kaizen_eval.balance` returns: its columns and displays.

The computation is in :mod:`kaizen_eval.design.balance`; this module formats (text, HTML,
LaTeX) and holds the table's fixed columns.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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


@dataclass(frozen=True, repr=False, eq=False)
class BalanceTable:
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

    @property
    def table(self) -> pd.DataFrame:
        """Per covariate and arm statistics (a copy)."""
        return self._table.copy()

    @property
    def joint(self) -> pd.DataFrame:
        """Joint tests, one row per arm (a copy)."""
        return self._joint.copy()

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

    def __repr__(self) -> str:
        return (
            f"<BalanceTable: {self._table.index.get_level_values(0).nunique()} covariates, "
            f"arms {list(self.arms)}, se={self.se_type}>"
        )

    # --- exports ----------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Return the numbers in long form: ``table`` with ``covariate`` and ``arm`` as columns."""
        return self._table.reset_index()

    def _formatted(self, digits: int) -> pd.DataFrame:
        t = self._table

        def fmt(v: float) -> str:
            return cell(v, digits)

        several = len(self.arms) > 1
        rows = []
        for (cov, arm), r in t.iterrows():
            rows.append(
                {
                    "Covariate": f"{cov} ({arm})" if several else str(cov),
                    "Control": fmt(r["mean_control"]),
                    "Arm": fmt(r["mean_arm"]),
                    "Difference": fmt(r["difference"]),
                    "Std. error": cell(r["std_error"], digits, parentheses=True),
                    "p-value": fmt(r["pvalue"]),
                    "Norm. diff.": fmt(r["normalized_diff"]),
                    "N": f"{int(r['n'])}",
                }
            )
        out = pd.DataFrame(rows)
        if not several:
            out = out.rename(columns={"Arm": self.arms[0]})
        return out

    def footer(self, digits: int = 3) -> list[str]:
        """Lines under the table: the joint test(s), covariance and notes."""
        lines = []
        for arm, r in self._joint.iterrows():
            lines.append(
                f"Joint F test ({arm} vs control): F({int(r['df1'])}, {r['df2']:g}) = "
                f"{r['fstat']:.{digits}f}, p = {r['pvalue']:.{digits}f}, N = {int(r['nobs'])}"
                + (
                    f" ({int(r['n_dropped'])} rows with a missing covariate dropped)"
                    if r["n_dropped"]
                    else ""
                )
            )
        fe = f"; strata fixed effects ({', '.join(self.strata)})" if self.strata else ""
        cl = f"; clustered by {self.cluster}" if self.cluster else ""
        lines.append(f"Standard errors: {self.se_type}{cl}{fe}.")
        lines.extend(self.notes)
        return lines

    def to_markdown(self, digits: int = 3) -> str:
        """Markdown table with the joint test(s) underneath.

        Examples
        --------
        >>> import pandas as pd
        >>> from kaizen_eval import balance
        >>> df = pd.DataFrame({"t": [0, 1] * 10, "x": range(20)})
        >>> md = balance(df, treatment="t", covariates=["x"]).to_markdown()
        >>> md.splitlines()[0].split("|")[1:4]
        [' Covariate   ', '   Control ', '   t ']
        """
        body = self._formatted(digits).to_markdown(
            index=False, disable_numparse=True, colalign=("left", *["right"] * 7)
        )
        return body + "\n\n" + "\n".join(self.footer(digits)) + "\n"

    def to_latex(self, digits: int = 3) -> str:
        """LaTeX ``tabular`` (booktabs) with the joint test(s) as table notes."""
        body = self._formatted(digits).to_latex(index=False, escape=True)
        notes = "\n".join(
            r"\par\footnotesize " + _latex_escape(line) for line in self.footer(digits)
        )
        return body + notes + "\n"

    def to_html(self, digits: int = 3) -> str:
        """HTML table with the joint test(s) in a paragraph underneath."""
        body = self._formatted(digits).to_html(index=False, classes="balance", border=0)
        notes = "<br>\n".join(html.escape(line) for line in self.footer(digits))
        return f'{body}\n<p class="balance-notes">{notes}</p>\n'


def cell(value: float, digits: int, *, parentheses: bool = False) -> str:
    """Format a number for a table cell: fixed digits, empty when missing (NaN)."""
    if value is None or not np.isfinite(value):
        return ""
    text = f"{value:.{digits}f}"
    return f"({text})" if parentheses else text


def _latex_escape(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("#", r"\#"),
        ("$", r"\$"),
    ):
        text = text.replace(a, b)
    return text
