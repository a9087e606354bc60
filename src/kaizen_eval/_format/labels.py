"""Names for a reader: variable, column and term names written as headers, never snake_case.

``ci_low`` -> ``CI low``, ``invited[female=0.0]`` -> ``invited, female = 0``, and known
abbreviations in capitals (``late_value_added`` -> ``LATE value added``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kaizen_eval._format.missing import MISSING, is_missing

#: Words written in capitals wherever they appear in a name.
_ACRONYMS = {
    "ci": "CI",
    "se": "SE",
    "sd": "SD",
    "bcr": "BCR",
    "irr": "IRR",
    "npv": "NPV",
    "pv": "PV",
    "itt": "ITT",
    "late": "LATE",
    "att": "ATT",
    "ate": "ATE",
    "tot": "TOT",
    "ols": "OLS",
    "2sls": "2SLS",
    "iv": "IV",
    "fe": "FE",
    "ri": "RI",
    "wtp": "WTP",
    "mde": "MDE",
    "icc": "ICC",
    "id": "ID",
    "ar": "AR",
    "hc0": "HC0",
    "hc1": "HC1",
    "hc2": "HC2",
    "hc3": "HC3",
    "cr0": "CR0",
    "cr1": "CR1",
    "cr2": "CR2",
    "fdr": "FDR",
    "fwer": "FWER",
    "usd": "USD",
}

#: Names with a fixed reader-facing label (columns of the package's tidy frames and tables).
_KNOWN = {
    "estimate": "Estimate",
    "std_error": "SE",
    "statistic": "t",
    "pvalue": "p-value",
    "p_value": "p-value",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "df": "df",
    "nobs": "N",
    "n": "N",
    "n_obs": "N",
    "n_clusters": "Clusters",
    "control_mean": "Control mean",
    "mean_control": "Control mean",
    "prob_bcr_above_1": "P(BCR > 1)",
    "pv_gains": "PV of gains",
    "payback_years": "Payback (years)",
    "breakeven_years": "Break-even (years)",
    "breakeven_gain": "Break-even gain",
    "normalized_diff": "Norm. diff.",
    "discount_rate": "Discount rate",
    "tau2": "tau²",
    "i2": "I²",
    "value": "Value",
    "gain": "Gain",
    "cost": "Cost",
    "bcr": "BCR",
    "irr": "IRR",
    "npv": "NPV",
    "not_found": "Not found",
}

_BRACKET = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<inner>[^\[\]]*)\]$")


def _word(token: str) -> str:
    low = token.lower()
    if low in _ACRONYMS:
        return _ACRONYMS[low]
    return token


def _value(text: str) -> str:
    """Write a level in a term name: ``0.0`` -> ``0``, ``1.50`` -> ``1.5``, words kept."""
    try:
        v = float(text)
    except ValueError:
        return text.strip().strip("'\"")
    return f"{v:g}"


def label(name: Any, labels: Mapping[str, str] | None = None) -> str:
    """Write a name for a reader: a codebook label when one is given, never raw snake_case.

    Parameters
    ----------
    name : str or tuple
        A variable, column or term name; a tuple (a MultiIndex key) is joined with ``", "``.
    labels : mapping, optional
        Labels by name (a codebook's variable labels); they win over the built-in rules.

    Returns
    -------
    str

    Notes
    -----
    The rules, in order: an entry of ``labels``; a known column name (``ci_low`` -> ``CI low``,
    ``prob_bcr_above_1`` -> ``P(BCR > 1)``, ``std_error`` -> ``SE``); a term of the form
    ``base[var=level]`` -> ``base, var = level`` (each part labelled by the same rules);
    otherwise underscores become spaces and known abbreviations are capitalised
    (``late_value_added`` -> ``LATE value added``).

    Examples
    --------
    >>> label("ci_low"), label("prob_bcr_above_1"), label("invited[female=0.0]")
    ('CI low', 'P(BCR > 1)', 'invited, female = 0')
    >>> label(("ghana", "LATE", "attended")), label("va", {"va": "Value added (USD)"})
    ('ghana, LATE, attended', 'Value added (USD)')
    """
    if isinstance(name, tuple):
        return ", ".join(label(part, labels) for part in name if not is_missing(part))
    if is_missing(name):
        return MISSING
    text = str(name)
    if labels and text in labels:
        return str(labels[text])
    if text in _KNOWN:
        return _KNOWN[text]
    m = _BRACKET.match(text)
    if m:
        parts = [label(m["base"].strip(), labels)]
        for piece in m["inner"].split(","):
            var, sep, level = piece.partition("=")
            if sep:
                parts.append(f"{label(var.strip(), labels)} = {_value(level)}")
            elif piece.strip():
                parts.append(_value(piece))
        return ", ".join(parts)
    if "_" in text:
        return " ".join(_word(t) for t in text.split("_") if t)
    return _word(text)


def heading(name: Any, labels: Mapping[str, str] | None = None) -> str:
    """Write a name as a heading: :func:`label` with a capital first letter.

    A label given in ``labels`` is used exactly as written.

    Examples
    --------
    >>> heading("value_added"), heading("discount_rate"), heading("y", {"y": "log sales"})
    ('Value added', 'Discount rate', 'log sales')
    """
    text = label(name, labels)
    if labels and str(name) in labels:
        return text
    return text[:1].upper() + text[1:]
